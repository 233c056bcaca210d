package httpapi_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The settings page shows the lifecycle settings, saves them (POST, 303,
// GET) and, when refused, shows every field's error beside it with what
// was typed kept, saving nothing.
func TestConsoleLifecycleSettings(t *testing.T) {
	h := newPublicHarness(t)
	h.admin("office@acme.example", "")
	b := h.browser()
	csrf := b.login("office@acme.example", adminPW)
	_, page, _ := b.do("GET", "/admin/settings", nil)
	for _, want := range []string{`id="lifecycle-form"`, `name="reset_mode"`, `name="link_ttl_minutes" id="link-ttl" min="10" max="1440" value="60"`,
		`name="office_phone"`, `name="require_verified_email"`, `name="max_password_age_days" id="max-password-age" min="0" max="730" value="0"`,
		`name="sms_rate_per_second" id="sms-rate" value="0"`, `name="sms_validity_seconds" id="sms-validity" min="1" max="36000" value="600"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("settings page lacks %s", want)
		}
	}
	bad := url.Values{"_csrf": {csrf}, "reset_mode": {"link"}, "link_ttl_minutes": {"5"}, "office_phone": {"call bob"},
		"require_verified_email": {"1"}, "max_password_age_days": {"10"}, "sms_rate_per_second": {"fast"},
		"sms_validity_seconds": {"99999"}}
	code, _, resp := b.do("POST", "/admin/settings/lifecycle", bad)
	if code != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/settings") {
		t.Fatalf("refused form: %d %s", code, resp.Header.Get("Location"))
	}
	_, page, _ = b.do("GET", "/admin/settings", nil)
	for _, want := range []string{`id="err-link_ttl_minutes"`, `id="err-office_phone"`, `id="err-max_password_age_days"`,
		`id="err-sms_rate_per_second"`, `id="err-sms_validity_seconds"`, `value="call bob"`, `value="fast"`, `value="99999"`,
		`value="5"`, `value="10"`, `<option value="link" selected>`} {
		if !strings.Contains(page, want) {
			t.Errorf("refused form page lacks %s", want)
		}
	}
	if strings.Contains(page, `id="err-reset_mode"`) || strings.Contains(page, `id="err-require_verified_email"`) {
		t.Error("a good field is marked as refused")
	}
	if _, m, _ := h.do("GET", "/admin/api/settings", "", true); m["reset_mode"] != "password" || m["link_ttl_minutes"] != float64(60) ||
		m["require_verified_email"] != false {
		t.Fatalf("a refused form saved something: %v", m)
	}
	// A reload shows the saved settings again, not the refused form.
	if _, page, _ = b.do("GET", "/admin/settings", nil); strings.Contains(page, "field-error") {
		t.Fatal("the refused form came back on a reload")
	}
	good := url.Values{"_csrf": {csrf}, "reset_mode": {"link"}, "link_ttl_minutes": {"30"}, "office_phone": {"(201) 555-0100"},
		"require_verified_email": {"1"}, "max_password_age_days": {"365"}, "sms_rate_per_second": {"0.5"},
		"sms_validity_seconds": {"900"}}
	if code, _, _ := b.do("POST", "/admin/settings/lifecycle", good); code != http.StatusSeeOther {
		t.Fatalf("good form: %d", code)
	}
	_, m, _ := h.do("GET", "/admin/api/settings", "", true)
	if m["reset_mode"] != "link" || m["link_ttl_minutes"] != float64(30) || m["office_phone"] != "(201) 555-0100" ||
		m["require_verified_email"] != true || m["max_password_age_days"] != float64(365) ||
		m["sms_rate_per_second"] != 0.5 || m["sms_validity_seconds"] != float64(900) {
		t.Fatalf("saved: %v", m)
	}
	_, page, _ = b.do("GET", "/admin/settings", nil)
	if !strings.Contains(page, `value="365"`) || !strings.Contains(page, `id="require-verified-email" checked`) {
		t.Fatal("the saved settings are not shown")
	}
}

// The person page shows whether the email is verified and sends a new
// link (POST, 303, GET with the notice); a fourth in an hour is refused
// on the page.
func TestConsolePersonVerification(t *testing.T) {
	h := newPublicHarness(t)
	h.admin("office@acme.example", "")
	id := h.personID(`{"name":"Ana Ruiz","email":"ana@acme.example"}`)
	path := "/admin/personnel/" + strconv.FormatInt(id, 10)
	b := h.browser()
	csrf := b.login("office@acme.example", adminPW)
	_, page, _ := b.do("GET", path, nil)
	if !strings.Contains(page, `id="email-unverified"`) || !strings.Contains(page, `id="resend-verification"`) {
		t.Fatalf("person page: no verification state\n%.800s", page)
	}
	for i := range 3 {
		code, _, resp := b.do("POST", path+"/verification", url.Values{"_csrf": {csrf}})
		if code != http.StatusSeeOther || resp.Header.Get("Location") != path {
			t.Fatalf("send %d: %d %s", i+1, code, resp.Header.Get("Location"))
		}
		if _, page, _ = b.do("GET", path, nil); !strings.Contains(page, "A verification link is on its way") {
			t.Fatalf("send %d: no notice", i+1)
		}
	}
	b.do("POST", path+"/verification", url.Values{"_csrf": {csrf}})
	if _, page, _ = b.do("GET", path, nil); !strings.Contains(page, "in the last hour") {
		t.Fatal("a fourth link in an hour is not refused on the page")
	}
	h.worker.Pass(t.Context())
	if n := len(h.email.Messages()); n != 3 {
		t.Fatalf("%d links mailed, want 3", n)
	}
}
