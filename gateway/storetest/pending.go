package storetest

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// PendingDeliveries counts what is pending by route and tenant: due or
// not, claimed or not; nothing that ended.
func testPendingDeliveries(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	if got, err := st.PendingDeliveries(ctx); err != nil || len(got) != 0 {
		t.Fatalf("empty store: %v %v", got, err)
	}
	a, b := tenant(t, st, "acme"), tenant(t, st, "bolt")
	delivery(t, st, a.ID, 0, t0)
	delivery(t, st, a.ID, 0, t0.Add(time.Hour)) // due later
	delivery(t, st, a.ID, 0, t0)
	deliveryVia(t, st, a.ID, gateway.RouteTwilio, 0, t0)
	deliveryVia(t, st, b.ID, gateway.RouteTwilio, 0, t0)
	sent := deliveryVia(t, st, b.ID, gateway.RouteTwilio, 0, t0)
	failed := delivery(t, st, b.ID, 0, t0)
	// One of acme's mails is held by a worker: still pending.
	if got, err := st.ClaimDeliveries(ctx, t0, t0.Add(time.Minute), 1); err != nil || len(got) != 1 || got[0].TenantID != a.ID {
		t.Fatalf("claim: %v %v", ids(got), err)
	}
	sent.Status, sent.Body = gateway.DeliverySent, nil
	must(t, st.UpdateDelivery(ctx, sent))
	failed.Status, failed.Body = gateway.DeliveryFailed, nil
	must(t, st.UpdateDelivery(ctx, failed))

	got, err := st.PendingDeliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(x, y gateway.PendingCount) int {
		return cmp.Or(cmp.Compare(x.Route, y.Route), cmp.Compare(x.TenantID, y.TenantID))
	})
	want := []gateway.PendingCount{
		{Route: gateway.RouteEmail, TenantID: a.ID, N: 3},
		{Route: gateway.RouteTwilio, TenantID: a.ID, N: 1},
		{Route: gateway.RouteTwilio, TenantID: b.ID, N: 1},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pending = %+v, want %+v", got, want)
	}
}
