package gateway_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
)

// The engine tests that need real time (stalls, pacing) run the worker's
// Run loop on the real clock; their deadlines are generous bounds for
// correctness, not speed measurements.

// liveSender records when each message was sent, stalls the recipients it
// is told to, and fails as told.
type liveSender struct {
	mu      sync.Mutex
	sent    []*gateway.Message
	at      []time.Time
	calls   int
	stall   map[string]time.Duration
	fail    error
	release chan struct{} // closed: stalls end at once
}

func newLiveSender() *liveSender {
	return &liveSender{stall: map[string]time.Duration{}, release: make(chan struct{})}
}

func (s *liveSender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	s.mu.Lock()
	s.calls++
	d, fail := s.stall[m.To], s.fail
	s.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-s.release:
		case <-ctx.Done():
			return "", &gateway.SendError{Class: gateway.FailTransient, Code: "timeout", Detail: "stalled"}
		}
	}
	if fail != nil {
		return "", fail
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent, s.at = append(s.sent, m), append(s.at, time.Now())
	return fmt.Sprintf("%s-%d", m.Route, len(s.sent)), nil
}

func (s *liveSender) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func (s *liveSender) snapshot() ([]*gateway.Message, []time.Time, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*gateway.Message(nil), s.sent...), append([]time.Time(nil), s.at...), s.calls
}

// newLiveEnv is newEnv on the real clock, with the engine's senders.
func newLiveEnv(t *testing.T, cfg gateway.WorkerConfig, email, sms gateway.Sender) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), twilio: &sender{}, carrier: &sender{}, email: &sender{}}
	keys := gatewaytest.Keys(t)
	e.store, e.dbPath = gatewaytest.Store(t, keys)
	var err error
	e.svc, err = gateway.New(gateway.Config{Store: e.store, Renderer: gatewaytest.Renderer{}, Keys: keys,
		Hasher: gatewaytest.Hasher(), Logger: slog.New(slog.DiscardHandler), Limits: gateway.DefaultLimits(),
		DefaultTwilio: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Service = e.svc
	cfg.Senders = map[gateway.Route]gateway.Sender{gateway.RouteEmail: email, gateway.RouteTwilio: sms,
		gateway.RouteCarrier: e.carrier}
	e.worker = gateway.NewWorker(cfg)
	if e.tenant, err = e.svc.EnsureTenant(e.ctx, gateway.DefaultSlug, "Acme Movers"); err != nil {
		t.Fatal(err)
	}
	return e
}

// run starts the worker's Run loop until the test ends.
func (e *env) run(stalls ...*liveSender) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.worker.Run(ctx) }()
	e.t.Cleanup(func() {
		for _, s := range stalls {
			close(s.release)
		}
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := e.worker.Shutdown(sctx); err != nil {
			e.t.Errorf("shutdown: %v", err)
		}
		cancel()
		<-done
	})
}

// waitUntil polls cond every 10 ms until it holds or d passes.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

func (e *env) state(id string) gateway.ResetState { return e.request(id).State }

// TestStalledRecipientHoldsUpNoOtherReset: a relay that answers one
// recipient only after 8 s must not hold up ten other resets queued with
// it (the old worker waited for a whole batch to finish): they are
// delivered in under 2 s. Under the race detector, on a loaded machine,
// ten resets alone can take longer than that, so there the bound is the
// stall itself: all ten delivered while the stalled one is still out.
func TestStalledRecipientHoldsUpNoOtherReset(t *testing.T) {
	const stall = 8 * time.Second
	bound := 2 * time.Second
	if raceDetector {
		bound = stall - 500*time.Millisecond
	}
	mail := newLiveSender()
	mail.stall["slow@acme.example"] = stall
	e := newLiveEnv(t, gateway.WorkerConfig{}, mail, newLiveSender())
	e.person("slow@acme.example", "", "")
	slow := e.reset("slow@acme.example", "")
	var ids []string
	for i := range 10 {
		email := fmt.Sprintf("crew%d@acme.example", i)
		e.person(email, "", "")
		ids = append(ids, e.reset(email, ""))
	}
	start := time.Now()
	e.run(mail)
	ok := waitUntil(bound, func() bool {
		for _, id := range ids {
			if e.state(id) != gateway.StateDelivered {
				return false
			}
		}
		return true
	})
	if !ok {
		sent, _, _ := mail.snapshot()
		done := 0
		for _, id := range ids {
			if e.state(id) == gateway.StateDelivered {
				done++
			}
		}
		t.Fatalf("after %v: %d of 10 resets recorded delivered (%d sent) behind a recipient stalled for %v",
			time.Since(start).Round(time.Millisecond), done, len(sent), stall)
	}
	t.Logf("ten resets delivered %v after the worker started, behind a recipient stalled for %v", time.Since(start).Round(time.Millisecond), stall)
	if st := e.state(slow); st != gateway.StateDelivering {
		t.Fatalf("stalled reset is %s, want still delivering", st)
	}
}

