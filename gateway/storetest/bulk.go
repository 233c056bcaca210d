package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// testTagsAndLastLogin: tags and the last login round-trip, edits
// replace the tags, and the personnel list filters by tag.
func testTagsAndLastLogin(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn, other := tenant(t, st, "acme"), tenant(t, st, "other")
	p := &gateway.Person{TenantID: tn.ID, Name: "Ana", Email: "ana@acme.example", Status: gateway.StatusActive,
		MobileAccess: true, AllowMobileReset: true, Locale: "en", Tags: []string{"crew-a", "spring-2027"},
		CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreatePerson(ctx, p))
	person(t, st, tn.ID, "bo@acme.example")
	q := &gateway.Person{TenantID: other.ID, Name: "Cy", Email: "cy@other.example", Status: gateway.StatusActive,
		MobileAccess: true, Locale: "en", Tags: []string{"crew-a"}, CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreatePerson(ctx, q))
	got, err := st.Person(ctx, tn.ID, p.ID)
	must(t, err)
	if !slices.Equal(got.Tags, []string{"crew-a", "spring-2027"}) || !got.LastLoginAt.IsZero() {
		t.Fatalf("tags %v, last login %v", got.Tags, got.LastLoginAt)
	}
	must(t, st.SetLastLogin(ctx, p.ID, t0))
	got.Tags = []string{"crew-b"}
	must(t, st.UpdatePerson(ctx, got))
	got, err = st.PersonByEmail(ctx, tn.ID, "ana@acme.example")
	must(t, err)
	if !slices.Equal(got.Tags, []string{"crew-b"}) || !got.LastLoginAt.Equal(t0) {
		t.Fatalf("after update: tags %v, last login %v", got.Tags, got.LastLoginAt)
	}
	list, err := st.ListPersonnel(ctx, gateway.PersonFilter{TenantID: tn.ID, Tag: "crew-b"})
	must(t, err)
	if len(list) != 1 || list[0].ID != p.ID || !slices.Equal(list[0].Tags, []string{"crew-b"}) {
		t.Fatalf("list by tag: %+v", list)
	}
	if list, _ := st.ListPersonnel(ctx, gateway.PersonFilter{TenantID: tn.ID, Tag: "crew-a"}); len(list) != 0 {
		t.Fatalf("old tag still lists %d", len(list))
	}
	// A tag filter never reaches another tenant's people.
	targets, err := st.BulkTargets(ctx, gateway.TargetQuery{TenantID: tn.ID, Tag: "crew-a"}, 100)
	must(t, err)
	if len(targets) != 0 {
		t.Fatalf("another tenant's crew-a selected: %+v", targets)
	}
	targets, err = st.BulkTargets(ctx, gateway.TargetQuery{TenantID: tn.ID, LoginBefore: t0.Add(1)}, 100)
	must(t, err)
	if len(targets) != 2 {
		t.Fatalf("login before: %+v", targets)
	}
	targets, err = st.BulkTargets(ctx, gateway.TargetQuery{TenantID: tn.ID, LoginBefore: t0}, 100)
	must(t, err)
	if len(targets) != 1 || targets[0].Email != "bo@acme.example" || !targets[0].MobileAccess {
		t.Fatalf("never logged in: %+v", targets)
	}
	must(t, st.DeletePerson(ctx, tn.ID, p.ID)) // its tags go with it
}

