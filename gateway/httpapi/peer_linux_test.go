package httpapi

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// TestHardening12_ClientGoneCancelsContext: a client that closes its
// connection while its request waits ends the request's context then,
// not at the bound; a client that stays gets its answer.
func TestHardening12_ClientGoneCancelsContext(t *testing.T) {
	s := &Server{reqTimeout: time.Minute}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(s.requestContext)
	started := make(chan struct{}, 1)
	ended := make(chan error, 1)
	app.Get("/wait", func(c *fiber.Ctx) error {
		started <- struct{}{}
		<-c.UserContext().Done()
		ended <- c.UserContext().Err()
		return nil
	})
	app.Get("/quick", func(c *fiber.Ctx) error {
		time.Sleep(3 * peerCheckEvery) // long enough for the watch to look, twice
		if err := c.UserContext().Err(); err != nil {
			return err
		}
		return c.SendString("ok")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("GET /wait HTTP/1.1\r\nHost: gw\r\n\r\n"))
	<-started
	conn.Close()
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("context ended with %v, want canceled", err)
		}
	case <-time.After(30 * time.Second): // generous: the bound is a minute
		t.Fatal("the request's context outlived its client")
	}

	// A client that waits (and pipelines nothing) is not taken for gone.
	conn, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	conn.Write([]byte("GET /quick HTTP/1.1\r\nHost: gw\r\n\r\n"))
	buf := make([]byte, 512)
	n, _ := conn.Read(buf)
	if got := string(buf[:n]); len(got) < 12 || got[:12] != "HTTP/1.1 200" {
		t.Fatalf("answer: %q", got)
	}
}
