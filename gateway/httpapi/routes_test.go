package httpapi_test

import (
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// TestRoutesShowNeedsAttention: a configuration failure of the SMS sender
// shows its lane as needs_attention, with the channel's fix, in GET
// /admin/api/routes, in the contract's shape.
func TestRoutesShowNeedsAttention(t *testing.T) {
	h := newHarness(t, token)
	// Before any send: the tenant's chain, link by link, with no lane yet.
	if code, m, _ := h.do("GET", "/admin/api/routes", "", true); code != 200 || len(m["list"].([]any)) != 2 {
		t.Fatalf("before any send: %d %v", code, m)
	} else {
		for i, want := range []string{"twilio", "carrier"} {
			l := m["list"].([]any)[i].(map[string]any)
			if l["route"] != want || l["index"] != float64(i) || l["lane"] != "" || l["state"] != "ok" || l["tenant"] != "default" {
				t.Fatalf("link %d: %v", i, l)
			}
		}
	}
	fix := "This Twilio number is not registered for A2P 10DLC: register a campaign or use a toll-free or short code"
	h.sms.Fail(&gateway.SendError{Class: gateway.FailConfig, Code: "30034", Detail: "unregistered sender", Fix: fix})
	code, m, _ := h.do("POST", "/admin/api/personnel", `{"name":"Ana","email":"ana@acme.example","status":"active",
		"mobile_access":true,"allow_mobile_reset":true,"password":"original-crew-password-7",
		"phones":[{"number":"+12015550123","type":"sms"}]}`, true)
	if code != 201 {
		t.Fatalf("person: %d %v", code, m)
	}
	if code, m, _ = h.do("POST", "/v1/password-resets", `{"email":"ana@acme.example","phone":"+12015550123"}`, false); code != 202 {
		t.Fatalf("reset: %d %v", code, m)
	}
	h.drain()
	code, m, _ = h.do("GET", "/admin/api/routes", "", true)
	if code != 200 {
		t.Fatalf("routes: %d %v", code, m)
	}
	lanes := map[string]map[string]any{}
	for _, l := range m["list"].([]any) {
		lm := l.(map[string]any)
		for _, k := range []string{"lane", "kind", "tenant", "state", "in_flight", "queued", "rate_per_second"} {
			if _, ok := lm[k]; !ok {
				t.Fatalf("lane without %q: %v", k, lm)
			}
		}
		lanes[lm["kind"].(string)] = lm
	}
	sms, mail := lanes["twilio"], lanes["smtp"]
	if sms == nil || sms["state"] != "needs_attention" || sms["fix"] != fix || sms["tenant"] != "default" || sms["reason"] == nil {
		t.Fatalf("SMS lane %v", sms)
	}
	// The chain's first link is that lane, with its last failure.
	if first := m["list"].([]any)[0].(map[string]any); first["route"] != "twilio" || first["index"] != float64(0) ||
		first["lane"] == "" || first["state"] != "needs_attention" || !strings.HasPrefix(first["last_failure"].(string), "30034") ||
		first["last_failure_at"] == nil {
		t.Fatalf("first link %v", first)
	}
	if mail == nil || mail["state"] != "ok" || mail["fix"] != nil {
		t.Fatalf("mail lane %v", mail)
	}
	if code, m, _ = h.do("GET", "/admin/api/routes", "", false); code != 401 {
		t.Fatalf("without a token: %d %v", code, m)
	}

	// The console's overview and route health show the lane and its fix.
	h.admin("office@acme.example", "")
	b := h.browser()
	b.login("office@acme.example", adminPW)
	for _, path := range []string{"/admin/overview", "/admin/routes"} {
		code, page, _ := b.do("GET", path, nil)
		if code != 200 || !strings.Contains(page, "needs_attention") || !strings.Contains(page, "register a campaign") {
			t.Fatalf("%s: %d, lane or fix missing:\n%.2000s", path, code, page)
		}
	}
	// Route health lists the chain link by link, with the last failure.
	if _, page, _ := b.do("GET", "/admin/routes", nil); !strings.Contains(page, `id="sms-routes"`) ||
		!strings.Contains(page, "30034 unregistered sender") {
		t.Fatalf("route health without the chain:\n%.3000s", page)
	}
}

// TestSMSSettingsRoundTrip: sms_rate_per_second and sms_validity_seconds
// are read and written by the settings API, and out-of-range values are
// refused with a stable code.
func TestSMSSettingsRoundTrip(t *testing.T) {
	h := newHarness(t, token)
	code, m, _ := h.do("GET", "/admin/api/settings", "", true)
	if code != 200 || m["sms_validity_seconds"] != 600.0 || m["sms_rate_per_second"] != 0.0 {
		t.Fatalf("defaults: %d %v", code, m)
	}
	code, m, _ = h.do("PATCH", "/admin/api/settings", `{"sms_rate_per_second":3,"sms_validity_seconds":900}`, true)
	if code != 200 || m["sms_validity_seconds"] != 900.0 || m["sms_rate_per_second"] != 3.0 {
		t.Fatalf("patch: %d %v", code, m)
	}
	for _, tc := range []struct{ body, code string }{
		{`{"sms_rate_per_second":-1}`, "sms_rate_invalid"},
		{`{"sms_rate_per_second":20000}`, "sms_rate_invalid"},
		{`{"sms_validity_seconds":0}`, "sms_validity_invalid"},
		{`{"sms_validity_seconds":36001}`, "sms_validity_invalid"},
		{`{"sms_validity_seconds":"ten"}`, "invalid_field"},
	} {
		if code, m, _ := h.do("PATCH", "/admin/api/settings", tc.body, true); code != 400 || errCode(m) != tc.code {
			t.Errorf("%s: %d %v, want 400 %s", tc.body, code, m, tc.code)
		}
	}
	if _, m, _ = h.do("GET", "/admin/api/settings", "", true); m["sms_validity_seconds"] != 900.0 {
		t.Fatalf("not kept: %v", m)
	}
}
