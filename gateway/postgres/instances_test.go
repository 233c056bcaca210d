package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/postgres"
	"github.com/resetgw/resetgw/gateway/storetest"
)

// Several instances on one database: each opens its own pool. They start
// at once (the migrations take turns under the advisory lock), split the
// outbox between them without handing a delivery to two, take over the
// lease of one that died, and share rate limits and webhook dedupe.

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// instances opens n stores on one fresh schema, all at once.
func instances(t *testing.T, n int) []*postgres.Store {
	t.Helper()
	u := testDB(t)
	out := make([]*postgres.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = postgres.Open(context.Background(), postgres.Config{URL: u, Sealer: keys(t), MaxConns: 4})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		t.Cleanup(func() { out[i].Close() })
	}
	// Each migration once, whichever instance ran it.
	var applied, distinct int
	if err := rawDB(t, u).QueryRow(`SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&applied, &distinct); err != nil || applied != distinct || applied == 0 {
		t.Fatalf("%d migrations applied %d times (%v)", distinct, applied, err)
	}
	return out
}

func outbox(t *testing.T, st gateway.Store, n int) *gateway.Tenant {
	t.Helper()
	ctx := context.Background()
	tn := gateway.NewTenant("acme", "Acme")
	if err := st.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	for range n {
		d := &gateway.Delivery{TenantID: tn.ID, Channel: gateway.ChannelEmail, Route: gateway.RouteEmail,
			To: "crew@acme.example", Body: []byte("b"), Status: gateway.DeliveryPending, NextAttemptAt: t0,
			CreatedAt: t0, UpdatedAt: t0}
		if err := st.CreateDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	return tn
}

func TestInstancesNeverShareAClaim(t *testing.T) {
	sts := instances(t, 2)
	const n = 300
	outbox(t, sts[0], n)
	ctx := context.Background()
	var mu sync.Mutex
	claimedBy := map[int64][]int{}
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	// Four workers per instance, as the engine runs claims beside sends.
	for inst, st := range sts {
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range n { // bounded: each round claims at least one or ends
					ds, err := st.ClaimDeliveries(ctx, t0, t0.Add(time.Hour), 5)
					if err != nil {
						errc <- err
						return
					}
					if len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, d := range ds {
						claimedBy[d.ID] = append(claimedBy[d.ID], inst)
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	per := [2]int{}
	for id, by := range claimedBy {
		if len(by) != 1 {
			t.Fatalf("delivery %d handed to instances %v", id, by)
		}
		per[by[0]]++
	}
	if len(claimedBy) != n {
		t.Fatalf("%d of %d deliveries claimed", len(claimedBy), n)
	}
	t.Logf("claims per instance: %v", per)
}

func TestInstanceTakesOverALapsedLease(t *testing.T) {
	sts := instances(t, 2)
	a, b := sts[0], sts[1]
	outbox(t, a, 3)
	ctx := context.Background()
	held, err := a.ClaimDeliveries(ctx, t0, t0.Add(30*time.Second), 10)
	if err != nil || len(held) != 3 {
		t.Fatalf("a's claim: %v %v", held, err)
	}
	// a records one outcome, renews one lease, then dies.
	held[0].Status, held[0].Body = gateway.DeliverySent, nil
	if err := a.UpdateDelivery(ctx, held[0]); err != nil {
		t.Fatal(err)
	}
	if err := a.RenewLeases(ctx, []int64{held[1].ID}, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if got, _ := b.ClaimDeliveries(ctx, t0.Add(29*time.Second), t0.Add(time.Hour), 10); len(got) != 0 {
		t.Fatalf("b took deliveries under a's lease: %v", got)
	}
	got, err := b.ClaimDeliveries(ctx, t0.Add(31*time.Second), t0.Add(time.Hour), 10)
	if err != nil || len(got) != 1 || got[0].ID != held[2].ID || !got[0].Unrecorded || !got[0].FirstAttemptAt.Equal(t0) {
		t.Fatalf("b after the lease ran out: %+v %v", got, err)
	}
	got, _ = b.ClaimDeliveries(ctx, t0.Add(2*time.Minute), t0.Add(time.Hour*2), 10)
	if len(got) != 1 || got[0].ID != held[1].ID || !got[0].Unrecorded {
		t.Fatalf("b after the renewed lease ran out: %+v", got)
	}
}

func TestInstancesShareLimitsAndDedupe(t *testing.T) {
	sts := instances(t, 2)
	ctx := context.Background()
	limit := []gateway.Limit{{Scope: "tenant", Key: "acme", Max: 7, Window: time.Hour}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted, firstSeen := 0, 0
	var errs []error
	for i := range 24 {
		st := sts[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			over, err := st.Reserve(ctx, t0, limit)
			seen, serr := st.SeenMessage(ctx, "twilio", "SMreplayed", t0, 48*time.Hour)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || serr != nil {
				errs = append(errs, err, serr)
				return
			}
			if over == nil {
				granted++
			}
			if !seen {
				firstSeen++
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if granted != 7 {
		t.Fatalf("%d reservations granted across instances, limit 7", granted)
	}
	if firstSeen != 1 {
		t.Fatalf("a replayed webhook was new to %d requests", firstSeen)
	}
	if n, _ := sts[1].Count(ctx, t0, limit[0]); n != 7 {
		t.Fatalf("count %d", n)
	}
}

// go test ./gateway/postgres -run '^$' -bench ClaimRecord (with
// RESETGW_TEST_POSTGRES set)
func BenchmarkClaimRecord(b *testing.B) {
	storetest.BenchClaimRecord(b, open(b, testDB(b)))
}
