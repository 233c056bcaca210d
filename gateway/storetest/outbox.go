package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

func testResets(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := tenant(t, st, "acme")
	p := person(t, st, tn.ID, "a@acme.example")
	mk := func(id string, state gateway.ResetState, at time.Time) *gateway.ResetRequest {
		r := &gateway.ResetRequest{ID: id, TenantID: tn.ID, TenantSlug: "acme", Email: p.Email, Source: gateway.SourceAPI,
			IP: "192.0.2.1", State: state, CreatedAt: at, UpdatedAt: at}
		must(t, st.CreateReset(ctx, r))
		return r
	}
	r1 := mk("rr_1", gateway.StateReceived, t0)
	mk("rr_2", gateway.StateReceived, t0.Add(time.Second))
	mk("rr_3", gateway.StateDelivered, t0.Add(2*time.Second))
	// A request refused before any tenant was known has none.
	must(t, st.CreateReset(ctx, &gateway.ResetRequest{ID: "rr_4", Source: gateway.SourceAPI,
		State: gateway.StateRejected, CreatedAt: t0, UpdatedAt: t0}))
	wantKind(t, "same id", st.CreateReset(ctx, &gateway.ResetRequest{ID: "rr_1", Source: gateway.SourceAPI,
		State: gateway.StateReceived, CreatedAt: t0, UpdatedAt: t0}), gateway.KindConflict)

	r1.State, r1.Reason, r1.PersonID, r1.TempHash = gateway.StateDelivering, "sent", p.ID, []byte{1, 2, 3}
	r1.ExpiresAt, r1.UpdatedAt = t0.Add(time.Hour), t0.Add(time.Minute)
	must(t, st.UpdateReset(ctx, r1))
	d := delivery(t, st, tn.ID, gateway.PriorityReset, t0)
	d.RequestID = "rr_1"
	d2 := &gateway.Delivery{RequestID: "rr_1", TenantID: tn.ID, Channel: gateway.ChannelSMS, Route: gateway.RouteTwilio,
		To: "+12015550123", Status: gateway.DeliveryPending, NextAttemptAt: t0, CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateDelivery(ctx, d2))
	got, err := st.Reset(ctx, "rr_1")
	if err != nil || got.State != gateway.StateDelivering || got.PersonID != p.ID || string(got.TempHash) != "\x01\x02\x03" ||
		!got.ExpiresAt.Equal(r1.ExpiresAt) || !got.CreatedAt.Equal(t0) || got.IP != "192.0.2.1" {
		t.Fatalf("reset: %+v %v", got, err)
	}
	if len(got.Deliveries) != 1 || got.Deliveries[0].ID != d2.ID {
		t.Fatalf("deliveries of the reset: %v", got.Deliveries)
	}
	if got, _ := st.Reset(ctx, "rr_4"); got.TenantID != 0 || got.PersonID != 0 {
		t.Fatalf("tenant-less request: %+v", got)
	}
	in, err := st.ResetsInState(ctx, gateway.StateReceived, 10)
	if err != nil || len(in) != 1 || in[0].ID != "rr_2" {
		t.Fatalf("in state: %v %v", in, err)
	}
	list, err := st.ListResets(ctx, gateway.ResetFilter{TenantID: tn.ID})
	if err != nil || len(list) != 3 || list[0].ID != "rr_3" || list[2].ID != "rr_1" || len(list[2].Deliveries) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	list, _ = st.ListResets(ctx, gateway.ResetFilter{State: gateway.StateRejected})
	if len(list) != 1 || list[0].ID != "rr_4" {
		t.Fatalf("list by state: %v", list)
	}
	if list, _ := st.ListResets(ctx, gateway.ResetFilter{Limit: 1, Offset: 1}); len(list) != 1 || list[0].ID != "rr_2" {
		t.Fatalf("paged: %v", list)
	}
	// A negative offset is the first page on every engine.
	first, _ := st.ListResets(ctx, gateway.ResetFilter{Limit: 1})
	if list, err := st.ListResets(ctx, gateway.ResetFilter{Limit: 1, Offset: -1}); err != nil || len(list) != 1 || len(first) != 1 || list[0].ID != first[0].ID {
		t.Fatalf("negative offset: %v %v, want %v", list, err, first)
	}
}

func testDeliveries(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := tenant(t, st, "acme")
	d := delivery(t, st, tn.ID, 0, t0)
	got, err := st.Delivery(ctx, d.ID)
	if err != nil || string(got.Body) != "sealed body" || string(got.BodyKey) != "wrapped key" ||
		got.Priority != gateway.PriorityReset || got.Status != gateway.DeliveryPending || !got.NextAttemptAt.Equal(t0) {
		t.Fatalf("delivery: %+v %v", got, err)
	}
	d.Status, d.Attempts, d.ProviderID, d.ErrorCode, d.ErrorDetail = gateway.DeliverySent, 1, "SM1", "", ""
	d.UpdatedAt = t0.Add(time.Second)
	d.Body = nil // the body key stays set on purpose: a wipe clears both
	must(t, st.UpdateDelivery(ctx, d))
	got, _ = st.DeliveryByProviderID(ctx, "SM1")
	if got == nil || got.ID != d.ID || got.Body != nil || got.BodyKey != nil || got.Attempts != 1 || got.Status != gateway.DeliverySent {
		t.Fatalf("after wipe: %+v", got)
	}
	// The newest delivery with a provider id is the one found.
	d2 := delivery(t, st, tn.ID, 0, t0)
	d2.ProviderID, d2.Status = "SM1", gateway.DeliverySent
	must(t, st.UpdateDelivery(ctx, d2))
	if got, _ := st.DeliveryByProviderID(ctx, "SM1"); got.ID != d2.ID {
		t.Fatalf("provider id found %d, want the newest %d", got.ID, d2.ID)
	}
}

