package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

const awsSecret = "wJalrXUtnFEMIconsoleKEYexample00000000000"

// chainOf is the tenant's saved chain, secrets included.
func chainOf(t *testing.T, h *harness) []gateway.SMSRoute {
	t.Helper()
	tn, err := h.svc.Tenant(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return tn.SMSRoutes
}

func kinds(rs []gateway.SMSRoute) string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r.Kind))
	}
	return strings.Join(out, ",")
}

// TestConsoleAWSRouteForm: the settings page adds an aws route at the
// place asked, shows it in the chain with its place, keeps its secret
// when the form leaves it empty, never renders the secret, shows a refused
// field's error in words beside the field with what was typed, moves it
// and removes it.
func TestConsoleAWSRouteForm(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	b := h.browser()
	tok := b.login("office@acme.example", adminPW)
	_, page, _ := b.do("GET", "/admin/settings", nil)
	if !strings.Contains(page, `id="sms-route-list"`) || !strings.Contains(page, `id="aws-form"`) ||
		!strings.Contains(page, "uses the gateway's default ones") {
		t.Fatalf("no SMS routes card:\n%.2000s", page)
	}
	post := func(path string, form url.Values) string {
		t.Helper()
		form.Set("_csrf", tok)
		code, body, resp := b.do("POST", path, form)
		if code != http.StatusSeeOther {
			t.Fatalf("%s: %d %.400s", path, code, body)
		}
		_, page, _ := b.do("GET", strings.SplitN(resp.Header.Get("Location"), "#", 2)[0], nil)
		return page
	}
	aws := func(kv ...string) url.Values {
		v := url.Values{"region": {"us-east-1"}, "origination_identity": {"+12015550100"}, "access_key_id": {"AKIACONSOLE0000TEST"},
			"secret_access_key": {awsSecret}, "configuration_set": {"resets"}, "place": {"1"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	// A refused field: its words beside it, what was typed kept, the
	// secret typed not echoed.
	page = post("/admin/settings/sms-routes/aws", aws("region", "Virginia"))
	if m := regexp.MustCompile(`id="err-region">([^<]+)<`).FindStringSubmatch(page); m == nil ||
		m[1] != "Region must be an AWS region name such as us-east-1." {
		t.Fatalf("region error not beside its field:\n%s", page)
	}
	if !strings.Contains(page, `value="Virginia"`) || !strings.Contains(page, `value="AKIACONSOLE0000TEST"`) || strings.Contains(page, awsSecret) {
		t.Fatal("the refused form lost what was typed, or echoed the secret")
	}
	if kinds(chainOf(t, h)) != "" {
		t.Fatalf("refused form saved: %s", kinds(chainOf(t, h)))
	}
	for _, tc := range []struct{ field, value, err string }{
		{"origination_identity", "", "err-origination_identity"},
		{"access_key_id", "akia-lower", "err-access_key_id"},
		{"secret_access_key", "short", "err-secret_access_key"},
		{"endpoint", "ftp://x.example", "err-endpoint"},
		{"configuration_set", "a b", "err-configuration_set"},
		{"place", "first", "err-place"},
	} {
		if page := post("/admin/settings/sms-routes/aws", aws(tc.field, tc.value)); !strings.Contains(page, `id="`+tc.err+`"`) {
			t.Errorf("%s=%q: no error at its field", tc.field, tc.value)
		}
	}
	// Saved at place 1 ahead of the default chain's links.
	page = post("/admin/settings/sms-routes/aws", aws())
	if got := kinds(chainOf(t, h)); got != "aws,twilio,carrier" {
		t.Fatalf("chain %s", got)
	}
	if strings.Contains(page, awsSecret) || !strings.Contains(page, `id="aws-secret-set"`) ||
		!strings.Contains(page, `id="sms-route-1"`) || !strings.Contains(page, "us-east-1 &#43;12015550100") {
		t.Fatalf("saved route not shown as set, or secret shown:\n%s", page)
	}
	// Edited without the secret: kept; moved to place 2.
	page = post("/admin/settings/sms-routes/aws", aws("secret_access_key", "", "region", "us-west-2", "place", "2"))
	ch := chainOf(t, h)
	if kinds(ch) != "twilio,aws,carrier" || ch[1].Region != "us-west-2" || ch[1].SecretAccessKey != awsSecret {
		t.Fatalf("edit: %s %+v", kinds(ch), ch[1])
	}
	// Up and down, checked against the kind the page showed.
	post("/admin/settings/sms-routes/move", url.Values{"link": {"2"}, "kind": {"aws"}, "dir": {"down"}})
	if got := kinds(chainOf(t, h)); got != "twilio,carrier,aws" {
		t.Fatalf("after down: %s", got)
	}
	page = post("/admin/settings/sms-routes/remove", url.Values{"link": {"1"}, "kind": {"aws"}})
	if got := kinds(chainOf(t, h)); got != "twilio,carrier,aws" || !strings.Contains(page, "changed since this page was shown") {
		t.Fatalf("a stale remove was applied: %s", got)
	}
	post("/admin/settings/sms-routes/remove", url.Values{"link": {"1"}, "kind": {"twilio"}})
	if got := kinds(chainOf(t, h)); got != "carrier,aws" {
		t.Fatalf("after removing twilio: %s", got)
	}
	post("/admin/settings/sms-routes/aws", url.Values{"remove": {"1"}})
	if got := kinds(chainOf(t, h)); got != "carrier" {
		t.Fatalf("after removing aws: %s", got)
	}
	// The API shows what the console saved, without the secret.
	_, m, _ := h.do("GET", "/admin/api/settings", "", true)
	if rs, _ := m["sms_routes"].([]any); len(rs) != 1 {
		t.Fatalf("API chain %v", m["sms_routes"])
	}
}

// TestConsoleTestsEachRoute: the settings page's route test tests the
// route chosen (the second webhook, not the first), or every route in
// order, each result in words with its failure class and fix.
func TestConsoleTestsEachRoute(t *testing.T) {
	h, a, bHook := twoHooks(t)
	h.admin("office@acme.example", "")
	b := h.browser()
	tok := b.login("office@acme.example", adminPW)
	_, page, _ := b.do("GET", "/admin/settings", nil)
	for _, want := range []string{`<option value="1">#1 Webhook (` + a.URL, `<option value="2">#2 Webhook (` + bHook.URL} {
		if !strings.Contains(page, want) {
			t.Fatalf("no %q in the test's choices:\n%s", want, page)
		}
	}
	test := func(link string) string {
		t.Helper()
		code, _, _ := b.do("POST", "/admin/settings/sms-routes/test", url.Values{"_csrf": {tok}, "phone": {"(201) 555-0123"}, "link": {link}})
		if code != http.StatusSeeOther {
			t.Fatalf("test: %d", code)
		}
		_, page, _ := b.do("GET", "/admin/settings", nil)
		return page
	}
	page = test("2")
	if len(bHook.Texts()) != 1 || len(a.Texts()) != 0 || !strings.Contains(page, `id="route-result-2"`) || strings.Contains(page, `id="route-result-1"`) {
		t.Fatalf("link 2: A %d, B %d\n%s", len(a.Texts()), len(bHook.Texts()), page)
	}
	bHook.SetStatus(401)
	page = test("")
	results := regexp.MustCompile(`id="route-result-(\d)"`).FindAllStringSubmatch(page, -1)
	if len(results) != 3 || results[0][1] != "1" || results[1][1] != "2" || results[2][1] != "3" {
		t.Fatalf("results %v:\n%s", results, page)
	}
	second := page[strings.Index(page, `id="route-result-2"`):]
	second = second[:strings.Index(second, "</li>")]
	if !strings.Contains(second, "not delivered") || !strings.Contains(second, "Failure: ") || strings.Contains(second, secretB) {
		t.Errorf("second webhook's refusal not in words:\n%s", second)
	}
	// The carrier link through the carrier chosen: the number is on
	// nobody's record here.
	if !strings.Contains(page, `id="route-test-carrier"`) {
		t.Fatal("no carrier choice for the carrier link's test")
	}
	b.do("POST", "/admin/settings/sms-routes/test", url.Values{"_csrf": {tok}, "phone": {"(201) 555-0123"}, "link": {"3"}, "carrier": {"verizon"}})
	_, page, _ = b.do("GET", "/admin/settings", nil)
	if third := page[strings.Index(page, `id="route-result-3"`):]; !strings.Contains(third[:strings.Index(third, "</li>")], "accepted") ||
		!strings.Contains(page, `<option value="verizon" selected>`) {
		t.Errorf("carrier link through verizon not accepted:\n%s", page)
	}
	for _, s := range []string{secretA, secretB} {
		if strings.Contains(page, s) {
			t.Fatal("a webhook secret is on the page")
		}
	}
}
