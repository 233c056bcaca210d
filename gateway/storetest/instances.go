package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// Rows sealed under an instance's in-memory keys: the store keeps whose
// they are, claims them only for that instance while its liveness lasts,
// and for anyone once it has run out or the instance left.
func testInstanceKeys(t *testing.T, o Opened) {
	if o.As == nil {
		t.Skip("the adapter cannot open a store as an instance")
	}
	ctx := context.Background()
	a, b := o.As(t, "inst-a"), o.As(t, "inst-b")
	ika, ok := a.(gateway.InstanceKeeper)
	if !ok {
		t.Fatal("the store keeps no instances")
	}
	tn := gateway.NewTenant("acme", "Acme")
	if err := o.Store.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	mk := func(sealedBy string, epoch uint64) *gateway.Delivery {
		d := &gateway.Delivery{TenantID: tn.ID, Channel: gateway.ChannelEmail, Route: gateway.RouteEmail,
			To: "crew@acme.example", Body: []byte("sealed"), BodyKey: []byte("wrapped"), SealedBy: sealedBy, SealedEpoch: epoch,
			Status: gateway.DeliveryPending, NextAttemptAt: t0, CreatedAt: t0, UpdatedAt: t0}
		if err := o.Store.CreateDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	master, ofA, ofA2, ofB := mk("", 0), mk("inst-a", 3), mk("inst-a", 4), mk("inst-b", 1)
	got, err := o.Store.Delivery(ctx, ofA.ID)
	if err != nil || got.SealedBy != "inst-a" || got.SealedEpoch != 3 {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if err := ika.BeatInstance(ctx, "inst-a", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := ika.BeatInstance(ctx, "inst-b", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if e, err := ika.SealedEpochs(ctx, "inst-a"); err != nil || !slices.Equal(sorted(e), []uint64{3, 4}) {
		t.Fatalf("inst-a's epochs in use: %v, %v", e, err)
	}
	ids := func(ds []*gateway.Delivery) []int64 {
		var out []int64
		for _, d := range ds {
			out = append(out, d.ID)
		}
		slices.Sort(out)
		return out
	}
	claim := func(st gateway.Store, at time.Time) []int64 {
		t.Helper()
		ds, err := st.ClaimDeliveries(ctx, at, at.Add(time.Second), 10)
		if err != nil {
			t.Fatal(err)
		}
		return ids(ds)
	}
	// Both alive: B takes the master key's row and its own, never A's.
	if got := claim(b, t0); !slices.Equal(got, []int64{master.ID, ofB.ID}) {
		t.Fatalf("B claimed %v, want %v", got, []int64{master.ID, ofB.ID})
	}
	if got := claim(b, t0.Add(2*time.Second)); !slices.Equal(got, []int64{master.ID, ofB.ID}) {
		t.Fatalf("B claimed again %v", got)
	}
	// A's liveness runs out (killed): its rows are B's to take over.
	if got := claim(b, t0.Add(time.Minute)); !slices.Equal(got, []int64{master.ID, ofA.ID, ofA2.ID, ofB.ID}) {
		t.Fatalf("B after A's liveness ran out claimed %v", got)
	}
	// A comes back and B leaves: A takes B's rows at once.
	if err := ika.BeatInstance(ctx, "inst-a", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ika.LeaveInstance(ctx, "inst-b", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := claim(a, t0.Add(2*time.Minute)); !slices.Equal(got, []int64{master.ID, ofA.ID, ofA2.ID, ofB.ID}) {
		t.Fatalf("A after B left claimed %v", got)
	}
	// A wiped row no longer counts among the epochs in use.
	ofA.Status, ofA.Body, ofA.UpdatedAt = gateway.DeliverySent, nil, t0
	if err := a.UpdateDelivery(ctx, ofA); err != nil {
		t.Fatal(err)
	}
	if e, err := ika.SealedEpochs(ctx, "inst-a"); err != nil || !slices.Equal(e, []uint64{4}) {
		t.Fatalf("inst-a's epochs after a wipe: %v, %v", e, err)
	}
}

func sorted(e []uint64) []uint64 { slices.Sort(e); return e }
