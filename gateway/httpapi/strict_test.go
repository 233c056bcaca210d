package httpapi_test

import (
	"testing"
)

// TestHardening19_UnknownFieldRefused: a misspelt key in an admin or
// settings body is a 400 naming the field, not a 200 that ignored it;
// the public endpoints keep taking fields a newer app may add.
func TestHardening19_UnknownFieldRefused(t *testing.T) {
	h := newHarness(t, token)
	code, m, _ := h.do("POST", "/admin/api/personnel", `{"name":"Ana","email":"ana@acme.example","status":"active",
		"mobile_access":true,"allow_mobile_reset":true,"password":"original-crew-password-7",
		"phones":[{"number":"+12015550123","type":"sms"}]}`, true)
	if code != 201 {
		t.Fatalf("create: %d %v", code, m)
	}
	person := "/admin/api/personnel/" + itoa(int64(m["id"].(float64)))
	cases := []struct {
		name, method, path, body, field string
	}{
		{"settings, misspelt security key", "PATCH", "/admin/api/settings", `{"trust_mial_keywords":true}`, "trust_mial_keywords"},
		{"settings, misspelt flag beside a good one", "PATCH", "/admin/api/settings", `{"must_change":true,"alow_mobile_reset":false}`, "alow_mobile_reset"},
		{"settings, nested twilio key", "PATCH", "/admin/api/settings", `{"twilio":{"account_sid":"AC1","auth_tokn":"x"}}`, "auth_tokn"},
		{"personnel create", "POST", "/admin/api/personnel", `{"name":"Bo","email":"bo@acme.example","mobile_acess":false}`, "mobile_acess"},
		{"personnel create, phone key", "POST", "/admin/api/personnel", `{"name":"Bo","email":"bo@acme.example","phones":[{"numbr":"+12015550124"}]}`, "numbr"},
		{"personnel update", "PATCH", person, `{"stauts":"inactive"}`, "stauts"},
		{"tenant create", "POST", "/admin/api/tenants", `{"slug":"hvac","name":"HVAC","allow_reset":true}`, "allow_reset"},
		{"manual password", "POST", person + "/password", `{"password":"blue-truck-seven-ladders","must_chnage":true}`, "must_chnage"},
		{"admin account", "PATCH", "/admin/api/admins/x@acme.example", `{"disabled":true,"role":"operator"}`, "role"},
	}
	for _, tc := range cases {
		code, m, _ := h.do(tc.method, tc.path, tc.body, true)
		e, _ := m["error"].(map[string]any)
		if code != 400 || errCode(m) != "unknown_field" || e["field"] != tc.field || e["message"] == "" {
			t.Errorf("%s: %d %v, want 400 unknown_field naming %s", tc.name, code, m, tc.field)
		}
	}
	// Nothing of a refused patch was applied.
	if _, m, _ = h.do("GET", "/admin/api/settings", "", true); m["must_change"] == true && m["allow_mobile_reset"] == false {
		t.Fatalf("refused patch applied: %v", m)
	}
	if _, m, _ = h.do("GET", person, "", true); m["status"] != "active" {
		t.Fatalf("refused patch applied: %v", m)
	}
	// The public API still takes what it does not know.
	for _, tc := range []struct{ path, body string }{
		{"/v1/password-resets", `{"email":"ana@acme.example","phone":"+12015550123","app_version":"4.2"}`},
		{"/v1/login", `{"email":"ana@acme.example","password":"original-crew-password-7","device":"x"}`},
	} {
		if code, m, _ := h.do("POST", tc.path, tc.body, false); code >= 400 {
			t.Errorf("%s with an extra field: %d %v", tc.path, code, m)
		}
	}
}