// Claims: due pending rows only, highest priority first, then oldest due;
// the lease hides them until it runs out, and a claim after a lapsed lease
// says the earlier one never recorded an outcome.
func testClaimOrderAndLease(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := tenant(t, st, "acme")
	bulk := delivery(t, st, tn.ID, gateway.PriorityBulk, t0.Add(-time.Hour))
	late := delivery(t, st, tn.ID, gateway.PriorityReset, t0)
	early := delivery(t, st, tn.ID, gateway.PriorityReset, t0.Add(-time.Minute))
	notice := delivery(t, st, tn.ID, gateway.PriorityNotice, t0.Add(-time.Hour))
	future := delivery(t, st, tn.ID, gateway.PriorityReset, t0.Add(time.Minute))
	done := delivery(t, st, tn.ID, gateway.PriorityReset, t0.Add(-time.Hour))
	done.Status = gateway.DeliverySent
	must(t, st.UpdateDelivery(ctx, done))

	lease := t0.Add(30 * time.Second)
	got, err := st.ClaimDeliveries(ctx, t0, lease, 3)
	must(t, err)
	if want := []int64{early.ID, late.ID, notice.ID}; !slices.Equal(ids(got), want) {
		t.Fatalf("claimed %v, want %v", ids(got), want)
	}
	for _, d := range got {
		if d.Unrecorded || !d.FirstAttemptAt.Equal(t0) || string(d.Body) != "sealed body" {
			t.Fatalf("first claim: %+v", d)
		}
	}
	got, _ = st.ClaimDeliveries(ctx, t0, lease, 10)
	if !slices.Equal(ids(got), []int64{bulk.ID}) {
		t.Fatalf("second claim %v, want only the bulk one", ids(got))
	}
	if got, _ := st.ClaimDeliveries(ctx, t0.Add(29*time.Second), lease, 10); len(got) != 0 {
		t.Fatalf("claimed under a lease: %v", ids(got))
	}
	// The holder recorded one outcome and died holding the others.
	early.Status, early.Attempts, early.Body = gateway.DeliverySent, 1, nil
	must(t, st.UpdateDelivery(ctx, early))
	after := t0.Add(time.Minute)
	got, _ = st.ClaimDeliveries(ctx, after, after.Add(30*time.Second), 10)
	if want := []int64{late.ID, future.ID, notice.ID, bulk.ID}; !slices.Equal(ids(got), want) {
		t.Fatalf("after the lease: %v, want %v", ids(got), want)
	}
	for _, d := range got {
		first := d.ID == future.ID
		if d.Unrecorded == first || (first && !d.FirstAttemptAt.Equal(after)) || (!first && !d.FirstAttemptAt.Equal(t0)) {
			t.Fatalf("taken-over claim of %d: unrecorded=%v first=%v", d.ID, d.Unrecorded, d.FirstAttemptAt)
		}
	}
	if got, _ := st.ClaimDeliveries(ctx, after.Add(time.Hour), after.Add(2*time.Hour), 0); len(got) != 0 {
		t.Fatalf("limit 0 claimed %v", ids(got))
	}
}

func testClaimDeferRenew(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := tenant(t, st, "acme")
	a, b := delivery(t, st, tn.ID, 0, t0), delivery(t, st, tn.ID, 0, t0)
	got, _ := st.ClaimDeliveries(ctx, t0, t0.Add(10*time.Second), 10)
	if len(got) != 2 {
		t.Fatalf("claimed %v", ids(got))
	}
	// a waits in a lane: its lease is renewed past the first one.
	must(t, st.RenewLeases(ctx, []int64{a.ID}, t0.Add(time.Minute)))
	must(t, st.RenewLeases(ctx, nil, t0.Add(time.Minute)))
	// b is given back unsent, due in 20 s: a first claim that never sent.
	must(t, st.DeferDelivery(ctx, b.ID, t0.Add(20*time.Second), false))
	if got, _ := st.ClaimDeliveries(ctx, t0.Add(15*time.Second), t0.Add(time.Hour), 10); len(got) != 0 {
		t.Fatalf("claimed %v during renewed lease and deferral", ids(got))
	}
	got, _ = st.ClaimDeliveries(ctx, t0.Add(20*time.Second), t0.Add(30*time.Second), 10)
	if len(got) != 1 || got[0].ID != b.ID || got[0].Unrecorded || got[0].Attempts != 0 || !got[0].FirstAttemptAt.Equal(t0) {
		t.Fatalf("after deferral: %+v", got)
	}
	// Deferred as unrecorded (its send may have gone out), it says so.
	must(t, st.DeferDelivery(ctx, b.ID, t0.Add(40*time.Second), true))
	got, _ = st.ClaimDeliveries(ctx, t0.Add(40*time.Second), t0.Add(50*time.Second), 10)
	if len(got) != 1 || !got[0].Unrecorded {
		t.Fatalf("unrecorded deferral: %+v", got)
	}
	// Neither renewing nor deferring touches a delivery that ended.
	b.Status, b.Body = gateway.DeliveryFailed, nil
	must(t, st.UpdateDelivery(ctx, b))
	must(t, st.RenewLeases(ctx, []int64{b.ID}, t0.Add(time.Hour)))
	must(t, st.DeferDelivery(ctx, b.ID, t0, false))
	if got, _ := st.Delivery(ctx, b.ID); got.Status != gateway.DeliveryFailed || got.Unrecorded {
		t.Fatalf("ended delivery changed: %+v", got)
	}
	if got, _ := st.ClaimDeliveries(ctx, t0.Add(time.Minute), t0.Add(2*time.Minute), 10); len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("a after its renewed lease: %v", ids(got))
	}
}

