package gateway_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/carriers/twilio"
	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
	"github.com/resetgw/resetgw/gateway"
)

const (
	twAccount = "AC0123456789abcdef0123456789abcdef"
	twToken   = "f00dfeedcafe0123456789abcdef4242"
)

// twilioEnv is an env whose texts go through the real Twilio sender to
// the Twilio-shaped server, with a poller following them up.
type twilioEnv struct {
	*env
	srv    *twiliotest.Server
	poller *gateway.Poller
}

func newTwilioEnv(t *testing.T) *twilioEnv {
	e := newEnv(t, true)
	srv := twiliotest.Start(t, twAccount, twToken)
	tw := twilio.New(twilio.Config{APIURL: srv.URL(), Timeout: 5 * time.Second,
		Default: &gateway.TwilioSettings{AccountSID: twAccount, AuthToken: twToken, From: "+15005550006"}})
	e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteTwilio: tw, gateway.RouteCarrier: e.carrier, gateway.RouteEmail: e.email,
	}, BackoffBase: time.Second, RetryFor: 10 * time.Minute})
	e.svc.SetLateFailure(e.worker.LateFailure)
	p := gateway.NewPoller(gateway.PollerConfig{Service: e.svc, Route: gateway.RouteTwilio, Fetcher: tw, Redactor: tw})
	return &twilioEnv{env: e, srv: srv, poller: p}
}

// sent makes a reset whose text Twilio accepted and returns its SMS
// delivery.
func (e *twilioEnv) sent() (string, *gateway.Delivery) {
	e.t.Helper()
	e.person("ana@acme.example", phoneA, "")
	id := e.reset("ana@acme.example", phoneA)
	e.drain()
	d := deliveryOf(e.t, e.request(id), gateway.ChannelSMS)
	msgs := e.srv.Messages()
	if d.Status != gateway.DeliverySent || len(msgs) != 1 || msgs[0].SID != d.ProviderID || !strings.Contains(msgs[0].Body, "PW=") {
		e.t.Fatalf("delivery %+v, Twilio holds %+v", d, msgs)
	}
	return id, d
}

func (e *twilioEnv) pass() {
	e.t.Helper()
	for range 10 {
		busy, err := e.poller.Pass(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if !busy {
			return
		}
	}
	e.t.Fatal("poller still busy after 10 passes")
}

// Once Twilio reports a final status, the password leaves Twilio's
// message log: the body is redacted, once, and the log says so.
func TestTwilioRedactAfterFinalStatus(t *testing.T) {
	tests := []struct {
		name    string
		outcome gateway.OutcomeInput
	}{
		{"delivered", gateway.OutcomeInput{Status: gateway.OutcomeDelivered}},
		{"undelivered", gateway.OutcomeInput{Status: gateway.OutcomeFailed, ErrorCode: "30003"}},
		{"expired", gateway.OutcomeInput{Status: gateway.OutcomeFailed, ErrorCode: "30036"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTwilioEnv(t)
			_, d := e.sent()
			e.pass()
			if r := e.srv.Redactions(); len(r) != 0 {
				t.Fatalf("redacted %v while in flight", r)
			}
			status := map[gateway.OutcomeStatus]string{gateway.OutcomeDelivered: "delivered", gateway.OutcomeFailed: "undelivered"}[tt.outcome.Status]
			code, _ := strconv.Atoi(tt.outcome.ErrorCode)
			e.srv.SetStatus(d.ProviderID, status, code)
			in := tt.outcome
			in.ProviderID, in.Source = d.ProviderID, gateway.OutcomeSourceTwilio
			e.outcome(in) // as the status callback hands it over
			e.pass()
			e.pass()
			if r := e.srv.Redactions(); len(r) != 1 || r[0] != d.ProviderID {
				t.Fatalf("redactions %v, want %s once", r, d.ProviderID)
			}
			if body := e.srv.Messages()[0].Body; body != "" {
				t.Fatalf("Twilio still holds %q", body)
			}
			evs := e.eventsOf(gateway.EventBodyRedacted)
			if len(evs) != 1 || evs[0].ProviderID != d.ProviderID || evs[0].RequestID != d.RequestID {
				t.Fatalf("events %+v", evs)
			}
		})
	}
}

// A refused redaction is recorded and not tried forever.
func TestTwilioRedactionRefused(t *testing.T) {
	e := newTwilioEnv(t)
	_, d := e.sent()
	// Twilio still has it in flight (queued) although the callback said
	// delivered: Twilio refuses the redaction.
	e.outcome(gateway.OutcomeInput{ProviderID: d.ProviderID, Status: gateway.OutcomeDelivered, Source: gateway.OutcomeSourceTwilio})
	e.pass()
	e.pass()
	if evs := e.eventsOf(gateway.EventRedactionFailed); len(evs) != 1 || evs[0].Code != "30400" {
		t.Fatalf("events %+v", evs)
	}
	if len(e.eventsOf(gateway.EventBodyRedacted)) != 0 || len(e.srv.Redactions()) != 0 {
		t.Fatal("recorded a redaction that did not happen")
	}
}

// No callback came: after ten minutes the message is polled, once, and
// what Twilio says is handled like a callback (a late 30034 fails the
// text with its fix); then the body is redacted.
func TestTwilioPollWithoutCallback(t *testing.T) {
	tests := []struct {
		name       string
		status     string
		code       int
		delivery   gateway.DeliveryStatus
		errorCode  string
		redactions int
	}{
		{"undelivered 30034", "undelivered", 30034, gateway.DeliveryFailedLate, "30034", 1},
		{"delivered", "delivered", 0, gateway.DeliveryDelivered, "", 1},
		{"sent without a report", "sent", 0, gateway.DeliverySent, "", 1},
		{"still queued", "queued", 0, gateway.DeliverySent, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTwilioEnv(t)
			id, d := e.sent()
			e.srv.SetStatus(d.ProviderID, tt.status, tt.code)

			e.advance(9 * time.Minute)
			e.pass()
			if n := len(e.eventsOf(gateway.EventStatusPolled)); n != 0 {
				t.Fatalf("polled after 9 minutes")
			}
			e.advance(2 * time.Minute)
			e.pass()
			e.advance(time.Hour)
			e.pass()
			if n := len(e.eventsOf(gateway.EventStatusPolled)); n != 1 {
				t.Fatalf("polled %d times, want once", n)
			}
			got := deliveryOf(t, e.request(id), gateway.ChannelSMS)
			if got.Status != tt.delivery || got.ErrorCode != tt.errorCode {
				t.Fatalf("delivery %+v, want %s %q", got, tt.delivery, tt.errorCode)
			}
			if tt.code == 30034 && !strings.Contains(got.ErrorDetail, "register a campaign") {
				t.Errorf("no fix in %q", got.ErrorDetail)
			}
			if n := len(e.srv.Redactions()); n != tt.redactions {
				t.Fatalf("%d redactions, want %d", n, tt.redactions)
			}
			if tt.redactions == 0 {
				// The final callback comes after all: the body goes then.
				e.srv.SetStatus(d.ProviderID, "delivered", 0)
				e.outcome(gateway.OutcomeInput{ProviderID: d.ProviderID, Status: gateway.OutcomeDelivered, Source: gateway.OutcomeSourceTwilio})
				e.pass()
				if n := len(e.srv.Redactions()); n != 1 {
					t.Fatalf("%d redactions after the late callback", n)
				}
			}
		})
	}
}

