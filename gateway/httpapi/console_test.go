package httpapi_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

// tester stands in for the mail server and Twilio in Test Provider.
type tester struct {
	mu     sync.Mutex
	refuse bool
}

func (t *tester) TestSMTP(ctx context.Context, p *gateway.SMTPProfile, to, subject, text string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.refuse {
		return "", &gateway.SendError{Code: "550 5.1.1", Detail: "<" + to + ">: Recipient address rejected"}
	}
	return "250 2.0.0 Ok: queued as 4F2A", nil
}

func (t *tester) TestTwilio(ctx context.Context, s *gateway.TwilioSettings, to, body string) (string, error) {
	return "SM0123456789abcdef0123456789abcdef", nil
}

// browser is a minimal cookie-keeping client for the console.
type browser struct {
	t   *testing.T
	h   *harness
	jar map[string]*http.Cookie
	// proto, when set, is sent as X-Forwarded-Proto.
	proto string
}

func (h *harness) browser() *browser {
	return &browser{t: h.t, h: h, jar: map[string]*http.Cookie{}}
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (b *browser) do(method, path string, form url.Values) (int, string, *http.Response) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.proto != "" {
		req.Header.Set("X-Forwarded-Proto", b.proto)
	}
	for _, c := range b.jar {
		req.AddCookie(c)
	}
	resp, err := b.h.srv.App().Test(req, -1)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Value == "" {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = c
		}
	}
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp
}

// csrf reads the CSRF token of a page's forms.
func (b *browser) csrf(page string) string {
	b.t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no CSRF token in the page:\n%.600s", page)
	}
	return m[1]
}

func (b *browser) login(email, pw string) string {
	b.t.Helper()
	_, page, _ := b.do("GET", "/admin/login", nil)
	code, _, resp := b.do("POST", "/admin/login", url.Values{"_csrf": {b.csrf(page)}, "email": {email}, "password": {pw}})
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/overview" {
		b.t.Fatalf("login %s: %d %s", email, code, resp.Header.Get("Location"))
	}
	_, page, _ = b.do("GET", "/admin/overview", nil)
	return b.csrf(page)
}

const adminPW = "dispatch-tablet-ladder-9"

func (h *harness) admin(email, tenant string) {
	h.t.Helper()
	if _, err := h.svc.CreateAdmin(context.Background(), gateway.Actor{Kind: gateway.ActorSystem, ID: "test"},
		gateway.AdminInput{Email: email, Password: adminPW, Tenant: tenant}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) personID(body string) int64 {
	h.t.Helper()
	code, m, _ := h.do("POST", "/admin/api/personnel", body, true)
	if code != 201 {
		h.t.Fatalf("create person: %d %v", code, m)
	}
	return int64(m["id"].(float64))
}

func TestConsolePagesAndCookies(t *testing.T) {
	h := newHarnessWith(t, token, func(c *httpapi.Config) { c.PublicURL = "https://reset.acme.example" })
	h.svc.SetTester(&tester{})
	h.admin("office@acme.example", "")
	id := h.personID(`{"name":"Ana Ruiz","email":"ana@acme.example","password":"original-crew-password-7",
		"phones":[{"number":"+12015550123","type":"sms","carrier":"verizon"}]}`)
	b := h.browser()

	if code, _, resp := b.do("GET", "/admin/personnel", nil); code != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/admin/login?next=%2Fadmin%2Fpersonnel") {
		t.Fatalf("signed out: %d %s", code, resp.Header.Get("Location"))
	}
	b.login("office@acme.example", adminPW)
	sess := b.jar["__Host-resetgw_session"]
	if sess == nil || !sess.HttpOnly || !sess.Secure || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/" || sess.Domain != "" {
		t.Fatalf("session cookie %+v", sess)
	}
	for path, want := range map[string]string{
		"/admin/overview":                               "Channels failing now",
		"/admin/personnel":                              "Ana Ruiz",
		"/admin/personnel?q=555-0123":                   "Ana Ruiz",
		"/admin/personnel/" + strconv.FormatInt(id, 10): "Set the password by hand",
		"/admin/personnel/new":                          "New person",
		"/admin/import":                                 "CSV file",
		"/admin/carriers":                               "Verizon Wireless",
		"/admin/carriers/att":                           "retired",
		"/admin/carriers/new":                           "New carrier",
		"/admin/routes":                                 "Route health",
		"/admin/settings":                               "Allow Mobile Password Reset",
		"/admin/failed":                                 "No failed deliveries",
		"/admin/log":                                    "admin_login",
		"/admin/log?preset=security&since=2020-01-01":   "admin_login",
	} {
		code, page, resp := b.do("GET", path, nil)
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("%s: %d, want %q in\n%.300s", path, code, want, page)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	if code, page, _ := b.do("GET", "/admin/personnel/999999", nil); code != 404 || !strings.Contains(page, "not found") {
		t.Fatalf("unknown person: %d", code)
	}
	if code, _, _ := b.do("GET", "/admin/log?since=yesterday", nil); code != 400 {
		t.Fatalf("bad date: %d", code)
	}
	// Logout ends the session on the server, not only in the browser.
	stolen := *b.jar["__Host-resetgw_session"]
	_, page, _ := b.do("GET", "/admin/overview", nil)
	b.do("POST", "/admin/logout", url.Values{"_csrf": {b.csrf(page)}})
	b.jar["__Host-resetgw_session"] = &stolen
	if code, _, _ := b.do("GET", "/admin/overview", nil); code != http.StatusSeeOther {
		t.Fatalf("session after logout: %d", code)
	}
}