// TestLanePacesTextsAtItsRate: the tenant's sms_rate_per_second paces its
// SMS lane (5 texts at 1/s take at least 4 s), while its email lane is not
// held up by it.
func TestLanePacesTextsAtItsRate(t *testing.T) {
	mail, sms := newLiveSender(), newLiveSender()
	e := newLiveEnv(t, gateway.WorkerConfig{}, mail, sms)
	e.patchTenant(gateway.SettingsPatch{SMSRatePerSecond: ptr(1.0)})
	for i := range 5 {
		email, phone := fmt.Sprintf("crew%d@acme.example", i), fmt.Sprintf("+1201555010%d", i)
		e.person(email, phone, "")
		e.reset(email, phone)
	}
	start := time.Now()
	e.run()
	if !waitUntil(15*time.Second, func() bool { s, _, _ := sms.snapshot(); return len(s) == 5 }) {
		t.Fatal("5 texts not sent in 15 s")
	}
	_, at, _ := sms.snapshot()
	// The lane lets a text go every second, the first at once: the fifth
	// cannot go before 4 s after the worker started, however late a loaded
	// machine lets the first one out (the span from the first text would
	// shrink by that delay). Unpaced, all five go within milliseconds; a
	// burst of two puts the fifth at 3 s.
	if took := at[4].Sub(start); took < 4*time.Second {
		t.Fatalf("5 texts at 1/s went out within %v of the start, want ≥ 4 s", took)
	}
	_, mailAt, _ := mail.snapshot()
	if len(mailAt) != 5 || mailAt[4].After(at[2]) {
		t.Fatalf("email waited for the paced SMS lane: %d mails, last at %v, third text at %v", len(mailAt), mailAt, at[2])
	}
	for _, l := range e.worker.Lanes() {
		if l.Kind == "twilio" && l.RatePerSecond != 1 {
			t.Fatalf("SMS lane rate %v, want the tenant's 1/s", l.RatePerSecond)
		}
	}
}

// TestResetOvertakesQueuedBulkTexts: in a lane at 1/s holding a bulk
// send, a reset someone is waiting for goes next, not last.
func TestResetOvertakesQueuedBulkTexts(t *testing.T) {
	sms := newLiveSender()
	e := newLiveEnv(t, gateway.WorkerConfig{}, newLiveSender(), sms)
	e.patchTenant(gateway.SettingsPatch{SMSRatePerSecond: ptr(1.0)})
	var bulk []int64
	for i := range 4 {
		p := e.person(fmt.Sprintf("bulk%d@acme.example", i), fmt.Sprintf("+1201555011%d", i), "")
		bulk = append(bulk, p.ID)
	}
	e.person("locked@acme.example", "+12015550199", "")
	if _, err := e.svc.BulkReset(e.ctx, operator, "", bulk); err != nil {
		t.Fatal(err)
	}
	e.run()
	if !waitUntil(5*time.Second, func() bool { s, _, _ := sms.snapshot(); return len(s) >= 1 }) {
		t.Fatal("no bulk text sent")
	}
	e.reset("locked@acme.example", "+12015550199")
	if !waitUntil(15*time.Second, func() bool { s, _, _ := sms.snapshot(); return len(s) == 5 }) {
		t.Fatal("texts not all sent")
	}
	sent, _, _ := sms.snapshot()
	order := make([]string, len(sent))
	for i, m := range sent {
		order[i] = m.To
	}
	if order[1] != "+12015550199" {
		t.Fatalf("reset text went out %v; want it right after the bulk text in flight", order)
	}
}
