package gateway

import "time"

// Requests being accepted go to a one-writer store's writer before the
// engine's work: a 202 waits for its commit, and a caller is waiting for
// that, while the engine's transactions (resolving, recording outcomes)
// can be a few milliseconds later without anyone noticing. So, at a store
// with one writer, an engine transaction does not start while a batch of
// requests is being committed or handed its turn: it waits for that one
// commit (at most acceptFirstWait), not for the accept path to go idle,
// so that a steady stream of requests cannot stop the engine. And an
// engine transaction under way stops taking work, once it has done its
// floor of pieces, when requests wait (Worker.enough), rather than when
// its budget is used. Nothing here weakens the accept path's durability:
// its answer still follows its commit.

// acceptFirstWait bounds how long an engine transaction waits for the
// accept path's commit.
const acceptFirstWait = txBudget

// acceptsWaiting reports whether requests are being committed or wait to
// be.
func (s *Service) acceptsWaiting() bool { return s.accepts.active.Load() }

// waitAccepts waits until the batch of requests being committed (or
// about to be) is, or d passes; at once when there is none.
func (s *Service) waitAccepts(d time.Duration) {
	c := &s.accepts
	c.mu.Lock()
	if !c.busy {
		c.mu.Unlock()
		return
	}
	if c.committed == nil {
		c.committed = make(chan struct{})
	}
	done := c.committed
	c.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// acceptCommitted tells the engine waiting in waitAccepts that a batch
// was committed (or failed); c.mu is held.
func (c *acceptCommitter) acceptCommitted() {
	if c.committed != nil {
		close(c.committed)
		c.committed = nil
	}
}

// enough says an engine transaction that has done n pieces should stop
// taking more: with a budget (a store with one writer, and not Pass), once
// it has done floor pieces and used the budget or requests wait for the
// writer.
func (w *Worker) enough(n, floor int, began time.Time, budget time.Duration) bool {
	if budget <= 0 || n < floor {
		return false
	}
	return time.Since(began) > budget || w.s.acceptsWaiting()
}
