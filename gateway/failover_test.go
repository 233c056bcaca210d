package gateway_test

import (
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// TestFailover: a failure of the route moves the text to the next route
// of the chain; one of the recipient never does, and a transient one (the
// answer may have been lost) stays on its route.
func TestFailover(t *testing.T) {
	for _, tt := range []struct {
		name    string
		err     *gateway.SendError
		webhook int
	}{
		{"twilio misconfigured", &gateway.SendError{Class: gateway.FailConfig, Code: "20003", Fix: "fix the token"}, 1},
		{"twilio rate", &gateway.SendError{Class: gateway.FailRate, Code: "20429"}, 1},
		{"region not enabled", &gateway.SendError{Code: "21408"}, 1},
		{"invalid number", &gateway.SendError{Class: gateway.FailRecipient, Code: "21211"}, 0},
		{"not a mobile", &gateway.SendError{Class: gateway.FailRecipient, Code: "21614"}, 0},
		{"opted out", &gateway.SendError{Class: gateway.FailOptedOut, Code: "21610"}, 0},
		{"answer lost", &gateway.SendError{Class: gateway.FailTransient, Code: "twilio_unavailable"}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, true)
			webhook := &sender{}
			e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
				gateway.RouteTwilio: e.twilio, gateway.RouteCarrier: e.carrier, gateway.RouteWebhook: webhook,
			}})
			e.patchTenant(gateway.SettingsPatch{SMSRoutes: &[]gateway.SMSRoute{{Kind: gateway.RouteTwilio},
				{Kind: gateway.RouteWebhook, URL: "https://sms.example.com/send", Secret: hookSecret}, {Kind: gateway.RouteCarrier}}})
			e.person("ana@acme.example", phoneA, "verizon")
			e.twilio.set(tt.err)
			id := e.reset("ana@acme.example", phoneA)
			e.drain()
			if n := len(webhook.all()); n != tt.webhook {
				t.Fatalf("webhook got %d texts, want %d", n, tt.webhook)
			}
			if n := len(e.carrier.all()); n != 0 {
				t.Fatalf("carrier got %d texts", n)
			}
			r := e.request(id)
			var sms *gateway.Delivery
			for _, d := range r.Deliveries {
				if d.Channel == gateway.ChannelSMS {
					sms = d
				}
			}
			if sms == nil {
				t.Fatal("no SMS delivery")
			}
			if tt.webhook == 1 {
				if sms.Route != gateway.RouteWebhook || sms.Status != gateway.DeliverySent || len(webhook.all()[0].To) == 0 {
					t.Fatalf("delivery %+v", sms)
				}
				if webhook.all()[0].To != phoneA {
					t.Fatalf("webhook text to %q", webhook.all()[0].To)
				}
				got := e.request(id)
				for _, d := range got.Deliveries {
					if d.Channel != gateway.ChannelSMS {
						continue
					}
					if len(d.Tries) != 2 || d.Tries[0].Route != gateway.RouteTwilio || d.Tries[0].Status != "moved" ||
						d.Tries[0].Error != tt.err.Code || d.Tries[1].Route != gateway.RouteWebhook ||
						d.Tries[1].Status != "sent" || d.Tries[1].ProviderID == "" {
						t.Fatalf("attempts %+v", d.Tries)
					}
				}
				return
			}
			if sms.Route != gateway.RouteTwilio {
				t.Fatalf("moved to %s", sms.Route)
			}
		})
	}
}
