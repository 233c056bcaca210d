package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
)

// TestBulkResetInChromium drives the seasonal crew's return in a real
// Chromium: the office imports the crew with a season tag, chooses a
// bulk reset of that tag, reads the preview, confirms, and watches the
// job's progress bar (a page that refreshes itself, no script) reach done
// while every crew member's mail reaches the relay once. The bulk pages
// fit the phone and the desktop without a sideways scroll.
func TestBulkResetInChromium(t *testing.T) {
	mailSrv := smtptest.Start(t, smtptest.Options{})
	g := startConsoleGW(t, consoleOptions{mail: mailSrv})
	const lead, pass = "lead@demo.example", "dispatch-harbor-2026"
	g.createAdmin(pass, "--email", lead, "--tenant", "demo")

	b := g.browse(4 * time.Minute)
	base := g.base
	desktop := chromedp.EmulateViewport(1024, 768)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2))

	b.signIn("40-bulk-login", lead, pass, "#logout", desktop)

	// The spring crew comes back: 12 people tagged spring-2027 (one of
	// them on a second crew too), and two on another season's tag.
	const crew = 12
	var csv strings.Builder
	csv.WriteString("name,email,phone,carrier,status,locale,phone_type,tags\n")
	for i := range crew {
		tags := "spring-2027"
		if i == 0 {
			tags = "spring-2027;crew-a"
		}
		fmt.Fprintf(&csv, "Spring Crew %02d,spring%02d@demo.example,,,active,en,,%s\n", i, i, tags)
	}
	for i := range 2 {
		fmt.Fprintf(&csv, "Fall Crew %02d,fall%02d@demo.example,,,active,en,,fall-2027\n", i, i)
	}
	file := writeFile(t, g.dir, "spring.csv", csv.String())
	b.step("41-bulk-import", chromedp.Navigate(base+"/admin/import"), chromedp.WaitVisible(chromedp.ID("csv-file")),
		chromedp.SetUploadFiles(chromedp.ID("csv-file"), []string{file}),
		chromedp.Click(chromedp.ID("preview")), chromedp.WaitVisible(chromedp.ID("commit")))
	b.step("41b-bulk-imported", chromedp.Click(chromedp.ID("commit")), chromedp.WaitVisible(chromedp.ID("import-summary")))

	// The list narrowed to the season's tag, picked from the tenant's tags.
	b.step("41c-personnel-tag", chromedp.Navigate(base+"/admin/personnel"), chromedp.WaitVisible(chromedp.ID("tag-filter")),
		chromedp.SetValue(chromedp.ID("tag-filter"), "spring-2027"),
		chromedp.Click(chromedp.CSS(`form[role=search] button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("tag-active")))
	if got := b.text("#people"); !strings.Contains(got, "Spring Crew 11") || strings.Contains(got, "Fall Crew") ||
		!strings.Contains(b.text(".pager"), "1–12 of 12") {
		t.Fatalf("personnel by tag: %s / %s", got, b.text(".pager"))
	}
	b.noSideScroll("41c-personnel-tag")
	b.step("41d-personnel-tag-phone", phone, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("tag-active")))
	b.noSideScroll("41d-personnel-tag-phone")
	b.step("42-bulk-form", desktop, chromedp.Navigate(base+"/admin/bulk"), chromedp.WaitVisible(chromedp.ID("bulk-form")),
		chromedp.SetValue(chromedp.CSS(`#bulk-form select[name=action]`), "reset"),
		chromedp.SendKeys(chromedp.CSS(`#bulk-form input[name=tag]`), "spring-2027"),
		chromedp.Click(chromedp.ID("bulk-preview")), chromedp.WaitVisible(chromedp.ID("bulk-confirm")))
	if got := b.text("#bulk-confirm"); !strings.Contains(got, "12 people") || strings.Contains(got, "Fall Crew") {
		t.Fatalf("preview: %s", got)
	}
	if n := len(mailSrv.Messages()); n != 0 {
		t.Fatalf("%d mails before the confirmation", n)
	}
	b.noSideScroll("42-bulk-form")
	b.step("43-bulk-job", chromedp.Click(chromedp.ID("bulk-yes")), chromedp.WaitVisible(chromedp.ID("bulk-progress")))
	jobURL := b.url()
	if !strings.Contains(jobURL, "/admin/bulk/") {
		t.Fatalf("after the confirmation: %s", jobURL)
	}

	// The page refreshes itself; the bar moves to done.
	deadline := time.Now().Add(90 * time.Second)
	for b.text("#bulk-state") != "done" {
		if time.Now().After(deadline) {
			t.Fatalf("the job did not finish: %s", b.text("main"))
		}
		time.Sleep(500 * time.Millisecond)
	}
	b.step("44-bulk-done", chromedp.WaitVisible(chromedp.ID("bulk-progress")))
	if max, val := b.eval(`+document.getElementById('bulk-progress').max`), b.eval(`+document.getElementById('bulk-progress').value`); max != crew || val != crew {
		t.Fatalf("progress %d of %d, want %d of %d", val, max, crew, crew)
	}
	if got := b.text("#bulk-remaining"); got != "0" {
		t.Fatalf("remaining: %q", got)
	}
	if n := b.eval(`document.querySelectorAll('#bulk-cancel').length`); n != 0 {
		t.Fatal("a finished job still offers cancel")
	}
	b.noSideScroll("44-bulk-done")
	wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer wcancel()
	msgs, err := mailSrv.Wait(wctx, crew)
	if err != nil {
		t.Fatalf("%d of %d mails: %v", len(msgs), crew, err)
	}
	time.Sleep(time.Second) // a second mail to anyone would arrive now
	to := map[string]int{}
	for _, m := range mailSrv.Messages() {
		to[m.To[0]]++
	}
	for i := range crew {
		if n := to[fmt.Sprintf("spring%02d@demo.example", i)]; n != 1 {
			t.Fatalf("spring%02d got %d mails, want 1 (%v)", i, n, to)
		}
	}
	if to["fall00@demo.example"]+to["fall01@demo.example"] != 0 {
		t.Fatalf("the fall crew was reset too: %v", to)
	}

	for name, p := range map[string]string{"45-phone-bulk-preview": base + "/admin/bulk?action=reset&tag=spring-2027", "45b-phone-bulk-job": jobURL} {
		b.step(name, phone, chromedp.Navigate(p), chromedp.WaitVisible(chromedp.CSS("main h2")))
		b.noSideScroll(name)
	}
}
