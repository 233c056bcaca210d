package gateway_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/carriers/smtp"
	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/carriers/twilio"
	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
	"github.com/resetgw/resetgw/carriers/webhook"
	"github.com/resetgw/resetgw/carriers/webhook/webhooktest"
	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

// lateEnv is a chain of twilio then (optionally) a webhook, with the real
// senders against local servers, and the gateway's HTTP API listening on
// loopback for the status callbacks the Twilio-shaped server posts.
type lateEnv struct {
	*env
	twilio *twiliotest.Server
	hook   *webhooktest.Server
	relay  *smtptest.Server
	base   string // the API's URL, where callbacks go
}

func newLateEnv(t *testing.T, links ...string) *lateEnv {
	e := newEnv(t, true)
	le := &lateEnv{env: e, twilio: twiliotest.Start(t, e2eSID, e2eToken), hook: webhooktest.New(t, hookSecret),
		relay: smtptest.Start(t, smtptest.Options{})}
	le.twilio.SetClock(e.clock)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	le.base = "http://" + ln.Addr().String()
	def := &gateway.TwilioSettings{AccountSID: e2eSID, AuthToken: e2eToken, From: "+12015550100"}
	api := httpapi.New(httpapi.Config{Service: e.svc, AdminToken: "admin-token-0123456789", Ready: e.store.Ping,
		PublicURL: le.base, DefaultTwilio: def})
	go func() { _ = api.App().Listener(ln) }()
	t.Cleanup(func() { _ = api.App().Shutdown() })
	relay := smtp.New(smtp.Config{Default: gateway.SMTPProfile{URL: le.relay.URL(), From: "reset@acme.example"},
		TLSConfig: le.relay.ClientTLS(), Timeout: 5 * time.Second, Clock: e.clock})
	t.Cleanup(func() { relay.Close() })
	e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteTwilio: twilio.New(twilio.Config{Default: def, APIURL: le.twilio.URL(), Timeout: 5 * time.Second,
			Clock: e.clock, StatusCallback: le.base + httpapi.TwilioStatusPath}),
		gateway.RouteWebhook: webhook.New(webhook.Config{TLS: le.hook.TLS(), Clock: e.clock, Timeout: 5 * time.Second}),
		gateway.RouteCarrier: relay, gateway.RouteEmail: relay,
	}, BackoffBase: time.Second, RetryFor: 10 * time.Minute, BreakerFailures: 1000})
	var chain []gateway.SMSRoute
	for _, l := range links {
		switch l {
		case "twilio":
			chain = append(chain, twilioLink)
		case "webhook":
			chain = append(chain, hook(le.hook.URL))
		case "carrier":
			chain = append(chain, carrierLink)
		}
	}
	e.patchTenant(gateway.SettingsPatch{SMSRoutes: &chain})
	e.person("ana@acme.example", phoneA, "verizon")
	return le
}

// sent resets Ana, delivers, and returns the request and the SID of its
// Twilio text.
func (le *lateEnv) sent() (string, string) {
	le.t.Helper()
	id := le.reset("ana@acme.example", phoneA)
	le.drain()
	msgs := le.twilio.Messages()
	if len(msgs) != 1 || msgs[0].StatusCallback != le.base+httpapi.TwilioStatusPath {
		le.t.Fatalf("twilio messages %+v", msgs)
	}
	return id, msgs[0].SID
}

// callback has Twilio post a status callback and the worker act on it.
func (le *lateEnv) callback(sid, status string, code int) {
	le.t.Helper()
	got, err := le.twilio.Callback(le.ctx, sid, status, code)
	if err != nil || got != http.StatusNoContent {
		le.t.Fatalf("callback %s %d: %d, %v", status, code, got, err)
	}
	le.drain()
}

func (le *lateEnv) events(typ string) []*gateway.Event {
	le.t.Helper()
	evs, err := le.store.ListEvents(le.ctx, gateway.EventFilter{Types: []string{typ}})
	if err != nil {
		le.t.Fatal(err)
	}
	return evs
}

