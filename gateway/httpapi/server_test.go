package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/httpapi"
	"github.com/resetgw/resetgw/gateway/secret"
)

const token = "test-admin-token"

type harness struct {
	t      *testing.T
	srv    *httpapi.Server
	svc    *gateway.Service
	worker *gateway.Worker
	email  *gatewaytest.Sender
	sms    *gatewaytest.Sender
}

func newHarness(t *testing.T, adminToken string) *harness {
	t.Helper()
	return newHarnessWith(t, adminToken, nil)
}

// newHarnessWith lets a test change the HTTP config (proxy, public URL)
// before the app is built.
func newHarnessWith(t *testing.T, adminToken string, mod func(*httpapi.Config)) *harness {
	t.Helper()
	return newHarnessHasher(t, adminToken, gatewaytest.Hasher(), mod)
}

// newHarnessHasher is newHarnessWith with this hasher (a test that fills
// its slots).
func newHarnessHasher(t *testing.T, adminToken string, hasher *secret.Hasher, mod func(*httpapi.Config)) *harness {
	t.Helper()
	keys := gatewaytest.Keys(t)
	st, _ := gatewaytest.Store(t, keys)
	svc, err := gateway.New(gateway.Config{Store: st, Renderer: gatewaytest.Renderer{}, Keys: keys,
		Hasher: hasher, Limits: gateway.DefaultLimits(), DefaultTwilio: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureTenant(context.Background(), gateway.DefaultSlug, "Acme"); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, svc: svc, email: &gatewaytest.Sender{}, sms: &gatewaytest.Sender{}}
	h.worker = gateway.NewWorker(gateway.WorkerConfig{Service: svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteEmail: h.email, gateway.RouteTwilio: h.sms}})
	cfg := httpapi.Config{Service: svc, AdminToken: adminToken, Ready: st.Ping}
	if mod != nil {
		mod(&cfg)
	}
	h.srv = httpapi.New(cfg)
	return h
}

// do sends a request and decodes a JSON answer.
func (h *harness) do(method, path, body string, auth bool) (int, map[string]any, http.Header) {
	h.t.Helper()
	var hdr http.Header
	if auth {
		hdr = http.Header{"Authorization": {"Bearer " + token}}
	}
	return h.doHeader(method, path, body, hdr)
}

