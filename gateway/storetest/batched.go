package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// Inside a transaction the events are written together at its end: they
// keep the order they were appended in, get ascending ids, are seen by the
// log's own reads in the transaction, and vanish with a rollback.
func testEventsInTx(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	first := &gateway.Event{At: t0, Actor: gateway.ActorSystem, Type: "before"}
	must(t, st.AppendEvent(ctx, first))
	const many = 600 // more than one insert's worth
	var added []*gateway.Event
	must(t, st.WithTx(ctx, func(tx gateway.Store) error {
		// One event value reused: what was appended must not change.
		e := gateway.Event{TenantID: 1, At: t0, Actor: gateway.ActorCrew, Type: "a", RequestID: "rr_1", PersonID: 7,
			IP: "192.0.2.1", Channel: "sms", ProviderID: "SM1", Code: "c", Detail: "d", ActorID: "x"}
		if err := tx.AppendEvent(ctx, &e); err != nil {
			return err
		}
		e.Type = "b"
		if err := tx.AppendEvent(ctx, &e); err != nil {
			return err
		}
		es, err := tx.ListEvents(ctx, gateway.EventFilter{})
		if err != nil {
			return err
		}
		if len(es) != 3 || es[0].Type != "before" || es[1].Type != "a" || es[2].Type != "b" {
			return fmt.Errorf("inside the transaction the log reads %v", types(es))
		}
		if a := es[1]; a.TenantID != 1 || !a.At.Equal(t0) || a.Actor != gateway.ActorCrew || a.ActorID != "x" ||
			a.RequestID != "rr_1" || a.PersonID != 7 || a.IP != "192.0.2.1" || a.Channel != "sms" ||
			a.ProviderID != "SM1" || a.Code != "c" || a.Detail != "d" {
			return fmt.Errorf("event fields: %+v", a)
		}
		for i := range many {
			ev := &gateway.Event{TenantID: 2, At: t0, Actor: gateway.ActorSystem, Type: fmt.Sprintf("m%03d", i)}
			if err := tx.AppendEvent(ctx, ev); err != nil {
				return err
			}
			added = append(added, ev)
		}
		n, err := tx.CountEvents(ctx, gateway.EventFilter{TenantID: 2})
		if err != nil {
			return err
		}
		if n != many {
			return fmt.Errorf("inside the transaction the log counts %d of %d", n, many)
		}
		return tx.AppendEvent(ctx, &gateway.Event{At: t0, Actor: gateway.ActorSystem, Type: "last"})
	}))
	for i, e := range added {
		if e.ID == 0 || (i > 0 && e.ID <= added[i-1].ID) || e.ID <= first.ID {
			t.Fatalf("event %d: id %d after %d", i, e.ID, added[max(i-1, 0)].ID)
		}
	}
	es, err := st.ListEvents(ctx, gateway.EventFilter{Limit: 10000})
	must(t, err)
	if len(es) != many+4 || es[0].Type != "before" || es[1].Type != "a" || es[2].Type != "b" || es[len(es)-1].Type != "last" {
		t.Fatalf("log after commit: %d events, %v ... %v", len(es), types(es[:min(3, len(es))]), types(es[max(len(es)-1, 0):]))
	}
	for i := range many {
		if e := es[3+i]; e.Type != fmt.Sprintf("m%03d", i) || e.ID != added[i].ID {
			t.Fatalf("event %d is %s (id %d), want m%03d (id %d)", 3+i, e.Type, e.ID, i, added[i].ID)
		}
	}

	boom := errors.New("boom")
	if err := st.WithTx(ctx, func(tx gateway.Store) error {
		if err := tx.AppendEvent(ctx, &gateway.Event{At: t0, Actor: gateway.ActorSystem, Type: "rolled_back"}); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("rollback: %v", err)
	}
	n, err := st.CountEvents(ctx, gateway.EventFilter{Types: []string{"rolled_back"}})
	must(t, err)
	if n != 0 {
		t.Fatalf("a rolled-back transaction left %d events", n)
	}
}

func types(es []*gateway.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Type
	}
	return out
}

// CreateDeliveries writes the rows CreateDelivery would, in order, with
// ascending ids, more than one insert's worth included.
func testCreateDeliveries(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	b, ok := st.(gateway.DeliveryBatcher)
	if !ok {
		t.Fatal("the store does not batch outbox rows")
	}
	tn := tenant(t, st, "acme")
	must(t, st.CreateReset(ctx, &gateway.ResetRequest{ID: "rr_batch", TenantID: tn.ID, TenantSlug: "acme",
		Source: gateway.SourceAPI, State: gateway.StateDelivering, CreatedAt: t0, UpdatedAt: t0}))
	one := delivery(t, st, tn.ID, gateway.PriorityReset, t0)
	var ds []*gateway.Delivery
	for i := range 150 {
		d := &gateway.Delivery{RequestID: "rr_batch", TenantID: tn.ID, Channel: gateway.ChannelSMS, Route: gateway.RouteTwilio,
			To: fmt.Sprintf("+1202555%04d", i), Body: []byte(fmt.Sprintf("body %d", i)), BodyKey: []byte("key"),
			Locale: "es", Status: gateway.DeliveryPending, NextAttemptAt: t0.Add(time.Duration(i) * time.Second),
			Priority: gateway.PriorityBulk, CreatedAt: t0, UpdatedAt: t0, RouteIndex: i % 3}
		if i == 0 {
			d.Priority, d.BodyKey = 0, nil // stored as a reset's; no data key
		}
		ds = append(ds, d)
	}
	must(t, st.WithTx(ctx, func(tx gateway.Store) error { return tx.(gateway.DeliveryBatcher).CreateDeliveries(ctx, ds[:2]) }))
	must(t, b.CreateDeliveries(ctx, ds[2:]))
	for i, d := range ds {
		if d.ID == 0 || d.ID <= one.ID || (i > 0 && d.ID <= ds[i-1].ID) {
			t.Fatalf("delivery %d: id %d", i, d.ID)
		}
		got, err := st.Delivery(ctx, d.ID)
		must(t, err)
		wantPrio, wantKey := gateway.PriorityBulk, "key"
		if i == 0 {
			wantPrio, wantKey = gateway.PriorityReset, ""
		}
		if got.RequestID != "rr_batch" || got.TenantID != tn.ID || got.Channel != gateway.ChannelSMS ||
			got.Route != gateway.RouteTwilio || got.To != d.To || string(got.Body) != fmt.Sprintf("body %d", i) ||
			string(got.BodyKey) != wantKey || got.Locale != "es" || got.Status != gateway.DeliveryPending ||
			!got.NextAttemptAt.Equal(d.NextAttemptAt) || got.Priority != wantPrio || !got.CreatedAt.Equal(t0) ||
			got.RouteIndex != i%3 || got.Unrecorded || !got.FirstAttemptAt.IsZero() {
			t.Fatalf("delivery %d as stored: %+v", i, got)
		}
	}
	r, err := st.Reset(ctx, "rr_batch")
	must(t, err)
	if !slices.Equal(ids(r.Deliveries), ids(ds)) {
		t.Fatalf("the request holds %v", ids(r.Deliveries))
	}
	must(t, b.CreateDeliveries(ctx, nil))
}
