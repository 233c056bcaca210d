package postgres_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
)

// Instance A takes a request in while its worker is stopped; instance B,
// whose worker polls only every 30 s, sends it at once because A's commit
// notified it. (With the listener off, B would wait for its poll and the
// test's 10 s deadline would pass first.)
func TestAnotherInstanceWakesForAcceptedWork(t *testing.T) {
	sts := instances(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var svcs []*gateway.Service
	for _, st := range sts {
		svc, err := gateway.New(gateway.Config{Store: st, Renderer: gatewaytest.Renderer{}, Keys: keys(t),
			Hasher: gatewaytest.Hasher(), Logger: quiet, Limits: gateway.Limits{Window: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, svc)
	}
	a, b := svcs[0], svcs[1]
	// A's worker exists (A's accept path kicks it) but never runs.
	gateway.NewWorker(gateway.WorkerConfig{Service: a, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteEmail: &gatewaytest.Sender{}}})
	sender := &gatewaytest.Sender{}
	wb := gateway.NewWorker(gateway.WorkerConfig{Service: b, Poll: 30 * time.Second,
		Senders: map[gateway.Route]gateway.Sender{gateway.RouteEmail: sender}})
	if _, err := a.EnsureTenant(ctx, gateway.DefaultSlug, "Acme"); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"first@acme.example", "second@acme.example"} {
		if _, err := a.CreatePerson(ctx, gateway.Actor{Kind: gateway.ActorAdmin, ID: "test"},
			gateway.PersonInput{Name: "Crew", Email: email, Password: "original-crew-password-7"}); err != nil {
			t.Fatal(err)
		}
	}
	// The first request is there before B starts: B's first pass sends
	// it, so B is then waiting (its next poll 30 s away).
	if _, err := a.RequestReset(ctx, gateway.ResetInput{Email: "first@acme.example", IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() { defer wg.Done(); wb.Run(ctx) }()
	if os.Getenv("RESETGW_TEST_NO_NOTIFY") == "" { // set it to see the test fail without the listener
		wg.Add(1)
		go func() { defer wg.Done(); sts[1].Listen(ctx, wb.Kick, quiet) }()
	}
	waitFor(t, sender, "first@acme.example", 60*time.Second)
	// B's listener kicks once when it connects; let that pass too.
	time.Sleep(time.Second)

	asked := time.Now()
	if _, err := a.RequestReset(ctx, gateway.ResetInput{Email: "second@acme.example", IP: "192.0.2.2"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, sender, "second@acme.example", 10*time.Second)
	t.Logf("B sent the request A took in after %v", time.Since(asked).Round(time.Millisecond))

	// The listener's connection is cut (a server restart, a proxy):
	// it connects again by itself, and the next request wakes B too.
	var cut int
	if err := rawDB(t, os.Getenv("RESETGW_TEST_POSTGRES")).QueryRow(`SELECT count(pg_terminate_backend(pid))
		FROM pg_stat_activity WHERE query = $1`, "LISTEN "+sts[1].WorkChannel()).Scan(&cut); err != nil || cut != 1 {
		t.Fatalf("cutting the listener: %d %v", cut, err)
	}
	time.Sleep(time.Second)
	if _, err := a.CreatePerson(ctx, gateway.Actor{Kind: gateway.ActorAdmin, ID: "test"},
		gateway.PersonInput{Name: "Crew", Email: "third@acme.example", Password: "original-crew-password-7"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RequestReset(ctx, gateway.ResetInput{Email: "third@acme.example", IP: "192.0.2.3"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, sender, "third@acme.example", 10*time.Second)
}

func waitFor(t *testing.T, s *gatewaytest.Sender, to string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, m := range s.Messages() {
			if m.To == to {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no message to %s within %v", to, within)
}

// Instance A claims a message and dies holding it; B, polling only every
// 30 s, takes it over when A's lease runs out, because A's claim told it
// when that would be.
func TestAnotherInstanceWakesWhenALeaseRunsOut(t *testing.T) {
	sts := instances(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := gateway.New(gateway.Config{Store: sts[1], Renderer: gatewaytest.Renderer{}, Keys: keys(t),
		Hasher: gatewaytest.Hasher(), Logger: quiet, Limits: gateway.Limits{Window: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	wb := gateway.NewWorker(gateway.WorkerConfig{Service: svc, Poll: 30 * time.Second,
		Senders: map[gateway.Route]gateway.Sender{gateway.RouteEmail: &gatewaytest.Sender{}}})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() { defer wg.Done(); wb.Run(ctx) }()
	if os.Getenv("RESETGW_TEST_NO_NOTIFY") == "" {
		wg.Add(1)
		go func() { defer wg.Done(); sts[1].Listen(ctx, wb.Kick, quiet) }()
	}
	time.Sleep(time.Second) // B's first pass and its listener's first kick

	a := sts[0]
	tn := gateway.NewTenant("acme", "Acme")
	if err := a.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	d := &gateway.Delivery{TenantID: tn.ID, Channel: gateway.ChannelEmail, Route: gateway.RouteEmail,
		To: "crew@acme.example", Body: []byte("b"), Status: gateway.DeliveryPending, NextAttemptAt: now,
		CreatedAt: now, UpdatedAt: now}
	// Made and claimed in one transaction, as a worker's step does: B
	// never sees it due until the lease ends.
	if err := a.WithTx(ctx, func(st gateway.Store) error {
		if err := st.CreateDelivery(ctx, d); err != nil {
			return err
		}
		got, err := st.ClaimDeliveries(ctx, now, now.Add(2*time.Second), 10)
		if err == nil && len(got) != 1 {
			t.Errorf("A claimed %d", len(got))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	a.Close() // A dies
	deadline := time.Now().Add(12 * time.Second)
	for {
		cur, err := sts[1].Delivery(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Attempts > 0 || cur.Status != gateway.DeliveryPending {
			t.Logf("B took the message over %v after A's claim (lease 2 s): %s", time.Since(now).Round(time.Millisecond), cur.Status)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("B had not taken the message over 12 s after A's claim (lease 2 s, B's poll 30 s)")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
