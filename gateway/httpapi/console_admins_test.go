package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// signIn posts the login form and returns where it sent the browser.
func (b *browser) signIn(email, pw string) string {
	b.t.Helper()
	_, page, _ := b.do("GET", "/admin/login", nil)
	code, _, resp := b.do("POST", "/admin/login", url.Values{"_csrf": {b.csrf(page)}, "email": {email}, "password": {pw}})
	if code != http.StatusSeeOther {
		b.t.Fatalf("login %s: %d", email, code)
	}
	return resp.Header.Get("Location")
}

func (h *harness) adminID(email string) int64 {
	h.t.Helper()
	all, err := h.svc.ListAdmins(context.Background(), gateway.Actor{})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, ad := range all {
		if ad.Email == email {
			return ad.ID
		}
	}
	h.t.Fatalf("no admin %s", email)
	return 0
}

func wantSeeOther(t *testing.T, what string, code int, resp *http.Response, location string) {
	t.Helper()
	if code != http.StatusSeeOther || resp.Header.Get("Location") != location {
		t.Fatalf("%s: %d → %q, want 303 → %q", what, code, resp.Header.Get("Location"), location)
	}
}

// The operator creates an admin, who must choose their own password before
// anything works; the operator resets it (a confirmation step first); each
// generated password is shown once, and no reload acts twice.
func TestConsoleAdminLifecycle(t *testing.T) {
	h := newHarness(t, token)
	h.admin("op@gw.example", "")
	op := h.browser()
	tok := op.login("op@gw.example", adminPW)

	code, _, resp := op.do("POST", "/admin/admins", url.Values{"_csrf": {tok}, "email": {"New.Admin@acme.example"}, "admin_tenant": {"-"}})
	id := h.adminID("new.admin@acme.example")
	path := "/admin/admins/" + strconv.FormatInt(id, 10)
	wantSeeOther(t, "create", code, resp, path)
	_, page, _ := op.do("GET", path, nil)
	m := genRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no generated password after create:\n%.1500s", page)
	}
	first := m[1]
	if _, page, _ = op.do("GET", path, nil); genRE.MatchString(page) || strings.Contains(page, first) {
		t.Fatal("a reload showed the password again")
	}
	if n := countEvents(t, h, "admin_created"); n != 2 {
		t.Fatalf("%d admins created, want 2 (the operator and the new one)", n)
	}
	// An operator must say which tenant: none chosen makes nobody.
	code, _, resp = op.do("POST", "/admin/admins", url.Values{"_csrf": {tok}, "email": {"unsure@acme.example"}})
	wantSeeOther(t, "no tenant chosen", code, resp, "/admin/admins")
	if _, page, _ = op.do("GET", "/admin/admins", nil); !strings.Contains(page, `id="err-admin-tenant"`) || countEvents(t, h, "admin_created") != 2 {
		t.Fatal("an admin was made without a tenant chosen")
	}
	// The same email again is refused beside the field, with what was typed.
	code, _, resp = op.do("POST", "/admin/admins", url.Values{"_csrf": {tok}, "email": {"new.admin@acme.example"}, "admin_tenant": {"-"}})
	wantSeeOther(t, "duplicate", code, resp, "/admin/admins")
	if _, page, _ = op.do("GET", "/admin/admins", nil); !strings.Contains(page, `id="err-email"`) || !strings.Contains(page, `value="new.admin@acme.example"`) {
		t.Fatalf("duplicate not shown beside the field:\n%.3000s", page)
	}

	// The new admin: every page and every action leads to the password form.
	na := h.browser()
	if loc := na.signIn("new.admin@acme.example", first); loc != "/admin/overview" {
		t.Fatalf("first sign-in went to %s", loc)
	}
	code, _, resp = na.do("GET", "/admin/overview", nil)
	wantSeeOther(t, "overview before the change", code, resp, "/admin/account")
	_, page, _ = na.do("GET", "/admin/account", nil)
	ntok := na.csrf(page)
	if !strings.Contains(page, "Choose your own password") {
		t.Fatalf("account page does not say why:\n%.1500s", page)
	}
	code, _, resp = na.do("POST", "/admin/admins", url.Values{"_csrf": {ntok}, "email": {"sneak@acme.example"}})
	wantSeeOther(t, "an action before the change", code, resp, "/admin/account")
	if n := countEvents(t, h, "admin_created"); n != 2 {
		t.Fatal("an admin who must change their password created an admin")
	}
	code, _, resp = na.do("POST", "/admin/account/password", url.Values{"_csrf": {ntok}, "old_password": {first},
		"new_password": {"harbor-dispatch-2026"}, "new_password2": {"harbor-dispatch-2027"}})
	wantSeeOther(t, "mismatch", code, resp, "/admin/account")
	if _, page, _ = na.do("GET", "/admin/account", nil); !strings.Contains(page, `id="err-new-password2"`) {
		t.Fatalf("mismatch not shown:\n%.2000s", page)
	}
	change := url.Values{"_csrf": {ntok}, "old_password": {first}, "new_password": {"harbor-dispatch-2026"}, "new_password2": {"harbor-dispatch-2026"}}
	code, _, resp = na.do("POST", "/admin/account/password", change)
	wantSeeOther(t, "change", code, resp, "/admin/overview")
	if code, _, _ := na.do("GET", "/admin/overview", nil); code != 200 {
		t.Fatalf("overview after the change: %d", code)
	}
	// Posting the same form again (a reload of the POST) is refused: the
	// old password is no longer the current one.
	code, _, resp = na.do("POST", "/admin/account/password", change)
	wantSeeOther(t, "change again", code, resp, "/admin/account")
	if n := countEvents(t, h, "admin_password_changed"); n != 1 {
		t.Fatalf("%d password changes, want 1", n)
	}

	// The operator resets it: a second step first, enforced by the server.
	code, _, resp = op.do("POST", path+"/password", url.Values{"_csrf": {tok}})
	wantSeeOther(t, "reset without confirm", code, resp, path+"/password")
	if _, page, _ = op.do("GET", path+"/password", nil); !strings.Contains(page, `id="confirm-password"`) {
		t.Fatalf("no confirmation step:\n%.1500s", page)
	}
	if n := countEvents(t, h, "admin_password_reset"); n != 0 {
		t.Fatal("reset without confirmation")
	}
	code, _, resp = op.do("POST", path+"/password", url.Values{"_csrf": {tok}, "confirm": {"yes"}})
	wantSeeOther(t, "reset", code, resp, path)
	_, page, _ = op.do("GET", path, nil)
	if m = genRE.FindStringSubmatch(page); m == nil || m[1] == first {
		t.Fatalf("no new password after the reset:\n%.1500s", page)
	}
	if _, page, _ = op.do("GET", path, nil); genRE.MatchString(page) {
		t.Fatal("a reload showed the reset password again")
	}
	if code, _, resp := na.do("GET", "/admin/overview", nil); code != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login") {
		t.Fatalf("the reset admin's session survived: %d", code)
	}
	if loc := h.browser().signIn("new.admin@acme.example", m[1]); loc != "/admin/overview" {
		t.Fatalf("sign-in with the reset password: %s", loc)
	}

	// Disable: a second step, then the admin cannot sign in.
	code, _, resp = op.do("POST", path+"/disable", url.Values{"_csrf": {tok}})
	wantSeeOther(t, "disable without confirm", code, resp, path+"/disable")
	code, _, resp = op.do("POST", path+"/disable", url.Values{"_csrf": {tok}, "confirm": {"yes"}})
	wantSeeOther(t, "disable", code, resp, path)
	nb := h.browser()
	_, page, _ = nb.do("GET", "/admin/login", nil)
	if code, _, _ := nb.do("POST", "/admin/login", url.Values{"_csrf": {nb.csrf(page)}, "email": {"new.admin@acme.example"}, "password": {m[1]}}); code != 401 {
		t.Fatalf("a disabled admin signed in: %d", code)
	}
	code, _, resp = op.do("POST", path+"/enable", url.Values{"_csrf": {tok}})
	wantSeeOther(t, "enable", code, resp, path)
	// The operator's own row offers no disable or reset, and the server refuses them.
	self := "/admin/admins/" + strconv.FormatInt(h.adminID("op@gw.example"), 10)
	op.do("POST", self+"/disable", url.Values{"_csrf": {tok}, "confirm": {"yes"}})
	if code, _, _ := op.do("GET", "/admin/overview", nil); code != 200 {
		t.Fatalf("the operator disabled themselves: %d", code)
	}

	// Tenants: create, disable (second step), enable.
	code, _, resp = op.do("POST", "/admin/tenants", url.Values{"_csrf": {tok}, "slug": {"hvac"}, "name": {"HVAC Co"}})
	wantSeeOther(t, "create tenant", code, resp, "/admin/tenants")
	code, _, resp = op.do("POST", "/admin/tenants", url.Values{"_csrf": {tok}, "slug": {"Not A Slug"}, "name": {"X"}})
	wantSeeOther(t, "bad slug", code, resp, "/admin/tenants")
	if _, page, _ = op.do("GET", "/admin/tenants", nil); !strings.Contains(page, `id="err-slug"`) || !strings.Contains(page, "HVAC Co") {
		t.Fatalf("tenants page:\n%.3000s", page)
	}
	code, _, resp = op.do("POST", "/admin/tenants/hvac/disable", url.Values{"_csrf": {tok}})
	wantSeeOther(t, "tenant disable without confirm", code, resp, "/admin/tenants/hvac/disable")
	code, _, resp = op.do("POST", "/admin/tenants/hvac/disable", url.Values{"_csrf": {tok}, "confirm": {"yes"}})
	wantSeeOther(t, "tenant disable", code, resp, "/admin/tenants")
	if tn, _ := h.svc.Tenant(context.Background(), "hvac"); tn == nil || !tn.Disabled {
		t.Fatal("tenant not disabled")
	}
}

