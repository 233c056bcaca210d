package gateway

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// WorkerConfig builds the outbox worker.
type WorkerConfig struct {
	Service *Service
	// Senders carry messages by route. A delivery whose route has no sender
	// fails permanently.
	Senders map[Route]Sender
	// Batch is how many deliveries one pass claims (32).
	Batch int
	// Concurrency is how many sends run at once (16): sends wait on the
	// network, not the CPU.
	Concurrency int
	// Lease is how long a claimed delivery is ours before another worker
	// (or this one after a restart) may take it again (2 minutes).
	Lease time.Duration
	// RetryFor bounds retries of temporary failures (15 minutes): after
	// it, a message has failed for good.
	RetryFor time.Duration
	// BackoffBase is the first retry delay (2 s), doubled each attempt up
	// to BackoffMax (2 minutes), with jitter.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Poll is the idle wait between passes when nothing kicks (1 s).
	Poll time.Duration
	// SendTimeout bounds one send (30 s).
	SendTimeout time.Duration
}

// Worker delivers the outbox: it resolves received requests, sends due
// messages, and alone decides to retry or to give up. Run it with Run and
// stop it with Shutdown, like an http.Server.
type Worker struct {
	cfg  WorkerConfig
	s    *Service
	kick chan struct{}

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	stopped bool
}

// NewWorker makes a worker and hooks it to the service's kick.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Batch <= 0 {
		cfg.Batch = 32
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.RetryFor <= 0 {
		cfg.RetryFor = 15 * time.Minute
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = 2 * time.Second
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 2 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 30 * time.Second
	}
	w := &Worker{cfg: cfg, s: cfg.Service, kick: make(chan struct{}, 1)}
	cfg.Service.SetKick(w.Kick)
	return w
}

// Kick wakes the worker for a pass now.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// ErrWorkerClosed is what Run returns after Shutdown.
var ErrWorkerClosed = errors.New("gateway: worker closed")

