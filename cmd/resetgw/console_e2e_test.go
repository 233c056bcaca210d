package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
)

// TestConsoleInChromium walks the README's console flow in a real headless
// Chromium against the demo gateway on loopback, mail going to a real
// go-smtp server: create an admin with the CLI, sign in, import crew from a
// CSV (first with a bad row, nothing imported; then fixed), test a carrier
// (accepted, then refused), find a failed delivery and set that person's
// password by hand, export the log. Each page is kept as a screenshot.
func TestConsoleInChromium(t *testing.T) {
	mailSrv := smtptest.Start(t, smtptest.Options{})
	g := startConsoleGW(t, consoleOptions{mail: mailSrv})
	// The README: "resetgw admin create --email ... --tenant demo".
	const admin, adminPass = "lead@demo.example", "dispatch-harbor-2026"
	g.createAdmin(adminPass, "--email", admin, "--tenant", "demo")

	// A crew member asks for a reset that cannot be delivered.
	g.danaRolledBack(mailSrv)

	b := g.browse(3 * time.Minute)
	base := g.base

	b.step("01-login", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(base+"/admin"),
		chromedp.WaitVisible(chromedp.ID("login-form")))
	b.step("02-overview", append(fillSignIn(admin, adminPass), chromedp.WaitVisible(chromedp.ID("stat-rolled-back")))...)
	if got := b.text("#stat-rolled-back"); got != "1" {
		t.Fatalf("overview: %s rolled back", got)
	}

	bad := writeFile(t, g.dir, "crew-bad.csv", "name,email,phone,carrier,status,locale\n"+
		"Luis Ortega,luis@demo.example,(201) 555-0140,verizon,active,es\n"+
		"Kim Park,kim@demo.example,555-2671,Verizon Wireless,active,en\n")
	b.step("03-import-errors", chromedp.Navigate(base+"/admin/personnel"), chromedp.Click(chromedp.ID("import-link")),
		chromedp.WaitVisible(chromedp.ID("upload-form")),
		chromedp.SetUploadFiles(chromedp.ID("csv-file"), []string{bad}),
		chromedp.Click(chromedp.ID("preview")),
		chromedp.WaitVisible(chromedp.ID("import-rows")))
	if got := b.text("#import-rows"); !strings.Contains(got, "not a valid phone number") {
		t.Fatalf("import errors: %s", got)
	}
	good := writeFile(t, g.dir, "crew.csv", "name,email,phone,carrier,status,locale\n"+
		"Luis Ortega,luis@demo.example,(201) 555-0140,verizon,active,es\n"+
		"Kim Park,kim@demo.example,201-555-0141,Verizon Wireless,active,en\n")
	b.step("04-import-preview", chromedp.SetUploadFiles(chromedp.ID("csv-file"), []string{good}),
		chromedp.Click(chromedp.ID("preview")), chromedp.WaitVisible(chromedp.ID("commit")))
	b.step("05-import-done", chromedp.Click(chromedp.ID("commit")), chromedp.WaitVisible(chromedp.ID("import-summary")))
	if got := b.text("#import-summary"); !strings.Contains(got, "Created 2") {
		t.Fatalf("import: %s", got)
	}
	b.noSideScroll("05-import-done")
	// A reload after the POST is a GET of the same page: nothing again.
	b.step("05b-import-reloaded", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("upload-form")))
	if b.present("#import-summary") || b.present("#commit-form") {
		t.Fatal("the reload showed the import again")
	}

	// 3,000 rows: over the old re-posted form's 256 KiB, now by upload id.
	var big strings.Builder
	big.WriteString("name,email,phone,carrier,status,locale\n")
	for i := range 3000 {
		fmt.Fprintf(&big, "Crew Member Number %04d With A Longer Name,crew.member.number.%04d@demo.example,,,active,en\n", i, i)
	}
	if big.Len() <= 256<<10 {
		t.Fatalf("the big file is only %d bytes", big.Len())
	}
	bigFile := writeFile(t, g.dir, "crew-3000.csv", big.String())
	b.step("05c-import-3000-preview", chromedp.Navigate(base+"/admin/import"), chromedp.WaitVisible(chromedp.ID("upload-form")),
		chromedp.SetUploadFiles(chromedp.ID("csv-file"), []string{bigFile}),
		chromedp.Click(chromedp.ID("preview")), chromedp.WaitVisible(chromedp.ID("commit")))
	if got := b.text("#import-preview"); !strings.Contains(got, "Would create 3000") {
		t.Fatalf("3000 preview: %s", got)
	}
	b.noSideScroll("05c-import-3000-preview")
	b.step("05d-import-3000-done", chromedp.Click(chromedp.ID("commit")), chromedp.WaitVisible(chromedp.ID("import-summary")))
	if got := b.text("#import-summary"); !strings.Contains(got, "Created 3000") {
		t.Fatalf("3000 import: %s", got)
	}
	b.step("05e-import-3000-reloaded", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("upload-form")))

	b.step("06-carrier-test-accepted", chromedp.Navigate(base+"/admin/carriers"),
		chromedp.Click(chromedp.CSS(`#carriers a[href="/admin/carriers/verizon"]`)),
		chromedp.WaitVisible(chromedp.ID("test-form")),
		chromedp.SendKeys(chromedp.ID("test-phone"), "(201) 555-0123"),
		chromedp.SendKeys(chromedp.ID("test-message"), "Test from dispatch"),
		chromedp.Click(chromedp.ID("send-test")),
		chromedp.WaitVisible(chromedp.ID("test-result")))
	if got := b.text("#test-result"); !strings.Contains(got, "Accepted") || !strings.Contains(got, "2015550123@vtext.com") ||
		!strings.Contains(got, "250") {
		t.Fatalf("carrier test: %s", got)
	}
	mailSrv.Reject("2015550199@vtext.com", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Recipient address rejected"})
	b.step("07-carrier-test-refused", chromedp.SetValue(chromedp.ID("test-phone"), "(201) 555-0199"),
		chromedp.Click(chromedp.ID("send-test")),
		chromedp.WaitVisible(chromedp.CSS(".result.refused")))
	if got := b.text("#test-result"); !strings.Contains(got, "550 5.1.1") || !strings.Contains(got, "Recipient address rejected") {
		t.Fatalf("refused test: %s", got)
	}

	b.step("08-failed-deliveries", chromedp.Navigate(base+"/admin/failed"), chromedp.WaitVisible(chromedp.ID("failed")))
	if got := b.text("#failed"); !strings.Contains(got, "Dana Reyes") || !strings.Contains(got, "550 5.1.1") {
		t.Fatalf("failed deliveries: %s", got)
	}
	b.noSideScroll("08-failed-deliveries")
	// On a phone: cards, with Retry and Set password on the screen.
	phonePages := []string{"/admin/failed", "/admin/personnel", "/admin/overview", "/admin/import", "/admin/carriers",
		"/admin/routes", "/admin/log", "/admin/settings"}
	for i, p := range phonePages {
		name := fmt.Sprintf("08p%d-phone%s", i, strings.ReplaceAll(p, "/", "-"))
		b.step(name, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
			chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("main h1")))
		b.noSideScroll(name)
	}
	b.step("08q-failed-phone-actions", chromedp.Navigate(base+"/admin/failed"),
		chromedp.WaitVisible(chromedp.CSS(`#failed button[id^="retry-"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#failed a[href$="#password"]`)))
	b.step("08r-back-to-tablet", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(base+"/admin/failed"),
		chromedp.WaitVisible(chromedp.ID("failed")))
	const chosen = "harbor-crane-lantern-5"
	b.step("09-password-set", chromedp.Click(chromedp.CSS(`#failed a[href$="#password"]`)),
		chromedp.WaitVisible(chromedp.ID("password-form")),
		chromedp.SendKeys(chromedp.ID("new-password"), chosen),
		// "Must change" is ticked already: the tenant's default is on.
		chromedp.Click(chromedp.ID("set-password-step")),
		chromedp.WaitVisible(chromedp.ID("set-password")),
		chromedp.Click(chromedp.ID("set-password")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if got := b.text("p.notice"); !strings.Contains(got, "Password set") {
		t.Fatalf("set password: %s", got)
	}
	b.step("09b-password-set-reloaded", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("password-form")))
	code, m := g.call("POST", "/v1/login", map[string]any{"email": "dana@demo.invalid", "password": chosen, "tenant": "demo"})
	if code != 200 || m["must_change"] != true {
		t.Fatalf("login with the password set by hand: %d %v", code, m)
	}
	// A generated password is shown once; a reload neither shows it nor
	// sets another (the one shown keeps working).
	b.step("09c-password-generated", chromedp.Click(chromedp.ID("mode-generate")), chromedp.Click(chromedp.ID("set-password-step")),
		chromedp.WaitVisible(chromedp.ID("set-password")), chromedp.Click(chromedp.ID("set-password")),
		chromedp.WaitVisible(chromedp.ID("generated-password")))
	generated := b.text("#generated-password")
	b.step("09d-password-generated-reloaded", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("password-form")))
	if b.present("#generated-password") {
		t.Fatal("a reload showed the generated password again")
	}
	code, m = g.call("POST", "/v1/login", map[string]any{"email": "dana@demo.invalid", "password": generated, "tenant": "demo"})
	if code != 200 {
		t.Fatalf("login with the generated password after the reload: %d %v", code, m)
	}
	// Dana's item has left the queue and is listed as resolved.
	b.step("09e-failed-resolved", chromedp.Navigate(base+"/admin/failed?show=resolved"), chromedp.WaitVisible(chromedp.ID("failed")))
	if got := b.text("#failed"); !strings.Contains(got, "Dana Reyes") || !strings.Contains(got, "password set by hand") {
		t.Fatalf("resolved: %s", got)
	}

	b.step("10-route-health", chromedp.Navigate(base+"/admin/routes"), chromedp.WaitVisible(chromedp.ID("people-at-risk")))
	b.step("11-settings", chromedp.Navigate(base+"/admin/settings"), chromedp.WaitVisible(chromedp.ID("allow-mobile-reset")))

	downloads := t.TempDir()
	dctx, dcancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer dcancel()
	progress := chromedp.BrowserEvents(dctx, browser.DownloadProgress)
	b.step("12-log-security", chromedp.Navigate(base+"/admin/log?preset=security"), chromedp.WaitVisible(chromedp.ID("events")),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			yes := true
			_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &yes})
			return err
		}),
		chromedp.Click(chromedp.ID("export-csv")))
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			file = filepath.Join(downloads, ev.GUID)
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("the CSV download was canceled")
		}
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) < 2 || recs[0][1] != "at" {
		t.Fatalf("exported CSV: %v %v", err, recs)
	}
	byType := map[string]string{}
	count := map[string]int{}
	for _, r := range recs[1:] {
		byType[r[6]] = r[4]
		count[r[6]]++
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Fatalf("formula-like cell %q", cell)
			}
		}
	}
	if byType["password_set"] != admin || byType["admin_login"] != admin || byType["personnel_imported"] != admin {
		t.Fatalf("security log by type → actor: %v", byType)
	}
	// Each POST acted once, whatever the reloads: two imports, two
	// passwords set (entered, generated).
	if count["personnel_imported"] != 2 || count["password_set"] != 2 {
		t.Fatalf("actions in the log: %v", count)
	}
	if err := os.WriteFile(filepath.Join(b.shots, "events.csv"), mustRead(t, file), 0o644); err == nil {
		t.Logf("exported log: %s", filepath.Join(b.shots, "events.csv"))
	}

	b.step("13-overview-phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(base+"/admin/overview"), chromedp.WaitVisible(chromedp.ID("stat-requests")))

	logs := g.output()
	for _, secret := range []string{chosen, adminPass, generated} {
		if strings.Contains(logs, secret) {
			t.Fatalf("a password reached the output: %.4q…", secret)
		}
	}
}