// sms lists the request's texts, oldest first.
func (le *lateEnv) sms(id string) []*gateway.Delivery {
	var out []*gateway.Delivery
	for _, d := range le.request(id).Deliveries {
		if d.Channel == gateway.ChannelSMS {
			out = append(out, d)
		}
	}
	return out
}

func mustPassword(t *testing.T, text string) string {
	t.Helper()
	pw, ok := gatewaytest.Password(text)
	if !ok {
		t.Fatalf("no password in %q", text)
	}
	return pw
}

// TestLateTwilioFailureFailsOver: Twilio takes the text, then its status
// callback says it never arrived for a reason of the route (carrier
// filtering, unknown error, unregistered sender, expired in the queue):
// the same text, with the same password, goes once to the webhook route,
// and the same callback again moves nothing more.
func TestLateTwilioFailureFailsOver(t *testing.T) {
	for _, code := range []int{30007, 30008, 30034, 30036} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			le := newLateEnv(t, "twilio", "webhook")
			id, sid := le.sent()
			pw := mustPassword(t, le.twilio.Messages()[0].Body)
			le.callback(sid, "undelivered", code)
			texts := le.hook.Texts()
			if len(texts) != 1 || texts[0].To != phoneA || !strings.Contains(texts[0].Body, pw) {
				t.Fatalf("webhook texts %+v, want one with the password", texts)
			}
			ds := le.sms(id)
			if len(ds) != 2 || ds[0].Status != gateway.DeliveryFailedLate || ds[0].Body != nil || ds[0].BodyKey != nil ||
				ds[1].Route != gateway.RouteWebhook || ds[1].Status != gateway.DeliverySent {
				t.Fatalf("texts %+v %+v", ds[0], ds[len(ds)-1])
			}
			evs := le.events(gateway.EventDeliveryLateFailover)
			if len(evs) != 1 || !strings.Contains(evs[0].Detail, "twilio took the text, then reported it failed") ||
				!strings.Contains(evs[0].Detail, "sending it again by webhook") || evs[0].ProviderID != sid {
				t.Fatalf("failover events %+v", evs)
			}
			// Twilio retries, an attacker replays: moved once.
			le.callback(sid, "undelivered", code)
			le.callback(sid, "failed", code)
			if n := len(le.hook.Texts()); n != 1 || len(le.events(gateway.EventDeliveryLateFailover)) != 1 || len(le.sms(id)) != 2 {
				t.Fatalf("after the same callback again: %d webhook texts, %d texts", n, len(le.sms(id)))
			}
			if r := le.request(id); r.State != gateway.StateDelivered {
				t.Fatalf("state %s", r.State)
			}
			le.mustLogin("ana@acme.example", pw)
		})
	}
}

// TestLateFailureOnlyTextStaysHonest: the email bounced at once, so the
// text was the reset's only message. Once Twilio says it failed late, the
// reset is delivering again (the new password reached nobody known, so it
// does not log in and the original does, even where the tenant ends the
// original at delivery); once the webhook takes the text it is delivered
// and the new password works.
func TestLateFailureOnlyTextStaysHonest(t *testing.T) {
	le := newLateEnv(t, "twilio", "webhook")
	obs := &finishCounter{}
	le.svc.SetObserver(obs)
	off := false
	le.patchTenant(gateway.SettingsPatch{KeepOriginal: &off})
	le.relay.Reject("ana@acme.example", &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1},
		Message: "no such mailbox"})
	le.hook.SetStatus(503) // the webhook is down for now
	id, sid := le.sent()
	if r := le.request(id); r.State != gateway.StateDelivered {
		t.Fatalf("state %s after the text went", r.State)
	}
	pw := mustPassword(t, le.twilio.Messages()[0].Body)
	le.mustFail("ana@acme.example", original) // KeepOriginal off: the new one is in force
	le.callback(sid, "undelivered", 30008)
	r := le.request(id)
	if r.State != gateway.StateDelivering {
		t.Fatalf("state %s after the only text failed late", r.State)
	}
	if len(le.events(gateway.EventResetDeliveringAgain)) != 1 {
		t.Fatal("no event says the reset is delivering again")
	}
	le.mustFail("ana@acme.example", pw)
	le.mustLogin("ana@acme.example", original)
	le.hook.SetStatus(0)
	le.until(5*time.Minute, func() bool { return len(le.hook.Texts()) == 1 })
	if r := le.request(id); r.State != gateway.StateDelivered {
		t.Fatalf("state %s after the webhook took it", r.State)
	}
	le.mustLogin("ana@acme.example", pw)
	// Finished twice, reopened once: one request in a final state.
	if f, r := obs.counts(); f != 2 || r != 1 {
		t.Fatalf("observer told %d finished and %d reopened, want 2 and 1", f, r)
	}
}

