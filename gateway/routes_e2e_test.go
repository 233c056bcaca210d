package gateway_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	carrieraws "github.com/resetgw/resetgw/carriers/aws"
	"github.com/resetgw/resetgw/carriers/aws/awstest"
	"github.com/resetgw/resetgw/carriers/smtp"
	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/carriers/twilio"
	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
	"github.com/resetgw/resetgw/carriers/webhook"
	"github.com/resetgw/resetgw/carriers/webhook/webhooktest"
	"github.com/resetgw/resetgw/gateway"
)

const (
	e2eSID   = "AC0123456789abcdef0123456789abcdef"
	e2eToken = "0123456789abcdef0123456789abcdef"
)

// servers is a chain's every route on loopback: a Twilio-shaped API, an
// AWS JSON server, a webhook receiver that checks signatures, and an SMTP
// relay that carries both the email and the carrier gateway's mail.
type servers struct {
	twilio *twiliotest.Server
	aws    *awstest.Server
	hook   *webhooktest.Server
	relay  *smtptest.Server
}

// carrierMail is what the relay took for a carrier gateway's mailbox.
func (s *servers) carrierMail() []smtptest.Message {
	var out []smtptest.Message
	for _, m := range s.relay.Messages() {
		for _, r := range m.To {
			if strings.HasSuffix(r, "@vtext.com") {
				out = append(out, m)
			}
		}
	}
	return out
}

func (s *servers) texts() int {
	return len(s.twilio.Messages()) + len(s.aws.Texts()) + len(s.hook.Texts()) + len(s.carrierMail())
}

// e2eEnv wires the real senders to local servers and sets the chain,
// whose links are named: twilio, aws, webhook, carrier.
func e2eEnv(t *testing.T, links ...string) (*env, *servers) {
	e := newEnv(t, true)
	s := &servers{twilio: twiliotest.Start(t, e2eSID, e2eToken), aws: awstest.New(t, awsKeyID),
		hook: webhooktest.New(t, hookSecret), relay: smtptest.Start(t, smtptest.Options{})}
	s.twilio.SetClock(e.clock)
	relay := smtp.New(smtp.Config{Default: gateway.SMTPProfile{URL: s.relay.URL(), From: "reset@acme.example"},
		TLSConfig: s.relay.ClientTLS(), Timeout: 5 * time.Second, Clock: e.clock})
	t.Cleanup(func() { relay.Close() })
	e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteTwilio: twilio.New(twilio.Config{Default: &gateway.TwilioSettings{AccountSID: e2eSID, AuthToken: e2eToken,
			From: "+12015550100"}, APIURL: s.twilio.URL(), Timeout: 5 * time.Second, Clock: e.clock}),
		gateway.RouteAWS:     carrieraws.New(carrieraws.Config{Timeout: 5 * time.Second}),
		gateway.RouteWebhook: webhook.New(webhook.Config{TLS: s.hook.TLS(), Clock: e.clock, Timeout: 5 * time.Second}),
		gateway.RouteCarrier: relay, gateway.RouteEmail: relay,
	}, BackoffBase: time.Second, RetryFor: 10 * time.Minute, BreakerFailures: 1000})
	var chain []gateway.SMSRoute
	for _, l := range links {
		switch l {
		case "twilio":
			chain = append(chain, twilioLink)
		case "aws":
			chain = append(chain, awsRoute(func(r *gateway.SMSRoute) { r.Endpoint = s.aws.URL }))
		case "webhook":
			chain = append(chain, hook(s.hook.URL))
		case "carrier":
			chain = append(chain, carrierLink)
		}
	}
	e.patchTenant(gateway.SettingsPatch{SMSRoutes: &chain})
	e.person("ana@acme.example", phoneA, "verizon")
	return e, s
}

// TestTwilioDownNextRouteDelivers: with Twilio's API down (its balancer
// turns every call away), the next route of the chain, webhook or aws,
// texts the password within the first failover window, and only it does.
func TestTwilioDownNextRouteDelivers(t *testing.T) {
	for _, next := range []string{"webhook", "aws"} {
		t.Run(next, func(t *testing.T) {
			e, s := e2eEnv(t, "twilio", next, "carrier")
			s.twilio.SetDown(twiliotest.Unavailable)
			id := e.reset("ana@acme.example", phoneA)
			took := e.until(2*time.Minute, func() bool { return s.texts() > 0 })
			if took > gateway.DefaultFailoverAfter+time.Second {
				t.Fatalf("the next route texted after %s, past the %s window", took, gateway.DefaultFailoverAfter)
			}
			e.drain()
			n := len(s.hook.Texts())
			if next == "aws" {
				n = len(s.aws.Texts())
			}
			if n != 1 || s.texts() != 1 {
				t.Fatalf("%s took %d texts, %d in all", next, n, s.texts())
			}
			d := e.smsOf(id)
			if string(d.Route) != next || d.Status != gateway.DeliverySent || d.ProviderID == "" {
				t.Fatalf("delivery %+v", d)
			}
			if e.request(id).State != gateway.StateDelivered {
				t.Fatalf("state %s", e.request(id).State)
			}
		})
	}
}

