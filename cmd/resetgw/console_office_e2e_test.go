package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
)

// TestConsoleOfficeInChromium drives what an office does day to day, in a
// real Chromium at 1024×768 and 390×844 against the demo gateway: import
// crew from the CSV template's columns, page through personnel, find
// "José García" by typing "garcia", read a person's page (phones as people
// write them, each channel's outcome, the failed-delivery item),
// deactivate and set a password through their second steps, read the log
// in words and filter it by a type from a list, retire a carrier through
// its second step. No page scrolls sideways at either size.
func TestConsoleOfficeInChromium(t *testing.T) {
	mailSrv := smtptest.Start(t, smtptest.Options{})
	g := startConsoleGW(t, consoleOptions{mail: mailSrv})
	const lead, ops, pass = "lead@demo.example", "ops@demo.example", "dispatch-harbor-2026"
	g.createAdmin(pass, "--email", lead, "--tenant", "demo")
	g.createAdmin(pass, "--email", ops)
	// Dana's reset cannot be delivered.
	g.danaRolledBack(mailSrv)

	b := g.browse(4 * time.Minute)
	base := g.base
	tablet := chromedp.EmulateViewport(1024, 768)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2))

	b.signIn("20-login", lead, pass, "#stat-rolled-back", tablet)

	// Item 13: the template and each column's sample; the template is
	// what the import takes (fetched with the browser's session).
	b.step("21-import-help", chromedp.Navigate(base+"/admin/import"), chromedp.WaitVisible(chromedp.ID("csv-template")),
		chromedp.Click(chromedp.CSS(`#import-columns summary`)), chromedp.WaitVisible(chromedp.ID("column-help")))
	if got := b.text("#column-help"); !strings.Contains(got, "phone_type") || !strings.Contains(got, "(201) 555-0140") {
		t.Fatalf("column help: %s", got)
	}
	b.noSideScroll("21-import-help")
	tpl := b.get("/admin/import/template.csv")
	if !strings.HasPrefix(tpl, "name,email,phone,carrier,status,locale,phone_type\n") {
		t.Fatalf("template: %q", tpl)
	}
	// 60 crew in the template's columns: personnel needs two pages.
	var crew strings.Builder
	crew.WriteString("name,email,phone,carrier,status,locale,phone_type\n")
	for i := range 60 {
		fmt.Fprintf(&crew, "Crew %02d Longname-Withoutanyspacesatallinthisnamepart,crew%02d.with.a.rather.long.address@demo.example,,,active,en,\n", i, i)
	}
	file := writeFile(t, g.dir, "crew60.csv", crew.String())
	b.step("22-import-preview", chromedp.SetUploadFiles(chromedp.ID("csv-file"), []string{file}),
		chromedp.Click(chromedp.ID("preview")), chromedp.WaitVisible(chromedp.ID("commit")))
	b.step("22b-import-done", chromedp.Click(chromedp.ID("commit")), chromedp.WaitVisible(chromedp.ID("import-summary")))

	// Item 7: a total, previous and next.
	b.step("23-personnel-page1", chromedp.Navigate(base+"/admin/personnel"), chromedp.WaitVisible(chromedp.CSS(".pager-text")))
	total := regexp.MustCompile(`^1–50 of (\d+)$`).FindStringSubmatch(b.text(".pager-text"))
	if total == nil || total[1] != "65" {
		t.Fatalf("personnel pager: %q", b.text(".pager-text"))
	}
	b.noSideScroll("23-personnel-page1")
	b.step("23b-personnel-page2", chromedp.Click(chromedp.CSS(`.pager a[rel=next]`)), chromedp.WaitVisible(chromedp.CSS(`.pager a[rel=prev]`)))
	if got := b.text(".pager-text"); got != "51–65 of 65" {
		t.Fatalf("page 2: %q", got)
	}
	// Item 12: accents and case aside.
	b.step("24-search-accents", chromedp.SendKeys(chromedp.ID("search"), "garcia"),
		clickAway(chromedp.CSS(`form[role=search] button`)), chromedp.WaitVisible(chromedp.ID("people")))
	if got := b.text("#people"); !strings.Contains(got, "José García") || !strings.Contains(got, "(201) 555-0124") {
		t.Fatalf("search garcia: %s", got)
	}

	// Item 11: Dana's page.
	b.step("25-person-history", chromedp.Navigate(base+"/admin/personnel?q=DANA"), chromedp.WaitVisible(chromedp.ID("people")),
		chromedp.Click(chromedp.CSS(`#people a[href^="/admin/personnel/"]`)), chromedp.WaitVisible(chromedp.ID("delivery-history")))
	if got := b.text("#phones"); !strings.Contains(got, "(201) 555-0127") {
		t.Fatalf("phones: %s", got)
	}
	if got := b.text("#delivery-history"); !strings.Contains(got, "Not delivered: the old password still works") ||
		!strings.Contains(got, "Email to dana@demo.invalid") || !strings.Contains(got, "550 5.1.1") {
		t.Fatalf("history: %s", got)
	}
	if got := b.text("#person-failed"); !strings.Contains(got, "Open") || !strings.Contains(got, "Not sent") {
		t.Fatalf("failed item: %s", got)
	}
	b.noSideScroll("25-person-history")
	danaURL := b.url()
	// Item 9: set password through its step.
	b.step("26-password-step", chromedp.SendKeys(chromedp.ID("new-password"), "harbor-crane-lantern-5"),
		chromedp.Click(chromedp.ID("set-password-step")), chromedp.WaitVisible(chromedp.ID("set-password")))
	b.step("26b-password-set", clickAway(chromedp.ID("set-password")), chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if got := b.text("#person-failed"); !strings.Contains(got, "password set by hand") {
		t.Fatalf("failed item after the password: %s", got)
	}
	// Deactivate through its step page.
	b.step("27-deactivate-step", chromedp.Click(chromedp.ID("deactivate")), chromedp.WaitVisible(chromedp.ID("confirm-deactivate")))
	b.noSideScroll("27-deactivate-step")
	b.step("27b-deactivated", clickAway(chromedp.ID("confirm-yes")), chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if got := b.text("p.notice"); !strings.Contains(got, "Deactivated") {
		t.Fatalf("deactivate: %s", got)
	}

	// Item 6: the log in words at 1024 px.
	b.step("28-log", chromedp.Navigate(base+"/admin/log"), chromedp.WaitVisible(chromedp.ID("events")),
		chromedp.SetValue(chromedp.ID("type-filter"), "personnel_imported"),
		clickAway(chromedp.CSS(`#log-filter button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("events")))
	if got := b.text("#events .event-type"); got != "Personnel imported" {
		t.Fatalf("type in words: %q", got)
	}
	if n := b.eval(`document.querySelectorAll('#events .event-type[title="personnel_imported"]').length`); n != 1 {
		t.Fatalf("%d imported events with the code on hover, want 1", n)
	}
	b.step("28b-log-all", chromedp.Navigate(base+"/admin/log"), chromedp.WaitVisible(chromedp.ID("events")))
	if n := b.eval(`[...document.querySelectorAll('main label, main a, main button')].filter(e => e.textContent.trim() === 'Security events').length`); n != 1 {
		t.Fatalf("%d Security events controls", n)
	}
	if n := b.eval(`document.querySelectorAll('#log-filter input[name=type]').length`); n != 0 {
		t.Fatal("the type filter is free text")
	}
	if got := b.text(".pager-text"); !strings.HasPrefix(got, "1–50 of ") {
		t.Fatalf("log pager: %q", got)
	}
	// No cell squeezed to a word a line: every cell of a row is wider
	// than a long word, and Detail spans the row under it.
	if n := b.eval(`[...document.querySelectorAll('#events tbody.event tr:first-child td')].filter(td => td.getBoundingClientRect().width < 70).length`); n != 0 {
		t.Fatalf("%d log cells narrower than 70 px at 1024", n)
	}
	if n := b.eval(`[...document.querySelectorAll('#events tr.detail-row td')].filter(td => td.getBoundingClientRect().width < document.getElementById('events').getBoundingClientRect().width - 4).length`); n != 0 {
		t.Fatalf("%d details not under their row", n)
	}
	if got := b.text("#events"); !strings.Contains(got, "Dana Reyes") || strings.Contains(got, "password_set") {
		t.Fatalf("log names: %s", got)
	}
	b.noSideScroll("28b-log-all")
	csv := b.get("/admin/log.csv?type=password_set")
	if head, _, _ := strings.Cut(csv, "\n"); !strings.HasSuffix(head, ",person_name,person_email") ||
		!strings.Contains(csv, ",Dana Reyes,dana@demo.invalid") {
		t.Fatalf("log CSV: %s", csv)
	}
	b.step("29-routes", chromedp.Navigate(base+"/admin/routes"), chromedp.WaitVisible(chromedp.ID("people-at-risk")))
	if !strings.Contains(b.text(".pager-text"), " of ") {
		t.Fatalf("route health pager: %q", b.text(".pager-text"))
	}

	// Items 5 and 8 on the phone: cards, the row's actions on screen,
	// long names and addresses wrapped.
	for i, p := range []string{"/admin/personnel", "/admin/personnel?offset=50", danaURL, "/admin/log", "/admin/import",
		"/admin/carriers", "/admin/routes", "/admin/failed?show=resolved"} {
		name := fmt.Sprintf("30p%d-phone%s", i, strings.NewReplacer("/", "-", "?", "-", "=", "-", base, "").Replace(p))
		if !strings.HasPrefix(p, "http") {
			p = base + p
		}
		b.step(name, phone, chromedp.Navigate(p), chromedp.WaitVisible(chromedp.CSS("main h1")))
		b.noSideScroll(name)
	}
	b.step("31-phone-person-actions", chromedp.Navigate(danaURL), chromedp.WaitVisible(chromedp.ID("set-password-step")),
		chromedp.WaitVisible(chromedp.CSS(`#password-form`)))
	b.step("31b-phone-log-cards", chromedp.Navigate(base+"/admin/log"), chromedp.WaitVisible(chromedp.CSS(`#events a[href^="/admin/personnel/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.pager`)))

	// Retire a carrier (an operator's): the first form leads to a step.
	b.step("32-sign-out", tablet, chromedp.Navigate(base+"/admin/overview"), chromedp.WaitVisible(chromedp.ID("logout")),
		chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-form")))
	// A loaded machine may find the password hasher busy (503, "try
	// again"): the office would sign in again, and so does the test.
	for try := 1; ; try++ {
		b.signIn(fmt.Sprintf("32-operator-%d", try), ops, pass, "main h1")
		if b.eval(`document.querySelectorAll('#logout').length`) == 1 {
			break
		}
		if try == 3 {
			t.Fatalf("the operator could not sign in: %s", b.text("main"))
		}
	}
	b.step("33-retire-step", chromedp.Navigate(base+"/admin/carriers/uscellular"), chromedp.WaitVisible(chromedp.ID("retire-form")),
		chromedp.SetValue(chromedp.CSS(`#retire-form input[name=retired_on]`), "2027-01-15"),
		chromedp.Click(chromedp.ID("retire-step")), chromedp.WaitVisible(chromedp.ID("confirm-retire")))
	if got := b.text("#carrier-status"); strings.Contains(got, "2027-01-15") {
		t.Fatalf("retired before the confirmation: %s", got)
	}
	b.noSideScroll("33-retire-step")
	b.step("33b-retired", clickAway(chromedp.ID("retire-yes")), chromedp.WaitVisible(chromedp.ID("carrier-status")))
	if got := b.text("#carrier-status"); !strings.Contains(got, "retiring") || !strings.Contains(got, "2027-01-15") {
		t.Fatalf("retired: %s", got)
	}
	b.step("33c-retire-phone", phone, chromedp.Navigate(base+"/admin/carriers/verizon"), chromedp.WaitVisible(chromedp.ID("retire-step")))
	b.noSideScroll("33c-retire-phone")
}
