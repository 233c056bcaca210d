package gateway_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

const otherSecret = "whsec-other-tenant-secret-000000"

// statusEnv: the default tenant texts through a webhook route; tenant
// "hvac" has a webhook route of its own. Ana and Bob each have a text
// the webhook took.
type statusEnv struct {
	*env
	route, otherRoute string // RouteStatusName of each tenant's route
	ana, bob          *gateway.Delivery
}

func newStatusEnv(t *testing.T) *statusEnv {
	e := newEnv(t, false)
	webhook := &sender{}
	e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteCarrier: e.carrier, gateway.RouteWebhook: webhook, gateway.RouteEmail: e.email}})
	hook := func(secret string) *[]gateway.SMSRoute {
		return &[]gateway.SMSRoute{{Kind: gateway.RouteWebhook, URL: "https://sms.example.com/send", Secret: secret}}
	}
	tn, err := e.svc.UpdateSettings(e.ctx, operator, "", gateway.SettingsPatch{SMSRoutes: hook(hookSecret)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateTenant(e.ctx, operator, gateway.TenantInput{Slug: "hvac", Name: "HVAC"}); err != nil {
		t.Fatal(err)
	}
	other, err := e.svc.UpdateSettings(e.ctx, operator, "hvac", gateway.SettingsPatch{SMSRoutes: hook(otherSecret)})
	if err != nil {
		t.Fatal(err)
	}
	s := &statusEnv{env: e, route: gateway.RouteStatusName(tn, tn.WebhookRoute()),
		otherRoute: gateway.RouteStatusName(other, other.WebhookRoute())}
	if s.route == "" || s.otherRoute == "" || s.route == s.otherRoute {
		t.Fatalf("route names %q %q", s.route, s.otherRoute)
	}
	e.person("ana@acme.example", phoneA, "")
	e.person("bob@acme.example", phoneB, "")
	ra, rb := e.reset("ana@acme.example", phoneA), e.reset("bob@acme.example", phoneB)
	e.drain()
	s.ana, s.bob = smsOf(t, e.request(ra)), smsOf(t, e.request(rb))
	if s.ana.Route != gateway.RouteWebhook || s.ana.Status != gateway.DeliverySent || s.bob.Status != gateway.DeliverySent {
		t.Fatalf("deliveries %+v %+v", s.ana, s.bob)
	}
	return s
}

func hookID(d *gateway.Delivery) string {
	return "msg_" + d.RequestID + "_" + strconv.FormatInt(d.ID, 10)
}

// post signs body for route with secret at ts, as a provider does.
func (s *statusEnv) post(route, secret, webhookID string, ts time.Time, body string) error {
	sig := ""
	if secret != "" {
		sig = gateway.SignWebhook(secret, webhookID, ts.Unix(), []byte(body))
	}
	return s.svc.RouteStatusCallback(s.ctx, gateway.RouteStatusInput{Route: route, WebhookID: webhookID,
		Timestamp: strconv.FormatInt(ts.Unix(), 10), Signature: sig, Body: []byte(body), IP: "198.51.100.7"})
}

func (s *statusEnv) status(d *gateway.Delivery) gateway.DeliveryStatus {
	s.t.Helper()
	cur, err := s.store.Delivery(s.ctx, d.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	return cur.Status
}

// TestRouteStatusRefusesStrangers plays whoever is not the route's
// provider: no signature, a wrong secret, an old or future timestamp, a
// guessed route name, another tenant's route naming our delivery. None
// may fail a text that was taken.
func TestRouteStatusRefusesStrangers(t *testing.T) {
	s := newStatusEnv(t)
	failed := `{"id":"` + hookID(s.ana) + `","status":"undelivered","error":"30003"}`
	now := s.clock()
	for _, tt := range []struct {
		name, route, secret string
		at                  time.Time
		code                string
	}{
		{"unsigned", s.route, "", now, "signature_invalid"},
		{"wrong secret", s.route, "whsec-not-the-route-secret-00000", now, "signature_invalid"},
		{"stale", s.route, hookSecret, now.Add(-6 * time.Minute), "signature_invalid"},
		{"from the future", s.route, hookSecret, now.Add(6 * time.Minute), "signature_invalid"},
		{"guessed route id", "default.wrabcdefghijkmnpqrstuvwxyz2", hookSecret, now, "signature_invalid"},
		{"no such tenant", "nobody." + s.route[len("default."):], hookSecret, now, "signature_invalid"},
		{"another tenant's route", s.otherRoute, otherSecret, now, "delivery_not_found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := s.post(tt.route, tt.secret, "evt_"+tt.name, tt.at, failed)
			if gateway.ErrorCode(err) != tt.code {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
			if st := s.status(s.ana); st != gateway.DeliverySent {
				t.Fatalf("delivery is %s", st)
			}
		})
	}
	// The provider's id works as well as ours, for the same tenant only.
	byProvider := `{"id":"` + s.ana.ProviderID + `","status":"failed"}`
	if err := s.post(s.otherRoute, otherSecret, "evt_provider_other", now, byProvider); gateway.ErrorCode(err) != "delivery_not_found" {
		t.Fatalf("another tenant's route reached our delivery by provider id: %v", err)
	}
}

// TestRouteStatusLateFailure: a signed "undelivered" fails the text late,
// as a Twilio callback does; a replay of the same webhook-id is acted on
// once, whatever its body says.
func TestRouteStatusLateFailure(t *testing.T) {
	s := newStatusEnv(t)
	now := s.clock()
	if err := s.post(s.route, hookSecret, "evt_1", now, `{"id":"`+hookID(s.ana)+`","status":"undelivered","error":"30003"}`); err != nil {
		t.Fatal(err)
	}
	if st := s.status(s.ana); st != gateway.DeliveryFailedLate {
		t.Fatalf("ana's delivery is %s", st)
	}
	if err := s.post(s.route, hookSecret, "evt_1", now, `{"id":"`+hookID(s.bob)+`","status":"failed"}`); err != nil {
		t.Fatal(err)
	}
	if st := s.status(s.bob); st != gateway.DeliverySent {
		t.Fatalf("a replayed webhook-id failed bob's delivery: %s", st)
	}
	if err := s.post(s.route, hookSecret, "evt_2", now, `{"id":"`+s.bob.ProviderID+`","status":"delivered"}`); err != nil {
		t.Fatal(err)
	}
	if st := s.status(s.bob); st != gateway.DeliveryDelivered {
		t.Fatalf("bob's delivery is %s", st)
	}
	if err := s.post(s.route, hookSecret, "evt_3", now, `{"id":"`+hookID(s.bob)+`","status":"maybe"}`); gateway.ErrorCode(err) != "route_status_invalid" {
		t.Fatalf("unknown status: %v", err)
	}
}

func FuzzParseRouteStatus(f *testing.F) {
	for _, s := range []string{`{"id":"msg_rr_1_2","status":"delivered"}`, `{"id":"x","status":"failed","error":"30003"}`,
		`{"id":"x","status":"undelivered"} {}`, `[]`, `{"id":1}`, ``, `{"status":"DELIVERED","id":"` + string(make([]byte, 300)) + `"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := gateway.ParseRouteStatus(body)
		if err != nil {
			if gateway.ErrorCode(err) != "route_status_invalid" {
				t.Fatalf("error %v", err)
			}
			return
		}
		if st.ID == "" || len(st.ID) > 200 || (st.Status != "delivered" && st.Status != "failed" && st.Status != "undelivered") {
			t.Fatalf("accepted %+v", st)
		}
	})
}