// finishCounter counts what the observer is told of requests' ends.
type finishCounter struct {
	mu                 sync.Mutex
	finished, reopened int
}

func (c *finishCounter) ResetRequested(string) {}
func (c *finishCounter) ResetFinished(gateway.ResetState, string) {
	c.mu.Lock()
	c.finished++
	c.mu.Unlock()
}
func (c *finishCounter) ResetReopened() {
	c.mu.Lock()
	c.reopened++
	c.mu.Unlock()
}
func (c *finishCounter) DeliveryAttempt(gateway.Route, string, time.Duration) {}
func (c *finishCounter) counts() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.finished, c.reopened
}

// TestLateFailureNoFailover: no second text where another route would not
// help or must not be used: the number's own failure, STOP, a reset
// expired, used or replaced, the window over, no next route.
func TestLateFailureNoFailover(t *testing.T) {
	for _, c := range []struct {
		name   string
		links  []string
		code   int
		before func(le *lateEnv, pw string)
		why    string // the skip event's words; "" for no event
	}{
		{"unreachable 30003", []string{"twilio", "webhook"}, 30003, nil, "no other route would reach it"},
		{"unknown number 30005", []string{"twilio", "webhook"}, 30005, nil, "no other route would reach it"},
		{"opted out 21610", []string{"twilio", "webhook"}, 21610, nil, "texted STOP"},
		{"no next route", []string{"twilio"}, 30008, nil, ""},
		{"used", []string{"twilio", "webhook"}, 30008, func(le *lateEnv, pw string) {
			le.mustLogin("ana@acme.example", pw)
		}, ""},
		{"expired", []string{"twilio", "webhook"}, 30008, func(le *lateEnv, _ string) {
			le.advance(10*time.Minute + time.Second) // the tenant's reset TTL is 10 minutes here
		}, "expired or a newer one replaced it"},
		{"window over", []string{"twilio", "webhook"}, 30008, func(le *lateEnv, _ string) {
			le.advance(gateway.DefaultLateFailoverWindow + time.Minute)
			le.drain() // the worker wipes the body
		}, "after the late-failover window"},
		{"superseded", []string{"twilio", "webhook"}, 30008, func(le *lateEnv, _ string) {
			le.advance(time.Minute)
			le.reset("ana@acme.example", phoneA)
			le.drain()
		}, "expired or a newer one replaced it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			le := newLateEnv(t, c.links...)
			if c.name == "expired" {
				ttl := 10 * time.Minute
				le.patchTenant(gateway.SettingsPatch{ResetTTL: &ttl})
			}
			id, sid := le.sent()
			if c.before != nil {
				c.before(le, mustPassword(t, le.twilio.Messages()[0].Body))
			}
			// A used or replaced reset's text keeps no body: it will not
			// go again, and it holds what is now the person's password.
			if kept := le.sms(id)[0].Body != nil; kept != (c.name != "used" && c.name != "superseded" && c.name != "window over") {
				t.Fatalf("body kept %v before the callback", kept)
			}
			hookBefore, twilioBefore := len(le.hook.Texts()), len(le.twilio.Messages())
			le.callback(sid, "undelivered", c.code)
			le.advance(time.Minute)
			le.drain()
			if n := len(le.hook.Texts()) - hookBefore; n != 0 {
				t.Fatalf("%d texts by webhook", n)
			}
			if n := len(le.twilio.Messages()) - twilioBefore; n != 0 {
				t.Fatalf("%d more texts by twilio", n)
			}
			if len(le.events(gateway.EventDeliveryLateFailover)) != 0 {
				t.Fatal("a failover was logged")
			}
			skips := le.events(gateway.EventLateFailoverSkipped)
			if c.why == "" && len(skips) != 0 {
				t.Fatalf("skip events %+v", skips)
			}
			if c.why != "" && (len(skips) != 1 || !strings.Contains(skips[0].Detail, c.why)) {
				t.Fatalf("skip events %+v, want one saying %q", skips[0], c.why)
			}
			ds := le.sms(id)
			if ds[0].Status != gateway.DeliveryFailedLate || ds[0].Body != nil {
				t.Fatalf("text %+v", ds[0])
			}
		})
	}
}

