package gateway_test

import (
	"strings"
	"testing"
	"time"

	carrieraws "github.com/resetgw/resetgw/carriers/aws"
	"github.com/resetgw/resetgw/carriers/aws/awstest"
	"github.com/resetgw/resetgw/gateway"
)

const (
	awsKeyID  = "AKIAEXAMPLE0000TEST"
	awsSecret = "wJalrXUtnFEMIexampleKEYexampleKEY0000000"
)

func awsRoute(change func(*gateway.SMSRoute)) gateway.SMSRoute {
	r := gateway.SMSRoute{Kind: gateway.RouteAWS, Region: "us-east-1", OriginationIdentity: "+12015550100",
		AccessKeyID: awsKeyID, SecretAccessKey: awsSecret}
	if change != nil {
		change(&r)
	}
	return r
}

// TestAWSRouteValidated plays the tenant admin who points the SDK at the
// operator's network, borrows the operator's AWS account, or slips
// fields past the check.
func TestAWSRouteValidated(t *testing.T) {
	e := newEnv(t, false)
	hvac, err := e.svc.CreateTenant(e.ctx, operator, gateway.TenantInput{Slug: "hvac", Name: "HVAC"})
	if err != nil {
		t.Fatal(err)
	}
	admin := gateway.Actor{Kind: gateway.ActorAdmin, ID: "boss@hvac.example", TenantID: hvac.ID}
	one := func(f func(*gateway.SMSRoute)) []gateway.SMSRoute { return []gateway.SMSRoute{awsRoute(f)} }
	for _, tt := range []struct {
		name   string
		actor  gateway.Actor
		routes []gateway.SMSRoute
		code   string
	}{
		{"ok", admin, one(nil), ""},
		{"configuration set", admin, one(func(r *gateway.SMSRoute) { r.ConfigurationSet = "resets" }), ""},
		{"public endpoint", admin, one(func(r *gateway.SMSRoute) { r.Endpoint = "https://sms-voice.example.com" }), ""},
		{"no region", admin, one(func(r *gateway.SMSRoute) { r.Region = "" }), "sms_route_aws_invalid"},
		{"bad region", admin, one(func(r *gateway.SMSRoute) { r.Region = "us-east-1/../x" }), "sms_route_aws_invalid"},
		{"no identity", admin, one(func(r *gateway.SMSRoute) { r.OriginationIdentity = "" }), "sms_route_aws_invalid"},
		{"bad config set", admin, one(func(r *gateway.SMSRoute) { r.ConfigurationSet = "a b" }), "sms_route_aws_invalid"},
		{"new key without secret", admin, one(func(r *gateway.SMSRoute) { r.AccessKeyID, r.SecretAccessKey = "AKIANEW00000000TEST", "" }), "sms_route_aws_invalid"},
		{"secret without key", admin, one(func(r *gateway.SMSRoute) { r.AccessKeyID = "" }), "sms_route_aws_invalid"},
		{"operator's credentials not lent", admin, one(func(r *gateway.SMSRoute) { r.AccessKeyID, r.SecretAccessKey = "", "" }), "sms_route_aws_invalid"},
		{"bad key id", admin, one(func(r *gateway.SMSRoute) { r.AccessKeyID = "akia lower" }), "sms_route_aws_invalid"},
		{"loopback endpoint", admin, one(func(r *gateway.SMSRoute) { r.Endpoint = "https://127.0.0.1:4566" }), "sms_route_aws_invalid"},
		{"metadata endpoint", admin, one(func(r *gateway.SMSRoute) { r.Endpoint = "https://169.254.169.254" }), "sms_route_aws_invalid"},
		{"localhost endpoint", admin, one(func(r *gateway.SMSRoute) { r.Endpoint = "https://localhost" }), "sms_route_aws_invalid"},
		{"http endpoint", admin, one(func(r *gateway.SMSRoute) { r.Endpoint = "http://sms-voice.example.com" }), "sms_route_aws_invalid"},
		{"endpoint credentials", admin, one(func(r *gateway.SMSRoute) { r.Endpoint = "https://a:b@sms-voice.example.com" }), "sms_route_aws_invalid"},
		{"operator internal endpoint", operator, one(func(r *gateway.SMSRoute) { r.Endpoint = "http://127.0.0.1:4566" }), ""},
		{"url on aws", admin, one(func(r *gateway.SMSRoute) { r.URL = "https://x.example" }), "sms_route_aws_invalid"},
		{"aws field on webhook", admin, []gateway.SMSRoute{{Kind: gateway.RouteWebhook, URL: "https://sms.example.com/send",
			Secret: hookSecret, Region: "us-east-1"}}, "sms_route_field"},
		{"aws field on carrier", admin, []gateway.SMSRoute{{Kind: gateway.RouteCarrier, AccessKeyID: awsKeyID}}, "sms_route_field"},
		{"two aws routes", admin, []gateway.SMSRoute{awsRoute(nil), awsRoute(func(r *gateway.SMSRoute) { r.Region = "eu-west-1" })}, "sms_routes_invalid"},
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
			if strings.Contains(err.Error(), awsSecret) {
				t.Fatal("the error shows the secret")
			}
		})
	}

	// The secret left empty keeps the saved one for the same key id only;
	// the operator's internal endpoint stays the operator's.
	internal := one(func(r *gateway.SMSRoute) { r.Endpoint = "http://127.0.0.1:4566" })
	if _, err := e.svc.UpdateSettings(e.ctx, operator, "hvac", gateway.SettingsPatch{SMSRoutes: &internal}); err != nil {
		t.Fatal(err)
	}
	again := one(func(r *gateway.SMSRoute) { r.Endpoint, r.SecretAccessKey = "http://127.0.0.1:4566", "" })
	got, err := e.svc.UpdateSettings(e.ctx, admin, "hvac", gateway.SettingsPatch{SMSRoutes: &again})
	if err != nil {
		t.Fatal(err)
	}
	if r := got.AWSRoute(); r == nil || r.SecretAccessKey != awsSecret || !r.OperatorSet {
		t.Fatalf("after re-save %+v", r)
	}
	other := one(func(r *gateway.SMSRoute) { r.AccessKeyID, r.SecretAccessKey = "AKIAOTHER0000000TEST", "" })
	if _, err := e.svc.UpdateSettings(e.ctx, admin, "hvac", gateway.SettingsPatch{SMSRoutes: &other}); gateway.ErrorCode(err) != "sms_route_aws_invalid" {
		t.Fatalf("another key id took the saved secret: %v", err)
	}
	moved := one(func(r *gateway.SMSRoute) { r.Endpoint, r.SecretAccessKey = "http://127.0.0.2:4566", "" })
	if _, err := e.svc.UpdateSettings(e.ctx, admin, "hvac", gateway.SettingsPatch{SMSRoutes: &moved}); gateway.ErrorCode(err) != "sms_route_aws_invalid" {
		t.Fatalf("a tenant admin moved the operator's internal endpoint: %v", err)
	}
}

