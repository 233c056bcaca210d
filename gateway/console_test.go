package gateway_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/secret"
)

// tester answers Test Provider like a mail server or Twilio would.
type tester struct {
	mu    sync.Mutex
	calls []string // "smtp <to>" or "twilio <to>"
	err   error
}

func (t *tester) TestSMTP(ctx context.Context, p *gateway.SMTPProfile, to, subject, text string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, "smtp "+to)
	if t.err != nil {
		return "", t.err
	}
	return "250 2.0.0 OK queued as TEST1", nil
}

func (t *tester) TestTwilio(ctx context.Context, s *gateway.TwilioSettings, to, body string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, "twilio "+to)
	if t.err != nil {
		return "", t.err
	}
	return "SM0123456789abcdef0123456789abcdef", nil
}

// events returns the log as an operator sees it, oldest first.
func (e *env) events(types ...string) []*gateway.Event {
	e.t.Helper()
	evs, err := e.store.ListEvents(e.ctx, gateway.EventFilter{Types: types, Limit: 10000})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// tenantAdmin makes a second tenant and an actor who administers only it.
func (e *env) tenantAdmin(slug string) (*gateway.Tenant, gateway.Actor) {
	e.t.Helper()
	t, err := e.svc.CreateTenant(e.ctx, operator, gateway.TenantInput{Slug: slug, Name: slug + " Co"})
	if err != nil {
		e.t.Fatal(err)
	}
	return t, gateway.Actor{Kind: gateway.ActorAdmin, ID: "boss@" + slug + ".example", IP: "198.51.100.7", TenantID: t.ID}
}

func TestAdminLoginSessionCSRFAndThrottle(t *testing.T) {
	e := newEnv(t, true)
	if _, err := e.svc.CreateAdmin(e.ctx, operator, gateway.AdminInput{Email: "Office@Acme.example", Password: "short"}); gateway.ErrorCode(err) != "password_too_short" {
		t.Fatalf("weak admin password: %v", err)
	}
	const pw = "dispatch-tablet-ladder-9"
	ad, err := e.svc.CreateAdmin(e.ctx, operator, gateway.AdminInput{Email: "Office@Acme.example", Password: pw})
	if err != nil || ad.Email != "office@acme.example" || !strings.HasPrefix(ad.PasswordHash, "$argon2id$") {
		t.Fatalf("create: %+v %v", ad, err)
	}
	login := func(pw string) (*gateway.ConsoleSession, error) {
		return e.svc.AdminLogin(e.ctx, gateway.AdminLoginInput{Email: "office@acme.example", Password: pw, IP: "192.0.2.50"})
	}
	if _, err := login("wrong-password-1234"); gateway.ErrorKind(err) != gateway.KindUnauthorized {
		t.Fatalf("wrong password: %v", err)
	}
	cs, err := login(pw)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.AdminSession(e.ctx, cs.Token)
	if err != nil || got.Email != ad.Email || got.Actor.TenantID != 0 || got.CSRF != cs.CSRF {
		t.Fatalf("session: %+v %v", got, err)
	}
	if !e.svc.CheckCSRF(cs.Token, cs.CSRF) || e.svc.CheckCSRF(cs.Token, "") || e.svc.CheckCSRF("other", cs.CSRF) {
		t.Fatal("CSRF token not bound to its session")
	}
	// Idle sessions end; logout ends one at once.
	e.advance(gateway.SessionIdle + time.Minute)
	if _, err := e.svc.AdminSession(e.ctx, cs.Token); gateway.ErrorKind(err) != gateway.KindUnauthorized {
		t.Fatalf("idle session still open: %v", err)
	}
	cs, _ = login(pw)
	if err := e.svc.AdminLogout(e.ctx, cs, "192.0.2.50"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AdminSession(e.ctx, cs.Token); gateway.ErrorKind(err) != gateway.KindUnauthorized {
		t.Fatalf("session after logout: %v", err)
	}
	// Disabling an admin ends their sessions.
	cs, _ = login(pw)
	if err := e.svc.SetAdminDisabled(e.ctx, operator, ad.Email, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AdminSession(e.ctx, cs.Token); gateway.ErrorKind(err) != gateway.KindUnauthorized {
		t.Fatalf("session of a disabled admin: %v", err)
	}
	if _, err := login(pw); gateway.ErrorKind(err) != gateway.KindUnauthorized {
		t.Fatalf("disabled admin logged in: %v", err)
	}
	if err := e.svc.SetAdminDisabled(e.ctx, operator, ad.Email, false); err != nil {
		t.Fatal(err)
	}
	// Throttled after repeated failures, even with the right password.
	for range gateway.DefaultLimits().LoginPerAccountIP {
		login("wrong-password-1234")
	}
	if _, err := login(pw); gateway.ErrorKind(err) != gateway.KindRateLimited {
		t.Fatalf("after many failures: %v", err)
	}
	for _, ev := range e.events("admin_login", "admin_login_failed", "admin_logout") {
		if ev.ActorID != ad.Email || ev.Actor != gateway.ActorAdmin || ev.IP != "192.0.2.50" {
			t.Errorf("event %s by %s/%q", ev.Type, ev.Actor, ev.ActorID)
		}
	}
	for _, ev := range e.events("admin_created", "admin_disabled", "admin_enabled") {
		if ev.ActorID != operator.ID || ev.Detail != ad.Email {
			t.Errorf("event %s by %q about %q", ev.Type, ev.ActorID, ev.Detail)
		}
	}
	// An unknown account is logged without echoing what was typed.
	e.svc.AdminLogin(e.ctx, gateway.AdminLoginInput{Email: "hunter2-typed-here", Password: "x", IP: "192.0.2.50"})
	for _, ev := range e.events("admin_login_failed") {
		if strings.Contains(ev.ActorID+ev.Detail, "hunter2") {
			t.Fatalf("typed text in the log: %+v", ev)
		}
	}
}

func TestTenantAdminSeesOnlyTheirTenant(t *testing.T) {
	e := newEnv(t, false)
	ana := e.person("ana@acme.example", phoneA, "verizon")
	id := e.reset("ana@acme.example", phoneA)
	e.carrier.set(&gateway.SendError{Code: "550 5.1.1", Detail: "no such user"})
	e.email.set(&gateway.SendError{Code: "550 5.1.1", Detail: "no such user"})
	e.drain()
	hvac, boss := e.tenantAdmin("hvac")
	notFound := func(what string, err error) {
		t.Helper()
		if gateway.ErrorKind(err) != gateway.KindNotFound {
			t.Errorf("%s: want not found, got %v", what, err)
		}
	}
	_, err := e.svc.Person(e.ctx, boss, "", ana.ID)
	notFound("person", err)
	_, err = e.svc.SetPassword(e.ctx, boss, ana.ID, gateway.PasswordInput{Generate: true})
	notFound("set password", err)
	_, err = e.svc.UpdatePerson(e.ctx, boss, "", ana.ID, gateway.PersonPatch{Status: ptr("inactive")})
	notFound("update person", err)
	_, err = e.svc.Reset(e.ctx, boss, id)
	notFound("reset", err)
	_, err = e.svc.RetryReset(e.ctx, boss, id)
	notFound("retry", err)
	_, err = e.svc.TestProvider(e.ctx, boss, "verizon", gateway.ProviderTestInput{Tenant: "default", Phone: phoneA})
	notFound("test with another tenant's profile", err)
	_, err = e.svc.ImportPersonnel(e.ctx, boss, "default", strings.NewReader("name,email\nX,x@acme.example\n"), true)
	notFound("import into another tenant", err)
	_, err = e.svc.Settings(e.ctx, boss, "default")
	notFound("settings", err)
	_, err = e.svc.Events(e.ctx, boss, gateway.EventQuery{Tenant: "default"})
	notFound("events", err)
	if _, err := e.svc.SaveCarrier(e.ctx, boss, gateway.CarrierInput{Slug: "verizon", SMSDomain: ptr("evil.example")}, false); gateway.ErrorKind(err) != gateway.KindForbidden {
		t.Errorf("tenant admin edited the shared carrier list: %v", err)
	}

	// What they do see is theirs only.
	ps, _ := e.svc.ListPersonnel(e.ctx, boss, "", "", 100, 0)
	rs, _ := e.svc.ListResets(e.ctx, boss, "", gateway.StateRolledBack, 100, 0)
	evs, _ := e.svc.Events(e.ctx, boss, gateway.EventQuery{})
	if len(ps) != 0 || len(rs) != 0 {
		t.Fatalf("tenant admin sees %d people, %d resets of another tenant", len(ps), len(rs))
	}
	for _, ev := range evs {
		if ev.TenantID != hvac.ID {
			t.Fatalf("tenant admin sees event %+v", ev)
		}
	}
	exp, err := e.svc.ExportEvents(e.ctx, boss, gateway.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := exp.WriteCSV(e.ctx, &buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), id) || strings.Contains(buf.String(), ",default,") {
		t.Fatalf("export shows another tenant:\n%s", buf.String())
	}
}

func TestSetPasswordByHand(t *testing.T) {
	e := newEnv(t, true)
	tt := &tester{}
	e.svc.SetTester(tt)
	p := e.person("ana@acme.example", phoneA, "verizon")
	admin := gateway.Actor{Kind: gateway.ActorAdmin, ID: "office@acme.example", IP: "192.0.2.50"}

	for _, c := range []struct{ pw, code string }{
		{"short", "password_too_short"},
		{"password1234", "password_common"},
		{"ana@acme.example", "password_personal"},
	} {
		_, err := e.svc.SetPassword(e.ctx, admin, p.ID, gateway.PasswordInput{Password: c.pw})
		if gateway.ErrorKind(err) != gateway.KindUnprocessable || gateway.ErrorCode(err) != c.code {
			t.Errorf("%q: want 422 %s, got %v", c.pw, c.code, err)
		}
	}

	// A reset is out; the admin's password replaces it.
	id := e.reset("ana@acme.example", phoneA)
	e.drain()
	temp := e.twilio.password(t)
	const chosen = "blue-truck-seven-ladders"
	res, err := e.svc.SetPassword(e.ctx, admin, p.ID, gateway.PasswordInput{Password: chosen, MustChange: ptr(true)})
	if err != nil || res.Generated != "" {
		t.Fatalf("set: %+v %v", res, err)
	}
	e.mustFail("ana@acme.example", temp)
	e.mustFail("ana@acme.example", original)
	r, err := e.svc.Login(e.ctx, gateway.LoginInput{Email: "ana@acme.example", Password: chosen, IP: "192.0.2.9"})
	if err != nil || !r.MustChange {
		t.Fatalf("login with the set password: %+v %v", r, err)
	}
	if got := e.request(id); got.ExpiresAt.After(e.now) {
		t.Fatalf("the pending reset still runs: %+v", got)
	}
	// The person is told by email, and the email holds no password.
	mails := e.email.all()
	e.drain()
	mails = e.email.all()[len(mails):]
	if len(mails) != 1 || mails[0].To != "ana@acme.example" || !strings.Contains(mails[0].Text, "password_set") ||
		strings.Contains(mails[0].Text, chosen) {
		t.Fatalf("notification: %+v", mails)
	}

	// A generated password is returned once, works, and is logged nowhere.
	res, err = e.svc.SetPassword(e.ctx, admin, p.ID, gateway.PasswordInput{Generate: true})
	if err != nil || len(res.Generated) != secret.PasswordLength {
		t.Fatalf("generate: %+v %v", res, err)
	}
	e.mustLogin("ana@acme.example", res.Generated)
	evs := e.events("password_set")
	if len(evs) != 2 || evs[0].ActorID != admin.ID || evs[0].IP != admin.IP || evs[0].PersonID != p.ID ||
		evs[1].Detail != "generated,must_change" { // the tenant default: on
		t.Fatalf("events %+v", evs)
	}
	for _, ev := range e.events() {
		if strings.Contains(ev.Detail+ev.Code, res.Generated) || strings.Contains(ev.Detail, chosen) {
			t.Fatalf("a password in the log: %+v", ev)
		}
	}
	if strings.Contains(e.logs.String(), res.Generated) || strings.Contains(e.logs.String(), chosen) {
		t.Fatal("a password in the server log")
	}
}

func TestRetryRolledBackReset(t *testing.T) {
	e := newEnv(t, true)
	e.person("ana@acme.example", phoneA, "verizon")
	e.twilio.set(&gateway.SendError{Code: "21211", Detail: "invalid To"})
	e.email.set(&gateway.SendError{Code: "550 5.1.1", Detail: "no such user"})
	id := e.reset("ana@acme.example", phoneA)
	e.drain()
	if r := e.request(id); r.State != gateway.StateRolledBack {
		t.Fatalf("state %s", r.State)
	}
	e.twilio.set(nil)
	e.email.set(nil)
	admin := gateway.Actor{Kind: gateway.ActorAdmin, ID: "office@acme.example"}
	newID, err := e.svc.RetryReset(e.ctx, admin, id)
	if err != nil {
		t.Fatal(err)
	}
	e.drain()
	if r := e.request(newID); r.State != gateway.StateDelivered || r.Source != gateway.SourceAdmin {
		t.Fatalf("retry: %+v", r)
	}
	e.mustLogin("ana@acme.example", e.twilio.password(t))
	if _, err := e.svc.RetryReset(e.ctx, admin, newID); gateway.ErrorCode(err) != "not_rolled_back" {
		t.Fatalf("retry of a delivered request: %v", err)
	}
	if evs := e.events("reset_retried"); len(evs) != 1 || evs[0].ActorID != admin.ID || evs[0].RequestID != newID {
		t.Fatalf("events %+v", evs)
	}
}

func TestImportIsAllOrNothing(t *testing.T) {
	e := newEnv(t, false)
	existing := e.person("bo@acme.example", "+12015550130", "verizon")
	e.person("cy@acme.example", "+12015550131", "verizon")
	admin := gateway.Actor{Kind: gateway.ActorAdmin, ID: "office@acme.example"}
	bad := "\ufeffName,Email,Phone,Carrier,Status,Locale\n" +
		"Ana Ruiz,ana@acme.example,(201) 555-0140,Verizon Wireless,active,es\n" +
		"Bo Updated,BO@acme.example,,,inactive,\n" +
		"No Email,,2015550141,,,\n" +
		"Dup,ana@acme.example,,,,\n" +
		"\"Quoted, Name\",dee@acme.example,2015550131,verizon,,\n" + // cy's number
		"Eve,eve@acme.example,555-2671,,,\n" +
		"Fay,fay@acme.example,2015550142,nosuchcarrier,,\n" +
		"Gus,gus@acme.example,,,retired,\n"
	res, err := e.svc.ImportPersonnel(e.ctx, admin, "", strings.NewReader(bad), true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{4: "email", 5: "row 2", 6: "is on the record of person", 7: "phone", 8: "carrier", 9: "status"}
	if len(res.Errors) != len(want) || res.Committed || res.Created+res.Updated != 0 {
		t.Fatalf("result %+v", res)
	}
	for _, ie := range res.Errors {
		if !strings.Contains(strings.ToLower(ie.Message), want[ie.Row]) {
			t.Errorf("row %d: %q, want it to mention %q", ie.Row, ie.Message, want[ie.Row])
		}
	}
	if ps, _ := e.svc.ListPersonnel(e.ctx, admin, "", "", 100, 0); len(ps) != 2 {
		t.Fatalf("a failed import wrote %d people", len(ps))
	}
	if evs := e.events("person_created", "person_updated", "personnel_imported"); len(evs) != 2 {
		t.Fatalf("a failed import logged %d changes", len(evs)-2)
	}

	good := "name,email,phone,carrier,status,locale\n" +
		"Ana Ruiz,ana@acme.example,(201) 555-0140,Verizon Wireless,active,es\n" +
		"Bo Updated,BO@acme.example,,,inactive,\n" +
		"Crew cy@acme.example,cy@acme.example,,,,\n"
	res, err = e.svc.ImportPersonnel(e.ctx, admin, "", strings.NewReader(good), false)
	if err != nil || res.Committed || res.Created != 1 || res.Updated != 1 || res.Unchanged != 1 || len(res.Errors) != 0 {
		t.Fatalf("preview %+v %v", res, err)
	}
	if ps, _ := e.svc.ListPersonnel(e.ctx, admin, "", "", 100, 0); len(ps) != 2 {
		t.Fatal("a preview wrote")
	}
	res, err = e.svc.ImportPersonnel(e.ctx, admin, "", strings.NewReader(good), true)
	if err != nil || !res.Committed || res.Created != 1 || res.Updated != 1 {
		t.Fatalf("commit %+v %v", res, err)
	}
	ana, err := e.store.PersonByEmail(e.ctx, e.tenant.ID, "ana@acme.example")
	if err != nil || ana.Locale != "es" || len(ana.Phones) != 1 || ana.Phones[0].Number != "+12015550140" ||
		ana.Phones[0].Carrier != "verizon" || ana.Phones[0].Type != gateway.PhoneSMS {
		t.Fatalf("imported %+v %v", ana, err)
	}
	bo, _ := e.store.Person(e.ctx, 0, existing.ID)
	if bo.Name != "Bo Updated" || bo.Status != gateway.StatusInactive || len(bo.Phones) != 1 || bo.PasswordHash == "" {
		t.Fatalf("updated %+v", bo)
	}
	evs := e.events("person_created", "person_updated", "personnel_imported")
	if n := len(evs); n != 2+3 || evs[n-1].ActorID != admin.ID || evs[n-1].Detail != "created 1, updated 1, unchanged 1" {
		t.Fatalf("events %+v", evs[2:])
	}

	for name, in := range map[string]string{
		"empty":          "",
		"unknown column": "name,email,shoe_size\n",
		"no email":       "name,phone\nAna,2015550140\n",
		"bad quoting":    "name,email\n\"Ana,ana@acme.example\n",
	} {
		res, err := e.svc.ImportPersonnel(e.ctx, admin, "", strings.NewReader(in), true)
		if err != nil || len(res.Errors) != 1 || res.Committed {
			t.Errorf("%s: %+v %v", name, res, err)
		}
	}
}

func TestTestProvider(t *testing.T) {
	e := newEnv(t, false)
	tt := &tester{}
	e.svc.SetTester(tt)
	admin := gateway.Actor{Kind: gateway.ActorAdmin, ID: "office@acme.example"}

	res, err := e.svc.TestProvider(e.ctx, admin, "verizon", gateway.ProviderTestInput{Phone: "(201) 555-0123"})
	if err != nil || !res.OK || res.To != "2015550123@vtext.com" || !strings.Contains(res.Detail, "250 2.0.0 OK") {
		t.Fatalf("verizon: %+v %v", res, err)
	}
	tt.err = &gateway.SendError{Code: "550 5.1.1", Detail: "<2015550123@vtext.com>: Recipient address rejected"}
	res, err = e.svc.TestProvider(e.ctx, admin, "verizon", gateway.ProviderTestInput{Phone: phoneA, Message: "Hello from dispatch"})
	if err != nil || res.OK || res.Code != "550 5.1.1" || !strings.Contains(res.Detail, "Recipient address rejected") {
		t.Fatalf("refused: %+v %v", res, err)
	}
	tt.err = nil
	res, err = e.svc.TestProvider(e.ctx, admin, "att", gateway.ProviderTestInput{Phone: phoneA})
	if err != nil || res.OK || res.Code != "carrier_gateway_retired" || len(tt.calls) != 2 {
		t.Fatalf("retired gateway: %+v %v (calls %v)", res, err, tt.calls)
	}
	res, err = e.svc.TestProvider(e.ctx, admin, "twilio", gateway.ProviderTestInput{Phone: phoneA})
	if err != nil || !res.OK || res.SID == "" || tt.calls[2] != "twilio "+phoneA {
		t.Fatalf("twilio: %+v %v", res, err)
	}
	if _, err := e.svc.TestProvider(e.ctx, admin, "verizon", gateway.ProviderTestInput{Phone: phoneA, Message: strings.Repeat("x", 61)}); gateway.ErrorCode(err) != "note_too_long" {
		t.Fatalf("long message: %v", err)
	}
	if err := e.store.SetOptOut(e.ctx, gateway.OptOut{TenantID: e.tenant.ID, Channel: gateway.ChannelAny, Number: phoneA, Source: gateway.OptOutAdmin}); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"verizon", "twilio"} {
		res, err = e.svc.TestProvider(e.ctx, admin, slug, gateway.ProviderTestInput{Phone: phoneA})
		if err != nil || res.OK || res.Code != "opted_out" || len(tt.calls) != 3 {
			t.Fatalf("%s to an opted-out number: %+v %v (calls %v)", slug, res, err, tt.calls)
		}
	}
	if _, err := e.svc.TestProvider(e.ctx, admin, "nope", gateway.ProviderTestInput{Phone: phoneA}); gateway.ErrorKind(err) != gateway.KindNotFound {
		t.Fatalf("unknown carrier: %v", err)
	}
	evs := e.events("carrier_tested", "twilio_tested")
	codes := []string{}
	for _, ev := range evs {
		codes = append(codes, ev.Code)
		if ev.ActorID != admin.ID || ev.Type == "carrier_tested" && !strings.HasPrefix(ev.Detail, "verizon to ******0123@vtext.com: ") &&
			!strings.HasPrefix(ev.Detail, "att to ") && !strings.Contains(ev.Detail, "texted STOP") {
			t.Errorf("event %+v", ev)
		}
	}
	if strings.Join(codes, " ") != "accepted 550 5.1.1 carrier_gateway_retired accepted opted_out opted_out" {
		t.Fatalf("logged tests: %v", codes)
	}
	res, err = e.svc.TestEmail(e.ctx, admin, "", "office@acme.example")
	if err != nil || !res.OK || tt.calls[3] != "smtp office@acme.example" {
		t.Fatalf("test email: %+v %v", res, err)
	}
}

func TestCarrierEdits(t *testing.T) {
	e := newEnv(t, false)
	c, err := e.svc.SaveCarrier(e.ctx, operator, gateway.CarrierInput{Slug: "regional", Name: ptr("Regional Wireless"),
		Country: ptr("us"), SMSDomain: ptr("SMS.Regional.example"), Status: ptr("active")}, true)
	if err != nil || c.SMSDomain != "sms.regional.example" || c.Country != "US" {
		t.Fatalf("create: %+v %v", c, err)
	}
	if _, err := e.svc.SaveCarrier(e.ctx, operator, gateway.CarrierInput{Slug: "regional", Name: ptr("x"), Country: ptr("US")}, true); gateway.ErrorKind(err) != gateway.KindConflict {
		t.Fatalf("create twice: %v", err)
	}
	for name, in := range map[string]gateway.CarrierInput{
		"bad domain":        {Slug: "regional", SMSDomain: ptr("not a domain")},
		"bad status":        {Slug: "regional", Status: ptr("gone")},
		"retiring, no date": {Slug: "regional", Status: ptr("retiring")},
		"twilio":            {Slug: "twilio", Name: ptr("T"), Country: ptr("US")},
	} {
		if _, err := e.svc.SaveCarrier(e.ctx, operator, in, name == "twilio"); gateway.ErrorKind(err) != gateway.KindInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	c, err = e.svc.RetireCarrier(e.ctx, operator, "regional", e.now.AddDate(0, 1, 0))
	if err != nil || c.Status != gateway.CarrierRetiring {
		t.Fatalf("retire ahead: %+v %v", c, err)
	}
	c, err = e.svc.RetireCarrier(e.ctx, operator, "regional", time.Time{})
	if err != nil || c.Status != gateway.CarrierRetired || c.UsableOn(e.now) {
		t.Fatalf("retire now: %+v %v", c, err)
	}
	if evs := e.events("carrier_created", "carrier_updated"); len(evs) != 3 || evs[2].ActorID != operator.ID {
		t.Fatalf("events %+v", evs)
	}
}

func TestRouteHealthAndOverview(t *testing.T) {
	e := newEnv(t, false)                                     // no Twilio: texts go by carrier gateways
	e.person("ana@acme.example", "+12015550150", "att")       // retired
	e.person("bo@acme.example", "+12015550151", "verizon")    // retiring 2027-03-31
	e.person("cy@acme.example", "+12015550152", "uscellular") // unverified: not ending
	e.person("dee@acme.example", "+12015550153", "att", func(in *gateway.PersonInput) { in.Status = "inactive" })
	hvac, boss := e.tenantAdmin("hvac")
	e.patchTwilio(hvac)
	if _, err := e.svc.CreatePerson(e.ctx, boss, gateway.PersonInput{Name: "Eve", Email: "eve@hvac.example",
		Phones: []gateway.PhoneInput{{Number: "+12015550154", Carrier: "att"}}}); err != nil {
		t.Fatal(err)
	}
	rh, err := e.svc.RouteHealth(e.ctx, operator, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rh.People) != 2 || rh.People[0].Email != "ana@acme.example" || !rh.People[0].Ended() ||
		rh.People[1].Email != "bo@acme.example" || rh.People[1].DaysLeft != 128 {
		t.Fatalf("people %+v", rh.People)
	}
	if len(rh.Tenants) != 1 || rh.Tenants[0].Slug != "default" || rh.Tenants[0].People != 2 || rh.Tenants[0].Ended != 1 {
		t.Fatalf("tenants %+v", rh.Tenants)
	}
	if rh, _ := e.svc.RouteHealth(e.ctx, boss, ""); len(rh.People) != 0 {
		t.Fatalf("a tenant with Twilio is at risk: %+v", rh)
	}

	e.email.set(&gateway.SendError{Code: "550 5.1.1", Detail: "no such user"})
	e.reset("ana@acme.example", "+12015550150") // SMS skipped (retired), email fails: rolled back
	e.reset("nobody@acme.example", "")          // rejected
	e.drain()
	o, err := e.svc.Overview(e.ctx, operator, "", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if o.Requests != 2 || o.RolledBack != 1 || o.Rejected != 1 || o.AtRisk != 2 || len(o.Failing) != 1 ||
		o.Failing[0].Route != gateway.RouteEmail || !strings.Contains(o.Failing[0].LastError, "550 5.1.1") {
		t.Fatalf("overview %+v", o)
	}
}

func (e *env) patchTwilio(t *gateway.Tenant) {
	e.t.Helper()
	if _, err := e.svc.UpdateSettings(e.ctx, operator, t.Slug, gateway.SettingsPatch{Twilio: &gateway.TwilioSettings{
		AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: "f00dfeedf00dfeedf00dfeedf00dfeed", From: "+15005550006"}}); err != nil {
		e.t.Fatal(err)
	}
}

func TestExportNeutralisesFormulas(t *testing.T) {
	e := newEnv(t, false)
	nasty := []string{"=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR",
		"line1\nline2", `say "hi", then go`, "plain"}
	for _, n := range nasty {
		if err := e.store.AppendEvent(e.ctx, &gateway.Event{At: e.now, Actor: "crew", ActorID: n, Type: "login_failed",
			Detail: n, IP: n}); err != nil {
			t.Fatal(err)
		}
	}
	// Enough rows to page several times.
	for i := range 2100 {
		e.store.AppendEvent(e.ctx, &gateway.Event{At: e.now, Actor: "system", Type: "filler", Detail: "n" + time.Duration(i).String()})
	}
	exp, err := e.svc.ExportEvents(e.ctx, operator, gateway.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := exp.WriteCSV(e.ctx, &buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	details := map[string]bool{}
	for _, rec := range recs[1:] {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Fatalf("cell %q would run as a formula", cell)
			}
		}
		details[rec[12]] = true
	}
	for _, n := range nasty {
		want := gateway.SafeCell(n)
		if !details[want] {
			t.Errorf("detail %q did not survive the round trip as %q", n, want)
		}
	}
	if !details["'=HYPERLINK(\"http://evil.example\",\"x\")"] || !details["line1\nline2"] {
		t.Fatal("quoting lost")
	}
	var fillers int
	for _, rec := range recs[1:] {
		if rec[6] == "filler" {
			fillers++
		}
	}
	if fillers != 2100 {
		t.Fatalf("exported %d of 2100 filler events", fillers)
	}
	if evs := e.events("events_exported"); len(evs) != 1 || evs[0].ActorID != operator.ID {
		t.Fatalf("export not logged: %+v", evs)
	}
	// The security preset.
	evs, err := e.svc.Events(e.ctx, operator, gateway.EventQuery{Security: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Type == "filler" {
			t.Fatal("security preset shows a non-security event")
		}
	}
	if len(evs) < len(nasty) {
		t.Fatalf("security preset: %d events", len(evs))
	}
	if _, err := gateway.ParseTimeBound("yesterday", false, time.UTC); gateway.ErrorCode(err) != "date_invalid" {
		t.Fatal(err)
	}
	if d, _ := gateway.ParseTimeBound("2026-11-23", true, time.UTC); !d.Equal(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("end of day: %v", d)
	}
}

// TestEveryAdminActionIsLogged runs each console action once as one admin
// and finds, for each, an event naming that admin.
func TestEveryAdminActionIsLogged(t *testing.T) {
	e := newEnv(t, true)
	e.svc.SetTester(&tester{})
	admin := gateway.Actor{Kind: gateway.ActorAdmin, ID: "office@acme.example", IP: "192.0.2.50"}
	p := e.person("ana@acme.example", phoneA, "verizon")
	e.twilio.set(&gateway.SendError{Code: "21211"})
	e.email.set(&gateway.SendError{Code: "550 5.1.1"})
	rolled := e.reset("ana@acme.example", phoneA)
	e.drain()
	e.twilio.set(nil)
	e.email.set(nil)
	// In order: some need what an earlier one made.
	actions := []struct {
		typ string
		act func() error
	}{
		{"admin_created", func() error {
			_, err := e.svc.CreateAdmin(e.ctx, admin, gateway.AdminInput{Email: "second@acme.example", Password: "harbor-dispatch-2026"})
			return err
		}},
		{"admin_disabled", func() error { return e.svc.SetAdminDisabled(e.ctx, admin, "second@acme.example", true) }},
		{"person_created", func() error {
			_, err := e.svc.CreatePerson(e.ctx, admin, gateway.PersonInput{Name: "Bo", Email: "bo@acme.example"})
			return err
		}},
		{"person_updated", func() error {
			_, err := e.svc.UpdatePerson(e.ctx, admin, "", p.ID, gateway.PersonPatch{Locale: ptr("es")})
			return err
		}},
		{"personnel_imported", func() error {
			_, err := e.svc.ImportPersonnel(e.ctx, admin, "", strings.NewReader("name,email\nCy,cy@acme.example\n"), true)
			return err
		}},
		{"password_set", func() error {
			_, err := e.svc.SetPassword(e.ctx, admin, p.ID, gateway.PasswordInput{Generate: true})
			return err
		}},
		{"reset_retried", func() error { _, err := e.svc.RetryReset(e.ctx, admin, rolled); return err }},
		{"carrier_tested", func() error {
			_, err := e.svc.TestProvider(e.ctx, admin, "verizon", gateway.ProviderTestInput{Phone: phoneA})
			return err
		}},
		{"twilio_tested", func() error {
			_, err := e.svc.TestProvider(e.ctx, admin, "twilio", gateway.ProviderTestInput{Phone: phoneA})
			return err
		}},
		{"email_tested", func() error { _, err := e.svc.TestEmail(e.ctx, admin, "", "office@acme.example"); return err }},
		{"carrier_created", func() error {
			_, err := e.svc.SaveCarrier(e.ctx, admin, gateway.CarrierInput{Slug: "regional", Name: ptr("Regional"), Country: ptr("US")}, true)
			return err
		}},
		{"carrier_updated", func() error { _, err := e.svc.RetireCarrier(e.ctx, admin, "regional", time.Time{}); return err }},
		{"settings_changed", func() error {
			_, err := e.svc.SetEmailProfile(e.ctx, admin, gateway.EmailProfileInput{URL: "smtp://mail.acme.example:587",
				Username: "relay", Password: "relay-secret-1", From: "reset@acme.example"})
			return err
		}},
		{"events_exported", func() error { _, err := e.svc.ExportEvents(e.ctx, admin, gateway.EventQuery{}); return err }},
	}
	for _, a := range actions {
		if err := a.act(); err != nil {
			t.Fatalf("%s: %v", a.typ, err)
		}
	}
	for _, a := range actions {
		typ := a.typ
		found := false
		for _, ev := range e.events(typ) {
			if ev.ActorID == admin.ID && ev.Actor == gateway.ActorAdmin && ev.IP == admin.IP {
				found = true
			}
		}
		if !found {
			t.Errorf("%s left no event with the admin's identity", typ)
		}
	}
	for _, ev := range e.events() {
		if strings.Contains(ev.Detail, "relay-secret-1") {
			t.Fatalf("a secret in the log: %+v", ev)
		}
	}
}