// Through the outbox: Twilio stores the text and answers 500; the retry
// finds it and adopts its SID. Exactly one text at Twilio, and the
// delivery carries that text's SID, so its status callback finds it.
func TestTwilioLookupBeforeResendThroughWorker(t *testing.T) {
	e := newTwilioEnv(t)
	e.srv.Script(twiliotest.Answer{StoreThenFail: 500})
	e.person("ana@acme.example", phoneA, "")
	id := e.reset("ana@acme.example", phoneA)
	e.drain()
	if d := deliveryOf(t, e.request(id), gateway.ChannelSMS); d.Status != gateway.DeliveryPending || d.ProviderID != "" {
		t.Fatalf("after the lost answer: %+v", d)
	}
	for range 5 {
		e.advance(5 * time.Minute)
		e.drain()
		if d := deliveryOf(t, e.request(id), gateway.ChannelSMS); d.Status != gateway.DeliveryPending {
			break
		}
	}
	msgs := e.srv.Messages()
	d := deliveryOf(t, e.request(id), gateway.ChannelSMS)
	if len(msgs) != 1 || d.Status != gateway.DeliverySent || d.ProviderID != msgs[0].SID {
		t.Fatalf("delivery %+v; Twilio holds %d texts %+v", d, len(msgs), msgs)
	}
}

// A 30034 arrives in the status callback, after Twilio accepted the text:
// the sender's lane needs attention with the fix, as if the create had
// been refused, and the next text waits for the lane's probe instead of
// going out to fail the same way.
func TestTwilioLateConfigFailurePausesLane(t *testing.T) {
	e := newTwilioEnv(t)
	_, d := e.sent()
	e.outcome(gateway.OutcomeInput{ProviderID: d.ProviderID, Status: gateway.OutcomeFailed, ErrorCode: "30034",
		Detail: "Twilio: undelivered", Source: gateway.OutcomeSourceTwilio})
	var lane *gateway.LaneStatus
	for _, l := range e.worker.Lanes() {
		if l.Kind == "twilio" {
			lane = &l
		}
	}
	if lane == nil || lane.State != gateway.LaneNeedsAttention || !strings.Contains(lane.Fix, "register a campaign") {
		t.Fatalf("lanes %+v", e.worker.Lanes())
	}

	e.person("bo@acme.example", "+12015550124", "")
	e.reset("bo@acme.example", "+12015550124")
	e.drain()
	if n := len(e.srv.Messages()); n != 1 {
		t.Fatalf("%d texts at Twilio while the lane needs attention", n)
	}
	if len(e.eventsOf(gateway.EventLaneNeedsAttention)) != 1 {
		t.Fatalf("events %+v", e.eventsOf(gateway.EventLaneNeedsAttention))
	}
	e.advance(2 * time.Minute)
	e.drain()
	if n := len(e.srv.Messages()); n != 2 {
		t.Fatalf("%d texts at Twilio after the probe time", n)
	}
}
