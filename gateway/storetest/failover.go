package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// A move puts a pending delivery on another link of its chain: route,
// index, recipient and body change, the first-attempt time starts again
// (the next claim stamps it) and the claim is over; a delivery that is no
// longer pending does not move.
func testMoveDelivery(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := tenant(t, st, "acme")
	d := delivery(t, st, tn.ID, 0, t0)
	if got, _ := st.Delivery(ctx, d.ID); got.RouteIndex != 0 {
		t.Fatalf("new delivery's route index %d", got.RouteIndex)
	}
	claimed, err := st.ClaimDeliveries(ctx, t0, t0.Add(time.Minute), 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	d.Route, d.RouteIndex, d.To = gateway.RouteCarrier, 2, "2015550123@vtext.com"
	d.Body, d.BodyKey = []byte("sealed again"), []byte("new key")
	d.NextAttemptAt, d.UpdatedAt, d.ErrorCode, d.ErrorDetail = t0.Add(time.Second), t0.Add(time.Second), "20003", "bad token"
	must(t, st.MoveDelivery(ctx, d))
	got, err := st.Delivery(ctx, d.ID)
	if err != nil || got.Route != gateway.RouteCarrier || got.RouteIndex != 2 || got.To != d.To ||
		string(got.Body) != "sealed again" || string(got.BodyKey) != "new key" || !got.FirstAttemptAt.IsZero() ||
		got.ErrorCode != "20003" || got.Status != gateway.DeliveryPending {
		t.Fatalf("after move: %+v %v", got, err)
	}
	again, err := st.ClaimDeliveries(ctx, t0.Add(2*time.Second), t0.Add(time.Minute), 10)
	if err != nil || len(again) != 1 || again[0].Unrecorded || again[0].RouteIndex != 2 ||
		!again[0].FirstAttemptAt.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("claim after move: %+v %v", again, err)
	}
	d.Status, d.Body = gateway.DeliverySent, nil
	must(t, st.UpdateDelivery(ctx, d))
	if err := st.MoveDelivery(ctx, d); err == nil {
		t.Fatal("a sent delivery moved")
	}
	// The index is kept from the start too.
	d3 := &gateway.Delivery{TenantID: tn.ID, Channel: gateway.ChannelSMS, Route: gateway.RouteWebhook, RouteIndex: 1,
		To: "+12015550123", Body: []byte("b"), BodyKey: []byte("k"), Status: gateway.DeliveryPending,
		NextAttemptAt: t0, CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateDelivery(ctx, d3))
	if got, _ := st.Delivery(ctx, d3.ID); got.RouteIndex != 1 {
		t.Fatalf("route index %d, want 1", got.RouteIndex)
	}
}