// needChromium returns the Chromium the console's browser tests drive;
// without one they skip, except in CI, where a missing browser fails.
func needChromium(t *testing.T) string {
	t.Helper()
	chromium := chromiumPath()
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is missing: .ci/run installs it (apt-get install chromium)")
		}
		t.Skip("no chromium (/usr/bin/chromium or RESETGW_CHROMIUM): apt-get install chromium to run the browser tests")
	}
	return chromium
}

// newBrowser starts a headless Chromium with a profile of its own and
// returns its context, bounded by timeout for the whole walk (the
// browser ends with it, and at the test's end).
func newBrowser(t *testing.T, chromium string, timeout time.Duration) context.Context {
	t.Helper()
	actx, acancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true))...)
	bctx, bcancel := chromedp.NewContext(actx)
	bctx, tcancel := context.WithTimeout(bctx, timeout)
	t.Cleanup(func() { tcancel(); bcancel(); acancel() })
	return bctx
}

func chromiumPath() string {
	for _, p := range []string{os.Getenv("RESETGW_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// artifactsDir is $RESETGW_ARTIFACTS, else artifacts/console at the
// repository root (ignored by git); CI keeps it.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("RESETGW_ARTIFACTS")
	if dir == "" {
		root, err := filepath.Abs("../..")
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "artifacts", "console")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	t.Logf("screenshot: %s", path)
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
