package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// testHandOverMarks: a mark holds for the attempt it names, only once,
// only while no outcome came; a marked delivery counts as claimed when
// it comes back; an outcome ends the mark's hold; of claims racing for
// one attempt's mark exactly one gets it.
func testHandOverMarks(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	m, ok := st.(gateway.HandOverMarker)
	if !ok {
		t.Fatal("the store does not implement gateway.HandOverMarker")
	}
	tn := tenant(t, st, "acme")
	a := delivery(t, st, tn.ID, 0, t0)
	b := delivery(t, st, tn.ID, 0, t0)
	c := delivery(t, st, tn.ID, 0, t0)
	ids := []int64{a.ID, b.ID, c.ID}
	if got, err := m.HandedOver(ctx, ids); err != nil || len(got) != 0 {
		t.Fatalf("fresh deliveries handed over: %v %v", got, err)
	}
	claimed, err := st.ClaimDeliveries(ctx, t0, t0.Add(time.Minute), 10)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	// One statement for several; a stale attempt number is refused.
	got, err := m.MarkHandedOver(ctx, []gateway.HandOverMark{{DeliveryID: a.ID}, {DeliveryID: b.ID, Attempt: 1}, {DeliveryID: c.ID}})
	must(t, err)
	slices.Sort(got)
	if want := []int64{a.ID, c.ID}; !slices.Equal(got, want) {
		t.Fatalf("marked %v, want %v", got, want)
	}
	// The same attempt is not marked twice.
	if got, err := m.MarkHandedOver(ctx, []gateway.HandOverMark{{DeliveryID: a.ID}}); err != nil || len(got) != 0 {
		t.Fatalf("second mark of one attempt: %v %v", got, err)
	}
	got, err = m.HandedOver(ctx, ids)
	must(t, err)
	slices.Sort(got)
	if want := []int64{a.ID, c.ID}; !slices.Equal(got, want) {
		t.Fatalf("handed over %v, want %v", got, want)
	}
	// c's outcome is recorded (a retry): its mark no longer holds, and the
	// next attempt may be marked.
	cur, err := st.Delivery(ctx, c.ID)
	must(t, err)
	cur.Attempts, cur.NextAttemptAt, cur.UpdatedAt = 1, t0.Add(time.Second), t0.Add(time.Second)
	must(t, st.UpdateDelivery(ctx, cur))
	if got, err := m.HandedOver(ctx, []int64{c.ID}); err != nil || len(got) != 0 {
		t.Fatalf("mark held after an outcome: %v %v", got, err)
	}
	// A crash: a's lease runs out, and the next claim is told its earlier
	// claim left no outcome; the mark still holds.
	again, err := st.ClaimDeliveries(ctx, t0.Add(2*time.Minute), t0.Add(3*time.Minute), 10)
	must(t, err)
	var ra *gateway.Delivery
	for _, d := range again {
		if d.ID == a.ID {
			ra = d
		}
	}
	if ra == nil || !ra.Unrecorded {
		t.Fatalf("reclaim after a mark: %+v", again)
	}
	if got, err := m.HandedOver(ctx, []int64{a.ID}); err != nil || !slices.Equal(got, []int64{a.ID}) {
		t.Fatalf("mark after reclaim: %v %v", got, err)
	}
	// A delivery no longer pending is not marked.
	ra.Status, ra.Attempts, ra.Body = gateway.DeliveryFailed, 1, nil
	must(t, st.UpdateDelivery(ctx, ra))
	if got, err := m.MarkHandedOver(ctx, []gateway.HandOverMark{{DeliveryID: a.ID, Attempt: 1}}); err != nil || len(got) != 0 {
		t.Fatalf("a failed delivery was marked: %v %v", got, err)
	}
	// A mark alone makes a claim come back as unrecorded (the mark also
	// counts as a claim).
	d := delivery(t, st, tn.ID, 0, t0.Add(4*time.Minute))
	cl, err := st.ClaimDeliveries(ctx, t0.Add(4*time.Minute), t0.Add(5*time.Minute), 10)
	must(t, err)
	for _, x := range cl {
		if x.ID == d.ID {
			must(t, st.DeferDelivery(ctx, d.ID, t0.Add(4*time.Minute), false))
		}
	}
	if got, err := m.MarkHandedOver(ctx, []gateway.HandOverMark{{DeliveryID: d.ID}}); err != nil || len(got) != 1 {
		t.Fatalf("mark: %v %v", got, err)
	}
	cl, err = st.ClaimDeliveries(ctx, t0.Add(6*time.Minute), t0.Add(7*time.Minute), 10)
	must(t, err)
	seen := false
	for _, x := range cl {
		if x.ID == d.ID {
			seen = true
			if !x.Unrecorded {
				t.Fatal("a marked delivery came back as recorded")
			}
		}
	}
	if !seen {
		t.Fatalf("marked delivery not claimed: %+v", cl)
	}
	// Claims racing for one attempt's mark: exactly one wins.
	e := delivery(t, st, tn.ID, 0, t0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := m.MarkHandedOver(ctx, []gateway.HandOverMark{{DeliveryID: e.ID}})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			wins += len(got)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d claims marked one attempt, want 1", wins)
	}
}