func TestConsoleRefusesCSRF(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	id := h.personID(`{"name":"Ana Ruiz","email":"ana@acme.example","password":"original-crew-password-7"}`)
	b := h.browser()
	good := b.login("office@acme.example", adminPW)
	other := h.browser()
	otherToken := other.login("office@acme.example", adminPW) // another session's token

	for _, bad := range []string{"", "forged", otherToken} {
		form := url.Values{"mode": {"entered"}, "password": {"blue-truck-seven-ladders"}}
		if bad != "" {
			form.Set("_csrf", bad)
		}
		code, page, _ := b.do("POST", "/admin/personnel/"+strconv.FormatInt(id, 10)+"/password", form)
		if code != 403 || !strings.Contains(page, "did not come from the console") {
			t.Fatalf("csrf %q: %d", bad, code)
		}
		if code, _, _ := b.do("POST", "/admin/settings", url.Values{"_csrf": {bad}}); code != 403 {
			t.Fatalf("settings with csrf %q: %d", bad, code)
		}
	}
	if evs, _ := h.svc.Events(context.Background(), gateway.Actor{}, gateway.EventQuery{Types: []string{"password_set", "settings_changed"}}); len(evs) != 0 {
		t.Fatalf("a refused form changed something: %+v", evs)
	}
	// The login form itself needs its token and cookie.
	if code, _, _ := h.browser().do("POST", "/admin/login", url.Values{"email": {"office@acme.example"}, "password": {adminPW}}); code != 403 {
		t.Fatalf("login without token: %d", code)
	}
	form := url.Values{"_csrf": {good}, "mode": {"entered"}, "password": {"blue-truck-seven-ladders"}}
	if code, _, _ := b.do("POST", "/admin/personnel/"+strconv.FormatInt(id, 10)+"/password", form); code != 303 {
		t.Fatalf("with the right token: %d", code)
	}
	if _, page, _ := b.do("GET", "/admin/personnel/"+strconv.FormatInt(id, 10), nil); !strings.Contains(page, "Password set") {
		t.Fatal("no notice after the redirect")
	}
}

