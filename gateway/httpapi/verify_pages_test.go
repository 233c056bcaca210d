package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
)

var verifyCSRF = regexp.MustCompile(`<form id="verify-form"[^>]*>\s*<input type="hidden" name="csrf" value="([0-9a-f]{32})">`)

// The verification page: GETs (a scanner, a preview) only show the
// button; a POST without the page's CSRF token is refused; the button
// verifies once; the page names no one.
func TestVerifyPageGetNeverVerifiesPostDoes(t *testing.T) {
	h := newPagesHarness(t)
	ctx := context.Background()
	admin := gateway.Actor{Kind: gateway.ActorAdmin, ID: "t"}
	on := true
	if _, err := h.svc.UpdateSettings(ctx, admin, "", gateway.SettingsPatch{RequireVerifiedEmail: &on}); err != nil {
		t.Fatal(err)
	}
	p, err := h.svc.Store().PersonByEmail(ctx, 1, "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.ResendVerification(ctx, admin, "", p.ID); err != nil {
		t.Fatal(err)
	}
	h.drain()
	msgs := h.email.Messages()
	link, ok := gatewaytest.Link(msgs[len(msgs)-1].Text)
	if !ok || !strings.HasPrefix(link, "https://reset.example.com/v/") {
		t.Fatalf("no verification link in %q", msgs[len(msgs)-1].Text)
	}
	path := strings.TrimPrefix(link, "https://reset.example.com")
	verified := func() bool {
		p, _ := h.svc.Store().Person(ctx, 1, p.ID)
		return p.EmailVerified()
	}
	var cookie string
	for range 3 {
		status, body, c := h.page("GET", path, nil, "")
		if status != http.StatusOK || !verifyCSRF.MatchString(body) || strings.Contains(body, "ana@example.com") {
			t.Fatalf("GET %s: %d\n%s", path, status, body)
		}
		cookie = c
	}
	if verified() {
		t.Fatal("GET verified the address")
	}
	if status, _, _ := h.page("POST", path, url.Values{"csrf": {strings.Repeat("0", 32)}}, cookie); status != http.StatusForbidden || verified() {
		t.Fatalf("forged CSRF: %d, verified %v", status, verified())
	}
	status, body, _ := h.page("POST", path, url.Values{"csrf": {cookie}}, cookie)
	if status != http.StatusOK || !strings.Contains(body, "Email confirmed") || !verified() {
		t.Fatalf("POST: %d verified %v\n%s", status, verified(), body)
	}
	if status, _, _ := h.page("POST", path, url.Values{"csrf": {cookie}}, cookie); status != http.StatusGone {
		t.Fatalf("second POST: %d", status)
	}
	if status, body, _ := h.page("GET", "/v/"+strings.Repeat("A", 22)+"?lang=es", nil, ""); status != http.StatusNotFound ||
		!strings.Contains(body, "no es válido") {
		t.Fatalf("unknown token: %d\n%s", status, body)
	}
}
