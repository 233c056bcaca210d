package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// A sent text keeps its sealed body for a late failover: the wipe of the
// bodies past their window takes only sent rows sent before the cutoff
// (body and data key together, nothing else of the row), at most limit of
// them; and a kept body's ring epoch counts as in use.
func testKeptBodies(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	kw, ok := st.(gateway.KeptBodyWiper)
	if !ok {
		t.Fatal("the store wipes no kept bodies")
	}
	tn := tenant(t, st, "acme")
	mk := func(status gateway.DeliveryStatus, sentAt time.Time, sealedBy string, epoch uint64) *gateway.Delivery {
		d := &gateway.Delivery{TenantID: tn.ID, Channel: gateway.ChannelSMS, Route: gateway.RouteTwilio,
			To: "+12015550123", Body: []byte("sealed"), BodyKey: []byte("wrapped"), SealedBy: sealedBy, SealedEpoch: epoch,
			Status: gateway.DeliveryPending, NextAttemptAt: t0, CreatedAt: t0, UpdatedAt: t0}
		must(t, st.CreateDelivery(ctx, d))
		d.Status, d.ProviderID, d.UpdatedAt = status, "SM"+string(rune('a'+d.ID%26)), sentAt
		must(t, st.UpdateDelivery(ctx, d))
		return d
	}
	old1 := mk(gateway.DeliverySent, t0, "inst-a", 7)
	old2 := mk(gateway.DeliverySent, t0.Add(time.Minute), "", 0)
	fresh := mk(gateway.DeliverySent, t0.Add(20*time.Minute), "", 0)
	pending := mk(gateway.DeliveryPending, t0, "", 0)
	if ik, ok := st.(gateway.InstanceKeeper); ok {
		if e, err := ik.SealedEpochs(ctx, "inst-a"); err != nil || !slices.Equal(e, []uint64{7}) {
			t.Fatalf("epochs in use with a kept body: %v, %v", e, err)
		}
	}
	cutoff := t0.Add(10 * time.Minute)
	n, err := kw.WipeKeptBodies(ctx, cutoff, 1)
	if err != nil || n != 1 {
		t.Fatalf("first wipe: %d, %v", n, err)
	}
	n, err = kw.WipeKeptBodies(ctx, cutoff, 10)
	if err != nil || n != 1 {
		t.Fatalf("second wipe: %d, %v", n, err)
	}
	if n, err := kw.WipeKeptBodies(ctx, cutoff, 10); err != nil || n != 0 {
		t.Fatalf("third wipe: %d, %v", n, err)
	}
	for _, c := range []struct {
		d    *gateway.Delivery
		kept bool
	}{{old1, false}, {old2, false}, {fresh, true}, {pending, true}} {
		got, err := st.Delivery(ctx, c.d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if kept := got.Body != nil && got.BodyKey != nil; kept != c.kept || (!c.kept && (got.Body != nil || got.BodyKey != nil)) {
			t.Fatalf("delivery %d (%s, sent %s): body %q key %q, want kept %v", got.ID, got.Status,
				got.UpdatedAt.Format(time.Kitchen), got.Body, got.BodyKey, c.kept)
		}
		if got.Status != c.d.Status || got.ProviderID != c.d.ProviderID || !got.UpdatedAt.Equal(c.d.UpdatedAt) {
			t.Fatalf("wipe changed more than the body: %+v", got)
		}
	}
	if ik, ok := st.(gateway.InstanceKeeper); ok {
		if e, err := ik.SealedEpochs(ctx, "inst-a"); err != nil || len(e) != 0 {
			t.Fatalf("epochs in use after the wipe: %v, %v", e, err)
		}
	}
}
