package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// Each test result says in plain words what happened and what to do,
// from the route and the failure's class and Fix.
func TestTestResultInPlainWords(t *testing.T) {
	e := newEnv(t, false)
	tt := &tester{}
	e.svc.SetTester(tt)
	admin := gateway.Actor{Kind: gateway.ActorAdmin, ID: "office@acme.example"}
	fixAuth := "The mail server refused the user name or password: check them in the email profile."
	for _, tc := range []struct {
		name  string
		route string // "twilio", a carrier slug, or "email"
		err   error
		want  []string
	}{
		{"twilio accepted", "twilio", nil, []string{"Twilio accepted the test text"}},
		{"twilio not set up", "twilio", &gateway.SendError{Class: gateway.FailConfig, Code: "twilio_not_configured",
			Detail: "no Twilio account SID, auth token and sender (From or Messaging Service) are set", Fix: "Enter the Twilio account SID"},
			[]string{"Twilio is not set up for this company: add the account SID, auth token and a sender in Settings."}},
		{"twilio bad credentials", "twilio", &gateway.SendError{Class: gateway.FailConfig, Code: "20003", Detail: "Authenticate",
			Fix: "Check the Twilio account SID and auth token in Settings"},
			[]string{"Twilio is not set up right for this company: check the Twilio account SID and auth token in Settings."}},
		{"twilio landline", "twilio", &gateway.SendError{Class: gateway.FailRecipient, Code: "21614", Detail: "not a mobile number"},
			[]string{"Twilio cannot text this number", "mobile number"}},
		{"twilio busy", "twilio", &gateway.SendError{Class: gateway.FailRate, Code: "30001", Detail: "queue overflow"},
			[]string{"Twilio is limiting how fast", "wait a few minutes"}},
		{"twilio down", "twilio", &gateway.SendError{Class: gateway.FailTransient, Code: "connect", Detail: "connection refused"},
			[]string{"Twilio could not be reached just now"}},
		{"twilio opted out", "twilio", &gateway.SendError{Class: gateway.FailOptedOut, Code: "21610", Detail: "unsubscribed"},
			[]string{"texted STOP"}},
		{"carrier accepted", "verizon", nil, []string{"accepted the test for the carrier's gateway", "may take minutes"}},
		{"carrier refuses number", "verizon", &gateway.SendError{Class: gateway.FailRecipient, Code: "550 5.1.1", Detail: "rejected"},
			[]string{"The carrier's email-to-SMS gateway cannot text this number"}},
		{"carrier retired", "att", nil, []string{"shut down its email-to-SMS gateway", "Set up Twilio in Settings"}},
		{"email accepted", "email", nil, []string{"The mail server accepted the test email", "dana@acme.example", "spam"}},
		{"email login refused", "email", &gateway.SendError{Class: gateway.FailConfig, Code: "535 5.7.8", Detail: "authentication failed", Fix: fixAuth},
			[]string{"Email is not set up right for this company: the mail server refused the user name or password"}},
		{"email bad address", "email", &gateway.SendError{Class: gateway.FailRecipient, Code: "550 5.1.1", Detail: "no such user"},
			[]string{"The mail server refused this address"}},
		{"email server down", "email", &gateway.SendError{Class: gateway.FailTransient, Code: "timeout", Detail: "deadline"},
			[]string{"The mail server could not be reached just now"}},
		{"email greylisted", "email", &gateway.SendError{Class: gateway.FailRate, Code: "451 4.7.1", Detail: "try later"},
			[]string{"The mail server is limiting how fast"}},
		{"unclassified refusal", "email", &gateway.SendError{Code: "554 5.6.0", Detail: "message refused"},
			[]string{"The mail server refused this test message"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.advance(2 * time.Hour) // a fresh hour of tests
			tt.err = tc.err
			var res *gateway.ProviderTestResult
			var err error
			if tc.route == "email" {
				res, err = e.svc.TestEmail(e.ctx, admin, "", "dana@acme.example")
			} else {
				res, err = e.svc.TestProvider(e.ctx, admin, tc.route, gateway.ProviderTestInput{Phone: phoneA})
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Summary, w) {
					t.Errorf("summary %q lacks %q", res.Summary, w)
				}
			}
			if tc.err != nil && (res.Code == "" || !strings.Contains(res.Detail, res.Code)) {
				t.Errorf("the provider's own words are gone: %+v", res)
			}
		})
	}
}
