package gateway_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
)

func tagged(tags ...string) personOpt { return func(in *gateway.PersonInput) { in.Tags = tags } }

func inactive() personOpt { return func(in *gateway.PersonInput) { in.Status = "inactive" } }

// crew adds n people tagged tag, crewN@acme.example, with texts when
// withPhone.
func (e *env) crew(n int, tag string, withPhone bool) []*gateway.Person {
	e.t.Helper()
	var out []*gateway.Person
	for i := range n {
		phone := ""
		if withPhone {
			phone = fmt.Sprintf("+1201555%04d", 100+i%100)
			if i >= 100 {
				phone = ""
			}
		}
		out = append(out, e.person(fmt.Sprintf("%s-%d@acme.example", tag, i), phone, "", tagged(tag, "spring-2027")))
	}
	return out
}

func (e *env) job(id string) *gateway.BulkStatus {
	e.t.Helper()
	st, err := e.svc.BulkJob(e.ctx, operator, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) bulkEvents(typ string) []*gateway.Event {
	e.t.Helper()
	evs, err := e.store.ListEvents(e.ctx, gateway.EventFilter{Types: []string{typ}, Limit: 100000})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// TestBulkDryRunCounts: a preview counts exactly who the action changes,
// by each filter and their combination, and changes nothing.
func TestBulkDryRunCounts(t *testing.T) {
	e := newEnv(t, false)
	e.crew(3, "crew-a", false)
	e.person("old@acme.example", "", "", tagged("crew-a"), inactive())
	e.person("other@acme.example", "", "", tagged("crew-b"))
	ana := e.person("ana@acme.example", "", "")
	e.mustLogin("ana@acme.example", original)
	if p, _ := e.svc.Person(e.ctx, operator, "", ana.ID); p.LastLoginAt.IsZero() {
		t.Fatal("a login did not record the last login")
	}
	for _, tc := range []struct {
		name   string
		action gateway.BulkAction
		f      gateway.BulkFilter
		want   int
	}{
		{"tag", gateway.BulkReset, gateway.BulkFilter{Tag: "crew-a"}, 3}, // the inactive one cannot have a reset
		{"tag any case", gateway.BulkReset, gateway.BulkFilter{Tag: " Crew-A "}, 3},
		{"activate tag", gateway.BulkActivate, gateway.BulkFilter{Tag: "crew-a"}, 1},
		{"deactivate status", gateway.BulkDeactivate, gateway.BulkFilter{Status: "active"}, 5},
		{"emails", gateway.BulkMobileOff, gateway.BulkFilter{Emails: []string{"ANA@acme.example", "nobody@acme.example"}}, 1},
		{"emails and tag", gateway.BulkReset, gateway.BulkFilter{Tag: "crew-b", Emails: []string{"ana@acme.example"}}, 0},
		{"never logged in", gateway.BulkReset, gateway.BulkFilter{LastLoginBefore: "2026-01-01"}, 4},
		{"logged in before tomorrow", gateway.BulkReset, gateway.BulkFilter{LastLoginBefore: e.clock().Add(time.Hour).Format(time.RFC3339)}, 5},
	} {
		p, err := e.svc.PreviewBulk(e.ctx, operator, gateway.BulkInput{Action: tc.action, Filter: tc.f})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.Count != tc.want || len(p.Sample) != tc.want {
			t.Errorf("%s: count %d sample %d, want %d", tc.name, p.Count, len(p.Sample), tc.want)
		}
	}
	for _, tc := range []struct {
		in   gateway.BulkInput
		code string
	}{
		{gateway.BulkInput{Action: gateway.BulkReset}, "filter_required"},
		{gateway.BulkInput{Action: "delete", Filter: gateway.BulkFilter{Tag: "crew-a"}}, "bulk_action_invalid"},
		{gateway.BulkInput{Action: gateway.BulkReset, Filter: gateway.BulkFilter{Tag: "crew a"}}, "tag_invalid"},
		{gateway.BulkInput{Action: gateway.BulkReset, Filter: gateway.BulkFilter{Status: "gone"}}, "status_invalid"},
		{gateway.BulkInput{Action: gateway.BulkReset, Filter: gateway.BulkFilter{LastLoginBefore: "March"}}, "last_login_before_invalid"},
		{gateway.BulkInput{Action: gateway.BulkReset, Filter: gateway.BulkFilter{Emails: []string{"x"}}}, "email_invalid"},
		{gateway.BulkInput{Action: gateway.BulkReset, Filter: gateway.BulkFilter{Tag: "crew-b", Emails: []string{"ana@acme.example"}}}, "bulk_empty"},
	} {
		_, err := e.svc.StartBulk(e.ctx, operator, tc.in)
		if gateway.ErrorCode(err) != tc.code || gateway.ErrorKind(err) != gateway.KindInvalid {
			t.Errorf("%+v: %v, want %s", tc.in, err, tc.code)
		}
	}
	e.drain()
	if n := len(e.email.all()); n != 0 {
		t.Fatalf("previews and refused jobs sent %d messages", n)
	}
	if jobs, _ := e.svc.ListBulkJobs(e.ctx, operator, "", 10); len(jobs) != 0 {
		t.Fatalf("refused jobs stored: %d", len(jobs))
	}
}

// TestBulkResetReachesEachPersonOnce: a job larger than one chunk resets
// each person once, at bulk priority, logs one summary event and one
// event per person, and ends done with every person counted sent.
func TestBulkResetReachesEachPersonOnce(t *testing.T) {
	e := newEnv(t, true)
	people := e.crew(300, "crew-a", true)
	j, err := e.svc.StartBulk(e.ctx, operator, gateway.BulkInput{Action: gateway.BulkReset, Filter: gateway.BulkFilter{Tag: "crew-a"}})
	if err != nil {
		t.Fatal(err)
	}
	if j.Total != 300 || j.State != gateway.BulkRunning {
		t.Fatalf("job %+v", j)
	}
	e.drain()
	e.advance(3 * time.Second)
	st := e.job(j.ID)
	if st.Job.State != gateway.BulkDone || st.Counts.Sent != 300 || st.Counts.Failed != 0 || st.Counts.Remaining() != 0 {
		t.Fatalf("after draining: %+v %+v", st.Job, st.Counts)
	}
	mails := map[string]int{}
	for _, m := range e.email.all() {
		if _, ok := gatewaytest.Password(m.Text); !ok {
			t.Fatalf("a bulk reset mail without a password: %q", m.Text)
		}
		mails[m.To]++
	}
	if len(mails) != 300 || len(e.twilio.all()) != 100 {
		t.Fatalf("%d people mailed, %d texts; want 300 and 100", len(mails), len(e.twilio.all()))
	}
	for to, n := range mails {
		if n != 1 {
			t.Fatalf("%s mailed %d times", to, n)
		}
	}
	if n := len(e.bulkEvents(gateway.EventBulkStarted)); n != 1 {
		t.Fatalf("%d summary events", n)
	}
	per := e.bulkEvents(gateway.EventBulkPerson)
	if len(per) != 300 {
		t.Fatalf("%d per-person events, want 300", len(per))
	}
	for _, ev := range per {
		if ev.RequestID == "" || ev.PersonID == 0 || ev.ActorID != operator.ID {
			t.Fatalf("per-person event %+v", ev)
		}
	}
	r := e.request(per[0].RequestID)
	if r.Source != gateway.SourceBulk || r.Deliveries[0].Priority != gateway.PriorityBulk {
		t.Fatalf("bulk reset %s at priority %d", r.Source, r.Deliveries[0].Priority)
	}
	// A second pass of the feeder (a restart) starts nobody again.
	e.advance(2 * time.Minute)
	e.drain()
	if n := len(e.email.all()); n != 300 {
		t.Fatalf("after another pass %d mails", n)
	}
	_ = people
}

// TestBulkResetHonoursLinkMode: in link mode a bulk reset sends links, no
// password.
func TestBulkResetHonoursLinkMode(t *testing.T) {
	e := linkEnv(t)
	e.crew(3, "crew-a", false)
	if _, err := e.svc.StartBulk(e.ctx, operator, gateway.BulkInput{Action: gateway.BulkReset,
		Filter: gateway.BulkFilter{Tag: "crew-a"}}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if len(e.email.all()) != 3 {
		t.Fatalf("%d mails", len(e.email.all()))
	}
	for _, m := range e.email.all() {
		if _, ok := gatewaytest.Link(m.Text); !ok {
			t.Fatalf("no link in %q", m.Text)
		}
		if _, ok := gatewaytest.Password(m.Text); ok {
			t.Fatalf("a password in link mode: %q", m.Text)
		}
	}
}

// TestBulkCancelStopsWhatHasNotGone: cancelling stops the people not
// reached and the resets still queued (their password never works),
// while what went out stays sent.
func TestBulkCancelStopsWhatHasNotGone(t *testing.T) {
	e := newEnv(t, false)
	e.crew(300, "crew-a", false)
	e.email.set(&gateway.SendError{Class: gateway.FailTransient, Code: "relay_down", Detail: "relay down"})
	j, err := e.svc.StartBulk(e.ctx, operator, gateway.BulkInput{Action: gateway.BulkReset, Filter: gateway.BulkFilter{Tag: "crew-a"}})
	if err != nil {
		t.Fatal(err)
	}
	// One pass: the first chunk becomes requests, the worker resolves a
	// batch of them (32), and their mails fail for now.
	if _, err := e.worker.Pass(e.ctx); err != nil {
		t.Fatal(err)
	}
	st := e.job(j.ID)
	if st.Counts.Waiting != 300-32 || st.Counts.Pending[gateway.RouteEmail] != 32 {
		t.Fatalf("after one pass: %+v", st.Counts)
	}
	e.email.set(nil)
	first := e.bulkEvents(gateway.EventBulkPerson)[0]
	st, err = e.svc.CancelBulk(e.ctx, operator, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Job.State != gateway.BulkCancelled || st.Counts.Cancelled != 300 || st.Counts.Sent != 0 {
		t.Fatalf("cancelled: %+v %+v", st.Job, st.Counts)
	}
	e.advance(time.Hour)
	e.drain()
	if n := len(e.email.all()); n != 0 {
		t.Fatalf("%d mails after cancel", n)
	}
	if r := e.request(first.RequestID); r.State != gateway.StateCancelled || r.Reason != gateway.ReasonBulkCancelled || len(r.TempHash) != 0 {
		t.Fatalf("queued reset after cancel: %s %s", r.State, r.Reason)
	}
	if n := len(e.bulkEvents(gateway.EventBulkCancelled)); n != 1 {
		t.Fatalf("%d cancel events", n)
	}
	// Again: nothing changes, and the state stays cancelled.
	if st, err = e.svc.CancelBulk(e.ctx, operator, j.ID); err != nil || st.Job.State != gateway.BulkCancelled {
		t.Fatalf("second cancel: %v %+v", err, st)
	}
}

// TestBulkCancelKeepsWhatWent: people already mailed stay sent; the rest
// is stopped.
func TestBulkCancelKeepsWhatWent(t *testing.T) {
	e := newEnv(t, false)
	e.crew(300, "crew-a", false)
	j, err := e.svc.StartBulk(e.ctx, operator, gateway.BulkInput{Action: gateway.BulkReset, Filter: gateway.BulkFilter{Tag: "crew-a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.worker.Pass(e.ctx); err != nil {
		t.Fatal(err)
	}
	st, err := e.svc.CancelBulk(e.ctx, operator, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Counts.Sent != 32 || st.Counts.Cancelled != 300-32 {
		t.Fatalf("cancelled after one chunk: %+v", st.Counts)
	}
	e.advance(time.Hour)
	e.drain()
	if n := len(e.email.all()); n != 32 {
		t.Fatalf("%d mails, want the first batch's 32", n)
	}
}

// TestBulkTenantIsolation: a tenant admin sees and cancels only their
// tenant's jobs, cannot name another tenant, and no filter reaches
// another tenant's people.
func TestBulkTenantIsolation(t *testing.T) {
	e := newEnv(t, false)
	other, err := e.svc.EnsureTenant(e.ctx, "other", "Other Co")
	if err != nil {
		t.Fatal(err)
	}
	e.crew(2, "crew-a", false)
	if _, err := e.svc.CreatePerson(e.ctx, operator, gateway.PersonInput{Tenant: "other", Name: "Zed",
		Email: "zed@other.example", Tags: []string{"crew-a"}}); err != nil {
		t.Fatal(err)
	}
	mine := gateway.Actor{Kind: gateway.ActorAdmin, ID: "boss@acme.example", TenantID: e.tenant.ID}
	theirs := gateway.Actor{Kind: gateway.ActorAdmin, ID: "boss@other.example", TenantID: other.ID}
	p, err := e.svc.PreviewBulk(e.ctx, mine, gateway.BulkInput{Action: gateway.BulkReset,
		Filter: gateway.BulkFilter{Tag: "crew-a", Emails: []string{"zed@other.example", "crew-a-0@acme.example"}}})
	if err != nil || p.Count != 1 || p.Sample[0].Email != "crew-a-0@acme.example" {
		t.Fatalf("preview by email across tenants: %+v %v", p, err)
	}
	if _, err := e.svc.StartBulk(e.ctx, mine, gateway.BulkInput{Tenant: "other", Action: gateway.BulkReset,
		Filter: gateway.BulkFilter{Tag: "crew-a"}}); !gateway.IsNotFound(err) {
		t.Fatalf("a tenant admin naming another tenant: %v", err)
	}
	j, err := e.svc.StartBulk(e.ctx, mine, gateway.BulkInput{Action: gateway.BulkReset, Filter: gateway.BulkFilter{Tag: "crew-a"}})
	if err != nil || j.Total != 2 {
		t.Fatalf("own job: %+v %v", j, err)
	}
	if _, err := e.svc.BulkJob(e.ctx, theirs, j.ID); !gateway.IsNotFound(err) {
		t.Fatalf("another tenant's admin reads the job: %v", err)
	}
	if _, err := e.svc.CancelBulk(e.ctx, theirs, j.ID); !gateway.IsNotFound(err) {
		t.Fatalf("another tenant's admin cancels the job: %v", err)
	}
	if jobs, _ := e.svc.ListBulkJobs(e.ctx, theirs, "", 10); len(jobs) != 0 {
		t.Fatalf("another tenant lists %d jobs", len(jobs))
	}
	// An operator names the tenant.
	oj, err := e.svc.StartBulk(e.ctx, operator, gateway.BulkInput{Tenant: "other", Action: gateway.BulkDeactivate,
		Filter: gateway.BulkFilter{Tag: "crew-a"}})
	if err != nil || oj.Total != 1 || oj.TenantID != other.ID || oj.State != gateway.BulkDone {
		t.Fatalf("operator's job in the other tenant: %+v %v", oj, err)
	}
	e.drain()
	for _, m := range e.email.all() {
		if m.To == "zed@other.example" {
			t.Fatal("a job reached another tenant's person")
		}
	}
	if st, _ := e.svc.BulkJob(e.ctx, mine, j.ID); st.Job.State != gateway.BulkDone || st.Counts.Sent != 2 {
		t.Fatalf("own job: %+v", st)
	}
}

// TestBulkActions: deactivate and mobile access off apply at once and end
// a reset in flight (its queued message never goes); activate and
// mobile_on bring them back without reviving it.
func TestBulkActions(t *testing.T) {
	e := newEnv(t, false)
	e.crew(3, "crew-a", false)
	e.email.set(&gateway.SendError{Class: gateway.FailTransient, Code: "relay_down", Detail: "down"})
	id := e.reset("crew-a-0@acme.example", "")
	e.drain()
	e.email.set(nil)
	run := func(a gateway.BulkAction, want int) {
		t.Helper()
		j, err := e.svc.StartBulk(e.ctx, operator, gateway.BulkInput{Action: a, Filter: gateway.BulkFilter{Tag: "crew-a"}})
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		st := e.job(j.ID)
		if st.Job.State != gateway.BulkDone || st.Counts.Sent != want || st.Job.Total != want {
			t.Fatalf("%s: %+v %+v", a, st.Job, st.Counts)
		}
	}
	run(gateway.BulkMobileOff, 3)
	if r := e.request(id); r.State != gateway.StateCancelled || r.Reason != gateway.ReasonNoMobileAccess {
		t.Fatalf("reset in flight after mobile_off: %s %s", r.State, r.Reason)
	}
	e.mustFail("crew-a-0@acme.example", original)
	run(gateway.BulkDeactivate, 3)
	run(gateway.BulkMobileOn, 3)
	if _, err := e.svc.StartBulk(e.ctx, operator, gateway.BulkInput{Action: gateway.BulkMobileOn,
		Filter: gateway.BulkFilter{Tag: "crew-a"}}); gateway.ErrorCode(err) != "bulk_empty" {
		t.Fatalf("mobile_on twice: %v", err)
	}
	run(gateway.BulkActivate, 3)
	e.mustLogin("crew-a-0@acme.example", original)
	e.advance(time.Hour)
	e.drain()
	if n := len(e.email.all()); n != 0 {
		t.Fatalf("%d mails: the ended reset was revived", n)
	}
	if n := len(e.bulkEvents(gateway.EventBulkPerson)); n != 12 {
		t.Fatalf("%d per-person events, want 12", n)
	}
	ps, err := e.svc.ListPersonnelTagged(e.ctx, operator, "", "", "spring-2027", 10, 0)
	if err != nil || len(ps) != 3 || !slices.Equal(ps[0].Tags, []string{"crew-a", "spring-2027"}) {
		t.Fatalf("list by tag: %v %v", ps, err)
	}
}

// TestTagsValidated: tags are short lower-case slugs; anything else is
// refused with tag_invalid, more than ten with too_many_tags.
func TestTagsValidated(t *testing.T) {
	e := newEnv(t, false)
	for _, tags := range [][]string{{"Crew A"}, {"crew_a"}, {"-crew"}, {"crew-"}, {""}, {"<b>"},
		{"a-very-long-tag-that-goes-past-32-chars"}} {
		_, err := e.svc.CreatePerson(e.ctx, operator, gateway.PersonInput{Name: "X", Email: "x@acme.example", Tags: tags})
		if gateway.ErrorCode(err) != "tag_invalid" {
			t.Errorf("%q: %v", tags, err)
		}
	}
	many := make([]string, 11)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i)
	}
	if _, err := e.svc.CreatePerson(e.ctx, operator, gateway.PersonInput{Name: "X", Email: "x@acme.example", Tags: many}); gateway.ErrorCode(err) != "too_many_tags" {
		t.Errorf("11 tags: %v", err)
	}
	p, err := e.svc.CreatePerson(e.ctx, operator, gateway.PersonInput{Name: "X", Email: "x@acme.example",
		Tags: []string{"Spring-2027", "crew-a", "crew-a"}})
	if err != nil || !slices.Equal(p.Tags, []string{"crew-a", "spring-2027"}) {
		t.Fatalf("normalized tags: %v %v", p, err)
	}
	var ge *gateway.Error
	_, err = e.svc.UpdatePerson(e.ctx, operator, "", p.ID, gateway.PersonPatch{Tags: &[]string{"ok", "NOT OK"}})
	if !errors.As(err, &ge) || ge.Code != "tag_invalid" {
		t.Fatalf("patch: %v", err)
	}
}

// TestResetOvertakesBulkJob: in a lane at 1/s working through a bulk
// job, a reset someone asked for goes next, not after the job.
func TestResetOvertakesBulkJob(t *testing.T) {
	sms := newLiveSender()
	e := newLiveEnv(t, gateway.WorkerConfig{}, newLiveSender(), sms)
	e.patchTenant(gateway.SettingsPatch{SMSRatePerSecond: ptr(1.0)})
	for i := range 4 {
		e.person(fmt.Sprintf("bulk%d@acme.example", i), fmt.Sprintf("+1201555011%d", i), "", tagged("crew-a"))
	}
	e.person("locked@acme.example", "+12015550199", "")
	j, err := e.svc.StartBulk(e.ctx, operator, gateway.BulkInput{Action: gateway.BulkReset, Filter: gateway.BulkFilter{Tag: "crew-a"}})
	if err != nil {
		t.Fatal(err)
	}
	e.run()
	if !waitUntil(5*time.Second, func() bool { s, _, _ := sms.snapshot(); return len(s) >= 1 }) {
		t.Fatal("no bulk text sent")
	}
	e.reset("locked@acme.example", "+12015550199")
	if !waitUntil(15*time.Second, func() bool { s, _, _ := sms.snapshot(); return len(s) == 5 }) {
		t.Fatal("texts not all sent")
	}
	sent, _, _ := sms.snapshot()
	order := make([]string, len(sent))
	for i, m := range sent {
		order[i] = m.To
	}
	if order[1] != "+12015550199" {
		t.Fatalf("reset text went out %v; want it right after the bulk text in flight", order)
	}
	if !waitUntil(5*time.Second, func() bool {
		st, err := e.svc.BulkJob(e.ctx, operator, j.ID)
		return err == nil && st.Job.State == gateway.BulkDone
	}) {
		t.Fatal("job not done after its texts went")
	}
}

// TestBulkJobResumesInANewService: a job stopped after its first chunk
// (people sent, people queued, people not started) is finished by a new
// service on the same store, as after a restart, and each person is
// mailed once across the two.
func TestBulkJobResumesInANewService(t *testing.T) {
	e := newEnv(t, false)
	e.crew(600, "crew-a", false)
	j, err := e.svc.StartBulk(e.ctx, operator, gateway.BulkInput{Action: gateway.BulkReset, Filter: gateway.BulkFilter{Tag: "crew-a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.worker.Pass(e.ctx); err != nil {
		t.Fatal(err)
	}
	if c := e.job(j.ID).Counts; c.Sent == 0 || c.Waiting <= 600-256 {
		t.Fatalf("after one pass: %+v", c)
	}
	svc, err := gateway.New(gateway.Config{Store: e.store, Renderer: gatewaytest.Renderer{}, Keys: gatewaytest.Keys(t),
		Hasher: gatewaytest.Hasher(), Clock: e.clock, Limits: gateway.DefaultLimits()})
	if err != nil {
		t.Fatal(err)
	}
	mail := &sender{}
	w := gateway.NewWorker(gateway.WorkerConfig{Service: svc, Senders: map[gateway.Route]gateway.Sender{gateway.RouteEmail: mail}})
	for range 100 {
		busy, err := w.Pass(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !busy {
			break
		}
	}
	e.advance(3 * time.Second)
	st, err := svc.BulkJob(e.ctx, operator, j.ID)
	if err != nil || st.Job.State != gateway.BulkDone || st.Counts.Sent != 600 {
		t.Fatalf("after the restart: %+v %v", st, err)
	}
	got := map[string]int{}
	for _, m := range append(e.email.all(), mail.all()...) {
		got[m.To]++
	}
	if len(got) != 600 {
		t.Fatalf("%d people mailed", len(got))
	}
	for to, n := range got {
		if n != 1 {
			t.Fatalf("%s mailed %d times", to, n)
		}
	}
}
