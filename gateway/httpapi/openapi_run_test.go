package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// oaFixture holds one object of each kind a path names, made before the
// examples run, so that every path-parameter operation is exercised on
// a real record.
type oaFixture struct {
	person, reset, job, admin, carrier string
}

// newFixture seeds the harness: a person (Ana, with an SMS phone), a
// reset request for her that rolled back (both senders refused it, so it
// can be retried and shows its failed attempts), a bulk job, an admin
// and a carrier.
func newFixture(t *testing.T, h *harness) oaFixture {
	t.Helper()
	var f oaFixture
	must := func(method, path, body string, auth bool, want int) map[string]any {
		t.Helper()
		code, m, _ := h.do(method, path, body, auth)
		if code != want {
			t.Fatalf("fixture %s %s: %d %v", method, path, code, m)
		}
		return m
	}
	m := must("POST", "/admin/api/personnel", `{"name":"Ana","email":"ana@acme.example","status":"active",
		"mobile_access":true,"allow_mobile_reset":true,"password":"original-crew-password-7",
		"phones":[{"number":"+12015550123","type":"sms"}]}`, true, 201)
	f.person = itoa(int64(m["id"].(float64)))
	h.email.Fail(&gateway.SendError{Code: "550 5.1.1", Detail: "no such user"})
	h.sms.Fail(&gateway.SendError{Code: "21211", Detail: "invalid To"})
	f.reset = must("POST", "/v1/password-resets", `{"email":"ana@acme.example"}`, false, 202)["request_id"].(string)
	h.drain()
	h.email.Fail(nil)
	h.sms.Fail(nil)
	if m := must("GET", "/admin/api/resets/"+f.reset, "", true, 200); m["state"] != "rolled_back" {
		t.Fatalf("fixture reset: %v", m)
	}
	f.job = must("POST", "/admin/api/bulk", `{"action":"reset","filter":{"emails":["ana@acme.example"]}}`, true, 202)["job_id"].(string)
	f.admin = must("POST", "/admin/api/admins", `{"email":"fixture-admin@acme.example","password":"harbor-lantern-tide-93"}`,
		true, 201)["email"].(string)
	f.carrier = must("POST", "/admin/api/carriers", `{"slug":"fixturecell","name":"Fixture Cell","country":"US",
		"sms_domain":"txt.fixturecell.example","status":"active"}`, true, 201)["slug"].(string)
	return f
}

// path fills a documented path's parameters with the fixture's objects.
func (f oaFixture) path(p string) string {
	r := strings.NewReplacer("{email}", f.admin, "{slug}", f.carrier, "{job_id}", f.job, "{route}", "acme.r1")
	if strings.HasPrefix(p, "/admin/api/resets/") {
		return strings.ReplaceAll(p, "{id}", f.reset)
	}
	return r.Replace(strings.ReplaceAll(p, "{id}", f.person))
}

// send makes one request and decodes its JSON answer, a list as a list.
func send(t *testing.T, h *harness, method, path, contentType, body string, auth bool) (int, any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if auth {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v any
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s %s: not JSON: %.200s", method, path, raw)
		}
	}
	return resp.StatusCode, v
}

// bodyOf is an example's value as the request body to send.
func bodyOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s // a text body (CSV) is a JSON string in the document
	}
	return string(raw)
}

// webhook reports whether an operation is signed by a provider, not
// called with the admin token: its examples cannot be signed here.
func webhook(op oaOperation) bool {
	for _, s := range op.Security {
		if _, ok := s["adminToken"]; !ok {
			return true
		}
	}
	return false
}

// Every request example is sent to the app and answers with the status
// its same-named response example is under (and, for an error, its
// code); every operation without a request body is called too, path
// parameters filled with the fixture's objects, and answers its
// documented success. Every answer matches the schema
// documented for its status; with closed schemas a field a handler
// emits that the document does not know fails here.
func TestOpenAPIExamplesAnswerAsDocumented(t *testing.T) {
	h := newPublicHarness(t) // a verification link can be made
	f := newFixture(t, h)
	d := loadOpenAPI(t, h)
	served := map[string]bool{}
	for _, r := range h.srv.App().GetRoutes(true) {
		served[strings.ToLower(r.Method)+" "+fiberParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	checked, ran := 0, 0
	conforms := func(k opKey, op oaOperation, code int, v any) {
		t.Helper()
		s := d.responseSchema(op, itoa(int64(code)))
		if s == nil {
			if _, ok := d.response(op, itoa(int64(code))); !ok {
				t.Errorf("%s %s answered %d, a status it does not document", k.method, k.path, code)
			}
			return
		}
		checked++
		if msg := validate(s, v, d.Components.Schemas, "$"); msg != "" {
			t.Errorf("%s %s answered %d, not as its schema says: %s", k.method, k.path, code, msg)
		}
		if code >= 400 && !op.listsCode(code, v) {
			t.Errorf("%s %s answered %d %v, a code its x-error-codes do not list", k.method, k.path, code, v)
		}
	}
	for _, k := range d.operations() {
		op := d.Paths[k.path][k.method]
		if !served[k.method+" "+k.path] || webhook(op) {
			continue // /metrics without a registry; provider-signed webhooks
		}
		auth := len(op.Security) > 0
		path := f.path(k.path)
		if op.RequestBody != nil {
			for ct, m := range op.RequestBody.Content {
				for name, ex := range m.Examples {
					status, want := responseFor(op, name)
					if status == "" {
						t.Errorf("%s %s example %q: no response example of that name", k.method, k.path, name)
						continue
					}
					code, v := send(t, h, strings.ToUpper(k.method), path, ct, bodyOf(ex.Value), auth)
					ran++
					conforms(k, op, code, v)
					if itoa(int64(code)) != status {
						t.Errorf("%s %s example %q: %d %v, documented %s", k.method, k.path, name, code, v, status)
					}
					m, _ := v.(map[string]any)
					if wantCode := errCodeJSON(want); wantCode != "" && errCode(m) != wantCode {
						t.Errorf("%s %s example %q: code %q, documented %q", k.method, k.path, name, errCode(m), wantCode)
					}
				}
			}
			continue
		}
		want := successOf(op)
		code, v := send(t, h, strings.ToUpper(k.method), path, "application/json", "", auth)
		ran++
		conforms(k, op, code, v)
		if itoa(int64(code)) != want {
			t.Errorf("%s %s: %d %v, documented %s", k.method, path, code, v, want)
		}
	}
	// A format the document offers (events as CSV) answers in a content
	// type the document names for it.
	for _, k := range d.operations() {
		op := d.Paths[k.path][k.method]
		for _, p := range op.Parameters {
			if p.Name != "format" || k.method != "get" {
				continue
			}
			req := httptest.NewRequest("GET", f.path(k.path)+"?format=csv", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := h.srv.App().Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			ct, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
			if _, ok := op.Responses["200"].Content[ct]; resp.StatusCode != 200 || !ok {
				t.Errorf("GET %s?format=csv: %d %s, not a documented answer", k.path, resp.StatusCode, ct)
			}
			ran++
		}
	}
	t.Logf("%d calls, %d answers checked against a schema", ran, checked)
	if ran < 60 {
		t.Fatalf("only %d examples ran", ran)
	}
	if checked < 55 {
		t.Fatalf("only %d answers were checked against a schema", checked)
	}
}

// successOf is an operation's documented success status.
func successOf(op oaOperation) string {
	var ok []string
	for s := range op.Responses {
		if strings.HasPrefix(s, "2") {
			ok = append(ok, s)
		}
	}
	slices.Sort(ok)
	if len(ok) == 0 {
		return ""
	}
	return ok[0]
}
