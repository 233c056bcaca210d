package storetest

import (
	"context"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// testTxWritesInOrder: inside a transaction a read sees every write made
// before it (a store may send writes later, with the next statement), an
// event appended in it has its id once committed, and a write that found
// no row fails the transaction even when a later call is what hears of
// it, without that call reporting "not found" for itself.
func testTxWritesInOrder(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := tenant(t, st, "acme")
	p := person(t, st, tn.ID, "a@acme.example")
	r := &gateway.ResetRequest{ID: "rr_tx", TenantID: tn.ID, TenantSlug: "acme", Email: p.Email, Source: gateway.SourceAPI,
		State: gateway.StateReceived, CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateReset(ctx, r))
	d := delivery(t, st, tn.ID, gateway.PriorityReset, t0)

	ev := &gateway.Event{TenantID: tn.ID, At: t0, Actor: gateway.ActorSystem, Type: "tx_order", RequestID: r.ID}
	must(t, st.WithTx(ctx, func(tx gateway.Store) error {
		r.State, r.UpdatedAt = gateway.StateDelivering, t0.Add(1)
		if err := tx.UpdateReset(ctx, r); err != nil {
			return err
		}
		d.Status, d.Attempts, d.UpdatedAt = gateway.DeliverySent, 1, t0.Add(2)
		if err := tx.UpdateDelivery(ctx, d); err != nil {
			return err
		}
		if err := tx.AddDeliveryAttempt(ctx, gateway.DeliveryAttempt{DeliveryID: d.ID, Route: d.Route,
			Status: "sent", At: t0}); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, ev); err != nil {
			return err
		}
		got, err := tx.Reset(ctx, r.ID)
		if err != nil || got.State != gateway.StateDelivering {
			t.Errorf("the request read after its update in one transaction: %+v %v", got, err)
		}
		gd, err := tx.Delivery(ctx, d.ID)
		if err != nil || gd.Status != gateway.DeliverySent || gd.Attempts != 1 {
			t.Errorf("the delivery read after its update: %+v %v", gd, err)
		}
		tries, err := tx.DeliveryAttempts(ctx, d.ID)
		if err != nil || len(tries) != 1 {
			t.Errorf("attempts read after the insert: %v %v", tries, err)
		}
		evs, err := tx.ListEvents(ctx, gateway.EventFilter{Types: []string{"tx_order"}})
		if err != nil || len(evs) != 1 {
			t.Errorf("events read after the append: %v %v", evs, err)
		}
		return nil
	}))
	if ev.ID == 0 {
		t.Error("a committed event has no id")
	}
	if got, err := st.Reset(ctx, r.ID); err != nil || got.State != gateway.StateDelivering {
		t.Fatalf("after commit: %+v %v", got, err)
	}

	// An update of a request that is not there, then a read of one that
	// is, then an event: nothing of it stays.
	gone := &gateway.ResetRequest{ID: "rr_none", State: gateway.StateDelivered, UpdatedAt: t0}
	err := st.WithTx(ctx, func(tx gateway.Store) error {
		if err := tx.UpdateReset(ctx, gone); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, &gateway.Event{TenantID: tn.ID, At: t0, Actor: gateway.ActorSystem, Type: "tx_lost"}); err != nil {
			return err
		}
		if _, err := tx.Person(ctx, tn.ID, p.ID); err != nil {
			if gateway.IsNotFound(err) {
				t.Error("a later read reported the failed update's not-found as its own")
			}
			return err
		}
		return nil
	})
	if !gateway.IsNotFound(err) {
		t.Fatalf("a transaction whose update found no row: %v, want not found", err)
	}
	if n, err := st.CountEvents(ctx, gateway.EventFilter{Types: []string{"tx_lost"}}); err != nil || n != 0 {
		t.Fatalf("the failed transaction's event: %d %v", n, err)
	}
}
