package gateway

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// WorkerConfig builds the outbox worker.
type WorkerConfig struct {
	Service *Service
	// Senders carry messages by route. A delivery whose route has no sender
	// fails permanently.
	Senders map[Route]Sender
	// Batch is how many received requests one step resolves at most (32).
	Batch int
	// Claim is how many deliveries one step claims at most (128): a
	// step's claim shares its transaction with the step's resolves, and
	// a burst of resolved requests is two or three deliveries each.
	Claim int
	// MaxInFlight bounds the deliveries the worker holds at once, waiting
	// in lanes or being sent (256). It keeps claiming while it has room.
	MaxInFlight int
	// LaneConcurrency is a lane's sends in flight when its sender does
	// not say (4: an SMTP relay's usual connection allowance).
	LaneConcurrency int
	// Lease is how long a claimed delivery is ours before another worker
	// (or this one after a restart) may take it again (2 minutes). The
	// worker renews the leases of what it holds.
	Lease time.Duration
	// RetryFor bounds retries of temporary failures (15 minutes): after
	// it, a message has failed for good.
	RetryFor time.Duration
	// BackoffBase is the first retry delay (2 s), doubled each attempt up
	// to BackoffMax (2 minutes), with jitter.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Poll is the idle wait between claims when nothing kicks (1 s).
	Poll time.Duration
	// SendTimeout bounds one send (30 s).
	SendTimeout time.Duration
	// ProbeEvery is how often a lane that needs attention (a
	// configuration failure) tries one message (1 minute).
	ProbeEvery time.Duration
	// BreakerFailures consecutive transient failures open a lane's
	// circuit (5); BreakerOpen is how long it stays open before a probe
	// half-opens it (30 s).
	BreakerFailures int
	BreakerOpen     time.Duration
	// FailoverAfter is the first-attempt window: a text that keeps failing
	// temporarily on its route moves to the next route of its chain once
	// this long has passed since it was first tried there (20 s; 1 s to
	// 5 minutes).
	FailoverAfter time.Duration
	// SlowFor is how long a lane stays slowed after the provider asked
	// for less (1 minute).
	SlowFor time.Duration
	// SharedPacing says other instances share the store (PostgreSQL): a
	// paced lane then takes each send's slot from the store (LanePacer),
	// so that all instances together keep the lane's rate. Off, each
	// worker paces its lanes in memory.
	SharedPacing bool
}

// Worker delivers the outbox: it resolves received requests, claims due
// messages and hands each to its lane, and alone decides to retry, pause
// or give up. Each outcome is recorded as its send finishes (a committer
// groups those that finish together), so a slow message holds up no
// other. Run it with Run and stop it with Shutdown, like an http.Server.
type Worker struct {
	cfg  WorkerConfig
	s    *Service
	kick chan struct{}
	// room is signalled when a held delivery is done, so a full worker
	// claims again at once.
	room chan struct{}

	// stopCtx ends when the worker stops: lanes give back what waits.
	stopCtx context.Context
	stop    context.CancelFunc
	startMu sync.Once
	commits *committer
	// marks commits the hand-over marks (nil: the store keeps none).
	marks *marker

	hmu  sync.Mutex
	held map[int64]*claim
	idle *sync.Cond

	lmu   sync.Mutex
	lanes map[string]*lane
	// sources says which lane each route and tenant last went through.
	sources map[laneSource]*lane

	// turn is the engine's turn at the store's writer: the step and the
	// committer take it for each transaction, so that at most one of
	// them waits for the writer at a time and a request's commit (the
	// accept path) waits behind one engine transaction, not several.
	// They would wait for each other on the writer anyway.
	turn sync.Mutex
	// many says the store has many writers (ManyWriters): no turns then.
	many bool

	// lastBeat is when keepAlive last renewed this instance (UnixNano).
	lastBeat atomic.Int64
	// lastWipe is when wipeKept last ran (UnixNano).
	lastWipe atomic.Int64

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	stopped bool
}

