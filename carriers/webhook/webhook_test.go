package webhook_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/resetgw/resetgw/carriers/webhook"
	"github.com/resetgw/resetgw/carriers/webhook/webhooktest"
	"github.com/resetgw/resetgw/gateway"
)

const secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

func message(url string, operatorSet bool) *gateway.Message {
	return &gateway.Message{DeliveryID: 7, RequestID: "req1", Channel: gateway.ChannelSMS, Route: gateway.RouteWebhook,
		To: "+12015550123", Text: "Your new password: x", Tenant: &gateway.Tenant{Slug: "hvac",
			SMSRoutes: []gateway.SMSRoute{{Kind: gateway.RouteWebhook, URL: url, Secret: secret, OperatorSet: operatorSet}}}}
}

func TestSendSignedAndAccepted(t *testing.T) {
	rx := webhooktest.New(t, secret)
	s := webhook.New(webhook.Config{TLS: rx.TLS()})
	m := message(rx.URL, true)
	id, err := s.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	texts := rx.Texts()
	if len(texts) != 1 || texts[0].To != m.To || texts[0].Body != m.Text || id != "prov-"+texts[0].ID {
		t.Fatalf("texts %+v, id %q", texts, id)
	}
	// A resend after a lost answer carries the same id: the receiver
	// drops it.
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if n := len(rx.Texts()); n != 1 {
		t.Fatalf("%d texts after a resend, want 1", n)
	}
	if lane := s.Lane(m); lane.Key != "webhook:"+rx.URL || lane.Kind != "webhook" {
		t.Fatalf("lane %+v", lane)
	}
}

// TestWrongSecretIsConfig: the receiver refuses a signature made with
// another secret, and the gateway calls that the route's setup.
func TestWrongSecretIsConfig(t *testing.T) {
	rx := webhooktest.New(t, "whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==")
	s := webhook.New(webhook.Config{TLS: rx.TLS()})
	_, err := s.Send(context.Background(), message(rx.URL, true))
	if se := gateway.AsSendError(err); se.Class != gateway.FailConfig || se.Fix == "" {
		t.Fatalf("got %v", err)
	}
	if _, bad := rx.Posts(); bad != 1 {
		t.Fatalf("bad signatures %d", bad)
	}
}

func TestStatusClasses(t *testing.T) {
	rx := webhooktest.New(t, secret)
	s := webhook.New(webhook.Config{TLS: rx.TLS()})
	for _, tt := range []struct {
		status int
		class  gateway.FailureClass
	}{
		{http.StatusInternalServerError, gateway.FailTransient},
		{http.StatusBadGateway, gateway.FailTransient},
		{http.StatusRequestTimeout, gateway.FailTransient},
		{http.StatusTooManyRequests, gateway.FailRate},
		{http.StatusUnauthorized, gateway.FailConfig},
		{http.StatusNotFound, gateway.FailConfig},
		{http.StatusFound, gateway.FailConfig},
		{http.StatusBadRequest, gateway.FailRecipient},
		{http.StatusUnprocessableEntity, gateway.FailRecipient},
	} {
		rx.SetStatus(tt.status)
		_, err := s.Send(context.Background(), message(rx.URL, true))
		if se := gateway.AsSendError(err); err == nil || se.Class != tt.class {
			t.Errorf("%d: got %v, want %s", tt.status, err, tt.class)
		}
	}
}

// TestTenantRouteNeverReachesInternalHost plays the tenant admin whose
// webhook points at the operator's network: nothing is posted.
func TestTenantRouteNeverReachesInternalHost(t *testing.T) {
	rx := webhooktest.New(t, secret)
	s := webhook.New(webhook.Config{TLS: rx.TLS()})
	_, err := s.Send(context.Background(), message(rx.URL, false))
	if se := gateway.AsSendError(err); se.Class != gateway.FailConfig {
		t.Fatalf("got %v", err)
	}
	if posts, _ := rx.Posts(); posts != 0 {
		t.Fatalf("%d POSTs reached the internal receiver", posts)
	}
}

func TestLostAnswerIsTransient(t *testing.T) {
	rx := webhooktest.New(t, secret)
	s := webhook.New(webhook.Config{TLS: rx.TLS()})
	rx.DropAnswers(1)
	_, err := s.Send(context.Background(), message(rx.URL, true))
	if se := gateway.AsSendError(err); err == nil || se.Class != gateway.FailTransient {
		t.Fatalf("got %v", err)
	}
	if _, err := s.Send(context.Background(), message(rx.URL, true)); err != nil {
		t.Fatal(err)
	}
	if n := len(rx.Texts()); n != 1 {
		t.Fatalf("%d texts, want 1", n)
	}
}
