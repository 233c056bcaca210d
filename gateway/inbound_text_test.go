package gateway_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// text sends an inbound text and returns the answer.
func (e *env) text(src gateway.Source, from, tenant, body string) string {
	e.t.Helper()
	in := gateway.InboundTextInput{Source: src, From: from, Tenant: tenant, Body: body, IP: "198.51.100.7"}
	if src == gateway.SourceEmailText {
		in.EnvelopeFrom = from // as a carrier's gateway sends it
	}
	reply, err := e.svc.InboundText(e.ctx, in)
	if err != nil {
		e.t.Fatalf("inbound %q from %s: %v", body, from, err)
	}
	return reply
}

// newestReset is the id of the newest reset request.
func (e *env) newestReset() string {
	e.t.Helper()
	// By the log, which keeps the order: requests made in the same
	// instant of the test clock sort by their random ids.
	evs, err := e.store.ListEvents(e.ctx, gateway.EventFilter{Types: []string{"reset_requested"}})
	if err != nil || len(evs) == 0 {
		e.t.Fatalf("no reset: %v", err)
	}
	return evs[len(evs)-1].RequestID
}

func (e *env) eventsOf(typ string) []*gateway.Event {
	e.t.Helper()
	evs, err := e.store.ListEvents(e.ctx, gateway.EventFilter{Types: []string{typ}})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func TestInboundSMSKeywords(t *testing.T) {
	cases := []struct {
		body, want string
		optedOut   bool
	}{
		{"RESET", "[en/reply] PW=", false},
		{"  reset please ", "[en/reply] PW=", false},
		{"Forgot", "[en/reply] PW=", false},
		{"clave", "[es/reply] PW=", false},
		{"HELP", "[en/help] PW=", false},
		{"¡Ayuda!", "[es/help] PW=", false},
		{"what is this", "[en/help] PW=", false}, // by SMS an unknown word gets the help text
		{"STOP", "[en/opted_out] PW=", true},
		{"stopall", "[en/opted_out] PW=", true},
		{"Unsubscribe", "[en/opted_out] PW=", true},
		{"cancel", "[en/opted_out] PW=", true},
		{"END", "[en/opted_out] PW=", true},
		{"quit", "[en/opted_out] PW=", true},
		{"START", "[en/opted_in] PW=", false},
		{"unstop", "[en/opted_in] PW=", false},
	}
	for _, tc := range cases {
		t.Run(tc.body, func(t *testing.T) {
			e := newEnv(t, true)
			e.person("ana@acme.example", phoneA, "verizon")
			if got := e.text(gateway.SourceSMS, phoneA, "", tc.body); got != tc.want {
				t.Fatalf("reply %q, want %q", got, tc.want)
			}
			out, _ := e.store.OptedOut(e.ctx, e.tenant.ID, "twilio:default", phoneA)
			if out != tc.optedOut {
				t.Fatalf("opted out %v", out)
			}
			evs := e.eventsOf("inbound_text")
			if len(evs) != 1 || evs[0].ActorID != phoneA || evs[0].Actor != gateway.ActorCrew || evs[0].IP != "198.51.100.7" {
				t.Fatalf("events %+v", evs)
			}
		})
	}
}

// The answer to RESET is the same whether or not the number is on file;
// only the known number's person gets a password, on their own phone and
// mailbox.
func TestInboundResetNeutral(t *testing.T) {
	e := newEnv(t, true)
	e.person("ana@acme.example", phoneA, "verizon")
	known := e.text(gateway.SourceSMS, phoneA, "", "RESET")
	knownID := e.newestReset()
	unknown := e.text(gateway.SourceSMS, "+12015550199", "", "RESET")
	unknownID := e.newestReset()
	if known != unknown {
		t.Fatalf("answers differ: %q vs %q", known, unknown)
	}
	e.drain()
	if r := e.request(knownID); r.State != gateway.StateDelivered || r.Source != gateway.SourceSMS || len(r.Deliveries) != 2 {
		t.Fatalf("known: %+v", r)
	}
	if r := e.request(unknownID); r.State != gateway.StateRejected || r.Reason != gateway.ReasonNoMatch {
		t.Fatalf("unknown: %s %s", r.State, r.Reason)
	}
	sms, mail := e.twilio.all(), e.email.all()
	if len(sms) != 1 || sms[0].To != phoneA || len(mail) != 1 || mail[0].To != "ana@acme.example" {
		t.Fatalf("sms %+v mail %+v", sms, mail)
	}
	e.mustLogin("ana@acme.example", e.twilio.password(t))
}

// A tenant's own Twilio number resets only its own people: a number on
// another tenant's record texting it gets the same answer and nothing else.
func TestInboundResetTenantOfNumber(t *testing.T) {
	e := newEnv(t, true)
	if _, err := e.svc.CreateTenant(e.ctx, operator, gateway.TenantInput{Slug: "hvac", Name: "HVAC Co"}); err != nil {
		t.Fatal(err)
	}
	e.person("bo@acme.example", phoneA, "")
	e.text(gateway.SourceSMS, phoneA, "hvac", "RESET")
	id := e.newestReset()
	e.drain()
	if r := e.request(id); r.State != gateway.StateRejected || r.Reason != gateway.ReasonNoMatch {
		t.Fatalf("state %s reason %s", r.State, r.Reason)
	}
	// Texting the shared number finds the tenant from the sender.
	e.text(gateway.SourceSMS, phoneA, "", "RESET")
	id = e.newestReset()
	e.drain()
	if r := e.request(id); r.State != gateway.StateDelivered {
		t.Fatalf("shared number: %s %s", r.State, r.Reason)
	}
}

func TestInboundStopThenReset(t *testing.T) {
	e := newEnv(t, true)
	e.person("ana@acme.example", phoneA, "verizon")
	e.text(gateway.SourceSMS, phoneA, "", "STOP")
	if got := e.text(gateway.SourceSMS, phoneA, "", "RESET"); got != "" {
		t.Fatalf("an opted-out number was answered: %q", got)
	}
	if got := e.text(gateway.SourceSMS, phoneA, "", "HELP"); got != "" {
		t.Fatalf("an opted-out number was answered: %q", got)
	}
	id := e.newestReset()
	e.drain()
	r := e.request(id)
	if r.State != gateway.StateDelivered || len(r.Deliveries) != 1 || r.Deliveries[0].Channel != gateway.ChannelEmail {
		t.Fatalf("state %s deliveries %+v", r.State, r.Deliveries)
	}
	if len(e.twilio.all()) != 0 {
		t.Fatal("a text went to an opted-out number")
	}
	p, _ := e.store.PersonByEmail(e.ctx, e.tenant.ID, "ana@acme.example")
	if !p.Phones[0].OptedOut {
		t.Fatal("the record does not show the opt-out")
	}
	if got := e.text(gateway.SourceSMS, phoneA, "", "start"); got != "[en/opted_in] PW=" {
		t.Fatalf("start: %q", got)
	}
	e.text(gateway.SourceSMS, phoneA, "", "RESET")
	e.drain()
	if len(e.twilio.all()) != 1 {
		t.Fatal("no text after START")
	}
}

// A STOP that arrives while a reset's text waits for a retry stops it, on
// Twilio and carrier gateway alike.
func TestOptOutHonouredAtSendTime(t *testing.T) {
	for _, twilio := range []bool{true, false} {
		t.Run(map[bool]string{true: "twilio", false: "carrier"}[twilio], func(t *testing.T) {
			e := newEnv(t, twilio)
			e.person("ana@acme.example", phoneA, "verizon")
			sms := e.carrier
			if twilio {
				sms = e.twilio
			}
			sms.set(&gateway.SendError{Class: gateway.FailTransient, Code: "unavailable"})
			id := e.reset("ana@acme.example", phoneA)
			e.drain()
			if twilio {
				e.text(gateway.SourceSMS, phoneA, "", "STOP")
			} else {
				// Without Twilio a STOP comes by mail, from a tenant that
				// trusts those.
				e.patchTenant(gateway.SettingsPatch{TrustMailKeywords: ptr(true)})
				e.text(gateway.SourceEmailText, "2015550123@vtext.com", "", "STOP")
			}
			sms.set(nil)
			e.advance(time.Minute)
			e.drain()
			var texts int
			for _, m := range sms.all() {
				if strings.HasPrefix(m.Text, "[en/reset]") {
					texts++
				}
			}
			if texts != 0 {
				t.Fatal("the reset's text went after STOP")
			}
			r := e.request(id)
			for _, d := range r.Deliveries {
				if d.Channel == gateway.ChannelSMS && (d.Status != gateway.DeliveryFailed || d.ErrorCode != "opted_out") {
					t.Fatalf("sms delivery %s %s", d.Status, d.ErrorCode)
				}
			}
			if r.State != gateway.StateDelivered {
				t.Fatalf("state %s", r.State)
			}
		})
	}
}

func TestInboundReplyRateLimited(t *testing.T) {
	e := newEnv(t, true)
	answered := 0
	for range 15 {
		if e.text(gateway.SourceSMS, phoneA, "", "HELP") != "" {
			answered++
		}
	}
	if answered != 10 {
		t.Fatalf("%d answers", answered)
	}
	if len(e.eventsOf("inbound_text")) != 15 {
		t.Fatal("every inbound text is an event")
	}
}

func TestInboundBadSender(t *testing.T) {
	e := newEnv(t, true)
	if got := e.text(gateway.SourceSMS, "ACME", "", "RESET"); got != "" {
		t.Fatalf("answered %q", got)
	}
	evs := e.eventsOf("inbound_text")
	if len(evs) != 1 || evs[0].Code != "bad_sender" {
		t.Fatalf("events %+v", evs)
	}
	if rs, _ := e.store.ListResets(e.ctx, gateway.ResetFilter{}); len(rs) != 0 {
		t.Fatal("a reset was started for no number")
	}
}

// Texts by mail: the answer goes back through the carrier's gateway, via
// the outbox, and the password goes to the phone and mailbox on record.
func TestEmailText(t *testing.T) {
	cases := []struct {
		name, from, wantReplyTo string
	}{
		{"sms gateway", "2015550123@vtext.com", "2015550123@vtext.com"},
		{"mms gateway, upper case", "2015550123@VZWPIX.com", "2015550123@vtext.com"},
		{"with country code", "12015550123@vtext.com", "2015550123@vtext.com"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, false)
			e.person("ana@acme.example", phoneA, "verizon")
			reply := e.text(gateway.SourceEmailText, tc.from, "", "Reset\n--\nSent from my phone")
			if reply != "[en/reply] PW=" {
				t.Fatalf("reply %q", reply)
			}
			id := e.newestReset()
			e.drain()
			r := e.request(id)
			if r.State != gateway.StateDelivered || r.Source != gateway.SourceEmailText || r.Phone != phoneA {
				t.Fatalf("request %+v", r)
			}
			var replies, resets []*gateway.Message
			for _, m := range e.carrier.all() {
				if m.RequestID == "" {
					replies = append(replies, m)
				} else {
					resets = append(resets, m)
				}
			}
			if len(replies) != 1 || replies[0].To != tc.wantReplyTo || replies[0].Text != reply {
				t.Fatalf("replies %+v", replies)
			}
			if len(resets) != 1 || resets[0].To != "2015550123@vtext.com" || len(e.email.all()) != 1 {
				t.Fatalf("resets %+v, mail %d", resets, len(e.email.all()))
			}
		})
	}
}