func TestConsoleTenantAdminConfined(t *testing.T) {
	h := newHarness(t, token)
	h.do("POST", "/admin/api/tenants", `{"slug":"hvac","name":"HVAC Co"}`, true)
	h.admin("boss@hvac.example", "hvac")
	acme := h.personID(`{"name":"Ana Ruiz","email":"ana@acme.example","password":"original-crew-password-7"}`)
	own := h.personID(`{"tenant":"hvac","name":"Hal Vac","email":"hal@hvac.example"}`)
	b := h.browser()
	tok := b.login("boss@hvac.example", adminPW)
	acmePath := "/admin/personnel/" + strconv.FormatInt(acme, 10)
	if code, _, _ := b.do("GET", acmePath, nil); code != 404 {
		t.Fatalf("another tenant's person: %d", code)
	}
	for _, p := range []string{acmePath, acmePath + "/password", acmePath + "/deactivate"} {
		if code, _, _ := b.do("POST", p, url.Values{"_csrf": {tok}, "mode": {"generate"}, "name": {"x"}}); code != 404 {
			t.Fatalf("POST %s: %d", p, code)
		}
	}
	if code, page, _ := b.do("GET", "/admin/personnel/"+strconv.FormatInt(own, 10), nil); code != 200 || !strings.Contains(page, "Hal Vac") {
		t.Fatalf("own person: %d", code)
	}
	// Naming another tenant changes nothing: a tenant admin is always home.
	for _, p := range []string{"/admin/personnel?tenant=default", "/admin/settings?tenant=default", "/admin/log?tenant=default"} {
		code, page, _ := b.do("GET", p, nil)
		if code != 200 || strings.Contains(page, "Ana Ruiz") || strings.Contains(page, "Settings of <strong>Default") ||
			strings.Contains(page, "Settings of <strong>Acme") {
			t.Fatalf("%s: %d shows another tenant", p, code)
		}
	}
	if code, _, _ := b.do("POST", "/admin/carriers/verizon", url.Values{"_csrf": {tok}, "name": {"Evil"}, "country": {"US"},
		"sms_domain": {"evil.example"}, "status": {"active"}}); code != 403 {
		t.Fatalf("tenant admin edited a carrier: %d", code)
	}
}

func TestSecretsNeverRendered(t *testing.T) {
	h := newHarness(t, token)
	h.svc.SetTester(&tester{})
	h.admin("office@acme.example", "")
	id := h.personID(`{"name":"Ana Ruiz","email":"ana@acme.example","password":"original-crew-password-7"}`)
	b := h.browser()
	tok := b.login("office@acme.example", adminPW)
	const smtpPass, twilioToken = "smtpSecret77xyz", "twilioSecret88xyz"
	for path, form := range map[string]url.Values{
		"/admin/settings/email": {"smtp_url": {"smtp://mail.acme.example:587"}, "smtp_username": {"relay"},
			"smtp_password": {smtpPass}, "mail_from": {"reset@acme.example"}},
		"/admin/settings/twilio": {"account_sid": {"AC0123456789abcdef0123456789abcdef"}, "auth_token": {twilioToken},
			"from": {"+12015550150"}},
	} {
		form.Set("_csrf", tok)
		if code, page, _ := b.do("POST", path, form); code != http.StatusSeeOther {
			t.Fatalf("%s: %d %.400s", path, code, page)
		}
	}
	// Saving the form again without the secrets keeps them.
	b.do("POST", "/admin/settings/email", url.Values{"_csrf": {tok}, "smtp_url": {"smtp://mail.acme.example:587"},
		"smtp_username": {"relay"}, "mail_from": {"reset@acme.example"}})
	tn, _ := h.svc.Tenant(context.Background(), "")
	if tn.SMTP == nil || !strings.Contains(tn.SMTP.URL, smtpPass) || tn.Twilio.AuthToken != twilioToken {
		t.Fatalf("secrets not kept: %+v", tn.SMTP)
	}
	b.do("POST", "/admin/settings/test-email", url.Values{"_csrf": {tok}, "to": {"office@acme.example"}})
	var seen []string
	for _, path := range []string{"/admin/settings", "/admin/overview", "/admin/log", "/admin/carriers", "/admin/routes",
		"/admin/personnel", "/admin/personnel/" + strconv.FormatInt(id, 10), "/admin/log.csv"} {
		_, page, _ := b.do("GET", path, nil)
		seen = append(seen, page)
	}
	for _, path := range []string{"/admin/api/settings", "/admin/api/events", "/admin/api/events?format=csv",
		"/admin/api/personnel", "/admin/api/overview", "/admin/api/admins"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := h.srv.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		seen = append(seen, string(raw))
	}
	for i, page := range seen {
		for _, secret := range []string{smtpPass, twilioToken, "$argon2id$", adminPW} {
			if strings.Contains(page, secret) {
				t.Fatalf("page %d shows %q", i, secret)
			}
		}
	}
	if !strings.Contains(seen[0], `value="relay"`) || !strings.Contains(seen[0], "(set)") {
		t.Fatalf("settings page does not show the profile as set:\n%s", seen[0])
	}
}

