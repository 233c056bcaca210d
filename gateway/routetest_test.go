package gateway_test

import (
	"context"
	"errors"
	"testing"
	"time"

	carrieraws "github.com/resetgw/resetgw/carriers/aws"
	"github.com/resetgw/resetgw/carriers/aws/awstest"
	"github.com/resetgw/resetgw/gateway"
)

// routeTester tests aws routes with the real aws sender.
type routeTester struct{ aws gateway.Sender }

func (routeTester) TestSMTP(context.Context, *gateway.SMTPProfile, string, string, string) (string, error) {
	return "", errors.New("no smtp")
}
func (routeTester) TestTwilio(context.Context, *gateway.TwilioSettings, string, string) (string, error) {
	return "", errors.New("no twilio")
}
func (r routeTester) TestRoute(ctx context.Context, m *gateway.Message) (string, error) {
	return r.aws.Send(ctx, m)
}

// TestProviderTestsAWSRoute: Test Provider "aws" sends one text through
// the tenant's aws route and shows AWS's answer, a refusal with its class
// and fix.
func TestProviderTestsAWSRoute(t *testing.T) {
	srv := awstest.New(t, awsKeyID)
	e := newEnv(t, false, func(c *gateway.Config) {
		c.Tester = routeTester{aws: carrieraws.New(carrieraws.Config{Timeout: time.Second})}
	})
	in := gateway.ProviderTestInput{Phone: phoneA}
	if _, err := e.svc.TestProvider(e.ctx, operator, "aws", in); gateway.ErrorCode(err) != "route_not_set" {
		t.Fatalf("without an aws route: %v", err)
	}
	e.patchTenant(gateway.SettingsPatch{SMSRoutes: &[]gateway.SMSRoute{awsRoute(func(r *gateway.SMSRoute) { r.Endpoint = srv.URL })}})
	res, err := e.svc.TestProvider(e.ctx, operator, "aws", in)
	if err != nil {
		t.Fatal(err)
	}
	texts := srv.Texts()
	if !res.OK || res.Route != gateway.RouteAWS || len(texts) != 1 || res.SID != texts[0].ID || texts[0].To != phoneA || res.Summary == "" {
		t.Fatalf("result %+v, texts %+v", res, texts)
	}
	srv.Script(awstest.Answer{Status: 400, Type: "ValidationException", Reason: "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"})
	res, err = e.svc.TestProvider(e.ctx, operator, "aws", in)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.Class != gateway.FailConfig || res.Fix == "" {
		t.Fatalf("refusal %+v", res)
	}
	if _, err := e.svc.SaveCarrier(e.ctx, operator, gateway.CarrierInput{Slug: "aws", Name: ptr("x"), Country: ptr("US"), SMSDomain: ptr("x.example")}, true); gateway.ErrorCode(err) != "carrier_slug_invalid" {
		t.Fatalf("a carrier may not be named aws: %v", err)
	}
}
