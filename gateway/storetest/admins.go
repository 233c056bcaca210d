package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

func testAdmins(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	op := &gateway.Admin{Email: "op@x.example", PasswordHash: "$argon2id$a", CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateAdmin(ctx, op))
	ta := &gateway.Admin{TenantID: 3, Email: "boss@acme.example", PasswordHash: "$argon2id$b", CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateAdmin(ctx, ta))
	// Unique across tenants: the login form names none.
	dup := &gateway.Admin{TenantID: 4, Email: "boss@acme.example", PasswordHash: "x", CreatedAt: t0, UpdatedAt: t0}
	if err := st.CreateAdmin(ctx, dup); gateway.ErrorCode(err) != "admin_exists" {
		t.Fatalf("duplicate admin: %v", err)
	}
	ta.Disabled, ta.LastLoginAt, ta.PasswordHash, ta.UpdatedAt = true, t0.Add(time.Hour), "$argon2id$c", t0.Add(time.Hour)
	must(t, st.UpdateAdmin(ctx, ta))
	got, err := st.AdminByEmail(ctx, "boss@acme.example")
	if err != nil || got.ID != ta.ID || !got.Disabled || got.PasswordHash != "$argon2id$c" || got.TenantID != 3 ||
		!got.LastLoginAt.Equal(t0.Add(time.Hour)) || !got.CreatedAt.Equal(t0) {
		t.Fatalf("admin: %+v %v", got, err)
	}
	if got, err := st.AdminByID(ctx, op.ID); err != nil || got.Email != op.Email {
		t.Fatalf("by id: %+v %v", got, err)
	}
	list, err := st.ListAdmins(ctx)
	if err != nil || len(list) != 2 || list[0].ID != op.ID || list[1].ID != ta.ID {
		t.Fatalf("list: %v %v", list, err)
	}
	if err := st.UpdateAdmin(ctx, &gateway.Admin{ID: 9999}); !gateway.IsNotFound(err) {
		t.Fatalf("update of no admin: %v", err)
	}
}

func testAdminSessions(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	a := &gateway.Admin{Email: "op@x.example", PasswordHash: "x", CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateAdmin(ctx, a))
	b := &gateway.Admin{Email: "op2@x.example", PasswordHash: "x", CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateAdmin(ctx, b))
	mk := func(h string, admin int64, seen, expires time.Time) {
		must(t, st.CreateAdminSession(ctx, &gateway.AdminSession{Hash: []byte(h), AdminID: admin, IP: "192.0.2.9",
			CreatedAt: t0, SeenAt: seen, ExpiresAt: expires}))
	}
	mk("h1", a.ID, t0, t0.Add(12*time.Hour))
	mk("h2", a.ID, t0, t0.Add(12*time.Hour))
	mk("h3", b.ID, t0, t0.Add(time.Hour))
	wantKind(t, "same hash", st.CreateAdminSession(ctx, &gateway.AdminSession{Hash: []byte("h1"), AdminID: b.ID,
		CreatedAt: t0, SeenAt: t0, ExpiresAt: t0}), gateway.KindConflict)
	got, err := st.AdminSession(ctx, []byte("h1"))
	if err != nil || got.AdminID != a.ID || got.IP != "192.0.2.9" || !got.ExpiresAt.Equal(t0.Add(12*time.Hour)) {
		t.Fatalf("session: %+v %v", got, err)
	}
	later := t0.Add(90 * time.Minute)
	must(t, st.TouchAdminSession(ctx, []byte("h1"), later))
	if got, _ := st.AdminSession(ctx, []byte("h1")); !got.SeenAt.Equal(later) {
		t.Fatalf("touch: %+v", got)
	}
	// h3 expired, h2 idle too long; h1 was seen lately.
	must(t, st.PruneAdminSessions(ctx, t0.Add(gateway.SessionIdle+time.Minute)))
	for h, alive := range map[string]bool{"h1": true, "h2": false, "h3": false} {
		if _, err := st.AdminSession(ctx, []byte(h)); gateway.IsNotFound(err) == alive {
			t.Errorf("%s after prune: %v", h, err)
		}
	}
	mk("h4", a.ID, later, t0.Add(12*time.Hour))
	must(t, st.DeleteAdminSession(ctx, []byte("h4")))
	if err := st.DeleteAdminSession(ctx, []byte("h4")); !gateway.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
	if err := st.TouchAdminSession(ctx, []byte("h4"), later); !gateway.IsNotFound(err) {
		t.Fatalf("touch of a deleted session: %v", err)
	}
	mk("h5", a.ID, later, t0.Add(12*time.Hour))
	must(t, st.DeleteAdminSessions(ctx, a.ID))
	for _, h := range []string{"h1", "h5"} {
		if _, err := st.AdminSession(ctx, []byte(h)); !gateway.IsNotFound(err) {
			t.Errorf("%s outlived DeleteAdminSessions: %v", h, err)
		}
	}
}

