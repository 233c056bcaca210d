package gateway_test

import (
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

const hookSecret = "whsec-0123456789abcdef-0123456789"

// TestCarrierOnlyChainNeverCallsTwilio: a tenant that chose the carrier
// gateway alone texts through it even though the operator has Twilio.
func TestCarrierOnlyChainNeverCallsTwilio(t *testing.T) {
	e := newEnv(t, true)
	e.patchTenant(gateway.SettingsPatch{SMSRoutes: &[]gateway.SMSRoute{{Kind: gateway.RouteCarrier}}})
	e.person("ana@acme.example", phoneA, "verizon")
	e.reset("ana@acme.example", phoneA)
	e.drain()
	if n := len(e.twilio.all()); n != 0 {
		t.Fatalf("Twilio got %d messages, want none", n)
	}
	msgs := e.carrier.all()
	if len(msgs) != 1 || msgs[0].To != "2015550123@vtext.com" {
		t.Fatalf("carrier got %+v, want one text to 2015550123@vtext.com", msgs)
	}
}

// TestDefaultChain: own Twilio, else the operator's when shared, else the
// carrier gateway; an explicit chain skips a twilio link with no account.
func TestDefaultChain(t *testing.T) {
	own := &gateway.TwilioSettings{AccountSID: "AC1", AuthToken: "tok", From: "+12015550100"}
	for _, tt := range []struct {
		name              string
		operator, private bool
		slug              string
		own               *gateway.TwilioSettings
		routes            []gateway.SMSRoute
		want              gateway.Route
	}{
		{"own twilio", false, false, "hvac", own, nil, gateway.RouteTwilio},
		{"operator's shared", true, false, "hvac", nil, nil, gateway.RouteTwilio},
		{"operator's not shared", true, true, "hvac", nil, nil, gateway.RouteCarrier},
		{"default tenant keeps operator's", true, true, gateway.DefaultSlug, nil, nil, gateway.RouteTwilio},
		{"none", false, false, "hvac", nil, nil, gateway.RouteCarrier},
		{"chain skips twilio without account", true, true, "hvac", nil,
			[]gateway.SMSRoute{{Kind: gateway.RouteTwilio}, {Kind: gateway.RouteCarrier}}, gateway.RouteCarrier},
		{"webhook first", true, false, "hvac", nil,
			[]gateway.SMSRoute{{Kind: gateway.RouteWebhook, URL: "https://sms.example.com/send", Secret: hookSecret}, {Kind: gateway.RouteTwilio}}, gateway.RouteWebhook},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.operator, func(c *gateway.Config) { c.TwilioUnshared = tt.private })
			webhook := &sender{}
			e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
				gateway.RouteTwilio: e.twilio, gateway.RouteCarrier: e.carrier, gateway.RouteWebhook: webhook,
			}})
			if tt.slug != gateway.DefaultSlug {
				if _, err := e.svc.CreateTenant(e.ctx, operator, gateway.TenantInput{Slug: tt.slug, Name: tt.slug}); err != nil {
					t.Fatal(err)
				}
			}
			p := gateway.SettingsPatch{Twilio: tt.own}
			if tt.routes != nil {
				p.SMSRoutes = &tt.routes
			}
			if _, err := e.svc.UpdateSettings(e.ctx, operator, tt.slug, p); err != nil {
				t.Fatal(err)
			}
			e.person("ana@acme.example", phoneA, "verizon", func(in *gateway.PersonInput) { in.Tenant = tt.slug })
			e.reset("ana@acme.example", phoneA)
			e.drain()
			got := map[gateway.Route]int{gateway.RouteTwilio: len(e.twilio.all()), gateway.RouteCarrier: len(e.carrier.all()),
				gateway.RouteWebhook: len(webhook.all())}
			for r, n := range got {
				if want := map[bool]int{true: 1}[r == tt.want]; n != want {
					t.Fatalf("%s got %d texts, want %d (all: %v)", r, n, want, got)
				}
			}
		})
	}
}

