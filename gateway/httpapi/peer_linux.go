package httpapi

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
)

// watchPeer cancels the request when its client closes the connection,
// as net/http does. fasthttp does not read the connection while a
// handler runs, so a peek at the socket (never a read: the bytes of a
// pipelined request must stay where they are) tells whether the client
// is gone: end of stream or a reset. stop ends the watch; after it
// returns no check runs, so fasthttp has the connection to itself again.
func watchPeer(c *fiber.Ctx, cancel context.CancelFunc) (stop func()) {
	sc, ok := c.Context().Conn().(syscall.Conn)
	if !ok {
		return func() {} // TLS or a test connection: only the bound applies
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	var (
		mu      sync.Mutex
		stopped bool
		timer   *time.Timer
	)
	check := func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if peerClosed(raw) {
			cancel()
			return
		}
		timer.Reset(peerCheckEvery)
	}
	mu.Lock()
	timer = time.AfterFunc(peerCheckEvery, check)
	mu.Unlock()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		timer.Stop()
	}
}

func peerClosed(raw syscall.RawConn) bool {
	closed := false
	err := raw.Control(func(fd uintptr) {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == nil:
			closed = n == 0 // end of stream; n > 0 is a pipelined request
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EINTR):
		default:
			closed = true // reset, or the socket is no longer usable
		}
	})
	return err == nil && closed
}