func testOverview(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	acme, beta := tenant(t, st, "acme"), tenant(t, st, "beta")
	for i, r := range []struct {
		tenant int64
		state  gateway.ResetState
		at     time.Time
	}{
		{acme.ID, gateway.StateDelivered, t0}, {acme.ID, gateway.StateDelivered, t0},
		{acme.ID, gateway.StateRolledBack, t0}, {beta.ID, gateway.StateDelivered, t0},
		{acme.ID, gateway.StateDelivered, t0.Add(-25 * time.Hour)},
	} {
		must(t, st.CreateReset(ctx, &gateway.ResetRequest{ID: "rr_" + string(rune('a'+i)), TenantID: r.tenant,
			Source: gateway.SourceAPI, State: r.state, CreatedAt: r.at, UpdatedAt: r.at}))
	}
	since := t0.Add(-time.Hour)
	counts, err := st.CountResets(ctx, acme.ID, since)
	if err != nil || counts[gateway.StateDelivered] != 2 || counts[gateway.StateRolledBack] != 1 || len(counts) != 2 {
		t.Fatalf("counts: %v %v", counts, err)
	}
	if all, _ := st.CountResets(ctx, 0, since); all[gateway.StateDelivered] != 3 {
		t.Fatalf("all tenants: %v", all)
	}
	upd := func(tn int64, route gateway.Route, status gateway.DeliveryStatus, attempts int, code string, at time.Time) {
		d := deliveryVia(t, st, tn, route, 0, t0)
		d.Status, d.Attempts, d.ErrorCode, d.ErrorDetail, d.UpdatedAt = status, attempts, code, "detail "+code, at
		must(t, st.UpdateDelivery(ctx, d))
	}
	upd(acme.ID, gateway.RouteEmail, gateway.DeliverySent, 1, "", t0)
	upd(acme.ID, gateway.RouteEmail, gateway.DeliveryDelivered, 1, "", t0.Add(time.Minute))
	upd(acme.ID, gateway.RouteTwilio, gateway.DeliveryFailed, 3, "21211", t0)
	upd(acme.ID, gateway.RouteTwilio, gateway.DeliveryPending, 1, "30001", t0.Add(time.Minute))
	upd(acme.ID, gateway.RouteTwilio, gateway.DeliverySent, 1, "", t0.Add(-2*time.Hour)) // before since
	upd(beta.ID, gateway.RouteTwilio, gateway.DeliverySent, 1, "", t0)
	stats, err := st.RouteStats(ctx, acme.ID, since)
	if err != nil || len(stats) != 2 {
		t.Fatalf("stats: %+v %v", stats, err)
	}
	em, tw := stats[0], stats[1]
	if em.Route != gateway.RouteEmail || em.Sent != 2 || em.Failed != 0 || !em.LastSentAt.Equal(t0.Add(time.Minute)) || !em.LastErrorAt.IsZero() {
		t.Fatalf("email stats: %+v", em)
	}
	if tw.Route != gateway.RouteTwilio || tw.Sent != 0 || tw.Failed != 1 || tw.Retrying != 1 ||
		!tw.LastErrorAt.Equal(t0.Add(time.Minute)) || tw.LastError != "30001 detail 30001" {
		t.Fatalf("twilio stats: %+v", tw)
	}
	if all, _ := st.RouteStats(ctx, 0, since); all[1].Sent != 1 {
		t.Fatalf("all tenants: %+v", all)
	}
}
