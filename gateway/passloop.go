package gateway

import (
	"context"
	"sync"
	"time"
)

// passLoop is the Run/Shutdown bookkeeping of a background job made of
// passes (the provider follow-up, the password reminders): a pass at
// once, another at once while one reports more work, else after the
// interval or a kick; Shutdown ends it after the pass in flight.
type passLoop struct {
	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	stopped bool
}

// run passes until ctx ends or shutdown is called; a failed pass is
// handed to failed (unless ctx ended) and waits the interval. A nil kick
// never wakes it.
func (l *passLoop) run(ctx context.Context, interval time.Duration, kick <-chan struct{},
	pass func(context.Context) (bool, error), failed func(error)) error {
	l.mu.Lock()
	if l.stopped || l.done != nil {
		l.mu.Unlock()
		return ErrWorkerClosed
	}
	ctx, l.cancel = context.WithCancel(ctx)
	l.done = make(chan struct{})
	l.mu.Unlock()
	defer close(l.done)
	for ctx.Err() == nil {
		busy, err := pass(ctx)
		if err != nil && ctx.Err() == nil {
			failed(err)
		}
		if busy && err == nil {
			continue // a full pass: more may be due
		}
		timer := time.NewTimer(interval)
		select {
		case <-ctx.Done():
		case <-kick:
		case <-timer.C:
		}
		timer.Stop()
	}
	l.mu.Lock()
	stopped := l.stopped
	l.mu.Unlock()
	if stopped {
		return ErrWorkerClosed
	}
	return ctx.Err()
}

// shutdown stops run after the pass in flight, or when ctx ends.
func (l *passLoop) shutdown(ctx context.Context) error {
	l.mu.Lock()
	l.stopped = true
	cancel, done := l.cancel, l.done
	l.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