func TestAWSDefaultCredentialsWhenAllowed(t *testing.T) {
	e := newEnv(t, false, func(c *gateway.Config) { c.AWSDefaultCredentials = true })
	routes := []gateway.SMSRoute{awsRoute(func(r *gateway.SMSRoute) { r.AccessKeyID, r.SecretAccessKey = "", "" })}
	if _, err := e.svc.UpdateSettings(e.ctx, operator, "", gateway.SettingsPatch{SMSRoutes: &routes}); err != nil {
		t.Fatal(err)
	}
}

// awsEnv is a chain [twilio, aws, webhook] whose aws route points at a
// local AWS JSON server.
func awsEnv(t *testing.T) (*env, *awstest.Server, *sender) {
	e := newEnv(t, true)
	srv := awstest.New(t, awsKeyID)
	webhook := &sender{}
	e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteTwilio: e.twilio, gateway.RouteCarrier: e.carrier, gateway.RouteWebhook: webhook, gateway.RouteEmail: e.email,
		gateway.RouteAWS: carrieraws.New(carrieraws.Config{Timeout: 10 * time.Second}),
	}, BackoffBase: time.Second, RetryFor: 10 * time.Minute})
	e.patchTenant(gateway.SettingsPatch{SMSRoutes: &[]gateway.SMSRoute{{Kind: gateway.RouteTwilio},
		awsRoute(func(r *gateway.SMSRoute) { r.Endpoint = srv.URL }),
		{Kind: gateway.RouteWebhook, URL: "https://sms.example.com/send", Secret: hookSecret}}})
	e.person("ana@acme.example", phoneA, "verizon")
	return e, srv, webhook
}

