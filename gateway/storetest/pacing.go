package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// testLaneSlots: each reservation gets its own slot, at most one per
// interval, an idle lane starts at once, lanes are independent, and
// concurrent callers never share a slot.
func testLaneSlots(t *testing.T, o Opened) {
	ctx := context.Background()
	p, ok := o.Store.(gateway.LanePacer)
	if !ok {
		t.Fatal("the store does not implement gateway.LanePacer")
	}
	at := func(lane string, now time.Time, every time.Duration) time.Time {
		t.Helper()
		got, err := p.ReserveLaneSlot(ctx, lane, now, every)
		must(t, err)
		return got
	}
	for i, c := range []struct {
		lane  string
		now   time.Time
		every time.Duration
		want  time.Time
	}{
		{"a", t0, time.Second, t0},                                                  // idle: now
		{"a", t0, time.Second, t0.Add(time.Second)},                                 // the next slot
		{"a", t0.Add(300 * time.Millisecond), time.Second, t0.Add(2 * time.Second)}, // still queued
		{"b", t0, 250 * time.Millisecond, t0},                                       // another lane
		{"a", t0.Add(10 * time.Second), time.Second, t0.Add(10 * time.Second)},      // idle again: no burst saved up
		{"a", t0.Add(10 * time.Second), 2 * time.Second, t0.Add(11 * time.Second)},  // a slower pace from here
		{"a", t0.Add(10 * time.Second), time.Second, t0.Add(13 * time.Second)},
		{"b", t0, 250 * time.Millisecond, t0.Add(250 * time.Millisecond)},
	} {
		if got := at(c.lane, c.now, c.every); !got.Equal(c.want) {
			t.Fatalf("reservation %d on %s: slot at %v, want %v", i, c.lane, got.Sub(t0), c.want.Sub(t0))
		}
	}

	// Callers at once each get a slot of their own, one interval apart.
	const n = 24
	var mu sync.Mutex
	var got []time.Duration
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := p.ReserveLaneSlot(ctx, "c", t0, 100*time.Millisecond)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got = append(got, s.Sub(t0))
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(got)
	for i, d := range got {
		if want := time.Duration(i) * 100 * time.Millisecond; d != want {
			t.Fatalf("concurrent slots %v: slot %d at %v, want %v", got, i, d, want)
		}
	}
}

// testLockReceived: a request is taken for resolving only while it is
// received.
func testLockReceived(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	l, ok := st.(gateway.ResetLocker)
	if !ok {
		t.Fatal("the store does not implement gateway.ResetLocker")
	}
	tn := tenant(t, st, "acme")
	for id, state := range map[string]gateway.ResetState{"rr_r": gateway.StateReceived, "rr_d": gateway.StateDelivered} {
		must(t, st.CreateReset(ctx, &gateway.ResetRequest{ID: id, TenantID: tn.ID, TenantSlug: "acme",
			Email: "a@acme.example", Source: gateway.SourceAPI, State: state, CreatedAt: t0, UpdatedAt: t0}))
	}
	must(t, st.WithTx(ctx, func(tx gateway.Store) error {
		for id, want := range map[string]bool{"rr_r": true, "rr_d": false, "rr_none": false} {
			got, err := tx.(gateway.ResetLocker).LockReceived(ctx, id)
			must(t, err)
			if got != want {
				t.Errorf("LockReceived(%s) = %v, want %v", id, got, want)
			}
		}
		// LockReset holds any request, and a missing one is no error.
		for _, id := range []string{"rr_r", "rr_d", "rr_none"} {
			must(t, tx.(gateway.ResetLocker).LockReset(ctx, id))
		}
		return nil
	}))
	if m, ok := st.(gateway.ManyWriters); !ok {
		t.Fatal("the store does not implement gateway.ManyWriters")
	} else {
		m.ManyWriters() // either answer is right; it must not fail
	}
	if got, err := l.LockReceived(ctx, "rr_r"); err != nil || !got {
		t.Fatalf("outside a transaction: %v %v", got, err)
	}
}
