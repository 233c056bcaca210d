package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// testReceivedTaking: FreeReceived lists received requests oldest first
// and LockReceivedAll takes those of a list still received, in the list's
// order, each then held for LockReceived. On a store with many writers,
// what one transaction took is neither listed nor taken by another
// instance until it ends, and is again after it rolls back.
func testReceivedTaking(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	rt, ok := st.(gateway.ReceivedTaker)
	if !ok {
		t.Fatal("the store does not implement gateway.ReceivedTaker")
	}
	tn := tenant(t, st, "acme")
	for i, r := range []struct {
		id    string
		state gateway.ResetState
	}{{"rr_3", gateway.StateReceived}, {"rr_1", gateway.StateReceived}, {"rr_d", gateway.StateDelivered},
		{"rr_2", gateway.StateReceived}} {
		at := t0.Add(time.Duration([]int{3, 1, 0, 2}[i]) * time.Second)
		must(t, st.CreateReset(ctx, &gateway.ResetRequest{ID: r.id, TenantID: tn.ID, TenantSlug: "acme",
			Email: "a@acme.example", Source: gateway.SourceAPI, State: r.state, CreatedAt: at, UpdatedAt: at}))
	}
	listed := func(st gateway.Store, limit int) []string {
		t.Helper()
		rs, err := st.(gateway.ReceivedTaker).FreeReceived(ctx, limit)
		must(t, err)
		var out []string
		for _, r := range rs {
			if r.State != gateway.StateReceived || r.Email != "a@acme.example" {
				t.Errorf("listed %s in state %s, email %q", r.ID, r.State, r.Email)
			}
			out = append(out, r.ID)
		}
		return out
	}
	if got := listed(st, 10); !slices.Equal(got, []string{"rr_1", "rr_2", "rr_3"}) {
		t.Fatalf("FreeReceived = %v, want the received ones oldest first", got)
	}
	if got := listed(st, 2); !slices.Equal(got, []string{"rr_1", "rr_2"}) {
		t.Fatalf("FreeReceived(2) = %v", got)
	}
	// Listing took nothing: a transaction takes them all.
	must(t, st.WithTx(ctx, func(tx gateway.Store) error {
		got, err := tx.(gateway.ReceivedTaker).LockReceivedAll(ctx, []string{"rr_3", "rr_d", "rr_none", "rr_1"})
		must(t, err)
		if !slices.Equal(got, []string{"rr_3", "rr_1"}) {
			t.Errorf("LockReceivedAll = %v, want [rr_3 rr_1]", got)
		}
		for _, id := range got {
			if ok, err := tx.(gateway.ResetLocker).LockReceived(ctx, id); err != nil || !ok {
				t.Errorf("LockReceived(%s) after LockReceivedAll = %v %v", id, ok, err)
			}
			r, err := tx.Reset(ctx, id)
			must(t, err)
			if r.ID != id || r.State != gateway.StateReceived {
				t.Errorf("Reset(%s) = %s %s", id, r.ID, r.State)
			}
		}
		// Written once taken: a later read sees the write.
		r, err := tx.Reset(ctx, "rr_3")
		must(t, err)
		r.State, r.Reason = gateway.StateRejected, "test"
		must(t, tx.UpdateReset(ctx, r))
		if ok, err := tx.(gateway.ResetLocker).LockReceived(ctx, "rr_3"); err != nil || ok {
			t.Errorf("LockReceived(rr_3) after its write = %v %v, want false", ok, err)
		}
		if r, err := tx.Reset(ctx, "rr_3"); err != nil || r.State != gateway.StateRejected {
			t.Errorf("Reset(rr_3) after its write: %v %v", r, err)
		}
		return nil
	}))
	if got, err := rt.LockReceivedAll(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("LockReceivedAll(nil) = %v %v", got, err)
	}
	if !manyWritersStore(st) || o.As == nil {
		return
	}
	other := o.As(t, "inst-b")
	errDone := errorString("rolled back")
	err := st.WithTx(ctx, func(tx gateway.Store) error {
		got, err := tx.(gateway.ReceivedTaker).LockReceivedAll(ctx, []string{"rr_1"})
		must(t, err)
		if !slices.Equal(got, []string{"rr_1"}) {
			t.Errorf("LockReceivedAll = %v", got)
		}
		if got := listed(other, 10); !slices.Equal(got, []string{"rr_2"}) {
			t.Errorf("another instance lists %v while rr_1 is held, want [rr_2]", got)
		}
		must(t, other.WithTx(ctx, func(tx2 gateway.Store) error {
			got, err := tx2.(gateway.ReceivedTaker).LockReceivedAll(ctx, []string{"rr_1", "rr_2"})
			must(t, err)
			if !slices.Equal(got, []string{"rr_2"}) {
				t.Errorf("another instance took %v while rr_1 is held, want [rr_2]", got)
			}
			return nil
		}))
		return errDone
	})
	if err != errDone {
		t.Fatalf("WithTx = %v", err)
	}
	if got := listed(other, 10); !slices.Equal(got, []string{"rr_1", "rr_2"}) {
		t.Fatalf("after the holder rolled back, another instance lists %v", got)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func manyWritersStore(st gateway.Store) bool {
	m, ok := st.(gateway.ManyWriters)
	return ok && m.ManyWriters()
}