// NewWorker makes a worker and hooks it to the service's kick.
func NewWorker(cfg WorkerConfig) *Worker {
	defaults := []struct {
		v *time.Duration
		d time.Duration
	}{{&cfg.Lease, 2 * time.Minute}, {&cfg.RetryFor, 15 * time.Minute}, {&cfg.BackoffBase, 2 * time.Second},
		{&cfg.BackoffMax, 2 * time.Minute}, {&cfg.Poll, time.Second}, {&cfg.SendTimeout, 30 * time.Second},
		{&cfg.ProbeEvery, time.Minute}, {&cfg.BreakerOpen, 30 * time.Second}, {&cfg.SlowFor, time.Minute}}
	for _, d := range defaults {
		if *d.v <= 0 {
			*d.v = d.d
		}
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 32
	}
	if cfg.Claim <= 0 {
		cfg.Claim = 128
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 256
	}
	if cfg.LaneConcurrency <= 0 {
		cfg.LaneConcurrency = 4
	}
	if cfg.BreakerFailures <= 0 {
		cfg.BreakerFailures = 5
	}
	w := &Worker{cfg: cfg, s: cfg.Service, kick: make(chan struct{}, 1), room: make(chan struct{}, 1),
		held: map[int64]*claim{}, lanes: map[string]*lane{},
		sources: map[laneSource]*lane{}}
	w.idle = sync.NewCond(&w.hmu)
	w.many = manyWriters(cfg.Service.store)
	w.stopCtx, w.stop = context.WithCancel(context.Background())
	cfg.Service.SetKick(w.Kick)
	cfg.Service.SetLanes(w.Lanes)
	cfg.Service.SetFailoverAfter(cfg.FailoverAfter)
	return w
}

// Kick wakes the worker for a claim now.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// ErrWorkerClosed is what Run returns after Shutdown.
var ErrWorkerClosed = errors.New("gateway: worker closed")

// start runs the committer once, on first use.
func (w *Worker) start() {
	w.startMu.Do(func() {
		w.commits = newCommitter(w)
		w.marks = newMarker(w)
		go w.commits.run()
	})
}

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
	w.start()

	lastPrune, lastRenew := time.Time{}, w.s.clock()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for ctx.Err() == nil {
		busy, full, err := w.step(ctx, w.budget())
		if err != nil && ctx.Err() == nil {
			w.s.log.Error("outbox pass failed", "err", err)
		}
		now := w.s.clock()
		if now.Sub(lastPrune) > time.Hour {
			lastPrune = now
			if err := w.s.store.PruneHits(ctx, now.Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
				w.s.log.Warn("pruning rate counters failed", "err", err)
			}
		}
		if now.Sub(lastRenew) > w.cfg.Lease/4 {
			lastRenew = now
			w.renewLeases(ctx)
		}
		if busy && !full {
			continue
		}
		if full {
			// Claim again when a good part of the room is free, not at
			// every finished send: a claim is a write transaction.
			w.waitRoom(ctx, max(w.cfg.Batch/2, 1), w.cfg.Poll)
			continue
		}
		timer.Reset(w.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-w.kick:
		case <-w.room:
		case <-timer.C:
		}
	}
	// Lanes give back what has not started; sends in flight finish and
	// are recorded.
	w.stop()
	w.waitIdle()
	w.marks.close()
	w.commits.close()
	w.leave()
	w.mu.Lock()
	stopped := w.stopped
	w.mu.Unlock()
	if stopped {
		return ErrWorkerClosed
	}
	return ctx.Err()
}

