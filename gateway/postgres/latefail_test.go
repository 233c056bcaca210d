package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
)

// withWebhook gives an engine a webhook route after Twilio in the chain,
// served by its own test sender.
func withWebhook(t *testing.T, e *engine) *gatewaytest.Sender {
	t.Helper()
	hook := &gatewaytest.Sender{}
	e.w = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteTwilio: e.texts, gateway.RouteEmail: e.email, gateway.RouteWebhook: hook}, BackoffBase: time.Second,
		RetryFor: 10 * time.Minute, Lease: time.Minute})
	return hook
}

// On PostgreSQL, instance A sealed and sent the text; the late failure is
// reported twice, at the same time, to A and to B (two callbacks, a poll).
// The text goes to the next route once: the reports wait for each other on
// the request's lock. B cannot open A's body, but the webhook takes the
// same number, so the body moves sealed as it is and A, which holds its
// key, sends it.
func TestLateFailureReportedTwiceAtOnceMovesOnce(t *testing.T) {
	const email, phone = "ana@acme.example", "+12015550123"
	ctx := context.Background()
	u := testDB(t)
	c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	a, b := newEngine(t, u, "inst-a", c, true), newEngine(t, u, "inst-b", c, true)
	hookA, hookB := withWebhook(t, a), withWebhook(t, b)
	a.crew(t, email, phone)
	chain := []gateway.SMSRoute{{Kind: gateway.RouteTwilio},
		{Kind: gateway.RouteWebhook, URL: "https://sms.acme.example/send", Secret: "whsec-0123456789abcdef-0123456789"}}
	if _, err := a.svc.UpdateSettings(ctx, admin, gateway.DefaultSlug, gateway.SettingsPatch{SMSRoutes: &chain}); err != nil {
		t.Fatal(err)
	}
	id, err := a.svc.RequestReset(ctx, gateway.ResetInput{Email: email, Phone: phone, IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	a.drain(t)
	pw := sentPassword(t, a.texts.Messages())
	r, err := a.st.Reset(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var sid string
	for _, d := range r.Deliveries {
		if d.Channel == gateway.ChannelSMS {
			if d.Status != gateway.DeliverySent || d.Body == nil || d.SealedBy != "inst-a" {
				t.Fatalf("text after the send: %+v", d)
			}
			sid = d.ProviderID
		}
	}
	// Within A's liveness (one lease): A is alive and keeps its key.
	c.advance(20 * time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, e := range []*engine{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.svc.DeliveryOutcome(ctx, gateway.OutcomeInput{ProviderID: sid, Status: gateway.OutcomeFailed,
				ErrorCode: "30008", Source: gateway.OutcomeSourceTwilio})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	b.drain(t)
	if n := len(hookB.Messages()); n != 0 {
		t.Fatalf("B sent %d texts sealed by A", n)
	}
	a.drain(t)
	if len(hookA.Messages()) != 1 {
		r, _ := a.st.Reset(ctx, id)
		for _, d := range r.Deliveries {
			t.Logf("delivery %+v", *d)
		}
		evs, _ := a.st.ListEvents(ctx, gateway.EventFilter{})
		for _, e := range evs {
			t.Logf("event %s %s %s", e.Type, e.Code, e.Detail)
		}
	}
	if got := sentPassword(t, hookA.Messages()); got != pw {
		t.Fatal("the webhook's text carries another password")
	}
	evs, err := a.st.ListEvents(ctx, gateway.EventFilter{Types: []string{gateway.EventDeliveryLateFailover}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("failover events %d, %v", len(evs), err)
	}
	if r, _ := a.st.Reset(ctx, id); len(r.Deliveries) != 3 || r.State != gateway.StateDelivered {
		t.Fatalf("%d deliveries, state %s", len(r.Deliveries), r.State)
	}
}
