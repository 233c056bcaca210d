package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// People there before verified emails were required get links only from
// the settings page's explicit step, which names and checks the number;
// a GET, a post without the confirmation or with an old number sends
// nothing.
func TestConsoleSendVerificationLinks(t *testing.T) {
	h := newPublicHarness(t)
	h.admin("office@acme.example", gateway.DefaultSlug)
	h.personID(`{"name":"Ana Ruiz","email":"ana@acme.example"}`)
	h.personID(`{"name":"Bo Lind","email":"bo@acme.example"}`)
	b := h.browser()
	tok := b.login("office@acme.example", adminPW)
	if _, page, _ := b.do("GET", "/admin/settings", nil); strings.Contains(page, `id="verification-links"`) {
		t.Fatal("the links section shows while verified emails are not required")
	}
	if code, m, _ := h.do("PATCH", "/admin/api/settings", `{"require_verified_email":true}`, true); code != 200 {
		t.Fatalf("settings: %d %v", code, m)
	}
	h.drain()
	mails := func() int { h.drain(); return len(h.email.Messages()) }
	if n := mails(); n != 0 {
		t.Fatalf("%d mails on switching the setting on", n)
	}
	_, page, _ := b.do("GET", "/admin/settings", nil)
	if !strings.Contains(page, `id="verify-backlog">2 active people have`) || !strings.Contains(page, `href="/admin/settings/verification-links"`) {
		t.Fatalf("settings:\n%.5000s", page[strings.Index(page, "<main>"):])
	}
	code, page, _ := b.do("GET", "/admin/settings/verification-links", nil)
	if code != 200 || !strings.Contains(page, "Send a verification link to 2 people?") || mails() != 0 {
		t.Fatalf("confirm step: %d\n%.3000s", code, page)
	}
	for _, form := range []url.Values{
		{"_csrf": {tok}, "count": {"2"}},                       // no confirmation
		{"_csrf": {tok}, "count": {"1"}, "confirm": {"yes"}},   // an old number
		{"_csrf": {tok}, "count": {"two"}, "confirm": {"yes"}}, // not a number
		{"count": {"2"}, "confirm": {"yes"}},                   // no CSRF token
	} {
		code, _, resp := b.do("POST", "/admin/settings/verification-links", form)
		if code == http.StatusSeeOther && resp.Header.Get("Location") != "/admin/settings/verification-links" {
			t.Errorf("%v: went to %s", form, resp.Header.Get("Location"))
		}
		if n := mails(); n != 0 {
			t.Fatalf("%v sent %d mails", form, n)
		}
	}
	code, _, resp := b.do("POST", "/admin/settings/verification-links", url.Values{"_csrf": {tok}, "count": {"2"}, "confirm": {"yes"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/settings") {
		t.Fatalf("confirmed: %d %s", code, resp.Header.Get("Location"))
	}
	if n := mails(); n != 2 {
		t.Fatalf("%d mails after the confirmation, want 2", n)
	}
	_, page, _ = b.do("GET", "/admin/settings", nil)
	if !strings.Contains(page, "Verification links sent to 2 people.") || !strings.Contains(page, "Every active person has verified") {
		t.Fatalf("after sending:\n%.3000s", page[strings.Index(page, "<main>"):])
	}
	// A reload of the confirmation sends nothing more: nobody is waiting.
	b.do("POST", "/admin/settings/verification-links", url.Values{"_csrf": {tok}, "count": {"2"}, "confirm": {"yes"}})
	if n := mails(); n != 2 {
		t.Fatalf("%d mails after a repeated post", n)
	}
}
