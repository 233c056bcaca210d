package gateway_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
)

// countingSender fails with err (nil: accepts) and counts its calls; last
// is the wall time of the latest call.
type countingSender struct {
	mu    sync.Mutex
	calls int
	last  time.Time
	err   error
}

func (s *countingSender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.last = time.Now()
	if s.err != nil {
		return "", s.err
	}
	return "id-" + m.To, nil
}

func (s *countingSender) set(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

func (s *countingSender) n() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// newClassEnv is newEnv (fake clock) whose email goes to s, with a worker
// configured by cfg.
func newClassEnv(t *testing.T, s gateway.Sender, cfg gateway.WorkerConfig) *env {
	e := newEnv(t, false)
	cfg.Service = e.svc
	cfg.Senders = map[gateway.Route]gateway.Sender{gateway.RouteEmail: s, gateway.RouteCarrier: s, gateway.RouteTwilio: s}
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = time.Second
	}
	e.worker = gateway.NewWorker(cfg)
	return e
}

func (e *env) lane(kind string) gateway.LaneStatus {
	e.t.Helper()
	ls, err := e.svc.Routes(e.ctx, operator, "")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, l := range ls {
		if l.Kind == kind {
			return l
		}
	}
	e.t.Fatalf("no %s lane in %+v", kind, ls)
	return gateway.LaneStatus{}
}

