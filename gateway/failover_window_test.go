package gateway_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
)

// lookSender is a route whose provider can be looked up, as Twilio's
// message list is: found is what a lookup answers, lookErr its failure.
type lookSender struct {
	sender
	mu      sync.Mutex
	found   string
	lookErr error
	lookups int
}

func (l *lookSender) Lookup(_ context.Context, m *gateway.Message) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lookups++
	return l.found, l.lookErr
}

func (l *lookSender) answer(found string, err error) {
	l.mu.Lock()
	l.found, l.lookErr = found, err
	l.mu.Unlock()
}

// indexSender fails the texts of some links of the chain (by RouteIndex)
// and takes the others, so that one sender can stand for several webhooks.
type indexSender struct {
	gatewaytest.Sender
	mu   sync.Mutex
	fail map[int]error
}

func (s *indexSender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	s.mu.Lock()
	err := s.fail[m.RouteIndex]
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	return s.Sender.Send(ctx, m)
}

var (
	down   = &gateway.SendError{Class: gateway.FailTransient, Code: "connect", Detail: "refused"}
	lost   = &gateway.SendError{Class: gateway.FailTransient, Code: "timeout", Detail: "no answer", Unsure: true}
	badCfg = &gateway.SendError{Class: gateway.FailConfig, Code: "20003", Fix: "fix the token"}
)

// chainEnv is an env whose tenant texts through chain, with senders for
// each route kind.
func chainEnv(t *testing.T, twilio, webhook gateway.Sender, chain ...gateway.SMSRoute) *env {
	e := newEnv(t, true)
	e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteTwilio: twilio, gateway.RouteCarrier: e.carrier, gateway.RouteWebhook: webhook, gateway.RouteEmail: e.email,
	}, BackoffBase: time.Second, RetryFor: 10 * time.Minute,
		// The breaker keeps real time; these tests step a fake clock.
		BreakerFailures: 1000})
	e.patchTenant(gateway.SettingsPatch{SMSRoutes: &chain})
	return e
}

func hook(u string) gateway.SMSRoute {
	return gateway.SMSRoute{Kind: gateway.RouteWebhook, URL: u, Secret: hookSecret}
}

var (
	twilioLink  = gateway.SMSRoute{Kind: gateway.RouteTwilio}
	carrierLink = gateway.SMSRoute{Kind: gateway.RouteCarrier}
)

// smsOf is the request's text delivery.
func (e *env) smsOf(id string) *gateway.Delivery {
	e.t.Helper()
	for _, d := range e.request(id).Deliveries {
		if d.Channel == gateway.ChannelSMS {
			return d
		}
	}
	e.t.Fatal("no SMS delivery")
	return nil
}

// until runs the worker a second of the fake clock at a time until done
// says so, for at most limit; it returns how long that took.
func (e *env) until(limit time.Duration, done func() bool) time.Duration {
	e.t.Helper()
	start := e.clock()
	for {
		e.drain()
		if done() {
			return e.clock().Sub(start)
		}
		if e.clock().Sub(start) > limit {
			e.t.Fatalf("not done after %s", limit)
		}
		e.advance(time.Second)
	}
}

func statuses(tries []gateway.DeliveryAttempt) string {
	var b []string
	for _, a := range tries {
		b = append(b, string(a.Route)+":"+a.Status)
	}
	return strings.Join(b, " ")
}

// TestTransientFailoverAfterWindow: a route that keeps failing for a
// moment (refused connections: nothing reached it) is left for the next
// route once the first-attempt window has passed, not retried for minutes.
func TestTransientFailoverAfterWindow(t *testing.T) {
	twilio, webhook := &sender{}, &sender{}
	e := chainEnv(t, twilio, webhook, twilioLink, hook("https://sms.example.com/send"), carrierLink)
	e.person("ana@acme.example", phoneA, "verizon")
	twilio.set(down)
	id := e.reset("ana@acme.example", phoneA)
	took := e.until(2*time.Minute, func() bool { return len(webhook.all()) == 1 })
	if took < gateway.DefaultFailoverAfter || took > gateway.DefaultFailoverAfter+time.Second {
		t.Fatalf("moved after %s, want the %s window", took, gateway.DefaultFailoverAfter)
	}
	d := e.smsOf(id)
	if d.Route != gateway.RouteWebhook || d.RouteIndex != 1 || d.Status != gateway.DeliverySent {
		t.Fatalf("delivery %+v", d)
	}
	got := statuses(d.Tries)
	if !strings.HasPrefix(got, "twilio:retry") || !strings.HasSuffix(got, "twilio:moved webhook:sent") {
		t.Fatalf("attempts %s", got)
	}
	if n := len(e.carrier.all()); n != 0 {
		t.Fatalf("carrier got %d", n)
	}
	if e.request(id).State != gateway.StateDelivered {
		t.Fatalf("state %s", e.request(id).State)
	}
}

// TestLostAnswerWithoutLookupStays: a webhook whose answer was lost may
// hold the text; it cannot be looked up, so the text stays on it (the
// receiver drops a resend by its id) however long the window has passed.
func TestLostAnswerWithoutLookupStays(t *testing.T) {
	twilio, webhook := &sender{}, &sender{}
	e := chainEnv(t, twilio, webhook, hook("https://sms.example.com/send"), twilioLink)
	e.person("ana@acme.example", phoneA, "verizon")
	webhook.set(lost)
	id := e.reset("ana@acme.example", phoneA)
	e.drain()
	webhook.set(down) // later attempts are refused: the first may still have gone
	for range 60 {
		e.advance(time.Second)
		e.drain()
	}
	if n := len(twilio.all()); n != 0 {
		t.Fatalf("twilio got %d texts after a lost webhook answer", n)
	}
	webhook.set(nil)
	e.until(5*time.Minute, func() bool { return len(webhook.all()) == 1 })
	if d := e.smsOf(id); d.Route != gateway.RouteWebhook || d.Status != gateway.DeliverySent {
		t.Fatalf("delivery %+v", d)
	}
}

