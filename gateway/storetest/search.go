package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// testSearchFolded: a search ignores accents and case, on records written
// by the store and on records from before the search key (filled when the
// store opens); the count is the list's total.
func testSearchFolded(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	acme := tenant(t, st, "acme")
	jose := person(t, st, acme.ID, "jgarcia@acme.example")
	jose.Name = "José García"
	must(t, st.UpdatePerson(ctx, jose))
	zoe := person(t, st, acme.ID, "zoe@acme.example")
	zoe.Name = "ZOË Łukasik"
	must(t, st.UpdatePerson(ctx, zoe))
	fresh := &gateway.Person{TenantID: acme.ID, Name: "Renée Dubé", Email: "RDube@acme.example", Status: gateway.StatusActive,
		Locale: "en", CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreatePerson(ctx, fresh))
	person(t, st, acme.ID, "ann@acme.example")

	find := func(st gateway.Store, q string) []string {
		t.Helper()
		ps, err := st.ListPersonnel(ctx, gateway.PersonFilter{TenantID: acme.ID, Query: q})
		must(t, err)
		n, err := st.CountPersonnel(ctx, gateway.PersonFilter{TenantID: acme.ID, Query: q, Limit: 1, Offset: 5})
		must(t, err)
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		if n != len(out) {
			t.Errorf("%q: count %d, listed %d", q, n, len(out))
		}
		return out
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"garcia", []string{"José García"}},
		{"GARCÍA", []string{"José García"}},
		{"jose g", []string{"José García"}},
		{"zoe luk", []string{"ZOË Łukasik"}},
		{"renee", []string{"Renée Dubé"}},
		{"rdube@", []string{"Renée Dubé"}}, // the email, case aside
		{"DUBÉ", []string{"Renée Dubé"}},
		{"nobody", nil},
	} {
		if got := find(st, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("search %q: %v, want %v", tc.q, got, tc.want)
		}
	}
	n, err := st.CountPersonnel(ctx, gateway.PersonFilter{TenantID: acme.ID})
	must(t, err)
	if n != 4 {
		t.Fatalf("count: %d, want 4", n)
	}

	// A database from before the key: the rows carry '' until the store
	// opens again and folds them.
	if o.Exec == nil || o.Reopen == nil {
		return
	}
	must(t, o.Exec(ctx, `UPDATE personnel SET search_key = ''`))
	if got := find(st, "garcia"); got != nil {
		t.Fatalf("without keys: %v", got)
	}
	again := o.Reopen(t)
	if got := find(again, "garcia"); !slices.Equal(got, []string{"José García"}) {
		t.Fatalf("after the backfill: %v", got)
	}
	if got := find(again, "zoe"); !slices.Equal(got, []string{"ZOË Łukasik"}) {
		t.Fatalf("after the backfill: %v", got)
	}
}

// testCountEvents: the log's total follows the filter, not the page.
func testCountEvents(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	acme, beta := tenant(t, st, "acme"), tenant(t, st, "beta")
	for i := range 7 {
		typ := "login_failed"
		if i%2 == 0 {
			typ = "password_set"
		}
		must(t, st.AppendEvent(ctx, &gateway.Event{TenantID: acme.ID, At: t0, Actor: "crew", Type: typ, PersonID: int64(i%3 + 1)}))
	}
	must(t, st.AppendEvent(ctx, &gateway.Event{TenantID: beta.ID, At: t0, Actor: "crew", Type: "password_set"}))
	for _, tc := range []struct {
		f    gateway.EventFilter
		want int
	}{
		{gateway.EventFilter{}, 8},
		{gateway.EventFilter{TenantID: acme.ID}, 7},
		{gateway.EventFilter{TenantID: acme.ID, Types: []string{"password_set"}}, 4},
		{gateway.EventFilter{TenantID: acme.ID, PersonID: 1}, 3},
		{gateway.EventFilter{TenantID: acme.ID, Desc: true, Limit: 2, Offset: 4, BeforeID: 100}, 7},
	} {
		n, err := st.CountEvents(ctx, tc.f)
		must(t, err)
		if n != tc.want {
			t.Errorf("%+v: %d, want %d", tc.f, n, tc.want)
		}
	}
	// Offset pages the list itself, newest first.
	evs, err := st.ListEvents(ctx, gateway.EventFilter{TenantID: acme.ID, Desc: true, Limit: 2, Offset: 2})
	must(t, err)
	all, err := st.ListEvents(ctx, gateway.EventFilter{TenantID: acme.ID, Desc: true, Limit: 10})
	must(t, err)
	if len(evs) != 2 || evs[0].ID != all[2].ID || evs[1].ID != all[3].ID {
		t.Fatalf("offset page: %v of %v", evs, all)
	}
}

// testResetsByPerson: a person page lists that person's requests only.
func testResetsByPerson(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := tenant(t, st, "acme")
	a, b := person(t, st, tn.ID, "a@acme.example"), person(t, st, tn.ID, "b@acme.example")
	for i, pid := range []int64{a.ID, b.ID, a.ID} {
		at := t0.Add(time.Duration(i) * time.Minute)
		must(t, st.CreateReset(ctx, &gateway.ResetRequest{ID: "rp_" + string(rune('a'+i)), TenantID: tn.ID, PersonID: pid,
			Source: gateway.SourceAPI, State: gateway.StateRolledBack, CreatedAt: at, UpdatedAt: at}))
	}
	rs, err := st.ListResets(ctx, gateway.ResetFilter{TenantID: tn.ID, PersonID: a.ID})
	must(t, err)
	if len(rs) != 2 || rs[0].ID != "rp_c" || rs[1].ID != "rp_a" {
		t.Fatalf("a's requests: %v", rs)
	}
}
