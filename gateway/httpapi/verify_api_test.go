package httpapi_test

import (
	"context"
	"testing"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

// newPublicHarness is newHarness with a gateway that has a public URL
// (links can be made).
func newPublicHarness(t *testing.T) *harness {
	t.Helper()
	keys := gatewaytest.Keys(t)
	st, _ := gatewaytest.Store(t, keys)
	svc, err := gateway.New(gateway.Config{Store: st, Renderer: gatewaytest.Renderer{}, Keys: keys,
		Hasher: gatewaytest.Hasher(), Limits: gateway.DefaultLimits(), DefaultTwilio: true,
		PublicURL: "https://reset.acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureTenant(context.Background(), gateway.DefaultSlug, "Acme"); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, svc: svc, email: &gatewaytest.Sender{}, sms: &gatewaytest.Sender{}}
	h.worker = gateway.NewWorker(gateway.WorkerConfig{Service: svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteEmail: h.email, gateway.RouteTwilio: h.sms}})
	h.srv = httpapi.New(httpapi.Config{Service: svc, AdminToken: token, Ready: st.Ping, PublicURL: "https://reset.acme.example"})
	return h
}

// The admin API takes and shows require_verified_email and
// max_password_age_days, refuses out-of-range values and misspellings,
// shows email_verified on personnel and resends a link, throttled.
func TestVerificationAndPasswordAgeAPI(t *testing.T) {
	h := newHarness(t, token)
	code, m, _ := h.do("PATCH", "/admin/api/settings", `{"require_verified_email":true}`, true)
	if code != 400 || errCode(m) != "public_url_required" {
		t.Fatalf("without a public URL: %d %v", code, m)
	}
	for _, tc := range []struct {
		body string
		code int
		err  string
	}{
		{`{"max_password_age_days":29}`, 400, "max_password_age_invalid"},
		{`{"max_password_age_days":731}`, 400, "max_password_age_invalid"},
		{`{"max_pasword_age_days":90}`, 400, "unknown_field"},
		{`{"require_verifed_email":true}`, 400, "unknown_field"},
		{`{"max_password_age_days":90}`, 200, ""},
	} {
		code, m, _ := h.do("PATCH", "/admin/api/settings", tc.body, true)
		if code != tc.code || (tc.err != "" && errCode(m) != tc.err) {
			t.Errorf("%s: %d %v, want %d %s", tc.body, code, m, tc.code, tc.err)
		}
	}
	if _, m, _ := h.do("GET", "/admin/api/settings", "", true); m["max_password_age_days"] != float64(90) ||
		m["require_verified_email"] != false {
		t.Fatalf("settings: %v", m)
	}
	code, m, _ = h.do("POST", "/admin/api/personnel", `{"name":"Ana","email":"ana@acme.example","password":"original-crew-password-7"}`, true)
	if code != 201 || m["email_verified"] != false || m["password_set_at"] == nil {
		t.Fatalf("create: %d %v", code, m)
	}
	person := "/admin/api/personnel/" + itoa(int64(m["id"].(float64)))
	// No public URL: no link can be made.
	if code, m, _ := h.do("POST", person+"/verification", "", true); code != 400 || errCode(m) != "public_url_required" {
		t.Fatalf("resend without a public URL: %d %v", code, m)
	}
	if code, _, _ := h.do("POST", person+"/verification", "", false); code != 401 {
		t.Fatalf("resend without a token: %d", code)
	}
	if code, m, _ := h.do("POST", "/admin/api/personnel/99999/verification", "", true); code != 404 {
		t.Fatalf("resend to nobody: %d %v", code, m)
	}
}

func TestResendVerificationThrottled(t *testing.T) {
	h := newPublicHarness(t)
	code, m, _ := h.do("POST", "/admin/api/personnel", `{"name":"Ana","email":"ana@acme.example"}`, true)
	if code != 201 {
		t.Fatalf("create: %d %v", code, m)
	}
	person := "/admin/api/personnel/" + itoa(int64(m["id"].(float64)))
	for i := range 3 {
		if code, m, _ := h.do("POST", person+"/verification", "", true); code != 202 {
			t.Fatalf("resend %d: %d %v", i+1, code, m)
		}
	}
	if code, m, _ := h.do("POST", person+"/verification", "", true); code != 429 || errCode(m) != "verify_throttled" {
		t.Fatalf("fourth resend in an hour: %d %v", code, m)
	}
}
