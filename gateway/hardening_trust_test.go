package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
)

// newEnvWith is newEnv with changes to the service's config.
func newEnvWith(t *testing.T, twilio bool, change func(*gateway.Config)) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		twilio: &sender{}, carrier: &sender{}, email: &sender{}, logs: &bytes.Buffer{}}
	keys := gatewaytest.Keys(t)
	e.store, e.dbPath = gatewaytest.Store(t, keys)
	cfg := gateway.Config{
		Store: e.store, Renderer: gatewaytest.Renderer{}, Keys: keys, Hasher: gatewaytest.Hasher(),
		Clock: e.clock, Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Limits: gateway.DefaultLimits(), DefaultTwilio: twilio,
	}
	change(&cfg)
	var err error
	if e.svc, err = gateway.New(cfg); err != nil {
		t.Fatal(err)
	}
	e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteTwilio: e.twilio, gateway.RouteCarrier: e.carrier, gateway.RouteEmail: e.email,
	}, BackoffBase: time.Second, RetryFor: 10 * time.Minute})
	if e.tenant, err = e.svc.EnsureTenant(e.ctx, gateway.DefaultSlug, "Acme Movers"); err != nil {
		t.Fatal(err)
	}
	return e
}

// mail hands the gateway a text by mail with a header From and an
// envelope sender, as the SMTP listener does.
func (e *env) mail(headerFrom, envelope, body string) (string, error) {
	return e.svc.InboundText(e.ctx, gateway.InboundTextInput{Source: gateway.SourceEmailText, From: headerFrom,
		EnvelopeFrom: envelope, Body: body, IP: "203.0.113.25"})
}