// testBulkJobs: a job and its items, the conditional moves that keep two
// feeders from starting one person twice, and the progress counts.
func testBulkJobs(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := tenant(t, st, "acme")
	a, b, c := person(t, st, tn.ID, "a@acme.example"), person(t, st, tn.ID, "b@acme.example"), person(t, st, tn.ID, "c@acme.example")
	j := &gateway.BulkJob{ID: "bj_1", TenantID: tn.ID, Action: gateway.BulkReset, State: gateway.BulkRunning,
		Filter: gateway.BulkFilter{Tag: "crew-a", Emails: []string{"a@acme.example"}}, Total: 3, ActorID: "token",
		CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateBulkJob(ctx, j, []int64{a.ID, b.ID, c.ID}))
	got, err := st.BulkJob(ctx, "bj_1")
	must(t, err)
	if got.Total != 3 || got.Filter.Tag != "crew-a" || got.Action != gateway.BulkReset || !got.CreatedAt.Equal(t0) {
		t.Fatalf("job %+v", got)
	}
	if _, err := st.BulkJob(ctx, "bj_none"); !gateway.IsNotFound(err) {
		t.Fatalf("missing job: %v", err)
	}
	items, err := st.BulkItems(ctx, "bj_1", gateway.ItemWaiting, 2)
	must(t, err)
	if len(items) != 2 || items[0].PersonID != a.ID || items[1].PersonID != b.ID {
		t.Fatalf("items %+v", items)
	}
	r := &gateway.ResetRequest{ID: "rr_bulk1", TenantID: tn.ID, Email: a.Email, Source: gateway.SourceBulk,
		State: gateway.StateReceived, CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateReset(ctx, r))
	if n, err := st.ReceivedBulkResets(ctx); err != nil || n != 1 {
		t.Fatalf("received bulk resets %d, %v", n, err)
	}
	it := items[0]
	it.State, it.RequestID = gateway.ItemQueued, r.ID
	if ok, err := st.MoveBulkItem(ctx, it, gateway.ItemWaiting); err != nil || !ok {
		t.Fatalf("first move: %v %v", ok, err)
	}
	if ok, err := st.MoveBulkItem(ctx, it, gateway.ItemWaiting); err != nil || ok {
		t.Fatalf("second move of the same item succeeded: %v %v", ok, err)
	}
	skip := items[1]
	skip.State = gateway.ItemSkipped
	_, err = st.MoveBulkItem(ctx, skip, gateway.ItemWaiting)
	must(t, err)

	counts, err := st.BulkCounts(ctx, "bj_1")
	must(t, err)
	if counts.Total != 3 || counts.Waiting != 2 || counts.Skipped != 1 || counts.Sent != 0 {
		t.Fatalf("counts before sending: %+v", counts)
	}
	r.State, r.PersonID = gateway.StateDelivered, a.ID
	must(t, st.UpdateReset(ctx, r))
	d := delivery(t, st, tn.ID, gateway.PriorityBulk, t0)
	sms := deliveryVia(t, st, tn.ID, gateway.RouteTwilio, gateway.PriorityBulk, t0)
	// The helper makes deliveries without a request: tie them to it.
	must(t, o.Exec(ctx, "UPDATE deliveries SET request_id = 'rr_bulk1'"))
	sms.RequestID = r.ID
	d.RequestID, d.Status = r.ID, gateway.DeliveryDelivered
	must(t, st.UpdateDelivery(ctx, d))
	counts, err = st.BulkCounts(ctx, "bj_1")
	must(t, err)
	if counts.Sent != 1 || counts.Delivered != 1 || counts.Waiting != 1 || counts.Pending[gateway.RouteTwilio] != 1 ||
		counts.Remaining() != 1 {
		t.Fatalf("counts after a delivery: %+v", counts)
	}
	if ok, err := st.SetBulkJobState(ctx, "bj_1", gateway.BulkRunning, gateway.BulkCancelled, t0); err != nil || !ok {
		t.Fatalf("cancel: %v %v", ok, err)
	}
	if ok, err := st.SetBulkJobState(ctx, "bj_1", gateway.BulkRunning, gateway.BulkDone, t0); err != nil || ok {
		t.Fatalf("done after cancel: %v %v", ok, err)
	}
	other := tenant(t, st, "other")
	must(t, st.CreateBulkJob(ctx, &gateway.BulkJob{ID: "bj_2", TenantID: other.ID, Action: gateway.BulkActivate,
		State: gateway.BulkRunning, Total: 0, CreatedAt: t0.Add(1), UpdatedAt: t0}, nil))
	jobs, err := st.ListBulkJobs(ctx, tn.ID, "", 10)
	must(t, err)
	if len(jobs) != 1 || jobs[0].ID != "bj_1" || jobs[0].State != gateway.BulkCancelled {
		t.Fatalf("tenant's jobs: %+v", jobs)
	}
	jobs, err = st.ListBulkJobs(ctx, 0, gateway.BulkRunning, 10)
	must(t, err)
	if len(jobs) != 1 || jobs[0].ID != "bj_2" {
		t.Fatalf("running jobs: %+v", jobs)
	}
}

// testTagCounts: the tags a tenant's people carry, counted, by tag, and
// never another tenant's.
func testTagCounts(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn, other := tenant(t, st, "acme"), tenant(t, st, "other")
	for i, tags := range [][]string{{"crew-a", "spring-2027"}, {"crew-a"}, nil} {
		must(t, st.CreatePerson(ctx, &gateway.Person{TenantID: tn.ID, Name: "P", Email: string(rune('a'+i)) + "@acme.example",
			Status: gateway.StatusActive, Locale: "en", Tags: tags, CreatedAt: t0, UpdatedAt: t0}))
	}
	must(t, st.CreatePerson(ctx, &gateway.Person{TenantID: other.ID, Name: "Q", Email: "q@other.example",
		Status: gateway.StatusActive, Locale: "en", Tags: []string{"zeta", "crew-a"}, CreatedAt: t0, UpdatedAt: t0}))
	got, err := st.TagCounts(ctx, tn.ID)
	must(t, err)
	want := []gateway.TagCount{{Tag: "crew-a", People: 2}, {Tag: "spring-2027", People: 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("acme's tags: %+v, want %+v", got, want)
	}
	all, err := st.TagCounts(ctx, 0)
	must(t, err)
	if !slices.Equal(all, []gateway.TagCount{{Tag: "crew-a", People: 3}, {Tag: "spring-2027", People: 1}, {Tag: "zeta", People: 1}}) {
		t.Fatalf("every tenant's tags: %+v", all)
	}
	none, err := st.TagCounts(ctx, tenant(t, st, "empty").ID)
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("a tenant without tags: %+v", none)
	}
}
