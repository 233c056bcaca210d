package aws_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	carrieraws "github.com/resetgw/resetgw/carriers/aws"
	"github.com/resetgw/resetgw/carriers/aws/awstest"
	"github.com/resetgw/resetgw/gateway"
)

const (
	keyID  = "AKIAEXAMPLE0000TEST"
	secret = "wJalrXUtnFEMIexampleKEYexampleKEY0000000"
)

func message(srv *awstest.Server, r gateway.SMSRoute) *gateway.Message {
	r.Kind = gateway.RouteAWS
	if r.Region == "" {
		r.Region = "us-east-1"
	}
	if r.OriginationIdentity == "" {
		r.OriginationIdentity = "+12015550100"
	}
	if r.Endpoint == "" {
		r.Endpoint, r.OperatorSet = srv.URL, true
	}
	if r.AccessKeyID == "" {
		r.AccessKeyID, r.SecretAccessKey = keyID, secret
	}
	t := &gateway.Tenant{ID: 7, Slug: "acme", SMSValiditySeconds: 900, SMSRoutes: []gateway.SMSRoute{r}}
	return &gateway.Message{DeliveryID: 42, RequestID: "rr_abc", Channel: gateway.ChannelSMS, Route: gateway.RouteAWS,
		To: "+12015550123", Text: "Your new password: Ab3dEf7hJk", Tenant: t}
}

func TestSendRecordsMessageID(t *testing.T) {
	srv := awstest.New(t, keyID)
	s := carrieraws.New(carrieraws.Config{Timeout: 5 * time.Second})
	id, err := s.Send(context.Background(), message(srv, gateway.SMSRoute{ConfigurationSet: "resets"}))
	if err != nil {
		t.Fatal(err)
	}
	texts := srv.Texts()
	if len(texts) != 1 || id != texts[0].ID || id == "" {
		t.Fatalf("id %q, texts %+v", id, texts)
	}
	got := texts[0]
	want := awstest.Text{ID: id, To: "+12015550123", Body: "Your new password: Ab3dEf7hJk", Origination: "+12015550100",
		ConfigurationSet: "resets", MessageType: "TRANSACTIONAL", KeyID: keyID, Region: "us-east-1", TTL: 900}
	got.Context = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if texts[0].Context["resetgw_id"] != "msg_rr_abc_42" {
		t.Fatalf("context %v", texts[0].Context)
	}
	if srv.Unsigned() != 0 {
		t.Fatal("a request went unsigned")
	}
}

// The fake refuses what AWS refuses: a request without SigV4 headers.
func TestServerRefusesUnsigned(t *testing.T) {
	srv := awstest.New(t, keyID)
	req := strings.NewReader(`{"DestinationPhoneNumber":"+12015550123","MessageBody":"x","OriginationIdentity":"+12015550100"}`)
	resp, err := srv.Client().Post(srv.URL, "application/x-amz-json-1.0", req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || srv.Unsigned() != 1 || len(srv.Texts()) != 0 {
		t.Fatalf("status %d, unsigned %d, texts %d", resp.StatusCode, srv.Unsigned(), len(srv.Texts()))
	}
}

func TestWrongKeyIsConfig(t *testing.T) {
	srv := awstest.New(t, keyID)
	s := carrieraws.New(carrieraws.Config{Timeout: 5 * time.Second})
	_, err := s.Send(context.Background(), message(srv, gateway.SMSRoute{AccessKeyID: "AKIAWRONG0000000TEST", SecretAccessKey: secret}))
	se := gateway.AsSendError(err)
	if se.Class != gateway.FailConfig || se.Code != "UnrecognizedClientException" || se.Fix == "" {
		t.Fatalf("%+v", se)
	}
	if strings.Contains(se.Error()+se.Detail+se.Fix, secret) {
		t.Fatal("the secret key shows in the error")
	}
}

func TestErrorClasses(t *testing.T) {
	cases := []struct {
		name   string
		answer awstest.Answer
		class  gateway.FailureClass
		code   string
		lost   bool
	}{
		{"throttled", awstest.Answer{Status: 400, Type: "ThrottlingException"}, gateway.FailRate, "ThrottlingException", false},
		{"quota", awstest.Answer{Status: 402, Type: "ServiceQuotaExceededException", Reason: "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"},
			gateway.FailRate, "ServiceQuotaExceededException:MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT", false},
		{"access denied", awstest.Answer{Status: 403, Type: "AccessDeniedException", Reason: "ACCOUNT_DISABLED"},
			gateway.FailConfig, "AccessDeniedException:ACCOUNT_DISABLED", false},
		{"identity not found", awstest.Answer{Status: 404, Type: "ResourceNotFoundException"}, gateway.FailConfig, "ResourceNotFoundException", false},
		{"identity for country", awstest.Answer{Status: 400, Type: "ValidationException", Reason: "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"},
			gateway.FailConfig, "ValidationException:INVALID_IDENTITY_FOR_DESTINATION_COUNTRY", false},
		{"country not enabled", awstest.Answer{Status: 400, Type: "ValidationException", Reason: "DESTINATION_COUNTRY_BLOCKED"},
			gateway.FailConfig, "ValidationException:DESTINATION_COUNTRY_BLOCKED", false},
		{"bad destination", awstest.Answer{Status: 400, Type: "ValidationException", Reason: "INVALID_PARAMETER",
			Fields: []string{"DestinationPhoneNumber"}}, gateway.FailRecipient, "ValidationException:INVALID_PARAMETER", false},
		{"opted out", awstest.Answer{Status: 400, Type: "ConflictException", Reason: "DESTINATION_PHONE_NUMBER_OPTED_OUT"},
			gateway.FailOptedOut, "ConflictException:DESTINATION_PHONE_NUMBER_OPTED_OUT", false},
		{"sandbox", awstest.Answer{Status: 400, Type: "ConflictException", Reason: "DESTINATION_PHONE_NUMBER_NOT_VERIFIED"},
			gateway.FailConfig, "ConflictException:DESTINATION_PHONE_NUMBER_NOT_VERIFIED", false},
		{"internal", awstest.Answer{Status: 500, Type: "InternalServerException"}, gateway.FailTransient, "InternalServerException", false},
		{"proxy 502", awstest.Answer{Status: 502, Raw: "<html>bad gateway</html>"}, gateway.FailTransient, carrieraws.CodeAnswerLost, true},
		{"proxy 503", awstest.Answer{Status: 503, Raw: "<html>busy</html>"}, gateway.FailRate, "Service Unavailable", false},
		{"timeout after the request", awstest.Answer{Hang: true}, gateway.FailTransient, carrieraws.CodeAnswerLost, true},
		{"answer dropped", awstest.Answer{Drop: true}, gateway.FailTransient, carrieraws.CodeAnswerLost, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := awstest.New(t, keyID)
			srv.Script(tc.answer)
			s := carrieraws.New(carrieraws.Config{Timeout: time.Second})
			_, err := s.Send(context.Background(), message(srv, gateway.SMSRoute{}))
			se := gateway.AsSendError(err)
			if se.Class != tc.class || se.Code != tc.code || se.MayHaveSent != tc.lost {
				t.Fatalf("got %s %q lost=%v (%s), want %s %q lost=%v", se.Class, se.Code, se.MayHaveSent, se.Detail, tc.class, tc.code, tc.lost)
			}
			if se.Class == gateway.FailConfig && se.Fix == "" {
				t.Fatal("a config failure without a Fix")
			}
			if srv.Requests() != 1 {
				t.Fatalf("%d requests: the SDK retried by itself", srv.Requests())
			}
		})
	}
}