func (e *env) eventTypes() []string {
	e.t.Helper()
	evs, err := e.store.ListEvents(e.ctx, gateway.EventFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// TestFailureClassesDecideWhatHappens: each class of failure has its own
// consequence for the message and for its lane.
func TestFailureClassesDecideWhatHappens(t *testing.T) {
	cases := []struct {
		class  gateway.FailureClass
		status gateway.DeliveryStatus
		lane   gateway.LaneState
	}{
		{gateway.FailTransient, gateway.DeliveryPending, gateway.LaneOK},
		{gateway.FailRate, gateway.DeliveryPending, gateway.LaneSlow},
		{gateway.FailConfig, gateway.DeliveryPending, gateway.LaneNeedsAttention},
		{gateway.FailRecipient, gateway.DeliveryFailed, gateway.LaneOK},
		{gateway.FailOptedOut, gateway.DeliveryFailed, gateway.LaneOK},
		{"", gateway.DeliveryFailed, gateway.LaneOK},
	}
	for _, tc := range cases {
		t.Run(string(tc.class), func(t *testing.T) {
			s := &countingSender{err: &gateway.SendError{Class: tc.class, Code: "X1", Detail: "refused",
				Fix: "do the thing"}}
			e := newClassEnv(t, s, gateway.WorkerConfig{})
			e.person("ana@acme.example", "", "")
			id := e.reset("ana@acme.example", "")
			e.drain()
			d := e.request(id).Deliveries[0]
			if d.Status != tc.status || d.Attempts != 1 || d.ErrorCode != "X1" {
				t.Fatalf("delivery %s after %d attempts (%s), want %s after 1", d.Status, d.Attempts, d.ErrorCode, tc.status)
			}
			if l := e.lane("smtp"); l.State != tc.lane {
				t.Fatalf("lane %s (%s), want %s", l.State, l.Reason, tc.lane)
			}
		})
	}
}

// TestConfigFailurePausesLaneAndProbes: a configuration failure marks the
// lane needs_attention with the channel's fix, logs it once, and the lane
// then tries one message a minute instead of every message; the first
// success ends it.
func TestConfigFailurePausesLaneAndProbes(t *testing.T) {
	fix := "This Twilio number is not registered for A2P 10DLC: register a campaign or use a toll-free or short code"
	s := &countingSender{err: &gateway.SendError{Class: gateway.FailConfig, Code: "30034", Detail: "unregistered", Fix: fix}}
	e := newClassEnv(t, s, gateway.WorkerConfig{LaneConcurrency: 1})
	var ids []string
	for _, m := range []string{"a@acme.example", "b@acme.example", "c@acme.example"} {
		e.person(m, "", "")
		ids = append(ids, e.reset(m, ""))
	}
	e.drain()
	if n := s.n(); n != 1 {
		t.Fatalf("%d sends after a configuration failure, want 1 then a pause", n)
	}
	l := e.lane("smtp")
	if l.State != gateway.LaneNeedsAttention || l.Fix != fix || l.Reason == "" {
		t.Fatalf("lane %+v", l)
	}
	waited := 0
	for _, id := range ids {
		d := e.request(id).Deliveries[0]
		if d.Status != gateway.DeliveryPending {
			t.Fatalf("%s is %s, want pending", d.To, d.Status)
		}
		if d.Attempts == 0 {
			waited++
		}
	}
	if waited != 2 {
		t.Fatalf("%d of the 2 messages behind the failure waited without spending an attempt", waited)
	}
	// A minute on, one probe; still broken, still paused.
	for range 3 {
		e.advance(61 * time.Second)
		before := s.n()
		e.drain()
		if n := s.n() - before; n != 1 {
			t.Fatalf("%d sends in a probe minute, want 1", n)
		}
	}
	// Fixed: the next probe gets through and the lane runs again.
	s.set(nil)
	e.advance(61 * time.Second)
	e.drain()
	e.advance(61 * time.Second)
	e.drain()
	for _, id := range ids {
		if st := e.state(id); st != gateway.StateDelivered {
			t.Fatalf("%s is %s after the fix", id, st)
		}
	}
	if l := e.lane("smtp"); l.State != gateway.LaneOK {
		t.Fatalf("lane after the fix: %+v", l)
	}
	evs := e.eventTypes()
	if n := count(evs, gateway.EventLaneNeedsAttention); n != 1 {
		t.Fatalf("%d needs-attention events, want 1: %v", n, evs)
	}
	if !slices.Contains(evs, gateway.EventLaneRecovered) {
		t.Fatalf("no recovery event: %v", evs)
	}
}

func count(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

// TestBreakerOpensAndHalfOpens: consecutive transient failures open the
// lane's circuit; while open its messages wait without spending
// attempts; after the open time one probe half-opens it, and its success
// closes it.
//
// The breaker keeps time on the wall clock (gobreaker takes no clock), so
// what the open circuit does is checked only for a run that finished
// those checks within the open time of the failure that opened it. A run
// the machine's load slowed past that is no evidence either way and is
// repeated with a four times longer open time.
func TestBreakerOpensAndHalfOpens(t *testing.T) {
	for open := 150 * time.Millisecond; ; open *= 4 {
		if breakerOpensAndHalfOpens(t, open) {
			return
		}
		if open >= 9*time.Second {
			t.Fatalf("the open-circuit checks never finished within an open time of %s", open)
		}
		t.Logf("the open-circuit checks took longer than %s; again with a longer open time", open)
	}
}

// breakerOpensAndHalfOpens runs the breaker's walk with the given open
// time; false: the open circuit's checks took longer than that, so they
// may have seen it half-open, and nothing was asserted about them.
func breakerOpensAndHalfOpens(t *testing.T, open time.Duration) bool {
	t.Helper()
	s := &countingSender{err: &gateway.SendError{Class: gateway.FailTransient, Code: "421", Detail: "try later"}}
	e := newClassEnv(t, s, gateway.WorkerConfig{LaneConcurrency: 1, BreakerFailures: 3, BreakerOpen: open})
	for _, m := range []string{"a@acme.example", "b@acme.example", "c@acme.example"} {
		e.person(m, "", "")
		e.reset(m, "")
	}
	e.drain()
	if s.n() != 3 {
		t.Fatalf("%d sends of 3 resets", s.n())
	}
	s.mu.Lock()
	opened := s.last // no later than the third failure opened the circuit
	s.mu.Unlock()
	lane := e.lane("smtp")
	e.person("d@acme.example", "", "")
	late := e.reset("d@acme.example", "")
	before := s.n()
	e.drain()
	sent := s.n() - before
	d := e.request(late).Deliveries[0]
	if time.Since(opened) >= open {
		return false
	}
	if lane.State != gateway.LaneOpen {
		t.Fatalf("after 3 transient failures: %+v", lane)
	}
	if sent != 0 {
		t.Fatal("an open lane sent")
	}
	if d.Attempts != 0 || d.Status != gateway.DeliveryPending {
		t.Fatalf("a message spent an attempt on an open lane: %s after %d", d.Status, d.Attempts)
	}
	s.set(nil)
	// The breaker's own clock: the open time has passed once this returns.
	time.Sleep(time.Until(opened.Add(open)))
	e.advance(time.Minute)
	e.drain()
	if s.n() == before {
		t.Fatal("no probe after the open time")
	}
	if l := e.lane("smtp"); l.State != gateway.LaneOK {
		t.Fatalf("after a good probe: %+v", l)
	}
	for range 3 {
		e.advance(5 * time.Second)
		e.drain()
	}
	if st := e.state(late); st != gateway.StateDelivered {
		t.Fatalf("waiting reset is %s after the lane closed", st)
	}
	evs := e.eventTypes()
	for _, want := range []string{gateway.EventLaneOpen, gateway.EventLaneHalfOpen, gateway.EventLaneClosed} {
		if !slices.Contains(evs, want) {
			t.Fatalf("no %s event: %v", want, evs)
		}
	}
	return true
}

// flakyStore fails the next n transactions, as a locked or full database
// would.
type flakyStore struct {
	gateway.Store
	mu   sync.Mutex
	fail int
}

func (f *flakyStore) WithTx(ctx context.Context, fn func(gateway.Store) error) error {
	f.mu.Lock()
	if f.fail > 0 {
		f.fail--
		f.mu.Unlock()
		return errors.New("database is locked")
	}
	f.mu.Unlock()
	return f.Store.WithTx(ctx, fn)
}

// armingSender makes the store fail right after it accepts a message, so
// the outcome's first writes fail.
type armingSender struct {
	st    *flakyStore
	n     int
	calls int
	mu    sync.Mutex
}

func (a *armingSender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	a.st.mu.Lock()
	a.st.fail = a.n
	a.st.mu.Unlock()
	return "id-1", nil
}

// TestRecordingRetriedInsideLease: when writing an outcome fails, the
// committer tries again (with backoff) instead of leaving the lease to
// run out and the password to be sent twice.
func TestRecordingRetriedInsideLease(t *testing.T) {
	e := newEnv(t, false)
	fs := &flakyStore{Store: e.store}
	svc, err := gateway.New(gateway.Config{Store: fs, Renderer: gatewaytest.Renderer{}, Keys: gatewaytest.Keys(t),
		Hasher: gatewaytest.Hasher(), Clock: e.clock, Limits: gateway.DefaultLimits()})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	s := &armingSender{st: fs, n: 3}
	e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteEmail: s}})
	e.person("ana@acme.example", "", "")
	id := e.reset("ana@acme.example", "")
	e.drain()
	if st := e.state(id); st != gateway.StateDelivered || s.calls != 1 {
		t.Fatalf("reset %s after %d sends; want delivered after 1", st, s.calls)
	}
	if evs := e.eventTypes(); slices.Contains(evs, gateway.EventDeliveryResend) {
		t.Fatalf("a resend was logged: %v", evs)
	}
}

