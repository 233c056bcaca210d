package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// testHandOverUnmark: a mark taken back (a message marked ahead and given
// back unsent) no longer holds, and the same attempt may be marked again
// when the message is claimed and sent; taking back an attempt that is
// not the marked one changes nothing, in one statement for several.
func testHandOverUnmark(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	m := st.(gateway.HandOverMarker)
	tn := tenant(t, st, "acme")
	a := delivery(t, st, tn.ID, 0, t0)
	b := delivery(t, st, tn.ID, 0, t0)
	if _, err := st.ClaimDeliveries(ctx, t0, t0.Add(time.Minute), 10); err != nil {
		t.Fatal(err)
	}
	got, err := m.MarkHandedOver(ctx, []gateway.HandOverMark{{DeliveryID: a.ID}, {DeliveryID: b.ID}})
	must(t, err)
	if len(got) != 2 {
		t.Fatalf("marked %v", got)
	}
	// b's attempt 1 was never marked: its mark of attempt 0 stays.
	must(t, m.UnmarkHandedOver(ctx, []gateway.HandOverMark{{DeliveryID: a.ID}, {DeliveryID: b.ID, Attempt: 1}}))
	got, err = m.HandedOver(ctx, []int64{a.ID, b.ID})
	must(t, err)
	if !slices.Equal(got, []int64{b.ID}) {
		t.Fatalf("handed over %v after taking back a's mark, want only b", got)
	}
	// Given back unsent in the same transaction, a comes back as a fresh
	// claim and its attempt may be marked again.
	must(t, st.WithTx(ctx, func(tx gateway.Store) error {
		if err := tx.(gateway.HandOverMarker).UnmarkHandedOver(ctx, []gateway.HandOverMark{{DeliveryID: a.ID}}); err != nil {
			return err
		}
		return tx.DeferDelivery(ctx, a.ID, t0.Add(2*time.Minute), false)
	}))
	cl, err := st.ClaimDeliveries(ctx, t0.Add(2*time.Minute), t0.Add(3*time.Minute), 10)
	must(t, err)
	var ra *gateway.Delivery
	for _, d := range cl {
		if d.ID == a.ID {
			ra = d
		}
	}
	if ra == nil || ra.Unrecorded {
		t.Fatalf("a given back unsent came back as %+v, want a fresh claim", ra)
	}
	if got, err := m.MarkHandedOver(ctx, []gateway.HandOverMark{{DeliveryID: a.ID}}); err != nil || len(got) != 1 {
		t.Fatalf("marking a again: %v %v", got, err)
	}
	must(t, m.UnmarkHandedOver(ctx, nil))
}
