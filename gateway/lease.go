package gateway

import (
	"context"
	"math/rand/v2"
	"time"
)

// renewLeases keeps what the worker holds its own while it waits in a
// lane or is being sent.
func (w *Worker) renewLeases(ctx context.Context) {
	until := w.s.clock().Add(w.cfg.Lease)
	w.hmu.Lock()
	ids := make([]int64, 0, len(w.held))
	cs := make([]*claim, 0, len(w.held))
	for id, c := range w.held {
		ids, cs = append(ids, id), append(cs, c)
	}
	w.hmu.Unlock()
	if len(ids) == 0 {
		return
	}
	w.lockTurn()
	err := w.s.store.RenewLeases(ctx, ids, until)
	w.unlockTurn()
	if err != nil {
		w.s.log.Warn("renewing delivery leases failed", "err", err)
		return
	}
	for _, c := range cs {
		c.lease.Store(until.UnixNano())
	}
}

// retryAt says when a temporarily failed delivery goes again, or zero
// when its time is up.
func (w *Worker) retryAt(d *Delivery) time.Time {
	now := w.s.clock()
	if now.Sub(d.CreatedAt) >= w.cfg.RetryFor {
		return time.Time{}
	}
	backoff := w.cfg.BackoffBase << min(d.Attempts, 16)
	if backoff > w.cfg.BackoffMax || backoff <= 0 {
		backoff = w.cfg.BackoffMax
	}
	// Jitter spreads retries of a provider outage; it needs no secrecy.
	backoff = backoff/2 + rand.N(backoff/2+1)
	return w.capRetry(d, now.Add(backoff))
}

// capRetry keeps a retry within the delivery's time.
func (w *Worker) capRetry(d *Delivery, at time.Time) time.Time {
	if deadline := d.CreatedAt.Add(w.cfg.RetryFor); at.After(deadline) {
		return deadline
	}
	return at
}

// deadline is when the delivery's time is up.
func (w *Worker) deadline(d *Delivery) time.Time { return d.CreatedAt.Add(w.cfg.RetryFor) }
