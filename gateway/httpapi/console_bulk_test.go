package httpapi_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestConsoleBulk: the preview names who changes, the start needs the
// confirmation step's confirm=yes and the count it showed (server-side),
// the job page refreshes itself while running and shows done after, a
// cancel is a POST then 303, and another tenant's admin sees none of it.
func TestConsoleBulk(t *testing.T) {
	h := newHarness(t, token)
	h.do("POST", "/admin/api/tenants", `{"slug":"hvac","name":"HVAC Co"}`, true)
	h.admin("ops@acme.example", "")
	h.admin("boss@hvac.example", "hvac")
	for i := range 3 {
		h.personID(fmt.Sprintf(`{"name":"Crew %d","email":"crew%d@acme.example","tags":["spring-2027"]}`, i, i))
	}
	b := h.browser()
	tok := b.login("ops@acme.example", adminPW)
	code, page, _ := b.do("GET", "/admin/bulk?action=reset&tag=spring-2027", nil)
	if code != 200 || !strings.Contains(page, "3 people") || !strings.Contains(page, "crew2@acme.example") || !strings.Contains(page, `id="bulk-yes"`) {
		t.Fatalf("preview: %d\n%s", code, page)
	}
	form := url.Values{"_csrf": {tok}, "action": {"reset"}, "tag": {"spring-2027"}, "count": {"3"}}
	// Without the confirmation the POST only goes back to the preview.
	code, _, resp := b.do("POST", "/admin/bulk", form)
	if code != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/bulk?") {
		t.Fatalf("unconfirmed: %d %s", code, resp.Header.Get("Location"))
	}
	form.Set("confirm", "yes")
	form.Set("count", "2")
	if code, _, resp = b.do("POST", "/admin/bulk", form); code != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/bulk?") {
		t.Fatalf("stale count: %d %s", code, resp.Header.Get("Location"))
	}
	if _, page, _ = b.do("GET", resp.Header.Get("Location"), nil); !strings.Contains(page, "not what the preview showed") {
		t.Fatalf("stale count not explained:\n%s", page)
	}
	if len(h.email.Messages()) != 0 {
		t.Fatal("an unconfirmed bulk reset sent mail")
	}
	form.Set("count", "3")
	code, _, resp = b.do("POST", "/admin/bulk", form)
	job := resp.Header.Get("Location")
	if code != 303 || !regexp.MustCompile(`^/admin/bulk/bj_[0-9a-z]+$`).MatchString(job) {
		t.Fatalf("confirmed: %d %s", code, job)
	}
	code, page, _ = b.do("GET", job, nil)
	if code != 200 || !strings.Contains(page, `http-equiv="refresh"`) || !strings.Contains(page, `<progress id="bulk-progress" max="3" value="0">`) {
		t.Fatalf("running job page: %d\n%s", code, page)
	}
	boss := h.browser()
	btok := boss.login("boss@hvac.example", adminPW)
	if code, _, _ := boss.do("GET", job, nil); code != 404 {
		t.Fatalf("another tenant's admin sees the job: %d", code)
	}
	if code, _, _ := boss.do("POST", job+"/cancel", url.Values{"_csrf": {btok}}); code != 404 {
		t.Fatalf("another tenant's admin cancels the job: %d", code)
	}
	if _, page, _ := boss.do("GET", "/admin/bulk?action=reset&tag=spring-2027", nil); !strings.Contains(page, "0 people") || strings.Contains(page, "crew0@") {
		t.Fatalf("another tenant's preview reaches acme's crew:\n%s", page)
	}
	h.drain()
	code, page, _ = b.do("GET", job, nil)
	if code != 200 || strings.Contains(page, `http-equiv="refresh"`) || !strings.Contains(page, `value="3"`) ||
		!strings.Contains(page, `id="bulk-state">done`) || strings.Contains(page, `id="bulk-cancel"`) {
		t.Fatalf("done job page: %d\n%s", code, page)
	}
	if len(h.email.Messages()) != 3 {
		t.Fatalf("%d mails", len(h.email.Messages()))
	}
	// A second job, cancelled from its page.
	code, _, resp = b.do("POST", "/admin/bulk", url.Values{"_csrf": {tok}, "action": {"mobile_off"}, "tag": {"spring-2027"},
		"count": {"3"}, "confirm": {"yes"}})
	if code != 303 {
		t.Fatalf("mobile_off: %d", code)
	}
	if _, page, _ = b.do("GET", resp.Header.Get("Location"), nil); !strings.Contains(page, `id="bulk-state">done`) {
		t.Fatalf("mobile_off job:\n%s", page)
	}
	code, _, resp = b.do("POST", "/admin/bulk", url.Values{"_csrf": {tok}, "action": {"mobile_on"}, "tag": {"spring-2027"},
		"count": {"3"}, "confirm": {"yes"}})
	if code != 303 {
		t.Fatalf("mobile_on: %d", code)
	}
	code, _, resp = b.do("POST", "/admin/bulk", url.Values{"_csrf": {tok}, "action": {"reset"}, "emails": {"crew0@acme.example"},
		"count": {"1"}, "confirm": {"yes"}})
	job2 := resp.Header.Get("Location")
	if code, _, resp = b.do("POST", job2+"/cancel", url.Values{"_csrf": {tok}}); code != 303 || resp.Header.Get("Location") != job2 {
		t.Fatalf("cancel: %d %s", code, resp.Header.Get("Location"))
	}
	if _, page, _ = b.do("GET", job2, nil); !strings.Contains(page, `id="bulk-state">cancelled`) || !strings.Contains(page, "1 cancelled") {
		t.Fatalf("cancelled job:\n%s", page)
	}
	if code, _, _ := b.do("POST", job2+"/cancel", url.Values{}); code != 403 {
		t.Fatalf("cancel without CSRF: %d", code)
	}
}