// Claims racing on one store never hand a delivery out twice.
func testConcurrentClaims(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := tenant(t, st, "acme")
	const n, workers = 60, 6
	for range n {
		delivery(t, st, tn.ID, 0, t0)
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				got, err := st.ClaimDeliveries(ctx, t0, t0.Add(time.Hour), 4)
				if err != nil {
					if gateway.ErrorKind(err) == gateway.KindUnavailable {
						continue
					}
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("%d of %d deliveries claimed", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("delivery %d claimed %d times", id, c)
		}
	}
}

func testFollowUps(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := tenant(t, st, "acme")
	mk := func(status gateway.DeliveryStatus, route gateway.Route, provider string, at time.Time) *gateway.Delivery {
		d := deliveryVia(t, st, tn.ID, route, 0, t0)
		d.Status, d.ProviderID, d.UpdatedAt, d.Body = status, provider, at, nil
		must(t, st.UpdateDelivery(ctx, d))
		return d
	}
	old := mk(gateway.DeliverySent, gateway.RouteTwilio, "SM1", t0)
	recent := mk(gateway.DeliverySent, gateway.RouteTwilio, "SM2", t0.Add(9*time.Minute))
	mk(gateway.DeliverySent, gateway.RouteEmail, "mid", t0)                    // other route
	mk(gateway.DeliverySent, gateway.RouteTwilio, "", t0)                      // never accepted
	delivered := mk(gateway.DeliveryDelivered, gateway.RouteTwilio, "SM3", t0) // final
	cut := t0.Add(5 * time.Minute)
	got, err := st.UnconfirmedDeliveries(ctx, gateway.RouteTwilio, cut, 10)
	if err != nil || !slices.Equal(ids(got), []int64{old.ID}) {
		t.Fatalf("unconfirmed: %v %v", ids(got), err)
	}
	if got, _ := st.DeliveriesToRedact(ctx, gateway.RouteTwilio, 10); !slices.Equal(ids(got), []int64{delivered.ID}) {
		t.Fatalf("to redact before the poll: %v", ids(got))
	}
	must(t, st.MarkDeliveryPolled(ctx, old.ID, cut))
	if got, _ := st.UnconfirmedDeliveries(ctx, gateway.RouteTwilio, t0.Add(time.Hour), 10); !slices.Equal(ids(got), []int64{recent.ID}) {
		t.Fatalf("polled one still unconfirmed: %v", ids(got))
	}
	got, _ = st.DeliveriesToRedact(ctx, gateway.RouteTwilio, 10)
	if !slices.Equal(ids(got), []int64{old.ID, delivered.ID}) {
		t.Fatalf("to redact after the poll: %v", ids(got))
	}
	must(t, st.SetDeliveryRedaction(ctx, delivered.ID, gateway.RedactionDone))
	// Skipped while in flight: back once a final report came.
	must(t, st.SetDeliveryRedaction(ctx, old.ID, gateway.RedactionSkipped))
	if got, _ := st.DeliveriesToRedact(ctx, gateway.RouteTwilio, 10); len(got) != 0 {
		t.Fatalf("done or skipped still listed: %v", ids(got))
	}
	old.Status = gateway.DeliveryDelivered
	must(t, st.UpdateDelivery(ctx, old))
	if got, _ := st.DeliveriesToRedact(ctx, gateway.RouteTwilio, 10); !slices.Equal(ids(got), []int64{old.ID}) {
		t.Fatalf("skipped then final: %v", ids(got))
	}
	for name, err := range map[string]error{
		"poll":   st.MarkDeliveryPolled(ctx, 9999, t0),
		"redact": st.SetDeliveryRedaction(ctx, 9999, gateway.RedactionDone),
	} {
		if !gateway.IsNotFound(err) {
			t.Errorf("%s of no delivery: %v", name, err)
		}
	}
}
