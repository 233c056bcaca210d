package gateway_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
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

	// A 21610 in a status callback records HVAC's opt-out on its sender.
	e.twilio.set(nil)
	hp := e.person("bo@hvac.example", "+12015550150", "", func(in *gateway.PersonInput) { in.Tenant = "hvac" })
	if _, err := e.svc.RequestReset(e.ctx, gateway.ResetInput{Email: hp.Email, Phone: "+12015550150", Tenant: "hvac", IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	msgs := e.twilio.all()
	last := msgs[len(msgs)-1]
	if last.To != "+12015550150" {
		t.Fatalf("last text to %s", last.To)
	}
	d, err := e.store.Delivery(e.ctx, last.DeliveryID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeliveryOutcome(e.ctx, gateway.OutcomeInput{ProviderID: d.ProviderID, Source: gateway.OutcomeSourceTwilio,
		Status: gateway.OutcomeFailed, ErrorCode: "21610"}); err != nil {
		t.Fatal(err)
	}
	if oo := e.optOuts("+12015550150"); len(oo) != 1 || oo[0].TenantID != hvac.ID || oo[0].Channel != "twilio:+15005550006" ||
		oo[0].Source != gateway.OptOutTwilio21610 {
		t.Fatalf("late 21610: %+v", oo)
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
