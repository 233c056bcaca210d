package postgres_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
)

// pacedSender is one sender at 1 message a second, shared by every
// instance: it notes when each message reached it and which instance sent it.
type pacedSender struct {
	inst int
	mu   *sync.Mutex
	at   *[]sent
}

type sent struct {
	at   time.Time
	inst int
	to   string
}

func (s pacedSender) Lane(*gateway.Message) gateway.LaneSpec {
	return gateway.LaneSpec{Kind: "smtp", Key: "smtp:one-sender:25", RatePerSecond: 1}
}

func (s pacedSender) Send(_ context.Context, m *gateway.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*s.at = append(*s.at, sent{at: time.Now(), inst: s.inst, to: m.To})
	return fmt.Sprintf("m-%d", m.DeliveryID), nil
}

// Two engines on one database send through a lane paced at 1/s: together
// they keep 1/s, each message once, and both take part.
func TestTwoEnginesShareALanesPace(t *testing.T) {
	sts := instances(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var log []sent
	var svcs []*gateway.Service
	var wg sync.WaitGroup
	logs := &lockedBuffer{}
	for i, st := range sts {
		svc, err := gateway.New(gateway.Config{Store: st, Renderer: gatewaytest.Renderer{}, Keys: keys(t),
			Hasher: gatewaytest.Hasher(), Logger: slog.New(slog.NewTextHandler(logs, nil)), Limits: gateway.Limits{Window: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		// A small room per worker, so that both hold part of the queue.
		w := gateway.NewWorker(gateway.WorkerConfig{Service: svc, SharedPacing: true, Batch: 2, MaxInFlight: 4,
			Poll: 100 * time.Millisecond, Senders: map[gateway.Route]gateway.Sender{
				gateway.RouteEmail: pacedSender{inst: i, mu: &mu, at: &log}}})
		wg.Add(1)
		go func() { defer wg.Done(); w.Run(ctx) }()
		svcs = append(svcs, svc)
	}
	if _, err := svcs[0].EnsureTenant(ctx, gateway.DefaultSlug, "Acme"); err != nil {
		t.Fatal(err)
	}
	const n = 16
	for i := range n {
		email := fmt.Sprintf("crew%d@acme.example", i)
		if _, err := svcs[0].CreatePerson(ctx, gateway.Actor{Kind: gateway.ActorAdmin, ID: "test"},
			gateway.PersonInput{Name: "Crew", Email: email, Password: "original-crew-password-7"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if _, err := svcs[i%2].RequestReset(ctx, gateway.ResetInput{Email: fmt.Sprintf("crew%d@acme.example", i),
			IP: fmt.Sprintf("192.0.2.%d", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		mu.Lock()
		got := len(log)
		mu.Unlock()
		if got >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages sent", got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // a message sent twice would show by now
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(log) != n {
		t.Fatalf("%d messages sent, want %d (one per request)", len(log), n)
	}
	slices.SortFunc(log, func(a, b sent) int { return a.at.Compare(b.at) })
	by, to := map[int]int{}, map[string]bool{}
	for _, s := range log {
		by[s.inst]++
		if to[s.to] {
			t.Fatalf("%s got two messages", s.to)
		}
		to[s.to] = true
	}
	if by[0] == 0 || by[1] == 0 {
		t.Fatalf("one instance sent everything (%v): the test shows nothing about sharing", by)
	}
	// At most 10 in any 10 s: the 11th after a send comes 10 s after it or
	// later. The lane spaces the starts of sends exactly; the slack is
	// the send path between the lane and the sender (an opt-out read in
	// the store), which varies on a busy machine. Without shared pacing
	// two instances put 11 messages in about 5 s.
	const slack = 400 * time.Millisecond
	for i := 0; i+10 < len(log); i++ {
		if gap := log[i+10].at.Sub(log[i].at); gap < 10*time.Second-slack {
			t.Fatalf("11 messages within %v (from message %d; per instance %v): the lane went over 1/s", gap, i, by)
		}
	}
	if strings.Contains(logs.String(), "reserving a lane slot") {
		t.Fatalf("a lane paced itself alone:\n%s", logs.String())
	}
}

// lockedBuffer is a log both engines write to.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Two engines find the same received requests at once: each request is
// resolved by one of them, so each person gets one message.
func TestInstancesResolveARequestOnce(t *testing.T) {
	sts := instances(t, 2)
	ctx := context.Background()
	var workers []*gateway.Worker
	var senders []*gatewaytest.Sender
	var svc0 *gateway.Service
	for _, st := range sts {
		svc, err := gateway.New(gateway.Config{Store: st, Renderer: gatewaytest.Renderer{}, Keys: keys(t),
			Hasher: gatewaytest.Hasher(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Limits: gateway.Limits{Window: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		s := &gatewaytest.Sender{}
		workers = append(workers, gateway.NewWorker(gateway.WorkerConfig{Service: svc, Senders: map[gateway.Route]gateway.Sender{gateway.RouteEmail: s}}))
		senders = append(senders, s)
		svc0 = cmpOr(svc0, svc)
	}
	if _, err := svc0.EnsureTenant(ctx, gateway.DefaultSlug, "Acme"); err != nil {
		t.Fatal(err)
	}
	const n = 40
	for i := range n {
		email := fmt.Sprintf("crew%d@acme.example", i)
		if _, err := svc0.CreatePerson(ctx, gateway.Actor{Kind: gateway.ActorAdmin, ID: "test"},
			gateway.PersonInput{Name: "Crew", Email: email, Password: "original-crew-password-7"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc0.RequestReset(ctx, gateway.ResetInput{Email: email, IP: fmt.Sprintf("192.0.2.%d", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := w.Pass(ctx); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	got := map[string]int{}
	for _, s := range senders {
		for _, m := range s.Messages() {
			got[m.To]++
		}
	}
	for i := range n {
		if to := fmt.Sprintf("crew%d@acme.example", i); got[to] != 1 {
			t.Fatalf("%s got %d messages, want 1", to, got[to])
		}
	}
}

func cmpOr[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}

// LockReset waits for the instance that holds the request, then reads what
// it wrote: two outcomes of one request recorded at once see each other.
func TestLockResetWaitsForTheHolder(t *testing.T) {
	sts := instances(t, 2)
	ctx := context.Background()
	tn := gateway.NewTenant("acme", "Acme")
	if err := sts[0].CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	if err := sts[0].CreateReset(ctx, &gateway.ResetRequest{ID: "rr_1", TenantID: tn.ID, TenantSlug: "acme",
		Source: gateway.SourceAPI, State: gateway.StateDelivering, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	held, release, seen := make(chan struct{}), make(chan struct{}), make(chan gateway.ResetState, 1)
	go func() {
		sts[0].WithTx(ctx, func(st gateway.Store) error {
			if err := st.(gateway.ResetLocker).LockReset(ctx, "rr_1"); err != nil {
				t.Error(err)
			}
			r, _ := st.Reset(ctx, "rr_1")
			r.State = gateway.StateRolledBack
			if err := st.UpdateReset(ctx, r); err != nil {
				t.Error(err)
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	go func() {
		sts[1].WithTx(ctx, func(st gateway.Store) error {
			if err := st.(gateway.ResetLocker).LockReset(ctx, "rr_1"); err != nil {
				t.Error(err)
			}
			r, err := st.Reset(ctx, "rr_1")
			if err != nil {
				t.Error(err)
			}
			seen <- r.State
			return nil
		})
	}()
	select {
	case s := <-seen:
		t.Fatalf("the second instance read the request (%s) while the first held it", s)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if s := <-seen; s != gateway.StateRolledBack {
		t.Fatalf("after the holder committed, the second read %s, want rolled_back", s)
	}
}