// TestLateFailureCallbackRefused plays the attacker: a callback naming our
// text but signed with another account's token (another tenant's), one
// for a SID that is not ours, one from an account not ours, and one whose
// status was changed after signing move nothing.
func TestLateFailureCallbackRefused(t *testing.T) {
	le := newLateEnv(t, "twilio", "webhook")
	id, sid := le.sent()
	target := le.base + httpapi.TwilioStatusPath
	post := func(form url.Values, token string) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), "POST", target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", twiliotest.Signature(token, target, form))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	form := func(sid, account string) url.Values {
		return url.Values{"MessageSid": {sid}, "AccountSid": {account}, "MessageStatus": {"undelivered"},
			"ErrorCode": {"30008"}, "To": {phoneA}, "From": {"+12015550100"}}
	}
	if code := post(form(sid, e2eSID), "fedcba9876543210fedcba9876543210"); code != http.StatusForbidden {
		t.Fatalf("another account's token: %d", code)
	}
	if code := post(form("SM00000000000000000000000000000000", e2eSID), e2eToken); code != http.StatusNoContent {
		t.Fatalf("a SID not ours: %d", code)
	}
	if code := post(form("SM00000000000000000000000000000001", "AC99999999999999999999999999999999"), e2eToken); code != http.StatusForbidden {
		t.Fatalf("an account not ours: %d", code)
	}
	changed := form(sid, e2eSID)
	sig := twiliotest.Signature(e2eToken, target, url.Values{"MessageSid": {sid}, "AccountSid": {e2eSID},
		"MessageStatus": {"delivered"}, "To": {phoneA}, "From": {"+12015550100"}})
	req, _ := http.NewRequest("POST", target, strings.NewReader(changed.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sig)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a status changed after signing: %v %v", resp, err)
	}
	le.advance(time.Minute)
	le.drain()
	if n := len(le.hook.Texts()); n != 0 {
		t.Fatalf("%d texts by webhook", n)
	}
	if ds := le.sms(id); len(ds) != 1 || ds[0].Status != gateway.DeliverySent || ds[0].Body == nil {
		t.Fatalf("text %+v", ds)
	}
}

// TestLateFailureOntoCarrierGateway: the next route is the carrier's
// email-to-SMS gateway, which takes a mailbox address: the text is sealed
// again for it and the relay gets the password at 2015550123@vtext.com.
func TestLateFailureOntoCarrierGateway(t *testing.T) {
	le := newLateEnv(t, "twilio", "carrier")
	id, sid := le.sent()
	pw := mustPassword(t, le.twilio.Messages()[0].Body)
	mails := len(le.relay.Messages()) // the email
	le.callback(sid, "failed", 30008)
	got := le.relay.Messages()[mails:]
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "2015550123@vtext.com" || !strings.Contains(string(got[0].Data), pw) {
		t.Fatalf("carrier mail %+v", got)
	}
	if ds := le.sms(id); len(ds) != 2 || ds[1].Route != gateway.RouteCarrier || ds[1].To != "2015550123@vtext.com" ||
		ds[1].Status != gateway.DeliverySent {
		t.Fatalf("texts %+v", ds)
	}
}