func smsOf(t *testing.T, r *gateway.ResetRequest) *gateway.Delivery {
	t.Helper()
	for _, d := range r.Deliveries {
		if d.Channel == gateway.ChannelSMS {
			return d
		}
	}
	t.Fatal("no SMS delivery")
	return nil
}

// Twilio down for its setup: the text moves to the aws route, which
// sends it through the SDK, and the delivery keeps AWS's MessageId.
func TestTwilioDownAWSDelivers(t *testing.T) {
	e, srv, webhook := awsEnv(t)
	e.twilio.set(&gateway.SendError{Class: gateway.FailConfig, Code: "20003", Fix: "fix the token"})
	id := e.reset("ana@acme.example", phoneA)
	e.drain()
	texts := srv.Texts()
	if len(texts) != 1 || texts[0].To != phoneA || len(webhook.all()) != 0 {
		t.Fatalf("aws texts %+v, webhook %d", texts, len(webhook.all()))
	}
	sms := smsOf(t, e.request(id))
	if sms.Route != gateway.RouteAWS || sms.Status != gateway.DeliverySent || sms.ProviderID != texts[0].ID {
		t.Fatalf("delivery %+v", sms)
	}
}

// The attacker here is the network: AWS takes the text and its answer is
// lost. AWS has no lookup, so the text must go neither again through AWS
// nor through the next route: at most one text.
func TestAWSLostAnswerNeverResent(t *testing.T) {
	for _, a := range []awstest.Answer{{Hang: true}, {Drop: true}} {
		e, srv, webhook := awsEnv(t)
		e.twilio.set(&gateway.SendError{Class: gateway.FailConfig, Code: "20003", Fix: "fix the token"})
		srv.Script(a)
		id := e.reset("ana@acme.example", phoneA)
		for range 5 {
			e.drain()
			e.advance(2 * time.Minute)
		}
		if srv.Requests() != 1 || len(srv.Texts()) != 1 || len(webhook.all()) != 0 {
			t.Fatalf("%+v: %d requests to AWS, %d texts, %d by webhook", a, srv.Requests(), len(srv.Texts()), len(webhook.all()))
		}
		sms := smsOf(t, e.request(id))
		if sms.Route != gateway.RouteAWS || sms.Status != gateway.DeliveryFailed || sms.ErrorCode != carrieraws.CodeAnswerLost {
			t.Fatalf("delivery %+v", sms)
		}
	}
}

// A throttled AWS send is retried on AWS (nothing was sent) or moved on.
func TestAWSThrottledMovesOn(t *testing.T) {
	e, srv, webhook := awsEnv(t)
	e.twilio.set(&gateway.SendError{Class: gateway.FailConfig, Code: "20003", Fix: "fix the token"})
	srv.Script(awstest.Answer{Status: 400, Type: "ThrottlingException"})
	e.reset("ana@acme.example", phoneA)
	e.drain()
	if n := len(srv.Texts()) + len(webhook.all()); n != 1 {
		t.Fatalf("%d texts", n)
	}
}