func TestEmailTextRefused(t *testing.T) {
	e := newEnv(t, false)
	for _, from := range []string{"someone@example.com", "ana@vtext.com", "5550123@vtext.com", "2015550123@", "", "2015550123@vtext.com.evil.example"} {
		_, err := e.svc.InboundText(e.ctx, gateway.InboundTextInput{Source: gateway.SourceEmailText, From: from, Body: "RESET"})
		if gateway.ErrorCode(err) != "not_carrier_sender" {
			t.Errorf("%q: %v", from, err)
		}
	}
	if rs, _ := e.store.ListResets(e.ctx, gateway.ResetFilter{}); len(rs) != 0 {
		t.Fatal("a refused text started a reset")
	}
}

// By mail an unknown word is not answered (it may be a robot), and a
// retired gateway cannot carry an answer, though the reset still goes.
func TestEmailTextNoAnswer(t *testing.T) {
	e := newEnv(t, false)
	e.person("ana@acme.example", phoneA, "att")
	if got := e.text(gateway.SourceEmailText, "2015550123@vtext.com", "", "Thanks!"); got != "" {
		t.Fatalf("answered %q", got)
	}
	if got := e.text(gateway.SourceEmailText, "2015550123@txt.att.net", "", "RESET"); got != "" {
		t.Fatalf("answered through a retired gateway: %q", got)
	}
	id := e.newestReset()
	e.drain()
	if r := e.request(id); r.State != gateway.StateDelivered || len(e.email.all()) != 1 || len(e.carrier.all()) != 0 {
		t.Fatalf("state %s, %d mails, %d texts", r.State, len(e.email.all()), len(e.carrier.all()))
	}
}

