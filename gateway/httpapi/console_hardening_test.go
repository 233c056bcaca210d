package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

// TestHardening11_CookieAndHSTSFollowPublicURL: the scheme of
// RESETGW_PUBLIC_URL decides the cookie's Secure flag, its __Host-
// prefix and HSTS; a client's X-Forwarded-Proto decides nothing.
func TestHardening11_CookieAndHSTSFollowPublicURL(t *testing.T) {
	cases := []struct {
		name, publicURL, proto string
		secure                 bool
	}{
		{"http, client claims https", "http://127.0.0.1:8080", "https", false},
		{"http", "http://127.0.0.1:8080", "", false},
		{"https, client claims http", "https://reset.acme.example", "http", true},
		{"https", "HTTPS://reset.acme.example/", "", true},
	}
	for _, tc := range cases {
		h := newHarnessWith(t, token, func(c *httpapi.Config) { c.PublicURL = tc.publicURL })
		h.admin("office@acme.example", "")
		b := h.browser()
		b.proto = tc.proto
		_, _, resp := b.do("GET", "/admin/login", nil)
		if got := resp.Header.Get("Strict-Transport-Security"); (got != "") != tc.secure || (tc.secure && !strings.Contains(got, "max-age=")) {
			t.Errorf("%s: HSTS %q", tc.name, got)
		}
		b.login("office@acme.example", adminPW)
		name, path := "resetgw_session", "/admin"
		if tc.secure {
			name, path = "__Host-resetgw_session", "/"
		}
		sess := b.jar[name]
		if sess == nil || sess.Secure != tc.secure || sess.Path != path || sess.Domain != "" || !sess.HttpOnly {
			var got []string // names and flags only: never a cookie's value in the output
			for _, c := range b.jar {
				got = append(got, c.Name+" path="+c.Path+" secure="+strconv.FormatBool(c.Secure))
			}
			t.Errorf("%s: want %s on %s, secure=%v; got %v", tc.name, name, path, tc.secure, got)
		}
		// Every answer carries HSTS over https, the API's too.
		if code, _, hdr := h.do("GET", "/healthz", "", false); code != 200 || (hdr.Get("Strict-Transport-Security") != "") != tc.secure {
			t.Errorf("%s: healthz HSTS %q", tc.name, hdr.Get("Strict-Transport-Security"))
		}
	}
}

// TestHardening13_CSRFTokenInQueryRefused: a token that sits in the URL
// (from a log, the history, a Referer) does not pass for the form's own.
func TestHardening13_CSRFTokenInQueryRefused(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	id := h.personID(`{"name":"Ana Ruiz","email":"ana@acme.example","password":"original-crew-password-7"}`)
	b := h.browser()
	tok := b.login("office@acme.example", adminPW)
	q := "?_csrf=" + url.QueryEscape(tok)
	pw := "/admin/personnel/" + strconv.FormatInt(id, 10) + "/password"
	if code, _, _ := b.do("POST", pw+q, url.Values{"mode": {"entered"}, "password": {"blue-truck-seven-ladders"}}); code != 403 {
		t.Fatalf("token in the query, form without it: %d", code)
	}
	if code, _, _ := b.do("POST", "/admin/settings"+q, url.Values{"min_password_length": {"8"}}); code != 403 {
		t.Fatalf("settings with the token in the query: %d", code)
	}
	if code, _, _ := b.do("POST", "/admin/settings"+q, nil); code != 403 {
		t.Fatalf("no body at all, token in the query: %d", code)
	}
	if evs, _ := h.svc.Events(context.Background(), gateway.Actor{}, gateway.EventQuery{Types: []string{"password_set", "settings_changed"}}); len(evs) != 0 {
		t.Fatalf("a refused form changed something: %+v", evs)
	}
	// The sign-in form's token neither.
	other := h.browser()
	_, page, _ := other.do("GET", "/admin/login", nil)
	if code, _, _ := other.do("POST", "/admin/login?_csrf="+url.QueryEscape(other.csrf(page)),
		url.Values{"email": {"office@acme.example"}, "password": {adminPW}}); code != 403 {
		t.Fatalf("login with the token in the query: %d", code)
	}
	// In the body, the same token works.
	if code, _, resp := b.do("POST", "/admin/settings", url.Values{"_csrf": {tok}, "allow_mobile_reset": {"on"}}); code != http.StatusSeeOther {
		t.Fatalf("token in the body: %d %v", code, resp.Header)
	}
}