// TestLookupBeforeMove: a route that can be looked up is, before a text
// whose answer was lost leaves it: found, the text was sent there; not
// found, it moves; a lookup that fails keeps it where it is.
func TestLookupBeforeMove(t *testing.T) {
	for _, tt := range []struct {
		name     string
		found    string
		lookErr  error
		route    gateway.Route
		webhooks int
	}{
		{"found", "SM123", nil, gateway.RouteTwilio, 0},
		{"not found", "", nil, gateway.RouteWebhook, 1},
		{"lookup fails", "", &gateway.SendError{Class: gateway.FailTransient, Code: "lookup_failed"}, gateway.RouteTwilio, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			twilio, webhook := &lookSender{}, &sender{}
			e := chainEnv(t, twilio, webhook, twilioLink, hook("https://sms.example.com/send"))
			e.person("ana@acme.example", phoneA, "verizon")
			twilio.set(lost)
			twilio.answer(tt.found, tt.lookErr)
			id := e.reset("ana@acme.example", phoneA)
			for range 60 {
				e.drain()
				e.advance(time.Second)
			}
			e.drain()
			d := e.smsOf(id)
			if d.Route != tt.route || len(webhook.all()) != tt.webhooks {
				t.Fatalf("route %s, %d webhook texts; want %s, %d (attempts %s)", d.Route, len(webhook.all()),
					tt.route, tt.webhooks, statuses(d.Tries))
			}
			if twilio.lookups == 0 {
				t.Fatal("never looked up")
			}
			if tt.found != "" && (d.Status != gateway.DeliverySent || d.ProviderID != tt.found) {
				t.Fatalf("found text not adopted: %+v", d)
			}
		})
	}
}

// TestFailoverOntoCarrierGateway: Twilio and the webhook both refuse, so
// the text goes to the phone's carrier gateway, sealed again for its
// mailbox; a carrier whose gateway has shut is never moved onto.
func TestFailoverOntoCarrierGateway(t *testing.T) {
	for _, tt := range []struct {
		carrier, to string
	}{{"verizon", "2015550123@vtext.com"}, {"att", ""}} {
		t.Run(tt.carrier, func(t *testing.T) {
			twilio, webhook := &sender{}, &sender{}
			e := chainEnv(t, twilio, webhook, twilioLink, hook("https://sms.example.com/send"), carrierLink)
			e.person("ana@acme.example", phoneA, tt.carrier)
			twilio.set(badCfg)
			webhook.set(&gateway.SendError{Class: gateway.FailConfig, Code: "401", Fix: "check the secret"})
			id := e.reset("ana@acme.example", phoneA)
			e.drain()
			d := e.smsOf(id)
			msgs := e.carrier.all()
			if tt.to == "" {
				if len(msgs) != 0 || d.Route == gateway.RouteCarrier {
					t.Fatalf("moved onto a retired gateway: %+v", msgs)
				}
				return
			}
			if len(msgs) != 1 || msgs[0].To != tt.to || d.Route != gateway.RouteCarrier || d.RouteIndex != 2 {
				t.Fatalf("carrier got %+v; delivery %+v", msgs, d)
			}
			if _, ok := gatewaytest.Password(msgs[0].Text); !ok {
				t.Fatalf("carrier text without the password: %q", msgs[0].Text)
			}
			if got := statuses(d.Tries); got != "twilio:moved webhook:moved carrier:sent" {
				t.Fatalf("attempts %s", got)
			}
		})
	}
}

// TestSeveralWebhooks: each webhook of a chain is its own link and lane;
// the second takes what the first refuses.
func TestSeveralWebhooks(t *testing.T) {
	webhook := &indexSender{fail: map[int]error{0: &gateway.SendError{Class: gateway.FailConfig, Code: "401", Fix: "x"}}}
	e := chainEnv(t, &sender{}, webhook, hook("https://a.example.com/send"), hook("https://b.example.com/send"))
	e.person("ana@acme.example", phoneA, "verizon")
	id := e.reset("ana@acme.example", phoneA)
	e.drain()
	msgs := webhook.Messages()
	if len(msgs) != 1 || msgs[0].RouteIndex != 1 {
		t.Fatalf("webhook texts %+v", msgs)
	}
	if r := msgs[0].Tenant.SMSRouteAt(gateway.RouteWebhook, msgs[0].RouteIndex); r == nil || r.URL != "https://b.example.com/send" {
		t.Fatalf("second link %+v", r)
	}
	if d := e.smsOf(id); d.Status != gateway.DeliverySent || d.RouteIndex != 1 {
		t.Fatalf("delivery %+v", d)
	}
	lanes := map[string]bool{}
	for _, l := range e.worker.Lanes() {
		if strings.HasPrefix(l.Lane, "webhook") {
			lanes[l.Lane] = true
		}
	}
	if len(lanes) != 2 {
		t.Fatalf("webhook lanes %v, want one per link", lanes)
	}
}
