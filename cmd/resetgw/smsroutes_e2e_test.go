package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/resetgw/resetgw/carriers/aws/awstest"
	"github.com/resetgw/resetgw/carriers/webhook/webhooktest"
)

// TestSMSRoutesConsoleInChromium: an operator adds an aws route to the
// demo company's chain from the settings page (a bad region first, its
// error in words beside the field), sees it listed at its place with its
// secret shown only as set, then tests every route of a chain that holds
// two webhooks: each link's result comes back in order, in words, with
// its failure class and fix, and the test of one webhook reaches that
// webhook only. The secret access key is in no page and no log line.
func TestSMSRoutesConsoleInChromium(t *testing.T) {
	const keyID, secret = "AKIAE2ECONSOLE00TEST", "wJalrXUtnFEMIe2eBrowserKEY0000000000000"
	const hookSecret = "whsec-browser-walk-0123456789abcdef"
	awsSrv := awstest.New(t, keyID)
	// The first webhook's certificate is httptest's own, which the
	// gateway does not trust; the second listens nowhere.
	hook := webhooktest.New(t, hookSecret)
	nowhere := "https://" + freeAddr(t) + "/send"
	g := startConsoleGW(t, consoleOptions{})
	const op, opPass = "routes@gateway.example", "operator-route-ladder-2026"
	g.createAdmin(opPass, "--email", op)
	chain := []map[string]any{{"kind": "webhook", "url": hook.URL + "/send", "secret": hookSecret},
		{"kind": "webhook", "url": nowhere, "secret": hookSecret}, {"kind": "carrier"}}
	if code, m := g.call("PATCH", "/admin/api/settings?tenant=demo", map[string]any{"sms_routes": chain}); code != 200 {
		t.Fatalf("chain: %d %v", code, m)
	}

	b := g.browse(3 * time.Minute)
	settings := g.base + "/admin/settings?tenant=demo"
	b.signIn("60-routes-operator", op, opPass, "main h1", chromedp.EmulateViewport(1024, 768))
	b.step("61-sms-routes", chromedp.Navigate(settings+"#sms-routes"), chromedp.WaitVisible(chromedp.ID("sms-route-list")))
	if got := b.text("#sms-route-list"); !strings.Contains(got, "1") || !strings.Contains(got, hook.URL) || !strings.Contains(got, "Carrier email-to-SMS gateway") {
		t.Fatalf("chain list: %s", got)
	}
	fill := func(region string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.ID("aws-region"), region),
			chromedp.SetValue(chromedp.ID("aws-origination-identity"), "+12015550100"),
			chromedp.SetValue(chromedp.ID("aws-access-key-id"), keyID),
			chromedp.SetValue(chromedp.ID("aws-secret-access-key"), secret),
			chromedp.SetValue(chromedp.ID("aws-endpoint"), awsSrv.URL),
			chromedp.SetValue(chromedp.ID("aws-place"), "1"),
			chromedp.Click(chromedp.ID("save-aws")),
		}
	}
	b.step("62-aws-refused", append(fill("Virginia"), chromedp.WaitVisible(chromedp.ID("err-region")))...)
	if got := b.text("#err-region"); got != "Region must be an AWS region name such as us-east-1." {
		t.Fatalf("region error: %q", got)
	}
	if got := b.evalString(`document.getElementById("aws-region").value`); got != "Virginia" {
		t.Fatalf("the refused form lost what was typed: %q", got)
	}
	b.step("63-aws-saved", append(fill("us-east-1"), chromedp.WaitVisible(chromedp.ID("aws-secret-set")))...)
	if got := b.text("#sms-route-1"); !strings.Contains(got, "AWS End User Messaging") || !strings.Contains(got, "us-east-1 +12015550100") {
		t.Fatalf("aws route at place 1: %q", got)
	}
	if got := b.text("#sms-route-2"); !strings.Contains(got, "Webhook") {
		t.Fatalf("place 2: %q", got)
	}
	if strings.Contains(b.evalString(`document.documentElement.outerHTML`), secret) {
		t.Fatal("the secret access key is in the page")
	}
	b.noSideScroll("63-aws-saved")

	// Every route, in order: aws takes it, the untrusted webhook is a
	// setup failure with its fix, the unreachable one a passing failure,
	// the carrier gateway goes to the demo inbox.
	b.step("64-test-every-route", chromedp.Navigate(settings+"#route-test"), chromedp.WaitVisible(chromedp.ID("route-test-form")),
		chromedp.SetValue(chromedp.ID("route-test-phone"), "(201) 555-0123"),
		chromedp.SetValue(chromedp.ID("route-test-link"), ""),
		chromedp.Click(chromedp.ID("route-test-send")),
		chromedp.WaitVisible(chromedp.ID("route-test-results")))
	if n := b.eval(`document.querySelectorAll("#route-test-results > li").length`); n != 4 {
		t.Fatalf("%d results, want 4: %s", n, b.text("#route-test-results"))
	}
	for sel, want := range map[string][]string{
		"#route-result-1": {"#1 AWS End User Messaging: accepted"},
		"#route-result-2": {"#2 Webhook: not delivered", "Failure: setup", "Fix: give the webhook endpoint a certificate"},
		"#route-result-3": {"#3 Webhook: not delivered", "Failure: the provider or the network"},
		"#route-result-4": {"#4 Carrier email-to-SMS gateway: accepted"},
	} {
		got := b.text(sel)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", sel, got, w)
			}
		}
	}
	if n := len(awsSrv.Texts()); n != 1 {
		t.Fatalf("aws took %d texts", n)
	}
	b.noSideScroll("64-test-every-route")
	b.step("64p-test-every-route-phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("sms-route-list")))
	b.noSideScroll("64p-test-every-route-phone")

	// One route: the third link only, no text anywhere else.
	b.step("65-test-one-route", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(settings+"#route-test"),
		chromedp.WaitVisible(chromedp.ID("route-test-form")),
		chromedp.SetValue(chromedp.ID("route-test-phone"), "(201) 555-0123"),
		chromedp.SetValue(chromedp.ID("route-test-link"), "3"),
		chromedp.Click(chromedp.ID("route-test-send")),
		chromedp.WaitVisible(chromedp.ID("route-test-results")))
	if n := b.eval(`document.querySelectorAll("#route-test-results > li").length`); n != 1 || !b.present("#route-result-3") {
		t.Fatalf("one route: %s", b.text("#route-test-results"))
	}
	if n := len(awsSrv.Texts()); n != 1 {
		t.Fatalf("aws took %d texts after a test of link 3", n)
	}

	// Removed from the chain: gone from the list, the webhooks move up.
	b.step("66-aws-removed", chromedp.Navigate(settings+"#aws-route"), chromedp.WaitVisible(chromedp.ID("aws-form")),
		chromedp.Click(chromedp.ID("aws-remove")), chromedp.Click(chromedp.ID("save-aws")),
		chromedp.WaitNotPresent(chromedp.ID("aws-secret-set")))
	if got := b.text("#sms-route-1"); !strings.Contains(got, "Webhook") {
		t.Fatalf("after removing aws, place 1: %q", got)
	}
	if strings.Contains(g.output(), secret) || strings.Contains(g.output(), hookSecret) {
		t.Fatal("a route's secret reached the gateway's output")
	}
}