// A claim whose earlier attempt left no outcome is not sent again: AWS
// has no lookup to prove the first never went.
func TestUnrecordedIsNotResent(t *testing.T) {
	srv := awstest.New(t, keyID)
	s := carrieraws.New(carrieraws.Config{Timeout: time.Second})
	m := message(srv, gateway.SMSRoute{})
	m.Attempt, m.Unrecorded = 1, true
	_, err := s.Send(context.Background(), m)
	se := gateway.AsSendError(err)
	if !se.MayHaveSent || srv.Requests() != 0 {
		t.Fatalf("%+v, %d requests", se, srv.Requests())
	}
}

func TestNoKeysNeedOperatorCredentials(t *testing.T) {
	srv := awstest.New(t, keyID)
	s := carrieraws.New(carrieraws.Config{Timeout: time.Second})
	m := message(srv, gateway.SMSRoute{})
	m.Tenant.SMSRoutes[0].AccessKeyID, m.Tenant.SMSRoutes[0].SecretAccessKey = "", ""
	_, err := s.Send(context.Background(), m)
	if se := gateway.AsSendError(err); se.Class != gateway.FailConfig || se.Code != "aws_no_credentials" || srv.Requests() != 0 {
		t.Fatalf("%+v", se)
	}
}

// A tenant's endpoint is dialed only at public addresses: a name that
// resolves to loopback (here the address itself) gets no request.
func TestTenantEndpointNeverReachesInternalHost(t *testing.T) {
	srv := awstest.New(t, keyID)
	s := carrieraws.New(carrieraws.Config{Timeout: time.Second})
	m := message(srv, gateway.SMSRoute{})
	m.Tenant.SMSRoutes[0].OperatorSet = false
	_, err := s.Send(context.Background(), m)
	if se := gateway.AsSendError(err); se.Class != gateway.FailConfig || srv.Requests() != 0 {
		t.Fatalf("%+v, %d requests", se, srv.Requests())
	}
}

func TestLanePerTenantRegionIdentity(t *testing.T) {
	srv := awstest.New(t, keyID)
	s := carrieraws.New(carrieraws.Config{})
	m := message(srv, gateway.SMSRoute{})
	spec := s.Lane(m)
	if spec.Key != "aws:7:us-east-1:+12015550100" || spec.RatePerSecond != carrieraws.DefaultRate || spec.Kind != "aws" {
		t.Fatalf("%+v", spec)
	}
	m.Tenant.SMSRatePerSecond = 3
	if spec := s.Lane(m); spec.RatePerSecond != 3 {
		t.Fatalf("%+v", spec)
	}
}
