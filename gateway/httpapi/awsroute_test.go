package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestAWSRouteSettings: an aws route is saved and shown back without its
// secret access key; a save that leaves the secret empty keeps it; fields
// that are not the contract's are refused.
func TestAWSRouteSettings(t *testing.T) {
	h := newHarness(t, token)
	const secret = "wJalrXUtnFEMIexampleKEYexampleKEY0000000"
	route := `{"kind":"aws","region":"us-east-1","origination_identity":"+12015550100","configuration_set":"resets",
		"access_key_id":"AKIAEXAMPLE0000TEST","secret_access_key":"` + secret + `","endpoint":"https://sms-voice.example.com"}`
	code, m, _ := h.do("PATCH", "/admin/api/settings", `{"sms_routes":[`+route+`,{"kind":"carrier"}]}`, true)
	if code != 200 {
		t.Fatalf("patch: %d %v", code, m)
	}
	_, m, _ = h.do("GET", "/admin/api/settings", "", true)
	if strings.Contains(fmt.Sprint(m), secret) {
		t.Fatal("GET shows the secret access key")
	}
	rs, _ := m["sms_routes"].([]any)
	a, _ := rs[0].(map[string]any)
	if a["kind"] != "aws" || a["region"] != "us-east-1" || a["origination_identity"] != "+12015550100" ||
		a["access_key_id"] != "AKIAEXAMPLE0000TEST" || a["secret_access_key_set"] != true ||
		a["configuration_set"] != "resets" || a["endpoint"] != "https://sms-voice.example.com" {
		t.Fatalf("aws route shown as %v", a)
	}
	keep := `{"sms_routes":[{"kind":"aws","region":"us-east-1","origination_identity":"+12015550100","access_key_id":"AKIAEXAMPLE0000TEST"}]}`
	if code, m, _ := h.do("PATCH", "/admin/api/settings", keep, true); code != 200 {
		t.Fatalf("re-save without the secret: %d %v", code, m)
	}
	for _, tc := range []struct{ body, code string }{
		{`{"sms_routes":[{"kind":"aws","region":"us-east-1","origination_identity":"+12015550100","access_key_id":"AKIAEXAMPLE0000TEST","session_token":"x"}]}`, "unknown_field"},
		{`{"sms_routes":[{"kind":"aws","origination_identity":"+12015550100","access_key_id":"AKIAEXAMPLE0000TEST"}]}`, "sms_route_aws_invalid"},
		{`{"sms_routes":[{"kind":"webhook","url":"https://sms.example.com/send","secret":"whsec-0123456789abcdef-0123456789","configuration_set":"x"}]}`, "sms_route_field"},
	} {
		if code, m, _ := h.do("PATCH", "/admin/api/settings", tc.body, true); code != 400 || errCode(m) != tc.code {
			t.Errorf("%s: %d %v, want 400 %s", tc.body, code, m, tc.code)
		}
	}
}