// Run delivers until ctx ends or Shutdown is called. Work in flight when it
// stops is not lost: it is in the store and the next Run picks it up.
func (w *Worker) Run(ctx context.Context) error {
	w.mu.Lock()
	if w.stopped || w.done != nil {
		w.mu.Unlock()
		return ErrWorkerClosed
	}
	ctx, w.cancel = context.WithCancel(ctx)
	w.done = make(chan struct{})
	w.mu.Unlock()
	defer close(w.done)

	lastPrune := time.Time{}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		busy, err := w.Pass(ctx)
		if err != nil && ctx.Err() == nil {
			w.s.log.Error("outbox pass failed", "err", err)
		}
		if now := w.s.clock(); now.Sub(lastPrune) > time.Hour {
			lastPrune = now
			if err := w.s.store.PruneHits(ctx, now.Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
				w.s.log.Warn("pruning rate counters failed", "err", err)
			}
		}
		if busy {
			if ctx.Err() != nil {
				break
			}
			continue
		}
		timer.Reset(w.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-w.kick:
		case <-timer.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	w.mu.Lock()
	stopped := w.stopped
	w.mu.Unlock()
	if stopped {
		return ErrWorkerClosed
	}
	return ctx.Err()
}

// Shutdown stops Run after the sends in flight finish, or when ctx ends.
func (w *Worker) Shutdown(ctx context.Context) error {
	w.mu.Lock()
	w.stopped = true
	cancel, done := w.cancel, w.done
	w.mu.Unlock()
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

// Pass does one round of work and reports whether there was any, so that
// a busy worker goes on at once. Tests call it directly for exact steps.
func (w *Worker) Pass(ctx context.Context) (bool, error) {
	received, err := w.s.store.ResetsInState(ctx, StateReceived, w.cfg.Batch)
	if err != nil {
		return false, err
	}
	if len(received) > 0 {
		ids := make([]string, len(received))
		for i, r := range received {
			ids[i] = r.ID
		}
		if err := w.s.resolveAll(ctx, ids); err != nil {
			return false, err
		}
	}
	now := w.s.clock()
	ds, err := w.s.store.ClaimDeliveries(ctx, now, now.Add(w.cfg.Lease), w.cfg.Batch)
	if err != nil {
		return len(received) > 0, err
	}
	// Sends go on after ctx ends (Shutdown lets them finish); their own
	// timeout bounds them.
	sendCtx := context.WithoutCancel(ctx)
	sem := make(chan struct{}, w.cfg.Concurrency)
	// A pass's messages mostly share a few tenants: read each once, not
	// once per message. A tenant that cannot be read stays nil, and its
	// messages fail temporarily in send.
	tenants := map[int64]*Tenant{}
	for _, d := range ds {
		if _, ok := tenants[d.TenantID]; !ok {
			t, err := w.s.store.TenantByID(ctx, d.TenantID)
			if err != nil {
				w.s.log.Warn("reading tenant for delivery failed", "tenant_id", d.TenantID, "err", err)
			}
			tenants[d.TenantID] = t
		}
	}
	results := make([]sendResult, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			id, err := w.send(sendCtx, d, tenants[d.TenantID])
			results[i] = sendResult{d: d, providerID: id, err: err, retryAt: w.retryAt(d)}
		}()
	}
	wg.Wait()
	if len(results) > 0 {
		// If recording fails, the lease runs out and the messages are sent
		// again: at least once, never lost.
		if err := w.s.finishAll(sendCtx, results); err != nil {
			w.s.log.Error("recording delivery outcomes failed", "err", err)
		}
	}
	return len(received) > 0 || len(ds) > 0, nil
}

// sendResult is one send's outcome, waiting to be recorded.
type sendResult struct {
	d          *Delivery
	providerID string
	err        error
	retryAt    time.Time
}

func (w *Worker) send(ctx context.Context, d *Delivery, t *Tenant) (string, error) {
	sender, ok := w.cfg.Senders[d.Route]
	if !ok {
		return "", &SendError{Code: "no_route", Detail: "no sender for route " + string(d.Route)}
	}
	if out, err := w.s.optedOutDelivery(ctx, d); err != nil {
		return "", &SendError{Class: FailTransient, Code: "store", Detail: "opt-out status unavailable"}
	} else if out {
		return "", &SendError{Class: FailOptedOut, Code: "opted_out", Detail: "the number texted STOP"}
	}
	body, err := w.s.open(d)
	if err != nil {
		return "", &SendError{Code: "outbox_unreadable", Detail: "the message cannot be decrypted"}
	}
	if t == nil {
		return "", &SendError{Class: FailTransient, Code: "store", Detail: "tenant unavailable"}
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.SendTimeout)
	defer cancel()
	return sender.Send(ctx, &Message{
		DeliveryID: d.ID, RequestID: d.RequestID, Channel: d.Channel, Route: d.Route, To: d.To,
		Subject: body.Subject, Text: body.Text, HTML: body.HTML, Tenant: t,
	})
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
	at := now.Add(backoff)
	if deadline := d.CreatedAt.Add(w.cfg.RetryFor); at.After(deadline) {
		at = deadline
	}
	return at
}

// finish records a send's outcome and what it means for the request, in
// one transaction.
func (s *Service) finish(ctx context.Context, d *Delivery, providerID string, sendErr error, retryAt time.Time) error {
	return s.store.WithTx(ctx, func(st Store) error { return s.finishIn(ctx, st, d, providerID, sendErr, retryAt) })
}

// finishAll records a pass's outcomes in one transaction (one commit), or,
// if that fails, one by one.
func (s *Service) finishAll(ctx context.Context, rs []sendResult) error {
	err := s.store.WithTx(ctx, func(st Store) error {
		for _, r := range rs {
			if err := s.finishIn(ctx, st, r.d, r.providerID, r.err, r.retryAt); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(rs) == 1 {
		return err
	}
	var first error
	for _, r := range rs {
		if err := s.finish(ctx, r.d, r.providerID, r.err, r.retryAt); err != nil {
			first = cmp.Or(first, err)
		}
	}
	return first
}

func (s *Service) finishIn(ctx context.Context, st Store, d *Delivery, providerID string, sendErr error, retryAt time.Time) error {
	cur, err := st.Delivery(ctx, d.ID)
	if err != nil {
		return err
	}
	if cur.Status != DeliveryPending {
		return nil // cancelled (superseded) while we were sending
	}
	now := s.clock()
	cur.Attempts++
	cur.UpdatedAt = now
	ev := Event{TenantID: cur.TenantID, RequestID: cur.RequestID, Channel: string(cur.Channel)}
	if sendErr == nil {
		cur.Status, cur.ProviderID, cur.Body = DeliverySent, providerID, nil
		cur.ErrorCode, cur.ErrorDetail = "", ""
		ev.Type, ev.ProviderID, ev.Detail = "delivery_sent", providerID, string(cur.Route)
	} else {
		se := AsSendError(sendErr)
		if se.Code == twilioUnsubscribed && cur.Route == RouteTwilio {
			// Twilio refuses numbers that texted STOP to it: record the
			// opt-out so that every other path honours it too.
			if err := st.SetOptOut(ctx, cur.To, true); err != nil {
				return err
			}
		}
		cur.ErrorCode, cur.ErrorDetail = se.Code, truncate(se.Detail, 500)
		ev.Code, ev.Detail = se.Code, string(cur.Route)+": "+truncate(se.Detail, 200)
		if se.Temporary() && !retryAt.IsZero() {
			cur.NextAttemptAt = retryAt
			ev.Type = "delivery_retry"
		} else {
			cur.Status, cur.Body = DeliveryFailed, nil
			ev.Type = "delivery_failed"
		}
		s.log.Warn("delivery failed", "delivery_id", cur.ID, "request_id", cur.RequestID,
			"route", cur.Route, "code", se.Code, "class", se.Class, "attempt", cur.Attempts)
	}
	if err := st.UpdateDelivery(ctx, cur); err != nil {
		return err
	}
	var r *ResetRequest
	if cur.RequestID != "" {
		if r, err = st.Reset(ctx, cur.RequestID); err != nil {
			return err
		}
		ev.PersonID = r.PersonID
	}
	if err := s.event(ctx, st, ev); err != nil {
		return err
	}
	if r == nil || !cur.Status.Final() {
		return nil
	}
	return s.settleLoaded(ctx, st, r, ReasonAllFailed)
}

// settleRequest moves a request to the state its deliveries say. A
// request whose password was used is settled for good.
func (s *Service) settleRequest(ctx context.Context, st Store, id, rollbackReason string) error {
	r, err := st.Reset(ctx, id)
	if err != nil {
		return err
	}
	return s.settleLoaded(ctx, st, r, rollbackReason)
}

// settleLoaded is settleRequest for a request read in this transaction,
// after its deliveries were saved.
func (s *Service) settleLoaded(ctx context.Context, st Store, r *ResetRequest, rollbackReason string) error {
	if !r.UsedAt.IsZero() || (r.State != StateDelivering && r.State != StateDelivered) {
		return nil
	}
	next := settle(r)
	if next == r.State {
		return nil
	}
	now := s.clock()
	r.State, r.UpdatedAt = next, now
	ev := Event{TenantID: r.TenantID, RequestID: r.ID, PersonID: r.PersonID}
	switch next {
	case StateDelivered:
		ev.Type = "reset_delivered"
	case StateRolledBack:
		r.Reason = rollbackReason
		ev.Type, ev.Code = "reset_rolled_back", rollbackReason
		// The original password was never touched: clearing the pending
		// reset is all a rollback needs.
		if p, err := st.Person(ctx, r.TenantID, r.PersonID); err == nil && p.PendingRequest == r.ID {
			p.PendingRequest, p.UpdatedAt = "", now
			if err := st.SavePersonAuth(ctx, p); err != nil {
				return err
			}
		} else if err != nil && !IsNotFound(err) {
			return err
		}
	default:
		return nil
	}
	if err := st.UpdateReset(ctx, r); err != nil {
		return err
	}
	if next == StateRolledBack {
		s.log.Info("reset rolled back", "request_id", r.ID, "reason", rollbackReason)
	}
	return s.event(ctx, st, ev)
}

// twilioUnsubscribed is Twilio's error for a number that texted STOP.
const twilioUnsubscribed = "21610"

// truncate keeps provider text short for a row or an event.
func truncate(s string, n int) string { return Clip(s, n) }
