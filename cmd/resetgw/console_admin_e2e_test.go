package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleAdminsInChromium drives admin accounts, the tenant's time zone
// and the overview chart in a real Chromium, at 1024×768 and 390×844: the
// operator creates a tenant admin and resets their password (a
// confirmation step first), the admin is made to choose their own before
// anything else, then changes it again from Account; after each POST a
// reload changes nothing. Each step is kept as a screenshot.
func TestConsoleAdminsInChromium(t *testing.T) {
	g := startConsoleGW(t, consoleOptions{})

	const op, opPass = "op@gateway.example", "operator-ladder-2026"
	g.createAdmin(opPass, "--email", op)
	if code, m := g.call("PATCH", "/admin/api/settings?tenant=demo", map[string]any{"time_zone": "America/Chicago"}); code != 200 {
		t.Fatalf("time zone: %d %v", code, m)
	}
	// Something for the chart: delivered resets of the demo crew, and a
	// request for nobody (rejected).
	for _, r := range [][2]string{{"maria@demo.example", "+12015550123"}, {"nobody@demo.example", "+12015550188"}} {
		if code, m := g.call("POST", "/v1/password-resets", map[string]any{"email": r[0], "phone": r[1], "tenant": "demo"}); code != 202 {
			t.Fatalf("reset: %d %v", code, m)
		}
	}

	b := g.browse(3 * time.Minute)
	// text is the element's text, "" for no element.
	text := func(sel string) string {
		t.Helper()
		return b.evalString(`(document.querySelector(` + "`" + sel + "`" + `) || {}).innerText || ""`)
	}
	present := func(sel string) bool { return text(sel) != "" }
	path := func() string { return b.evalString(`location.pathname`) }
	events := func(typ string) int {
		t.Helper()
		code, m := g.call("GET", "/admin/api/events?type="+typ, nil)
		if code != 200 {
			t.Fatalf("events %s: %d", typ, code)
		}
		evs, _ := m["events"].([]any)
		return len(evs)
	}

	b.signIn("20-operator-overview", op, opPass, "#time-zone")
	b.step("20a-overview-chart", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(g.base+"/admin/overview"),
		chromedp.WaitVisible(chromedp.CSS(`#week-chart svg`)))
	if got := text("#time-zone"); !strings.Contains(got, "UTC") {
		t.Fatalf("operator over every tenant: %q", got)
	}
	if got := text("#week-chart-summary"); !strings.Contains(got, "Last 7 days") || !strings.Contains(got, "request") {
		t.Fatalf("chart summary: %q", got)
	}
	b.noSideScroll("20a-overview-chart")
	b.step("20b-overview-demo", chromedp.Navigate(g.base+"/admin/overview?tenant=demo"), chromedp.WaitVisible(chromedp.CSS(`#week-chart svg`)))
	if got := text("#time-zone"); !strings.Contains(got, "America/Chicago") {
		t.Fatalf("zone of demo: %q", got)
	}

	// The operator creates an admin of demo: the password is shown once.
	created := events("admin_created")
	b.step("21-admins", chromedp.Navigate(g.base+"/admin/admins?tenant=demo"), chromedp.WaitVisible(chromedp.ID("admin-form")))
	b.step("21a-admin-created", chromedp.SendKeys(chromedp.ID("admin-email"), "dispatch@demo.example"),
		chromedp.SetValue(chromedp.ID("admin-tenant"), "demo"),
		chromedp.Click(chromedp.ID("create-admin")), chromedp.WaitVisible(chromedp.ID("generated-password")))
	first := strings.TrimSpace(text("#generated-password"))
	b.step("21b-admin-created-reloaded", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("admin-record")))
	if present("#generated-password") || events("admin_created") != created+1 {
		t.Fatal("the reload showed the password again or created another admin")
	}
	// Reset it: the confirmation step, then a new password once.
	b.step("22-reset-confirm", chromedp.Click(chromedp.ID("reset-admin-password")), chromedp.WaitVisible(chromedp.ID("confirm-password")))
	b.step("22a-reset-done", chromedp.Click(chromedp.ID("confirm-yes")), chromedp.WaitVisible(chromedp.ID("generated-password")))
	second := strings.TrimSpace(text("#generated-password"))
	if second == "" || second == first {
		t.Fatalf("reset password %q", second)
	}
	b.step("22b-reset-reloaded", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("admin-record")))
	if present("#generated-password") || events("admin_password_reset") != 1 {
		t.Fatal("the reload showed the password again or reset it again")
	}
	b.step("22c-signed-out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-form")))

	// The new admin must choose their own password before anything works.
	if b.signIn("23-forced-change", "dispatch@demo.example", second, "#time-zone"); path() != "/admin/account" {
		t.Fatalf("after the first sign-in: %s", path())
	}
	b.step("23a-forced-change-elsewhere", chromedp.Navigate(g.base+"/admin/personnel"), chromedp.WaitVisible(chromedp.ID("own-password-form")))
	if path() != "/admin/account" {
		t.Fatalf("personnel before the change: %s", path())
	}
	const mine, mine2 = "blue-truck-ladder-seven", "green-van-harbor-eight"
	change := func(name, old, pw, waitFor string) {
		t.Helper()
		b.step(name, chromedp.SendKeys(chromedp.ID("old-password"), old), chromedp.SendKeys(chromedp.ID("new-password"), pw),
			chromedp.SendKeys(chromedp.ID("new-password2"), pw), clickAway(chromedp.ID("change-password")),
			chromedp.WaitVisible(chromedp.CSS(waitFor)))
	}
	change("23b-changed", second, mine, "#stat-requests")
	if got := text("#time-zone"); !strings.Contains(got, "America/Chicago") {
		t.Fatalf("zone of the tenant admin: %q", got)
	}
	b.step("23c-changed-reloaded", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("stat-requests")))
	if path() != "/admin/overview" || events("admin_password_changed") != 1 {
		t.Fatalf("after the reload: %s, %d changes", path(), events("admin_password_changed"))
	}
	// And again from Account, not forced this time: the answer is the
	// same page with a notice.
	b.step("24-account", chromedp.Click(chromedp.ID("account-link")), chromedp.WaitVisible(chromedp.ID("own-password-form")))
	change("24a-own-changed", mine, mine2, ".notice")
	if got := text(".notice"); !strings.Contains(got, "password is changed") {
		t.Fatalf("own change: %q", got)
	}
	b.step("24b-own-changed-reloaded", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("own-password-form")))
	if present(".notice") || events("admin_password_changed") != 2 {
		t.Fatal("the reload changed the password again")
	}

	// The phone: the chart fits, and so do the admin pages.
	for _, pg := range []struct{ name, path, wait string }{
		{"25-phone-overview", "/admin/overview", "#week-chart svg"},
		{"25a-phone-account", "/admin/account", "#own-password-form"},
		{"25b-phone-admins", "/admin/admins", "#admin-form"},
	} {
		b.step(pg.name, chromedp.EmulateViewport(390, 844), chromedp.Navigate(g.base+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.wait)))
		b.noSideScroll(pg.name)
		if pg.path == "/admin/overview" &&
			b.evalString(`String(document.querySelector("#week-chart svg").getBoundingClientRect().right <= innerWidth)`) != "true" {
			t.Fatal("the chart is wider than the phone")
		}
	}
	b.signIn("26-phone-operator", op, opPass, "#time-zone")
	b.step("26a-phone-tenants", chromedp.Navigate(g.base+"/admin/tenants"), chromedp.WaitVisible(chromedp.ID("tenant-form")))
	b.noSideScroll("26a-phone-tenants")
	b.step("26b-phone-admin-confirm", chromedp.Navigate(g.base+"/admin/admins"), chromedp.WaitVisible(chromedp.ID("admins")))
	b.noSideScroll("26b-phone-admins")
}