// The attacker is a tenant admin with a valid session and CSRF token:
// forged ids, another tenant's slug, the operator's pages.
func TestConsoleTenantAdminCannotManageOthers(t *testing.T) {
	h := newHarness(t, token)
	h.do("POST", "/admin/api/tenants", `{"slug":"hvac","name":"HVAC Co"}`, true)
	h.do("POST", "/admin/api/tenants", `{"slug":"plumb","name":"Plumbing Co"}`, true)
	h.admin("op@gw.example", "")
	h.admin("boss@hvac.example", "hvac")
	h.admin("boss@plumb.example", "plumb")
	b := h.browser()
	tok := b.login("boss@hvac.example", adminPW)
	for _, id := range []int64{h.adminID("op@gw.example"), h.adminID("boss@plumb.example")} {
		p := "/admin/admins/" + strconv.FormatInt(id, 10)
		for _, try := range []struct{ method, path string }{{"GET", p}, {"GET", p + "/password"}, {"GET", p + "/disable"},
			{"POST", p + "/password"}, {"POST", p + "/disable"}, {"POST", p + "/enable"}} {
			form := url.Values{"_csrf": {tok}, "confirm": {"yes"}}
			if try.method == "GET" {
				form = nil
			}
			if code, _, _ := b.do(try.method, try.path, form); code != 404 {
				t.Errorf("%s %s: %d, want 404", try.method, try.path, code)
			}
		}
	}
	for _, p := range []string{"/admin/tenants", "/admin/tenants/plumb/disable"} {
		if code, page, _ := b.do("GET", p, nil); code != 403 || strings.Contains(page, "Plumbing Co") {
			t.Errorf("GET %s: %d, want 403", p, code)
		}
	}
	for _, p := range []string{"/admin/tenants", "/admin/tenants/plumb/disable", "/admin/tenants/hvac/disable", "/admin/tenants/plumb/enable"} {
		if code, _, _ := b.do("POST", p, url.Values{"_csrf": {tok}, "confirm": {"yes"}, "slug": {"evil"}, "name": {"Evil"}}); code != 403 {
			t.Errorf("POST %s: %d, want 403", p, code)
		}
	}
	// Another tenant's slug in the create form is no tenant; none is their own.
	if code, _, _ := b.do("POST", "/admin/admins", url.Values{"_csrf": {tok}, "email": {"spy@plumb.example"}, "admin_tenant": {"plumb"}}); code != 404 {
		t.Errorf("create in another tenant: %d", code)
	}
	b.do("POST", "/admin/admins", url.Values{"_csrf": {tok}, "email": {"second@hvac.example"}, "tenant": {""}})
	// Without the CSRF token nothing happens.
	if code, _, _ := b.do("POST", "/admin/admins", url.Values{"email": {"nocsrf@hvac.example"}}); code != 403 {
		t.Errorf("create without CSRF: %d", code)
	}
	all, _ := h.svc.ListAdmins(context.Background(), gateway.Actor{})
	hvac, _ := h.svc.Tenant(context.Background(), "hvac")
	for _, ad := range all {
		switch ad.Email {
		case "spy@plumb.example", "nocsrf@hvac.example", "evil":
			t.Errorf("admin %s was created", ad.Email)
		case "second@hvac.example":
			if ad.TenantID != hvac.ID {
				t.Errorf("a tenant admin made an admin of tenant %d", ad.TenantID)
			}
		}
	}
	if _, page, _ := b.do("GET", "/admin/admins", nil); strings.Contains(page, "op@gw.example") || strings.Contains(page, "boss@plumb.example") ||
		!strings.Contains(page, "second@hvac.example") || strings.Contains(page, `name="admin_tenant"`) {
		t.Errorf("admins page of a tenant admin:\n%.3000s", page)
	}
	if tn, _ := h.svc.Tenant(context.Background(), "plumb"); tn.Disabled {
		t.Error("a tenant admin disabled a tenant")
	}
	if code, page, _ := b.do("GET", "/admin/overview", nil); code != 200 || strings.Contains(page, `href="/admin/tenants"`) {
		t.Errorf("the operator's Tenants link shows to a tenant admin")
	}
}