// The sender of a mailed text can be forged. A stranger who mails RESET in
// someone's name starts a reset whose password goes only to that person's
// phone and mailbox, and the person's original password keeps working.
func TestForgedEmailTextLocksNobodyOut(t *testing.T) {
	e := newEnv(t, false)
	e.person("ana@acme.example", phoneA, "verizon")
	e.text(gateway.SourceEmailText, "2015550123@vtext.com", "", "RESET")
	e.drain()
	for _, m := range append(e.carrier.all(), e.email.all()...) {
		if m.To != "2015550123@vtext.com" && m.To != "ana@acme.example" {
			t.Fatalf("a message went to %s", m.To)
		}
	}
	e.mustLogin("ana@acme.example", original)
}

// Once the STOP confirmation is queued it goes, though the number is now
// opted out; nothing else does.
func TestEmailTextStop(t *testing.T) {
	e := newEnv(t, false)
	e.patchTenant(gateway.SettingsPatch{TrustMailKeywords: ptr(true)})
	if got := e.text(gateway.SourceEmailText, "2015550123@vtext.com", "", "STOP"); got != "[en/opted_out] PW=" {
		t.Fatalf("reply %q", got)
	}
	e.text(gateway.SourceEmailText, "2015550123@vtext.com", "", "HELP")
	e.drain()
	msgs := e.carrier.all()
	if len(msgs) != 1 || msgs[0].Text != "[en/opted_out] PW=" {
		t.Fatalf("sent %+v", msgs)
	}
}