func TestAdminAPIContract(t *testing.T) {
	h := newHarness(t, token)
	tt := &tester{}
	h.svc.SetTester(tt)
	id := h.personID(`{"name":"Ana Ruiz","email":"ana@acme.example","password":"original-crew-password-7",
		"phones":[{"number":"+12015550123","type":"sms","carrier":"verizon"}]}`)

	code, m, _ := h.do("GET", "/admin/api/carriers", "", true)
	list, _ := m["list"].([]any)
	if code != 200 || len(list) < 10 {
		t.Fatalf("carriers: %d %v", code, m)
	}
	found := false
	for _, x := range list {
		c := x.(map[string]any)
		for _, k := range []string{"slug", "name", "sms_domain", "mms_domain", "status", "retired_on"} {
			if _, ok := c[k]; !ok {
				t.Fatalf("carrier without %s: %v", k, c)
			}
		}
		if c["slug"] == "verizon" {
			found = c["status"] == "retiring" && c["retired_on"] == "2027-03-31" && c["sms_domain"] == "vtext.com"
		}
	}
	if !found {
		t.Fatal("verizon not listed as retiring 2027-03-31")
	}

	code, m, _ = h.do("POST", "/admin/api/carriers/verizon/test", `{"phone":"(201) 555-0123","message":"Test from dispatch"}`, true)
	if code != 200 || m["ok"] != true || !strings.Contains(m["detail"].(string), "250 2.0.0") {
		t.Fatalf("test: %d %v", code, m)
	}
	tt.refuse = true
	code, m, _ = h.do("POST", "/admin/api/carriers/verizon/test", `{"phone":"+12015550123","tenant":"default"}`, true)
	if code != 200 || m["ok"] != false || !strings.Contains(m["detail"].(string), "550 5.1.1") {
		t.Fatalf("refused test: %d %v", code, m)
	}
	if code, m, _ = h.do("POST", "/admin/api/carriers/att/test", `{"phone":"+12015550123"}`, true); code != 200 || m["ok"] != false {
		t.Fatalf("retired: %d %v", code, m)
	}

	path := "/admin/api/personnel/" + strconv.FormatInt(id, 10) + "/password"
	if code, m, _ = h.do("POST", path, `{"password":"password1234"}`, true); code != 422 || errCode(m) != "password_common" {
		t.Fatalf("weak: %d %v", code, m)
	}
	if code, m, _ = h.do("POST", path, `{"password":"blue-truck-seven-ladders","must_change":true}`, true); code != 200 || m["password"] != nil {
		t.Fatalf("set: %d %v", code, m)
	}
	if code, _, _ = h.do("POST", "/v1/login", `{"email":"ana@acme.example","password":"blue-truck-seven-ladders"}`, false); code != 200 {
		t.Fatalf("login with the set password: %d", code)
	}

	imp := func(body string, query string) (int, map[string]any) {
		req := httptest.NewRequest("POST", "/admin/api/personnel/import"+query, strings.NewReader(body))
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := h.srv.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	code, m = imp("name,email,phone,carrier,status,locale\nBo,bo@acme.example,2015550124,verizon,active,en\nCy,not-an-email,,,,\n", "")
	errs, _ := m["errors"].([]any)
	if code != 200 || m["created"] != 0.0 || len(errs) != 1 || errs[0].(map[string]any)["row"] != 3.0 {
		t.Fatalf("import with an error: %d %v", code, m)
	}
	if _, p, _ := h.do("GET", "/admin/api/personnel?q=bo@acme", "", true); len(p["personnel"].([]any)) != 0 {
		t.Fatal("a failed import wrote")
	}
	code, m = imp("name,email,phone,carrier,status,locale\nBo,bo@acme.example,2015550124,verizon,active,en\n", "")
	if code != 200 || m["created"] != 1.0 || m["updated"] != 0.0 || len(m["errors"].([]any)) != 0 {
		t.Fatalf("import: %d %v", code, m)
	}

	h.email.Fail(&gateway.SendError{Code: "550 5.1.1", Detail: "no such user"})
	h.sms.Fail(&gateway.SendError{Code: "21211", Detail: "invalid To"})
	h.do("POST", "/v1/password-resets", `{"email":"bo@acme.example","phone":"+12015550124"}`, false)
	h.drain()
	code, m, _ = h.do("GET", "/admin/api/resets?state=rolled_back", "", true)
	rs, _ := m["list"].([]any)
	if code != 200 || len(rs) != 1 {
		t.Fatalf("rolled back: %d %v", code, m)
	}
	rolled := rs[0].(map[string]any)["request_id"].(string)
	h.email.Fail(nil)
	h.sms.Fail(nil)
	if code, m, _ = h.do("POST", "/admin/api/resets/"+rolled+"/retry", "", true); code != 202 || m["request_id"] == nil {
		t.Fatalf("retry: %d %v", code, m)
	}
	h.drain()
	if code, m, _ = h.do("GET", "/admin/api/resets/"+m["request_id"].(string), "", true); m["state"] != "delivered" {
		t.Fatalf("retried: %d %v", code, m)
	}
	if code, m, _ = h.do("GET", "/admin/api/overview", "", true); code != 200 || m["rolled_back"] != 1.0 || m["requests"] != 2.0 {
		t.Fatalf("overview: %d %v", code, m)
	}
	if code, m, _ = h.do("GET", "/admin/api/route-health", "", true); code != 200 || m["people"] == nil {
		t.Fatalf("route health: %d %v", code, m)
	}
	if code, m, _ = h.do("GET", "/admin/api/events?preset=security&limit=5", "", true); code != 200 || len(m["events"].([]any)) == 0 {
		t.Fatalf("events: %d %v", code, m)
	}
	if code, m, _ = h.do("POST", "/admin/api/admins", `{"email":"boss@acme.example","password":"harbor-dispatch-2026"}`, true); code != 201 || m["password_hash"] != nil {
		t.Fatalf("admin: %d %v", code, m)
	}
	if code, m, _ = h.do("POST", "/admin/api/carriers/verizon/test", `{"phone":"+12015550123","tenant":"nope"}`, true); code != 404 {
		t.Fatalf("unknown tenant: %d %v", code, m)
	}

	req := httptest.NewRequest("GET", "/admin/api/events?format=csv&type=carrier_tested,password_set&since=2000-01-01", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := h.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	types := map[string]int{}
	for _, r := range recs[1:] {
		types[r[6]]++
		if r[4] != "token" {
			t.Errorf("event by %q, want the API token's identity", r[4])
		}
	}
	if recs[0][0] != "id" || types["carrier_tested"] != 3 || types["password_set"] != 1 || len(types) != 2 {
		t.Fatalf("csv rows %v", types)
	}
}
