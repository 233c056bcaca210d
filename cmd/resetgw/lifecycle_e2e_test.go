package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
)

// TestLinkResetInChromium: a tenant in link mode; a crew member asks for a
// reset, follows the link from the message on a phone-sized screen,
// chooses a password and logs in with it; the link then refuses; the
// public /reset page works in Spanish on a desktop.
func TestLinkResetInChromium(t *testing.T) {
	mailSrv := smtptest.Start(t, smtptest.Options{})
	g := startConsoleGW(t, consoleOptions{mail: mailSrv, publicURL: true})
	base := g.base
	if code, m := g.call("PATCH", "/admin/api/settings?tenant=demo", map[string]any{"reset_mode": "link", "link_ttl_minutes": 30}); code != 200 || m["reset_mode"] != "link" {
		t.Fatalf("settings: %d %v", code, m)
	}
	code, m := g.call("POST", "/v1/password-resets", map[string]any{"email": "maria@demo.example", "phone": "+12015550123", "tenant": "demo"})
	if code != 202 {
		t.Fatalf("reset: %d %v", code, m)
	}
	// Two messages: the text (by the carrier's gateway) and the email.
	link := mailedLink(t, mailSrv, 2, regexp.MustCompile(regexp.QuoteMeta(base)+`/r/[A-Za-z0-9_-]{22}`))
	if link == "" {
		t.Fatalf("no link in the messages")
	}

	b := g.browse(3 * time.Minute)

	const chosen = "blue ladder on the second truck"
	b.step("link-01-form-phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("reset-form")))
	b.step("link-02-saved",
		chromedp.SendKeys(chromedp.ID("password"), chosen),
		chromedp.SendKeys(chromedp.ID("password2"), chosen),
		chromedp.Submit(chromedp.ID("reset-form")),
		chromedp.WaitVisible(chromedp.CSS(".ok")))
	if got := b.text("h1"); got != "Password saved" {
		t.Fatalf("after the form: %q", got)
	}
	if code, _ := g.call("POST", "/v1/login", map[string]any{"email": "maria@demo.example", "password": chosen, "tenant": "demo"}); code != 200 {
		t.Fatalf("login with the chosen password: %d", code)
	}
	b.step("link-03-used", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("next")))
	if got := b.text("h1"); got != "This link cannot be used" {
		t.Fatalf("used link: %q", got)
	}

	b.step("reset-01-es-desktop", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+"/reset/demo?lang=es"),
		chromedp.WaitVisible(chromedp.ID("reset-form")))
	if got := b.text("h1"); got != "¿Olvidaste tu contraseña?" {
		t.Fatalf("Spanish /reset: %q", got)
	}
	b.step("reset-02-es-sent",
		chromedp.SendKeys(chromedp.ID("email"), "jose@demo.example"),
		chromedp.Submit(chromedp.ID("reset-form")),
		chromedp.WaitVisible(chromedp.CSS(".ok")))
	if got := b.text("h1"); got != "Revisa tu teléfono y tu correo" {
		t.Fatalf("Spanish answer: %q", got)
	}
}
