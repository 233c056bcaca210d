package gateway

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A pass loop goes on at once while a pass reports more work, waits the
// interval otherwise (a kick ends the wait), reports a failed pass, and
// ends on Shutdown with ErrWorkerClosed, refusing to run again.
func TestPassLoop(t *testing.T) {
	var l passLoop
	passes := make(chan int, 16)
	n := 0
	boom := errors.New("boom")
	pass := func(context.Context) (bool, error) {
		n++
		passes <- n
		switch n {
		case 1, 2:
			return true, nil // more due: the next pass comes at once
		case 3:
			return true, boom // a failure waits, busy or not
		}
		return false, nil
	}
	var failures []error
	kick := make(chan struct{}, 1)
	ran := make(chan error, 1)
	go func() {
		ran <- l.run(t.Context(), time.Hour, kick, pass, func(err error) { failures = append(failures, err) })
	}()
	for want := 1; want <= 3; want++ {
		select {
		case got := <-passes:
			if got != want {
				t.Fatalf("pass %d, want %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("pass %d did not come at once", want)
		}
	}
	select {
	case <-passes:
		t.Fatal("a failed pass was followed at once, not after the interval")
	case <-time.After(100 * time.Millisecond):
	}
	kick <- struct{}{}
	select {
	case <-passes:
	case <-time.After(10 * time.Second):
		t.Fatal("a kick did not start a pass")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := l.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-ran; !errors.Is(err, ErrWorkerClosed) {
		t.Fatalf("run after shutdown: %v", err)
	}
	if len(failures) != 1 || failures[0] != boom {
		t.Fatalf("failures %v, want [boom]", failures)
	}
	if err := l.run(t.Context(), time.Hour, nil, pass, func(error) {}); !errors.Is(err, ErrWorkerClosed) {
		t.Fatalf("a second run: %v", err)
	}
}
