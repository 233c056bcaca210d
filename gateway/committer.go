package gateway

import (
	"context"
	"sync"
	"time"
)

// committer records outcomes as sends finish. It takes whatever is ready
// and writes it in one transaction (group commit), so a burst costs few
// commits and a lone outcome waits for none. A failed write is tried again
// with backoff while the claims' leases last; after that the claim runs
// out, the message is sent again, and the log counts that resend.
type committer struct {
	w      *Worker
	mu     sync.Mutex
	queue  []*outcome
	events []Event
	wake   chan struct{}
	closed bool
	done   chan struct{}
	// slots and side are the writers side by side on a store with many
	// writers (sidebyside.go).
	slots chan struct{}
	side  sync.WaitGroup
}

// maxGroup bounds one transaction's outcomes; maxRecordTries bounds the
// tries of one outcome whatever the clock says.
const (
	maxGroup       = 256
	maxRecordTries = 40
)

func newCommitter(w *Worker) *committer {
	return &committer{w: w, wake: make(chan struct{}, 1), done: make(chan struct{}), slots: make(chan struct{}, sideBySide)}
}

func (c *committer) add(o *outcome) {
	c.mu.Lock()
	c.queue = append(c.queue, o)
	c.mu.Unlock()
	c.signal()
}

// event queues a lane event for the next commit; lanes call it from
// places that must not wait on the store.
func (c *committer) event(e Event) {
	c.mu.Lock()
	if len(c.events) < 1000 {
		c.events = append(c.events, e)
	}
	c.mu.Unlock()
	c.signal()
}

func (c *committer) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// close ends run once everything queued is written.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.signal()
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	for {
		c.takeSlot()
		c.mu.Lock()
		n := min(len(c.queue), maxGroup)
		group := c.queue[:n:n]
		c.queue = c.queue[n:]
		events := c.events
		c.events = nil
		closed := c.closed
		c.mu.Unlock()
		marks := !c.w.many && c.w.marks.pending()
		if len(group) == 0 && len(events) == 0 && !marks {
			c.giveSlot()
			if closed {
				c.side.Wait()
				return
			}
			<-c.wake
			continue
		}
		if c.w.many {
			c.writeBeside(group, events)
			continue
		}
		rest := c.write(group, events)
		if len(rest) > 0 {
			// Out of budget: what is left goes first in the next group.
			c.mu.Lock()
			c.queue = append(rest, c.queue...)
			c.mu.Unlock()
		}
		for _, o := range group[:len(group)-len(rest)] {
			c.w.release(o.c)
		}
	}
}

// write records a group in one transaction, with the hand-over marks
// waiting when it starts (a store with one writer); if that fails, each
// outcome on its own, with backoff, until its lease runs out. A
// transaction that has used its budget (txBudget) takes no more outcomes:
// it returns those it left, for the next one.
func (c *committer) write(group []*outcome, events []Event) (rest []*outcome) {
	s := c.w.s
	// Recording goes on after the worker is told to stop: what was sent
	// must be written, and the leases bound how long that may take.
	ctx := context.Background()
	var marked []int64
	c.w.lockTurn()
	// The marks are taken once the turn is ours, not before: a mark asked
	// for while the committer waited for its turn rides in this
	// transaction instead of waiting for the next one.
	var marks []*HandOver
	if !c.w.many {
		marks = c.w.marks.take()
	}
	err := s.store.WithTx(ctx, func(st Store) error {
		began := time.Now()
		rest = nil
		reads := newTxReads(c.w.many)
		if len(marks) > 0 {
			// First, and whatever the budget: sends wait for them at
			// their final dot.
			mk, ok := st.(HandOverMarker)
			if !ok {
				mk = c.w.marks.st
			}
			var err error
			if marked, err = mk.MarkHandedOver(ctx, marksOf(marks)); err != nil {
				return err
			}
		}
		for i, o := range group {
			if c.w.enough(i, minGroup, began, c.w.budget()) {
				rest = group[i:]
				break
			}
			if err := s.recordIn(ctx, st, o, reads); err != nil {
				return err
			}
		}
		for i := range events {
			if err := s.event(ctx, st, events[i]); err != nil {
				return err
			}
		}
		return nil
	})
	c.w.unlockTurn()
	group = group[:len(group)-len(rest)]
	if err == nil {
		if len(marks) > 0 {
			c.w.marks.resolve(marks, marked, nil)
		}
		return rest
	}
	if len(marks) > 0 {
		// Alone, so that an outcome that cannot be written does not hold
		// up the sends waiting for their marks.
		c.w.lockTurn()
		marked, err := c.w.marks.st.MarkHandedOver(ctx, marksOf(marks))
		c.w.unlockTurn()
		c.w.marks.resolve(marks, marked, err)
	}
	s.log.Warn("recording delivery outcomes failed; trying one by one", "n", len(group), "err", err)
	for i := range events {
		if err := s.store.WithTx(ctx, func(st Store) error { return s.event(ctx, st, events[i]) }); err != nil {
			s.log.Error("recording a lane event failed", "type", events[i].Type, "err", err)
		}
	}
	for _, o := range group {
		c.retry(ctx, o)
	}
	return rest
}

// retry writes one outcome, backing off from 50 ms to 2 s, until a second
// before its lease ends.
func (c *committer) retry(ctx context.Context, o *outcome) {
	s := c.w.s
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		c.w.lockTurn()
		err := s.store.WithTx(ctx, func(st Store) error { return s.recordIn(ctx, st, o, nil) })
		c.w.unlockTurn()
		if err == nil {
			return
		}
		lease := time.Unix(0, o.c.lease.Load())
		if s.clock().Add(backoff+time.Second).After(lease) || attempt >= maxRecordTries {
			s.log.Error("recording a delivery outcome failed until its lease ran out; it will be claimed again (a mail handed over to its relay is then not sent again)",
				"delivery_id", o.c.d.ID, "attempts", attempt, "err", err)
			return
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, 2*time.Second)
	}
}