// TestTwilioAndNextDownCarrierDelivers: Twilio down and the next route
// down too (a webhook answering 503, an aws endpoint refusing our key):
// the carrier's email-to-SMS gateway takes the text, by the relay.
func TestTwilioAndNextDownCarrierDelivers(t *testing.T) {
	for _, next := range []string{"webhook", "aws"} {
		t.Run(next, func(t *testing.T) {
			e, s := e2eEnv(t, "twilio", next, "carrier")
			s.twilio.SetDown(twiliotest.Unavailable)
			s.hook.SetStatus(503)
			s.aws.Script(awstest.Answer{Status: 503, Type: "ServiceUnavailableException"}, awstest.Answer{Status: 503,
				Type: "ServiceUnavailableException"}, awstest.Answer{Status: 503, Type: "ServiceUnavailableException"},
				awstest.Answer{Status: 503, Type: "ServiceUnavailableException"}, awstest.Answer{Status: 503, Type: "ServiceUnavailableException"},
				awstest.Answer{Status: 503, Type: "ServiceUnavailableException"}, awstest.Answer{Status: 503, Type: "ServiceUnavailableException"},
				awstest.Answer{Status: 503, Type: "ServiceUnavailableException"})
			id := e.reset("ana@acme.example", phoneA)
			e.until(3*time.Minute, func() bool { return len(s.carrierMail()) > 0 })
			e.drain()
			mail := s.carrierMail()
			if len(mail) != 1 || len(mail[0].To) != 1 || mail[0].To[0] != "2015550123@vtext.com" {
				t.Fatalf("carrier mail %+v", mail)
			}
			if len(s.hook.Texts())+len(s.aws.Texts())+len(s.twilio.Messages()) != 0 {
				t.Fatal("another route texted too")
			}
			d := e.smsOf(id)
			if d.Route != gateway.RouteCarrier || d.Status != gateway.DeliverySent {
				t.Fatalf("delivery %+v (attempts %s)", d, statuses(d.Tries))
			}
		})
	}
}

// TestRecipientErrorNeverFailsOver: Twilio refusing the number (invalid,
// not a mobile, opted out) ends the text there: no other route texts it.
func TestRecipientErrorNeverFailsOver(t *testing.T) {
	for _, code := range []int{21211, 21614, 21610} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			e, s := e2eEnv(t, "twilio", "webhook", "aws", "carrier")
			s.twilio.Reject(phoneA, code, 400, "refused")
			id := e.reset("ana@acme.example", phoneA)
			for range 40 {
				e.drain()
				e.advance(time.Second)
			}
			if s.texts() != 0 {
				t.Fatalf("%d texts after recipient error %d", s.texts(), code)
			}
			d := e.smsOf(id)
			if d.Route != gateway.RouteTwilio || d.Status != gateway.DeliveryFailed {
				t.Fatalf("delivery %+v", d)
			}
		})
	}
}

// TestLostTwilioAnswerLookedUpBeforeMove: Twilio takes the text and its
// answer is lost (a 500 after the create) each time; when the window has
// passed the engine lists Twilio's messages before moving, finds the
// text, and keeps it: the webhook never texts.
func TestLostTwilioAnswerLookedUpBeforeMove(t *testing.T) {
	e, s := e2eEnv(t, "twilio", "webhook", "carrier")
	var lost []twiliotest.Answer
	for range 10 {
		lost = append(lost, twiliotest.Answer{StoreThenFail: 500})
	}
	s.twilio.Script(lost...)
	id := e.reset("ana@acme.example", phoneA)
	e.until(2*time.Minute, func() bool { return e.smsOf(id).Status != gateway.DeliveryPending })
	if n := len(s.twilio.Messages()); n != 1 || len(s.hook.Texts()) != 0 || len(s.carrierMail()) != 0 {
		t.Fatalf("twilio %d, webhook %d, carrier %d texts", n, len(s.hook.Texts()), len(s.carrierMail()))
	}
	d := e.smsOf(id)
	if d.Route != gateway.RouteTwilio || d.Status != gateway.DeliverySent || d.ProviderID != s.twilio.Messages()[0].SID {
		t.Fatalf("delivery %+v (attempts %s)", d, statuses(d.Tries))
	}
}