// doHeader sends a request with these headers and decodes a JSON answer.
func (h *harness) doHeader(method, path, body string, hdr http.Header) (int, map[string]any, http.Header) {
	h.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range hdr {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := h.srv.App().Test(req, -1)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if raw[0] == '[' { // a list answer: tests read it as m["list"]
			var list []any
			if err := json.Unmarshal(raw, &list); err != nil {
				h.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
			}
			return resp.StatusCode, map[string]any{"list": list}, resp.Header
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			h.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return resp.StatusCode, m, resp.Header
}

func (h *harness) drain() {
	for range 20 {
		busy, err := h.worker.Pass(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		if !busy {
			return
		}
	}
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestHealthz(t *testing.T) {
	h := newHarness(t, token)
	if code, m, _ := h.do("GET", "/healthz", "", false); code != 200 || m["status"] != "ok" {
		t.Fatalf("%d %v", code, m)
	}
}

func TestResetAnswerIsUniform(t *testing.T) {
	h := newHarness(t, token)
	code, _, _ := h.do("POST", "/admin/api/personnel", `{"name":"Ana","email":"ana@acme.example","status":"active",
		"mobile_access":true,"allow_mobile_reset":true,"password":"original-crew-password-7",
		"phones":[{"number":"+12015550123","type":"sms"}]}`, true)
	if code != 201 {
		t.Fatalf("create person: %d", code)
	}
	known, kb, _ := h.do("POST", "/v1/password-resets", `{"email":"ana@acme.example","phone":"+12015550123"}`, false)
	unknown, ub, _ := h.do("POST", "/v1/password-resets", `{"email":"nobody@acme.example","phone":"+12015550199"}`, false)
	if known != 202 || unknown != 202 {
		t.Fatalf("status %d / %d", known, unknown)
	}
	if kb["message"] != ub["message"] || len(kb) != 2 || len(ub) != 2 {
		t.Fatalf("answers differ: %v / %v", kb, ub)
	}
	kid, _ := kb["request_id"].(string)
	uid, _ := ub["request_id"].(string)
	if len(kid) != len(uid) || kid == uid || kid == "" {
		t.Fatalf("ids %q %q", kid, uid)
	}
	h.drain()
	_, r, _ := h.do("GET", "/admin/api/resets/"+kid, "", true)
	if r["state"] != "delivered" {
		t.Fatalf("known: %v", r)
	}
	ds, _ := r["deliveries"].([]any)
	if len(ds) != 2 {
		t.Fatalf("deliveries %v", r["deliveries"])
	}
	_, r, _ = h.do("GET", "/admin/api/resets/"+uid, "", true)
	if r["state"] != "rejected" || r["reason"] != gateway.ReasonNoMatch {
		t.Fatalf("unknown: %v", r)
	}
}

func TestBadInputGetsAClearError(t *testing.T) {
	h := newHarness(t, token)
	cases := []struct {
		method, path, body string
		auth               bool
		status             int
		code               string
	}{
		{"POST", "/v1/password-resets", `not json`, false, 400, "invalid_json"},
		{"POST", "/v1/password-resets", `[]`, false, 400, "invalid_json"},
		{"POST", "/v1/password-resets", `{"email":1}`, false, 400, "invalid_field"},
		{"POST", "/v1/password-resets", `{}`, false, 400, "email_required"},
		{"POST", "/v1/password-resets", `{"email":"not-an-email"}`, false, 400, "email_invalid"},
		{"POST", "/v1/password-resets", `{"email":"a@b.example","phone":"555-2671"}`, false, 400, "phone_invalid"},
		{"POST", "/v1/password-resets", `{"email":"a@b.example"} {}`, false, 400, "invalid_json"},
		{"POST", "/v1/login", `{"email":"a@b.example"}`, false, 400, "credentials_required"},
		{"POST", "/v1/login", `{"email":"a@b.example","password":"whatever-123"}`, false, 401, "invalid_credentials"},
		{"GET", "/v1/nothing", ``, false, 404, "route_not_found"},
		{"POST", "/admin/api/personnel", `{"name":"X","email":"x@acme.example","phones":[{"number":"+1 212 555 0100 ext. 12"}]}`, true, 400, "phone_extension"},
		{"POST", "/admin/api/personnel", `{"name":"X","email":"x@acme.example","password":"password"}`, true, 422, "password_common"},
		{"POST", "/admin/api/personnel", `{"name":"X","email":"x@acme.example","status":"gone"}`, true, 400, "status_invalid"},
		{"POST", "/admin/api/personnel", `{"name":"X","email":"x@acme.example","phones":[{"number":"+12015550123","carrier":"nope"}]}`, true, 400, "carrier_unknown"},
		{"POST", "/admin/api/personnel", `{"tenant":"nope","name":"X","email":"x@acme.example"}`, true, 404, "tenant_not_found"},
		{"GET", "/admin/api/personnel/abc", ``, true, 404, "not_found"},
		{"GET", "/admin/api/personnel/999", ``, true, 404, "not_found"},
		{"GET", "/admin/api/resets/rr_nothing", ``, true, 404, "not_found"},
		{"GET", "/admin/api/resets?state=weird", ``, true, 400, "state_invalid"},
		{"POST", "/admin/api/tenants", `{"slug":"Bad Slug!","name":"x"}`, true, 400, "slug_invalid"},
		{"PATCH", "/admin/api/settings?tenant=nope", `{"allow_mobile_reset":false}`, true, 404, "tenant_not_found"},
		{"GET", "/admin/api/personnel", ``, false, 401, "unauthorized"},
	}
	for _, tc := range cases {
		code, m, _ := h.do(tc.method, tc.path, tc.body, tc.auth)
		if code != tc.status || errCode(m) != tc.code {
			t.Errorf("%s %s %s: got %d %v, want %d %s", tc.method, tc.path, tc.body, code, m, tc.status, tc.code)
		}
	}
}

func TestAdminAPIWithoutTokenIsClosed(t *testing.T) {
	h := newHarness(t, "")
	code, m, hdr := h.do("GET", "/admin/api/personnel", "", true)
	if code != 401 || errCode(m) != "unauthorized" || hdr.Get("WWW-Authenticate") == "" {
		t.Fatalf("%d %v", code, m)
	}
}

func TestPersonnelCRUD(t *testing.T) {
	h := newHarness(t, token)
	code, m, _ := h.do("POST", "/admin/api/tenants", `{"slug":"hvac","name":"HVAC Co","allow_mobile_reset":true}`, true)
	if code != 201 || m["slug"] != "hvac" {
		t.Fatalf("tenant: %d %v", code, m)
	}
	if code, m, _ = h.do("POST", "/admin/api/tenants", `{"slug":"hvac","name":"again"}`, true); code != 409 {
		t.Fatalf("duplicate tenant: %d %v", code, m)
	}
	code, m, _ = h.do("POST", "/admin/api/personnel", `{"tenant":"hvac","name":"Bo Diaz","email":"Bo@HVAC.example",
		"status":"active","mobile_access":true,"allow_mobile_reset":true,"password":"original-crew-password-7",
		"locale":"es-MX","phones":[{"number":"(201) 555-0123","type":"sms","carrier":"verizon"}]}`, true)
	if code != 201 {
		t.Fatalf("create: %d %v", code, m)
	}
	id := int64(m["id"].(float64))
	if m["email"] != "bo@hvac.example" || m["locale"] != "es" || m["password"] != nil || m["password_hash"] != nil {
		t.Fatalf("created %v", m)
	}
	path := "/admin/api/personnel/" + itoa(id)
	if code, m, _ = h.do("POST", "/admin/api/personnel", `{"tenant":"hvac","name":"Bo 2","email":"bo@hvac.example"}`, true); code != 409 || errCode(m) != "email_taken" {
		t.Fatalf("duplicate email: %d %v", code, m)
	}
	if code, m, _ = h.do("POST", "/admin/api/personnel", `{"name":"Other","email":"o@acme.example","phones":[{"number":"+12015550123"}]}`, true); code != 409 || errCode(m) != "phone_taken" {
		t.Fatalf("phone in another tenant: %d %v", code, m)
	}
	if code, m, _ = h.do("PATCH", path, `{"status":"inactive","phones":[]}`, true); code != 200 || m["status"] != "inactive" {
		t.Fatalf("patch: %d %v", code, m)
	}
	if code, m, _ = h.do("GET", path+"?tenant=default", "", true); code != 404 {
		t.Fatalf("other tenant's id: %d %v", code, m)
	}
	if code, m, _ = h.do("GET", "/admin/api/personnel?tenant=hvac&q=diaz", "", true); code != 200 || len(m["personnel"].([]any)) != 1 {
		t.Fatalf("search: %d %v", code, m)
	}
	if code, _, _ = h.do("DELETE", path, "", true); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, _, _ = h.do("GET", path, "", true); code != 404 {
		t.Fatalf("after delete: %d", code)
	}
	if code, m, _ = h.do("PATCH", "/admin/api/settings?tenant=hvac", `{"allow_mobile_reset":false}`, true); code != 200 || m["allow_mobile_reset"] != false {
		t.Fatalf("settings: %d %v", code, m)
	}
	if code, m, _ = h.do("PATCH", "/admin/api/settings", `{"twilio":{"account_sid":"AC123","auth_token":"sekrit99","from":"+12015550150"}}`, true); code != 200 {
		t.Fatalf("twilio settings: %d %v", code, m)
	}
	if b, _ := json.Marshal(m); strings.Contains(string(b), "sekrit99") {
		t.Fatalf("auth token shown back: %s", b)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
