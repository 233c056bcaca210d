package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// testResetBuckets: requests are counted by bucket and state in the
// store, for a tenant or everyone, for one person or all, and nothing
// outside the window counts.
func testResetBuckets(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	acme, beta := tenant(t, st, "acme"), tenant(t, st, "beta")
	dana := person(t, st, acme.ID, "dana@acme.example")
	since := t0.Add(-3 * time.Hour)
	for i, r := range []struct {
		tenant, person int64
		state          gateway.ResetState
		at             time.Time
	}{
		{acme.ID, dana.ID, gateway.StateDelivered, since},                       // first instant of bucket 0
		{acme.ID, dana.ID, gateway.StateDelivered, since.Add(59 * time.Minute)}, // still bucket 0
		{acme.ID, 0, gateway.StateRejected, since.Add(time.Hour)},               // bucket 1
		{acme.ID, dana.ID, gateway.StateRolledBack, since.Add(150 * time.Minute)},
		{acme.ID, 0, gateway.StateRejected, since.Add(150 * time.Minute)},
		{beta.ID, 0, gateway.StateDelivered, since.Add(10 * time.Minute)},
		{acme.ID, dana.ID, gateway.StateDelivered, since.Add(-time.Nanosecond)}, // before the window
		{acme.ID, dana.ID, gateway.StateDelivered, since.Add(3 * time.Hour)},    // after it
	} {
		rr := &gateway.ResetRequest{ID: fmt.Sprintf("rr_b%d", i), TenantID: r.tenant, PersonID: r.person,
			Source: gateway.SourceAPI, State: r.state, CreatedAt: r.at, UpdatedAt: r.at}
		must(t, st.CreateReset(ctx, rr))
	}
	q := gateway.BucketQuery{TenantID: acme.ID, Since: since, Width: time.Hour, Buckets: 3}
	got, err := st.ResetBuckets(ctx, q)
	b := func(i int, s gateway.ResetState, n int) gateway.ResetBucket {
		return gateway.ResetBucket{Index: i, State: s, Count: n}
	}
	want := []gateway.ResetBucket{b(0, gateway.StateDelivered, 2), b(1, gateway.StateRejected, 1),
		b(2, gateway.StateRejected, 1), b(2, gateway.StateRolledBack, 1)}
	sortBuckets(got)
	sortBuckets(want)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("acme buckets: %v %v, want %v", got, err, want)
	}
	q.TenantID = 0
	all, err := st.ResetBuckets(ctx, q)
	if err != nil || sum(all, 0) != 3 {
		t.Fatalf("every tenant: %v %v", all, err)
	}
	q.TenantID, q.PersonID = acme.ID, dana.ID
	mine, err := st.ResetBuckets(ctx, q)
	if err != nil || sum(mine, 0) != 2 || sum(mine, 1) != 0 || sum(mine, 2) != 1 {
		t.Fatalf("one person: %v %v", mine, err)
	}
	if none, err := st.ResetBuckets(ctx, gateway.BucketQuery{TenantID: acme.ID, Since: since}); err != nil || len(none) != 0 {
		t.Fatalf("no buckets asked: %v %v", none, err)
	}
}

func sortBuckets(bs []gateway.ResetBucket) {
	slices.SortFunc(bs, func(a, b gateway.ResetBucket) int {
		if a.Index != b.Index {
			return a.Index - b.Index
		}
		if a.State < b.State {
			return -1
		} else if a.State > b.State {
			return 1
		}
		return 0
	})
}

func sum(bs []gateway.ResetBucket, index int) int {
	n := 0
	for _, b := range bs {
		if b.Index == index {
			n += b.Count
		}
	}
	return n
}

// testConsoleAdminFields: an admin's forced change, a tenant's switch-off
// and its time zone survive a round trip.
func testConsoleAdminFields(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	ad := &gateway.Admin{TenantID: 3, Email: "new@acme.example", PasswordHash: "$argon2id$a", MustChange: true,
		CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateAdmin(ctx, ad))
	if got, err := st.AdminByID(ctx, ad.ID); err != nil || !got.MustChange {
		t.Fatalf("must change after create: %+v %v", got, err)
	}
	ad.MustChange = false
	must(t, st.UpdateAdmin(ctx, ad))
	if got, err := st.AdminByEmail(ctx, ad.Email); err != nil || got.MustChange {
		t.Fatalf("must change after update: %+v %v", got, err)
	}
	tn := tenant(t, st, "zoned")
	if tn.TimeZone != "" || tn.Disabled {
		t.Fatalf("defaults: %+v", tn)
	}
	tn.TimeZone, tn.Disabled = "America/Chicago", true
	must(t, st.UpdateTenant(ctx, tn))
	got, err := st.TenantBySlug(ctx, "zoned")
	if err != nil || got.TimeZone != "America/Chicago" || !got.Disabled {
		t.Fatalf("tenant: %+v %v", got, err)
	}
	created := gateway.NewTenant("born-off", "Born off")
	created.TimeZone, created.Disabled, created.CreatedAt = "Europe/Madrid", true, t0
	must(t, st.CreateTenant(ctx, created))
	if got, err := st.TenantByID(ctx, created.ID); err != nil || got.TimeZone != "Europe/Madrid" || !got.Disabled {
		t.Fatalf("created: %+v %v", got, err)
	}
}