func (e *env) optOuts(number string) []gateway.OptOut {
	e.t.Helper()
	out, err := e.store.OptOutsOf(e.ctx, number)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// A forger mails STOP in Maria's name: with only the header From set to
// her carrier address, the mail is no text at all; with the envelope
// forged as well (mail is spoofable), it is a request the admin sees and
// nothing is applied, unless the tenant trusts mailed keywords.
func TestHardening02_ForgedMailOptOutNotApplied(t *testing.T) {
	e := newEnv(t, false)
	e.person("maria@acme.example", phoneA, "verizon")

	if _, err := e.mail("2015550123@vtext.com", "attacker@evil.example", "STOP"); gateway.ErrorCode(err) != "not_carrier_sender" {
		t.Fatalf("header-only forgery: %v", err)
	}
	if _, err := e.mail("2015550123@vtext.com", "", "STOP"); gateway.ErrorCode(err) != "not_carrier_sender" {
		t.Fatalf("no envelope sender: %v", err)
	}
	if n := len(e.optOuts(phoneA)); n != 0 {
		t.Fatalf("%d opt-outs from a forged header", n)
	}

	// Envelope and header alike: recorded as a request, not applied, and
	// not answered (a forged mail must not make the gateway text anyone).
	reply, err := e.mail("2015550123@vtext.com", "2015550123@VTEXT.com", "STOP")
	if err != nil || reply != "" {
		t.Fatalf("stop by mail: %q %v", reply, err)
	}
	if n := len(e.optOuts(phoneA)); n != 0 {
		t.Fatalf("a STOP by mail was applied (%d opt-outs)", n)
	}
	reqs, err := e.svc.OptOutRequests(e.ctx, operator, "", 10)
	if err != nil || len(reqs) != 1 || reqs[0].Type != gateway.EventOptOutRequested || reqs[0].ActorID != phoneA {
		t.Fatalf("requests %+v %v", reqs, err)
	}
	// The texts still go.
	id := e.reset("maria@acme.example", phoneA)
	e.drain()
	if r := e.request(id); len(r.Deliveries) != 2 {
		t.Fatalf("deliveries after a forged STOP: %+v", r.Deliveries)
	}
	// A mailed reset still works, to the channels on record only.
	if _, err := e.mail("2015550123@vtext.com", "2015550123@vtext.com", "RESET"); err != nil {
		t.Fatal(err)
	}

	// An admin applies it by hand; a START by mail does not undo that.
	if err := e.svc.SetOptOutByAdmin(e.ctx, operator, "", "(201) 555-0123", true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.mail("2015550123@vtext.com", "2015550123@vtext.com", "START"); err != nil {
		t.Fatal(err)
	}
	if oo := e.optOuts(phoneA); len(oo) != 1 || oo[0].Source != gateway.OptOutAdmin {
		t.Fatalf("opt-outs after a START by mail: %+v", oo)
	}
	if reqs, _ := e.svc.OptOutRequests(e.ctx, operator, "", 10); len(reqs) != 2 || reqs[0].Type != gateway.EventOptInRequested {
		t.Fatalf("requests %+v", reqs)
	}

	// A tenant that trusts mailed keywords gets them applied.
	e.patchTenant(gateway.SettingsPatch{TrustMailKeywords: ptr(true)})
	if tn, _ := e.svc.Tenant(e.ctx, ""); !tn.TrustMailKeywords {
		t.Fatal("trust_mail_keywords not saved")
	}
	if _, err := e.mail("2015550123@vtext.com", "2015550123@vtext.com", "START"); err != nil {
		t.Fatal(err)
	}
	if n := len(e.optOuts(phoneA)); n != 0 {
		t.Fatalf("a trusted START left %d opt-outs", n)
	}
	if _, err := e.mail("2015550123@vtext.com", "2015550123@vtext.com", "STOP"); err != nil {
		t.Fatal(err)
	}
	if oo := e.optOuts(phoneA); len(oo) != 1 || oo[0].Source != gateway.OptOutMail || oo[0].Channel != gateway.ChannelCarrier {
		t.Fatalf("trusted STOP: %+v", oo)
	}
}

// A STOP to one company's number silences that company's texts only.
func TestHardening02_OptOutPerTenant(t *testing.T) {
	e := newEnvWith(t, true, func(c *gateway.Config) { c.DefaultTwilioFrom = "+12015550100" })
	hvac, _ := e.tenantAdmin("hvac")
	e.patchTwilio(hvac)
	e.person("maria@acme.example", phoneA, "")

	// Maria's phone texts STOP to HVAC's number (she once worked there).
	e.text(gateway.SourceSMS, phoneA, "hvac", "STOP")
	if oo := e.optOuts(phoneA); len(oo) != 1 || oo[0].TenantID != hvac.ID || oo[0].Source != gateway.OptOutTwilioWebhook ||
		oo[0].Channel != "twilio:+15005550006" {
		t.Fatalf("opt-outs %+v", oo)
	}
	// Acme's texts to her still go, and her record shows no opt-out.
	id := e.reset("maria@acme.example", phoneA)
	e.drain()
	if r := e.request(id); len(r.Deliveries) != 2 || len(e.twilio.all()) != 1 {
		t.Fatalf("acme's reset after a STOP to hvac: %+v", r.Deliveries)
	}
	if p, _ := e.store.PersonByEmail(e.ctx, e.tenant.ID, "maria@acme.example"); p.Phones[0].OptedOut {
		t.Fatal("acme's record shows hvac's opt-out")
	}

	// Twilio refuses Acme's next text (she texted STOP to the shared
	// number at Twilio): the opt-out is Acme's, on the shared number.
	e.twilio.set(&gateway.SendError{Code: "21610", Detail: "Attempt to send to unsubscribed recipient"})
	e.reset("maria@acme.example", phoneA)
	e.drain()
	var acme *gateway.OptOut
	for _, o := range e.optOuts(phoneA) {
		if o.TenantID == e.tenant.ID {
			acme = &o
		}
	}
	if acme == nil || acme.Source != gateway.OptOutTwilio21610 || acme.Channel != "twilio:+12015550100" {
		t.Fatalf("21610 opt-out %+v (all %+v)", acme, e.optOuts(phoneA))
	}
	// HVAC's START clears HVAC's opt-out only.
	e.text(gateway.SourceSMS, phoneA, "hvac", "START")
	if oo := e.optOuts(phoneA); len(oo) != 1 || oo[0].TenantID != e.tenant.ID {
		t.Fatalf("after hvac's START: %+v", oo)
	}
}

// The operator's shared number is the operator's: a tenant admin cannot
// take it, nor another tenant's number or Messaging Service.
func TestHardening02_SharedNumberReserved(t *testing.T) {
	e := newEnvWith(t, true, func(c *gateway.Config) { c.DefaultTwilioFrom = "+1 (201) 555-0100" })
	hvac, hvacAdmin := e.tenantAdmin("hvac")
	_, plumbAdmin := e.tenantAdmin("plumb")
	tw := func(from, mg string) *gateway.TwilioSettings {
		return &gateway.TwilioSettings{AccountSID: "AC0123456789abcdef0123456789abcdef",
			AuthToken: "f00dfeedf00dfeedf00dfeedf00dfeed", From: from, MessagingServiceSID: mg}
	}
	set := func(a gateway.Actor, slug string, s *gateway.TwilioSettings) error {
		_, err := e.svc.UpdateSettings(e.ctx, a, slug, gateway.SettingsPatch{Twilio: s})
		return err
	}
	for _, from := range []string{"+12015550100", "(201) 555-0100"} {
		err := set(hvacAdmin, "", tw(from, ""))
		if gateway.ErrorKind(err) != gateway.KindConflict || gateway.ErrorCode(err) != "twilio_sender_reserved" {
			t.Fatalf("tenant admin took the shared number %s: %v", from, err)
		}
	}
	if tn, _ := e.svc.Tenant(e.ctx, "hvac"); tn.Twilio != nil {
		t.Fatal("the shared number was saved")
	}
	// The operator may hand it out.
	if err := set(operator, "hvac", tw("+12015550100", "")); err != nil {
		t.Fatalf("operator: %v", err)
	}
	// Nobody else may have it then, nor a number or service another holds.
	err := set(plumbAdmin, "", tw("+12015550100", ""))
	if gateway.ErrorCode(err) != "twilio_sender_reserved" {
		t.Fatalf("plumb took the shared number: %v", err)
	}
	if err := set(operator, "hvac", tw("+12015550111", "MG0123456789abcdef0123456789abcdef")); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*gateway.TwilioSettings{tw("+12015550111", ""), tw("", "MG0123456789abcdef0123456789abcdef")} {
		err := set(plumbAdmin, "", s)
		if gateway.ErrorKind(err) != gateway.KindConflict || gateway.ErrorCode(err) != "twilio_sender_taken" || strings.Contains(err.Error(), "hvac") {
			t.Fatalf("plumb took hvac's sender %+v: %v", s, err)
		}
		if err := set(operator, "plumb", s); gateway.ErrorCode(err) != "twilio_sender_taken" || !strings.Contains(err.Error(), "hvac") {
			t.Fatalf("operator not told who holds it: %v", err)
		}
	}
	// The store holds the line too, whoever writes.
	plumb, _ := e.svc.Tenant(e.ctx, "plumb")
	plumb.Twilio = tw("+12015550111", "")
	if err := e.store.UpdateTenant(e.ctx, plumb); gateway.ErrorCode(err) != "twilio_sender_taken" {
		t.Fatalf("store: %v", err)
	}
	plumb.Twilio = tw("", "MG0123456789abcdef0123456789abcdef")
	if err := e.store.UpdateTenant(e.ctx, plumb); gateway.ErrorCode(err) != "twilio_sender_taken" {
		t.Fatalf("store, service SID: %v", err)
	}
	_ = hvac
}

// recorder is a ProviderTester that keeps what it was asked to send.
type recorder struct {
	mu    sync.Mutex
	sent  []string // "to: body"
	mails int
}

func (r *recorder) TestSMTP(ctx context.Context, p *gateway.SMTPProfile, to, subject, text string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if subject != "" {
		r.mails++
	}
	r.sent = append(r.sent, to+": "+text)
	return "250 2.0.0 OK", nil
}

func (r *recorder) TestTwilio(ctx context.Context, s *gateway.TwilioSettings, to, body string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, to+": "+body)
	return "SM0123456789abcdef0123456789abcdef", nil
}

// Test Provider is no open sender: a fixed text with a short plain note,
// only to the countries both the tenant and the operator allow, and ten
// tests an hour per tenant (texts and emails alike).
func TestHardening07_TestProviderBounded(t *testing.T) {
	e := newEnv(t, true)
	rec := &recorder{}
	e.svc.SetTester(rec)
	tn, admin := e.tenantAdmin("hvac")
	test := func(phone, note string) (*gateway.ProviderTestResult, error) {
		return e.svc.TestProvider(e.ctx, admin, "twilio", gateway.ProviderTestInput{Phone: phone, Message: note})
	}

	for _, note := range []string{
		"Your account is locked: https://evil.example/login", "go to www.evil", "visit evil.com now",
		"mail me at x@evil.example", "evil(dot)com", "tel:+12015550199",
	} {
		if _, err := test(phoneA, note); gateway.ErrorCode(err) != "note_has_link" {
			t.Fatalf("note %q: %v", note, err)
		}
	}
	if _, err := test(phoneA, strings.Repeat("a", 61)); gateway.ErrorCode(err) != "note_too_long" {
		t.Fatalf("long note: %v", err)
	}
	// Countries: neither the tenant's list nor its widening opens others.
	for _, phone := range []string{"+447911123456", "+37120000000", "+2348031234567", "+74951234567"} {
		if _, err := test(phone, ""); gateway.ErrorCode(err) != "country_not_allowed" {
			t.Fatalf("test to %s: %v", phone, err)
		}
	}
	if _, err := e.svc.UpdateSettings(e.ctx, admin, "", gateway.SettingsPatch{SMSCountries: []string{"US", "GB"}}); gateway.ErrorCode(err) != "country_not_permitted" {
		t.Fatalf("widening the operator's list: %v", err)
	}
	if _, err := e.svc.UpdateSettings(e.ctx, admin, "", gateway.SettingsPatch{SMSCountries: []string{"CA"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := test(phoneA, ""); gateway.ErrorCode(err) != "country_not_allowed" {
		t.Fatalf("a US test from a CA-only tenant: %v", err)
	}
	if _, err := e.svc.UpdateSettings(e.ctx, admin, "", gateway.SettingsPatch{SMSCountries: []string{"US", "CA"}}); err != nil {
		t.Fatal(err)
	}
	if len(rec.sent) != 0 {
		t.Fatalf("refused tests sent %v", rec.sent)
	}

	res, err := test(phoneA, "from the office, Bay 3")
	if err != nil || !res.OK {
		t.Fatalf("test: %+v %v", res, err)
	}
	if want := phoneA + ": [/test] PW= Note: from the office, Bay 3"; rec.sent[0] != want {
		t.Fatalf("sent %q, want %q", rec.sent[0], want)
	}
	if _, err := e.svc.TestEmail(e.ctx, admin, "", "office@hvac.example"); err != nil {
		t.Fatal(err)
	}
	for i := 2; i < 10; i++ {
		if _, err := test(fmt.Sprintf("+1201555%04d", 100+i), ""); err != nil {
			t.Fatalf("test %d: %v", i, err)
		}
	}
	// The eleventh in the hour, by another admin of the same tenant, by
	// text or by email: refused, and nothing sent.
	other := gateway.Actor{Kind: gateway.ActorAdmin, ID: "other@hvac.example", TenantID: tn.ID}
	if _, err := e.svc.TestProvider(e.ctx, other, "twilio", gateway.ProviderTestInput{Phone: phoneA}); gateway.ErrorKind(err) != gateway.KindRateLimited || gateway.ErrorCode(err) != "tests_rate_limited" {
		t.Fatalf("eleventh test: %v", err)
	}
	if _, err := e.svc.TestEmail(e.ctx, admin, "", "office@hvac.example"); gateway.ErrorCode(err) != "tests_rate_limited" {
		t.Fatalf("eleventh test by email: %v", err)
	}
	if len(rec.sent) != 10 {
		t.Fatalf("%d tests sent", len(rec.sent))
	}
	// An hour later it may test again; another tenant was never held up.
	if _, err := e.svc.TestProvider(e.ctx, operator, "twilio", gateway.ProviderTestInput{Phone: phoneA}); err != nil {
		t.Fatalf("another tenant's test: %v", err)
	}
	e.advance(time.Hour)
	if _, err := test(phoneA, ""); err != nil {
		t.Fatalf("next hour: %v", err)
	}
}

// A replayed webhook (same MessageSid) is acted on once for 48 hours,
// across midnight, and not for ever.
func TestHardening10_MessageSidKept48h(t *testing.T) {
	e := newEnv(t, true)
	e.now = time.Date(2026, 11, 23, 23, 50, 0, 0, time.UTC)
	e.person("ana@acme.example", phoneA, "")
	send := func() string {
		t.Helper()
		reply, err := e.svc.InboundText(e.ctx, gateway.InboundTextInput{Source: gateway.SourceSMS, From: phoneA,
			Body: "HELP", IP: "198.51.100.7", MessageID: "SM0123456789abcdef0123456789abcdef"})
		if err != nil {
			t.Fatal(err)
		}
		return reply
	}
	if send() == "" {
		t.Fatal("first delivery not answered")
	}
	for _, d := range []time.Duration{20 * time.Minute, 24 * time.Hour, 23*time.Hour + 20*time.Minute} {
		e.advance(d) // past midnight, a day later, just under 48 h
		if got := send(); got != "" {
			t.Fatalf("replay at %s acted on: %q", e.now, got)
		}
	}
	e.advance(time.Hour)
	if send() == "" {
		t.Fatal("an id 49 hours old is still held")
	}
}

// A tenant admin who enters a number on someone's record gets one generic
// answer, whoever holds it; the operator is told which tenant.
func TestHardening14_PhoneTakenGeneric(t *testing.T) {
	e := newEnv(t, true)
	e.person("maria@acme.example", phoneA, "")
	hvac, admin := e.tenantAdmin("hvac")
	if _, err := e.svc.CreatePerson(e.ctx, admin, gateway.PersonInput{Name: "Bo", Email: "bo@hvac.example",
		Phones: []gateway.PhoneInput{{Number: "+12015550150", Type: "sms"}}}); err != nil {
		t.Fatal(err)
	}
	var answers []string
	for _, phone := range []string{phoneA, "(201) 555-0150"} { // another tenant's, its own
		_, err := e.svc.CreatePerson(e.ctx, admin, gateway.PersonInput{Name: "Cy", Email: "cy@hvac.example",
			Phones: []gateway.PhoneInput{{Number: phone, Type: "sms"}}})
		if gateway.ErrorKind(err) != gateway.KindConflict || gateway.ErrorCode(err) != "phone_taken" {
			t.Fatalf("%s: %v", phone, err)
		}
		msg := err.Error()
		for _, leak := range []string{"2015550123", "555-0123", "2015550150", "default", "Acme", "maria"} {
			if strings.Contains(msg, leak) {
				t.Fatalf("the answer names %q: %s", leak, msg)
			}
		}
		answers = append(answers, msg)
	}
	if answers[0] != answers[1] {
		t.Fatalf("answers differ: %q vs %q", answers[0], answers[1])
	}
	// Updating a record and importing answer the same.
	bo, _ := e.store.PersonByEmail(e.ctx, hvac.ID, "bo@hvac.example")
	phones := []gateway.PhoneInput{{Number: phoneA, Type: "sms"}}
	if _, err := e.svc.UpdatePerson(e.ctx, admin, "", bo.ID, gateway.PersonPatch{Phones: &phones}); err == nil || err.Error() != answers[0] {
		t.Fatalf("update: %v", err)
	}
	res, err := e.svc.ImportPersonnel(e.ctx, admin, "", strings.NewReader("name,email,phone\nCy,cy@hvac.example,2015550123\n"), true)
	if err != nil || len(res.Errors) != 1 || strings.Contains(res.Errors[0].Message, "2015550123") || strings.Contains(res.Errors[0].Message, "default") {
		t.Fatalf("import: %+v %v", res, err)
	}
	// The operator learns who holds it.
	_, err = e.svc.CreatePerson(e.ctx, operator, gateway.PersonInput{Tenant: "hvac", Name: "Cy", Email: "cy@hvac.example",
		Phones: []gateway.PhoneInput{{Number: phoneA, Type: "sms"}}})
	if gateway.ErrorCode(err) != "phone_taken" || !strings.Contains(err.Error(), `tenant "default"`) || !strings.Contains(err.Error(), phoneA) {
		t.Fatalf("operator: %v", err)
	}
}
