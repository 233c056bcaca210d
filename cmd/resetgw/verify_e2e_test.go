package main

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
)

// TestPasswordPageAndVerifyLinkInChromium, on a phone-sized screen: a
// crew member confirms their email from the link an admin sent (the page
// alone verifies nothing; its button does), then changes their password
// on /password and logs in with the new one.
func TestPasswordPageAndVerifyLinkInChromium(t *testing.T) {
	mailSrv := smtptest.Start(t, smtptest.Options{})
	g := startConsoleGW(t, consoleOptions{mail: mailSrv, publicURL: true})
	base := g.base
	if code, m := g.call("PATCH", "/admin/api/settings?tenant=demo", map[string]any{"require_verified_email": true}); code != 200 ||
		m["require_verified_email"] != true {
		t.Fatalf("settings: %d %v", code, m)
	}
	code, m := g.call("GET", "/admin/api/personnel?tenant=demo&q=maria", nil)
	people, _ := m["personnel"].([]any)
	if code != 200 || len(people) != 1 {
		t.Fatalf("personnel: %d %v", code, m)
	}
	maria := people[0].(map[string]any)
	person := fmt.Sprintf("/admin/api/personnel/%.0f", maria["id"].(float64))
	if maria["email_verified"] != false {
		t.Fatalf("maria: %v", maria)
	}
	if code, m := g.call("POST", person+"/verification", nil); code != 202 {
		t.Fatalf("resend: %d %v", code, m)
	}
	link := mailedLink(t, mailSrv, 1, regexp.MustCompile(regexp.QuoteMeta(base)+`/v/[A-Za-z0-9_-]{22}`))
	if link == "" {
		t.Fatal("no verification link in the mail")
	}
	verified := func() bool {
		t.Helper()
		code, m := g.call("GET", person, nil)
		if code != 200 {
			t.Fatalf("person: %d %v", code, m)
		}
		return m["email_verified"] == true
	}

	b := g.browse(3 * time.Minute)

	b.step("verify-01-page-phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("verify-button")))
	b.noSideScroll("the verification page")
	if got := b.text("h1"); got != "Confirm your email address" {
		t.Fatalf("verification page: %q", got)
	}
	if verified() {
		t.Fatal("opening the link verified the address")
	}
	b.step("verify-02-done", chromedp.Click(chromedp.ID("verify-button")), chromedp.WaitVisible(chromedp.CSS(".ok")))
	if got := b.text("h1"); got != "Email confirmed" || !verified() {
		t.Fatalf("after the button: %q, verified %v", got, verified())
	}

	const chosen = "green tarp over the piano dolly"
	b.step("password-01-form-phone", chromedp.Navigate(base+"/password?tenant=demo"),
		chromedp.WaitVisible(chromedp.ID("password-form")))
	b.noSideScroll("the change page")
	b.step("password-02-changed",
		chromedp.SendKeys(chromedp.ID("email"), "maria@demo.example"),
		chromedp.SendKeys(chromedp.ID("old_password"), demoPassword),
		chromedp.SendKeys(chromedp.ID("password"), chosen),
		chromedp.SendKeys(chromedp.ID("password2"), chosen),
		chromedp.Submit(chromedp.ID("password-form")),
		chromedp.WaitVisible(chromedp.CSS(".ok")))
	if got := b.text("h1"); got != "Password changed" {
		t.Fatalf("after the change: %q", got)
	}
	code, m = g.call("POST", "/v1/login", map[string]any{"email": "maria@demo.example", "password": chosen, "tenant": "demo"})
	if code != 200 || m["must_change"] != false {
		t.Fatalf("login with the new password: %d %v", code, m)
	}
	if code, _ := g.call("POST", "/v1/login", map[string]any{"email": "maria@demo.example", "password": demoPassword, "tenant": "demo"}); code != 401 {
		t.Fatalf("login with the old password: %d", code)
	}
}