// Shutdown stops Run after the sends in flight finish and are recorded,
// or when ctx ends.
func (w *Worker) Shutdown(ctx context.Context) error {
	w.mu.Lock()
	w.stopped = true
	cancel, done := w.cancel, w.done
	w.mu.Unlock()
	if cancel == nil {
		w.stop()
		w.leave()
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

// Pass resolves received requests, claims what is due, and waits until
// every delivery it holds is sent (or given back) and recorded; it reports
// whether there was work. Tests call it for exact steps; Run does not
// wait like this.
func (w *Worker) Pass(ctx context.Context) (bool, error) {
	w.start()
	busy, _, err := w.step(ctx, 0)
	w.waitIdle()
	return busy, err
}

// txBudget is about how long one engine transaction works while it holds
// the store's writer: every request being accepted waits for it. A
// transaction stops taking more work once it has used its budget (it
// always does a few pieces), and the rest goes in the next one.
// Without fsync at commit (WAL), a commit costs little next to the work.
const txBudget = 5 * time.Millisecond

// minResolve and minGroup are what an engine transaction does whatever
// its budget says: on a starved CPU the budget's wall time passes with
// little work done, and transactions of one or two pieces each would
// leave the engine behind the requests it is given.
// (Measured on the shared 2-core machine: with a budget alone, the
// engine benchmark's 1-client run recorded its resets 0.3 to 2 s late.)
const minResolve, minGroup = 8, 32

// step resolves received requests and claims due deliveries into their
// lanes, as many as there is room for. full says the in-flight bound is
// reached. Both are one write transaction: the writer is what every
// request and outcome waits for, and a step that took it twice waited
// twice behind whatever else was queued. With a budget, it resolves only
// what fits in it (the rest is left for the next step); Pass resolves
// all it read.
func (w *Worker) step(ctx context.Context, budget time.Duration) (busy, full bool, err error) {
	w.keepAlive(ctx)
	w.wipeKept(ctx)
	if err := w.s.feedBulk(ctx); err != nil && ctx.Err() == nil {
		w.s.log.Error("bulk job pass failed", "err", err)
	}
	received, err := w.receivedToResolve(ctx)
	if err != nil {
		return false, false, err
	}
	ids := make([]string, len(received))
	for i, r := range received {
		ids[i] = r.ID
	}
	w.hmu.Lock()
	room := w.cfg.MaxInFlight - len(w.held)
	w.hmu.Unlock()
	limit := min(w.cfg.Claim, room)
	if w.stopCtx.Err() != nil {
		limit = 0
	}
	now := w.s.clock()
	leaseUntil := now.Add(w.cfg.Lease)
	var ds []*Delivery
	if w.many && len(ids) > 1 {
		// Side by side on a store with many writers (sidebyside.go);
		// the transaction below then only claims.
		if err := w.resolveBeside(ctx, received); err != nil {
			return true, false, err
		}
		ids = nil
	}
	w.lockTurn()
	err = w.s.store.WithTx(ctx, func(st Store) error {
		began := time.Now()
		for i, id := range ids {
			if w.enough(i, minResolve, began, budget) {
				ids = ids[:i] // the rest stay received for the next step
				break
			}
			if err := w.s.resolveIn(ctx, st, id); err != nil {
				return err
			}
		}
		if limit <= 0 {
			return nil
		}
		// The claim's time is read after the resolves: their messages are
		// due from when they were made, and a time read before would leave
		// them all to the next step.
		now = w.s.clock()
		leaseUntil = now.Add(w.cfg.Lease)
		var err error
		ds, err = st.ClaimDeliveries(ctx, now, leaseUntil, limit)
		return err
	})
	w.unlockTurn()
	if err != nil && len(ids) > 0 {
		// One bad request must not hold up the others: each alone, then
		// the claim alone.
		if err := w.s.resolveAll(ctx, ids); err != nil {
			return false, false, err
		}
		ds, err = nil, nil
		if limit > 0 {
			now = w.s.clock()
			leaseUntil = now.Add(w.cfg.Lease)
			ds, err = w.s.store.ClaimDeliveries(ctx, now, leaseUntil, limit)
		}
	}
	if err != nil {
		return len(received) > 0, false, err
	}
	if limit <= 0 {
		return len(received) > 0, true, nil
	}
	// A claim's messages mostly share a few tenants: read each once. A
	// tenant that cannot be read stays nil, and its messages are retried.
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
	// Rows taken over from a gone instance are sealed again or settled
	// here; those sealed again come back at the next claim.
	claimed := len(ds)
	ds = w.rekey(ctx, ds)
	cs := make([]*claim, 0, len(ds))
	for _, d := range ds {
		c := &claim{d: d, t: tenants[d.TenantID]}
		c.lease.Store(leaseUntil.UnixNano())
		w.hmu.Lock()
		_, dup := w.held[d.ID]
		if !dup {
			w.held[d.ID] = c
		}
		w.hmu.Unlock()
		if dup {
			continue // ours already: the claim just renewed its lease
		}
		cs = append(cs, c)
	}
	w.readHandOvers(ctx, cs)
	for _, c := range cs {
		w.dispatch(c)
	}
	return len(received) > 0 || claimed > 0, claimed == room, nil
}

// claim is a delivery the worker holds, from its claim until its outcome
// is recorded.
type claim struct {
	d      *Delivery
	t      *Tenant
	lane   *lane
	sender Sender
	// probe marks the one message a lane that needs attention lets
	// through (guarded by the lane's lock).
	probe bool
	// lease is when the claim runs out (UnixNano), renewed while held.
	lease atomic.Int64
	// ho is the send's hand-over mark (handover.go), nil when its route
	// keeps none.
	ho *HandOver
	// maybeSent says an earlier claim that left no outcome had handed
	// the message over: it is not sent again. resumed says it had not:
	// it is sent as a first.
	maybeSent, resumed bool
	// unknown says the marks could not be read: it waits, unsent.
	unknown bool
}

// dispatch hands a claimed delivery to its lane, or records at once what
// needs no lane.
func (w *Worker) dispatch(c *claim) {
	sender, ok := w.cfg.Senders[c.d.Route]
	switch {
	case !ok:
		w.record(&outcome{c: c, err: &SendError{Code: "no_route", Detail: "no sender for route " + string(c.d.Route)}})
	case c.maybeSent:
		w.record(&outcome{c: c, err: &SendError{Class: FailTransient, Code: CodeAnswerLost, MayHaveSent: true,
			Detail: "an interrupted attempt had handed it to the relay; its answer was never recorded"}})
	case c.unknown:
		w.record(&outcome{c: c, deferTo: w.s.clock().Add(w.cfg.BackoffBase)})
	case c.t == nil:
		w.record(&outcome{c: c, err: &SendError{Class: FailTransient, Code: "store", Detail: "tenant unavailable"},
			retryAt: w.retryAt(c.d)})
	default:
		w.laneFor(c, sender).offer(c)
	}
}

// record hands an outcome to the committer.
func (w *Worker) record(o *outcome) { w.commits.add(o) }

// release forgets a claim whose outcome is recorded (or given up on).
func (w *Worker) release(c *claim) {
	w.hmu.Lock()
	if w.held[c.d.ID] == c {
		delete(w.held, c.d.ID)
	}
	if len(w.held) == 0 {
		w.idle.Broadcast()
	}
	w.hmu.Unlock()
	select {
	case w.room <- struct{}{}:
	default:
	}
}

// waitRoom waits until at least n deliveries' room is free, ctx ends, or
// d passes.
func (w *Worker) waitRoom(ctx context.Context, n int, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		w.hmu.Lock()
		free := w.cfg.MaxInFlight - len(w.held)
		w.hmu.Unlock()
		if free >= n {
			return
		}
		select {
		case <-w.room:
		case <-ctx.Done():
			return
		case <-t.C:
			return
		}
	}
}

func (w *Worker) waitIdle() {
	w.hmu.Lock()
	for len(w.held) > 0 {
		w.idle.Wait()
	}
	w.hmu.Unlock()
}