// TestSMSRoutesValidated plays the tenant admin who points a webhook at
// the operator's network, or slips fields and kinds past the check.
func TestSMSRoutesValidated(t *testing.T) {
	e := newEnv(t, false)
	hvac, err := e.svc.CreateTenant(e.ctx, operator, gateway.TenantInput{Slug: "hvac", Name: "HVAC"})
	if err != nil {
		t.Fatal(err)
	}
	tenantAdmin := gateway.Actor{Kind: gateway.ActorAdmin, ID: "boss@hvac.example", TenantID: hvac.ID}
	hook := func(u, secret string) []gateway.SMSRoute {
		return []gateway.SMSRoute{{Kind: gateway.RouteWebhook, URL: u, Secret: secret}}
	}
	for _, tt := range []struct {
		name   string
		actor  gateway.Actor
		routes []gateway.SMSRoute
		code   string
	}{
		{"unknown kind", tenantAdmin, []gateway.SMSRoute{{Kind: "pigeon"}}, "sms_route_kind"},
		{"aws without region", tenantAdmin, []gateway.SMSRoute{{Kind: "aws"}}, "sms_route_aws_invalid"},
		{"url on carrier", tenantAdmin, []gateway.SMSRoute{{Kind: gateway.RouteCarrier, URL: "https://x.example"}}, "sms_route_field"},
		{"plain http", tenantAdmin, hook("http://sms.example.com/send", hookSecret), "sms_route_webhook_invalid"},
		{"credentials in url", tenantAdmin, hook("https://u:p@sms.example.com/send", hookSecret), "sms_route_webhook_invalid"},
		{"loopback", tenantAdmin, hook("https://127.0.0.1/send", hookSecret), "sms_route_webhook_invalid"},
		{"metadata", tenantAdmin, hook("https://169.254.169.254/latest", hookSecret), "sms_route_webhook_invalid"},
		{"localhost", tenantAdmin, hook("https://localhost:8443/send", hookSecret), "sms_route_webhook_invalid"},
		{"private v6", tenantAdmin, hook("https://[fd00:ec2::254]/send", hookSecret), "sms_route_webhook_invalid"},
		{"short secret", tenantAdmin, hook("https://sms.example.com/send", "short"), "sms_route_webhook_invalid"},
		{"twice", tenantAdmin, []gateway.SMSRoute{{Kind: gateway.RouteCarrier}, {Kind: gateway.RouteCarrier}}, "sms_routes_invalid"},
		{"operator may use internal", operator, hook("https://127.0.0.1:8443/send", hookSecret), ""},
		{"public", tenantAdmin, hook("https://sms.example.com/send", hookSecret), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.UpdateSettings(e.ctx, tt.actor, "hvac", gateway.SettingsPatch{SMSRoutes: &tt.routes})
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if gateway.ErrorCode(err) != tt.code || gateway.ErrorKind(err) != gateway.KindInvalid {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
			if err != nil && strings.Contains(err.Error(), hookSecret) {
				t.Fatal("the error shows the secret")
			}
		})
	}

	// A secret left empty keeps the saved one for the same URL, and only
	// for it; a tenant admin saving the operator's internal URL again keeps
	// it the operator's.
	u := "https://10.0.0.7/send"
	if _, err := e.svc.UpdateSettings(e.ctx, operator, "hvac", gateway.SettingsPatch{SMSRoutes: ptr(hook(u, hookSecret))}); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.UpdateSettings(e.ctx, tenantAdmin, "hvac", gateway.SettingsPatch{SMSRoutes: ptr(hook(u, ""))})
	if err != nil {
		t.Fatal(err)
	}
	if r := got.WebhookRoute(); r == nil || r.Secret != hookSecret || !r.OperatorSet {
		t.Fatalf("route after re-save %+v", r)
	}
	reread, err := e.store.TenantBySlug(e.ctx, "hvac")
	if err != nil {
		t.Fatal(err)
	}
	if r := reread.WebhookRoute(); r == nil || r.Secret != hookSecret || r.URL != u {
		t.Fatalf("stored route %+v", r)
	}
	if _, err := e.svc.UpdateSettings(e.ctx, tenantAdmin, "hvac", gateway.SettingsPatch{SMSRoutes: ptr(hook("https://sms.example.com/other", ""))}); gateway.ErrorCode(err) != "sms_route_webhook_invalid" {
		t.Fatalf("another URL took the saved secret: %v", err)
	}
	back, err := e.svc.UpdateSettings(e.ctx, tenantAdmin, "hvac", gateway.SettingsPatch{SMSRoutes: &[]gateway.SMSRoute{}})
	if err != nil || back.SMSRoutes != nil {
		t.Fatalf("[] should go back to the default chain: %+v, %v", back.SMSRoutes, err)
	}
}