// TestUnrecordedClaimIsLoggedAsResend: a claim that ended without an
// outcome (a worker killed mid-send) makes the next send of that delivery
// one that may be a second: the sender is told (Attempt counts the lost
// one, so it can look it up first) and the log counts the resend.
func TestUnrecordedClaimIsLoggedAsResend(t *testing.T) {
	e := newEnv(t, false)
	e.email.set(&gateway.SendError{Class: gateway.FailTransient, Code: "421", Detail: "busy"})
	e.person("ana@acme.example", "", "")
	id := e.reset("ana@acme.example", "")
	e.drain() // one failed attempt, recorded
	e.advance(2 * time.Minute)
	// Another worker claims it and dies before recording anything.
	now := e.clock()
	ds, err := e.store.ClaimDeliveries(e.ctx, now, now.Add(time.Minute), 10)
	if err != nil || len(ds) != 1 || ds[0].Unrecorded {
		t.Fatalf("claim: %v %+v", err, ds)
	}
	e.email.set(nil)
	e.advance(2 * time.Minute) // its lease runs out
	e.drain()
	msgs := e.email.all()
	if len(msgs) != 1 || msgs[0].Attempt != 2 || msgs[0].FirstAttemptAt.IsZero() {
		t.Fatalf("sent %d, attempt %d, first attempt %v; want 1 sent as attempt 2", len(msgs), msgs[0].Attempt, msgs[0].FirstAttemptAt)
	}
	if st := e.state(id); st != gateway.StateDelivered {
		t.Fatalf("reset %s", st)
	}
	if n := count(e.eventTypes(), gateway.EventDeliveryResend); n != 1 {
		t.Fatalf("%d resend events, want 1", n)
	}
}
