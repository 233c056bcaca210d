package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestSMSRoutesSettings: the chain is saved and shown back in order, the
// webhook secret never; unknown kinds and fields are refused.
func TestSMSRoutesSettings(t *testing.T) {
	h := newHarness(t, token)
	const secret = "whsec-0123456789abcdef-0123456789"
	body := `{"sms_routes":[{"kind":"webhook","url":"https://sms.example.com/send","secret":"` + secret + `"},{"kind":"carrier"}]}`
	code, m, _ := h.do("PATCH", "/admin/api/settings", body, true)
	if code != 200 {
		t.Fatalf("patch: %d %v", code, m)
	}
	if strings.Contains(fmt.Sprint(m), secret) {
		t.Fatal("the PATCH answer shows the webhook secret")
	}
	_, m, _ = h.do("GET", "/admin/api/settings", "", true)
	if strings.Contains(fmt.Sprint(m), secret) {
		t.Fatal("GET shows the webhook secret")
	}
	rs, _ := m["sms_routes"].([]any)
	if len(rs) != 2 {
		t.Fatalf("sms_routes %v", m["sms_routes"])
	}
	w, _ := rs[0].(map[string]any)
	c, _ := rs[1].(map[string]any)
	if w["kind"] != "webhook" || w["url"] != "https://sms.example.com/send" || w["secret_set"] != true || c["kind"] != "carrier" {
		t.Fatalf("sms_routes %v", rs)
	}
	for _, tc := range []struct{ body, code string }{
		{`{"sms_routes":[{"kind":"pigeon"}]}`, "sms_route_kind"},
		{`{"sms_routes":[{"kind":"carrier","colour":"red"}]}`, "unknown_field"},
		{`{"sms_routes":[{"kind":"carrier","region":"us-east-1"}]}`, "sms_route_field"},
		{`{"sms_routes":[{"kind":"webhook","url":"http://sms.example.com/send","secret":"` + secret + `"}]}`, "sms_route_webhook_invalid"},
		{`{"sms_routes":[{"kind":"webhook","url":"https://sms.example.com/send","secret":"x","operator_set":true}]}`, "unknown_field"},
		{`{"sms_routes":"carrier"}`, "invalid_field"},
	} {
		if code, m, _ := h.do("PATCH", "/admin/api/settings", tc.body, true); code != 400 || errCode(m) != tc.code {
			t.Errorf("%s: %d %v, want 400 %s", tc.body, code, m, tc.code)
		}
	}
	if _, m, _ = h.do("PATCH", "/admin/api/settings", `{"sms_routes":[]}`, true); len(m["sms_routes"].([]any)) != 0 {
		t.Fatalf("[] should go back to the default chain: %v", m["sms_routes"])
	}
}

// TestResetListsAttemptsByRoute: each delivery of GET /admin/api/resets/{id}
// lists its attempts with the route that took it.
func TestResetListsAttemptsByRoute(t *testing.T) {
	h := newHarness(t, token)
	code, _, _ := h.do("POST", "/admin/api/personnel", `{"name":"Ana","email":"ana@acme.example","status":"active",
		"mobile_access":true,"allow_mobile_reset":true,"password":"original-crew-password-7",
		"phones":[{"number":"+12015550123","type":"sms"}]}`, true)
	if code != 201 {
		t.Fatalf("create person: %d", code)
	}
	_, m, _ := h.do("POST", "/v1/password-resets", `{"email":"ana@acme.example","phone":"+12015550123"}`, false)
	h.drain()
	_, r, _ := h.do("GET", "/admin/api/resets/"+m["request_id"].(string), "", true)
	ds, _ := r["deliveries"].([]any)
	if len(ds) == 0 {
		t.Fatalf("no deliveries: %v", r)
	}
	for _, d := range ds {
		dm := d.(map[string]any)
		tries, _ := dm["attempts"].([]any)
		if len(tries) != 1 {
			t.Fatalf("attempts %v", dm)
		}
		a := tries[0].(map[string]any)
		if a["route"] != dm["route"] || a["status"] != "sent" || a["provider_id"] == nil || a["at"] == nil || dm["attempt_count"] != 1.0 {
			t.Fatalf("attempt %v of %v", a, dm)
		}
	}
}