func TestTenantKeywords(t *testing.T) {
	e := newEnv(t, true)
	e.person("ana@acme.example", phoneA, "")
	e.patchTenant(gateway.SettingsPatch{Keywords: gateway.Keywords{"olvide": gateway.KeywordReset, "PASSWORD": gateway.KeywordNone}})
	tn, _ := e.svc.Tenant(e.ctx, "")
	if tn.Keywords["OLVIDE"] != gateway.KeywordReset {
		t.Fatalf("stored keywords %v", tn.Keywords)
	}
	if got := e.text(gateway.SourceSMS, phoneA, "", "Olvide mi clave"); got != "[en/reply] PW=" {
		t.Fatalf("own word: %q", got)
	}
	if got := e.text(gateway.SourceSMS, phoneA, "", "password"); got != "[en/help] PW=" {
		t.Fatalf("dropped word: %q", got)
	}
	if n := len(e.eventsOf("reset_requested")); n != 1 {
		t.Fatalf("%d resets", n)
	}

	bad := []gateway.Keywords{
		{"STOP": gateway.KeywordReset},
		{"HELP": gateway.KeywordNone},
		{"two words": gateway.KeywordReset},
		{"": gateway.KeywordReset},
		{"RESET!": gateway.KeywordReset},
		{"X": "delete"},
		{strings.Repeat("A", 33): gateway.KeywordReset},
	}
	for _, k := range bad {
		if _, err := e.svc.UpdateSettings(e.ctx, operator, "", gateway.SettingsPatch{Keywords: k}); gateway.ErrorKind(err) != gateway.KindInvalid {
			t.Errorf("%v: %v", k, err)
		}
	}
	// Back to the defaults.
	e.patchTenant(gateway.SettingsPatch{Keywords: gateway.Keywords{}})
	if tn, _ := e.svc.Tenant(e.ctx, ""); tn.Keywords != nil {
		t.Fatalf("keywords %v", tn.Keywords)
	}
}

func TestInboundKeywordsMandatory(t *testing.T) {
	tn := &gateway.Tenant{Keywords: gateway.Keywords{"STOP": gateway.KeywordNone, "CLAVE": gateway.KeywordNone}}
	k := tn.InboundKeywords()
	if k.Parse("stop") != gateway.KeywordStop || k.Parse("clave") != gateway.KeywordNone || k.Parse("reset") != gateway.KeywordReset {
		t.Fatal("mandatory words must survive a tenant's changes")
	}
	var none *gateway.Tenant
	if none.InboundKeywords().Parse("AYUDA") != gateway.KeywordHelp {
		t.Fatal("a nil tenant reads with the defaults")
	}
}

func TestSecurityEventCapped(t *testing.T) {
	e := newEnv(t, true)
	for range 70 {
		if err := e.svc.SecurityEvent(e.ctx, gateway.SecurityEventInput{IP: "203.0.113.9", Code: "twilio_signature_invalid"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.eventsOf("security")); n != 60 {
		t.Fatalf("%d security events", n)
	}
}

func TestInboundSourceChecked(t *testing.T) {
	e := newEnv(t, true)
	_, err := e.svc.InboundText(e.ctx, gateway.InboundTextInput{Source: gateway.SourceAPI, From: phoneA, Body: "RESET"})
	var ge *gateway.Error
	if !errors.As(err, &ge) || ge.Kind != gateway.KindInvalid {
		t.Fatalf("err %v", err)
	}
}
