package gateway_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

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
