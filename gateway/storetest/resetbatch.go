package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// CreateResets writes the rows CreateReset would, every column, more than
// one insert's worth and counts that are no power of two included, inside
// a transaction and out; a duplicate id fails the whole call.
func testCreateResets(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	b, ok := st.(gateway.ResetBatcher)
	if !ok {
		t.Fatal("the store does not batch requests")
	}
	tn := tenant(t, st, "acme")
	var rs []*gateway.ResetRequest
	for i := range 300 {
		r := &gateway.ResetRequest{ID: fmt.Sprintf("rr_b%03d", i), TenantSlug: "acme", Email: fmt.Sprintf("c%d@acme.example", i),
			Phone: fmt.Sprintf("+1202555%04d", i), Source: gateway.SourceAPI, IP: "192.0.2.7", State: gateway.StateReceived,
			CreatedAt: t0.Add(time.Duration(i) * time.Millisecond), UpdatedAt: t0.Add(time.Duration(i) * time.Millisecond)}
		if i%7 == 3 {
			r.TenantID, r.Source, r.State, r.Reason = tn.ID, gateway.SourceSMS, gateway.StateRejected, gateway.ReasonNoMatch
			r.TempHash, r.LinkHash, r.ExpiresAt = []byte("temp"), []byte(fmt.Sprintf("link%d", i)), t0.Add(time.Hour)
		}
		rs = append(rs, r)
	}
	must(t, st.WithTx(ctx, func(tx gateway.Store) error { return tx.(gateway.ResetBatcher).CreateResets(ctx, rs[:23]) }))
	must(t, b.CreateResets(ctx, rs[23:]))
	must(t, b.CreateResets(ctx, nil))
	for i, want := range rs {
		got, err := st.Reset(ctx, want.ID)
		must(t, err)
		if got.TenantID != want.TenantID || got.TenantSlug != "acme" || got.Email != want.Email || got.Phone != want.Phone ||
			got.Source != want.Source || got.IP != want.IP || got.State != want.State || got.Reason != want.Reason ||
			string(got.TempHash) != string(want.TempHash) || string(got.LinkHash) != string(want.LinkHash) ||
			!got.ExpiresAt.Equal(want.ExpiresAt) || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) ||
			len(got.Deliveries) != 0 {
			t.Fatalf("request %d as stored: %+v", i, got)
		}
	}
	dup := []*gateway.ResetRequest{
		{ID: "rr_fresh", Source: gateway.SourceAPI, State: gateway.StateReceived, CreatedAt: t0, UpdatedAt: t0},
		{ID: rs[5].ID, Source: gateway.SourceAPI, State: gateway.StateReceived, CreatedAt: t0, UpdatedAt: t0},
	}
	if err := st.WithTx(ctx, func(tx gateway.Store) error { return tx.(gateway.ResetBatcher).CreateResets(ctx, dup) }); err == nil {
		t.Fatal("a batch with a taken id was written")
	}
	if _, err := st.Reset(ctx, "rr_fresh"); !gateway.IsNotFound(err) {
		t.Fatalf("the failed batch left its other request: %v", err)
	}
}

// ResetOnly reads what Reset does, without the outbox rows.
func testResetOnly(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	rd, ok := st.(gateway.ResetOnlyReader)
	if !ok {
		t.Fatal("the store does not read requests alone")
	}
	tn := tenant(t, st, "acme")
	r := &gateway.ResetRequest{ID: "rr_only", TenantID: tn.ID, TenantSlug: "acme", Email: "a@acme.example", Phone: "+12025550100",
		Source: gateway.SourceAPI, IP: "192.0.2.1", State: gateway.StateDelivering, TempHash: []byte("h"),
		ExpiresAt: t0.Add(time.Hour), CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateReset(ctx, r))
	must(t, st.CreateDelivery(ctx, &gateway.Delivery{RequestID: r.ID, TenantID: tn.ID, Channel: gateway.ChannelSMS,
		Route: gateway.RouteTwilio, To: r.Phone, Body: []byte("b"), Status: gateway.DeliveryPending, NextAttemptAt: t0,
		CreatedAt: t0, UpdatedAt: t0}))
	full, err := st.Reset(ctx, r.ID)
	must(t, err)
	for _, inTx := range []bool{false, true} {
		var got *gateway.ResetRequest
		read := func(s gateway.Store) (err error) {
			got, err = s.(gateway.ResetOnlyReader).ResetOnly(ctx, r.ID)
			return err
		}
		if inTx {
			must(t, st.WithTx(ctx, read))
		} else {
			must(t, read(st))
		}
		if len(full.Deliveries) != 1 || got.Deliveries != nil {
			t.Fatalf("outbox rows: Reset %d, ResetOnly %v", len(full.Deliveries), got.Deliveries)
		}
		got.Deliveries = full.Deliveries
		if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *full) {
			t.Fatalf("ResetOnly read\n%+v\nReset read\n%+v", *got, *full)
		}
	}
	if _, err := rd.ResetOnly(ctx, "rr_none"); !gateway.IsNotFound(err) {
		t.Fatalf("a missing request: %v", err)
	}
}
