package gateway

import (
	"testing"
	"time"
)

// An engine transaction stops taking work once it has done its floor and
// requests wait for the writer, even with budget left; without a budget
// (Pass, or a store with many writers) it never stops early.
func TestEngineTransactionYieldsToWaitingAccepts(t *testing.T) {
	s := &Service{}
	w := &Worker{s: s}
	began := time.Now()
	for _, tc := range []struct {
		waiting bool
		n       int
		budget  time.Duration
		want    bool
	}{
		{false, 8, time.Hour, false},
		{true, 8, time.Hour, true},
		{true, 7, time.Hour, false}, // under its floor
		{true, 100, 0, false},       // no budget: Pass, or many writers
		{false, 8, time.Nanosecond, true},
	} {
		s.accepts.active.Store(tc.waiting)
		time.Sleep(time.Microsecond)
		if got := w.enough(tc.n, 8, began, tc.budget); got != tc.want {
			t.Errorf("waiting=%v n=%d budget=%v: enough=%v, want %v", tc.waiting, tc.n, tc.budget, got, tc.want)
		}
	}
}

// The engine waits for the batch of requests being committed, not longer:
// it goes on when that batch is written, and at once when none is.
func TestEngineWaitsForTheAcceptCommitInProgress(t *testing.T) {
	s := &Service{}
	done := make(chan struct{})
	go func() { s.waitAccepts(time.Minute); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("waited although no request was being committed")
	}

	s.accepts.mu.Lock()
	s.accepts.busy = true
	s.accepts.mu.Unlock()
	done = make(chan struct{})
	go func() { s.waitAccepts(time.Minute); close(done) }()
	for i := 0; ; i++ { // until the engine waits
		s.accepts.mu.Lock()
		waiting := s.accepts.committed != nil
		s.accepts.mu.Unlock()
		if waiting {
			break
		}
		if i == 10000 {
			t.Fatal("the engine never waited")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case <-done:
		t.Fatal("the engine did not wait for the commit in progress")
	default:
	}
	s.accepts.mu.Lock()
	s.accepts.acceptCommitted() // the batch is written; more requests may follow
	s.accepts.mu.Unlock()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the engine still waits after the commit")
	}
}
