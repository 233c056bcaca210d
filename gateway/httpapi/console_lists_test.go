package httpapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// The log reads as words: types by label with the code on hover, the
// person by name (linked), a list of types to filter by, one Security
// events control, and a pager with the filter's total.
func TestConsoleLogReadable(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	id := h.personID(`{"name":"José García","email":"jgarcia@acme.example","password":"original-crew-password-7",
		"phones":[{"number":"+12015550127"}]}`)
	for range 3 {
		h.do("POST", "/v1/login", `{"email":"jgarcia@acme.example","password":"wrong-password-123"}`, false)
	}
	b := h.browser()
	b.login("office@acme.example", adminPW)
	code, page, _ := b.do("GET", "/admin/log?type=login_failed", nil)
	if code != 200 {
		t.Fatalf("log: %d", code)
	}
	for _, want := range []string{
		`<span class="event-type" title="login_failed">Login failed</span>`,
		`<a href="/admin/personnel/` + strconv.FormatInt(id, 10) + `">José García</a>`,
		`<select name="type" id="type-filter">`,
		`<option value="login_failed" title="login_failed" selected>Login failed</option>`,
		`1–3 of 3`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("log page lacks %s", want)
		}
	}
	if n := strings.Count(page, "Security events"); n != 1 {
		t.Errorf("%d Security events controls, want 1", n)
	}
	if strings.Contains(page, `type="text" name="type"`) {
		t.Error("the type filter is free text")
	}
	// The person page names its events in the same words.
	_, page, _ = b.do("GET", "/admin/personnel/"+strconv.FormatInt(id, 10), nil)
	if !strings.Contains(page, `title="login_failed">Login failed</span>`) {
		t.Errorf("person page events without words:\n%.3000s", page)
	}
}

// Personnel and the log page through everything with a total, previous
// and next; search ignores accents and case.
func TestConsoleListsPaginate(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	for i := range 60 {
		h.personID(fmt.Sprintf(`{"name":"Crew %02d","email":"crew%02d@acme.example"}`, i, i))
	}
	h.personID(`{"name":"José García","email":"jg@acme.example"}`)
	b := h.browser()
	b.login("office@acme.example", adminPW)
	_, page, _ := b.do("GET", "/admin/personnel", nil)
	if !strings.Contains(page, "1–50 of 61") || !strings.Contains(page, `rel="next" href="/admin/personnel?offset=50"`) ||
		strings.Contains(page, `rel="prev"`) {
		t.Fatalf("first page:\n%s", pagerOf(page))
	}
	_, page, _ = b.do("GET", "/admin/personnel?offset=50", nil)
	if !strings.Contains(page, "51–61 of 61") || !strings.Contains(page, `rel="prev" href="/admin/personnel?offset=0"`) ||
		strings.Contains(page, `rel="next"`) {
		t.Fatalf("last page:\n%s", pagerOf(page))
	}
	for _, q := range []string{"garcia", "GARCÍA", "jose"} {
		_, page, _ = b.do("GET", "/admin/personnel?q="+q, nil)
		if !strings.Contains(page, "José García") || !strings.Contains(page, "1–1 of 1") {
			t.Errorf("search %q:\n%s", q, pagerOf(page))
		}
	}
	_, page, _ = b.do("GET", "/admin/log?type=person_created", nil)
	if !strings.Contains(page, "1–50 of 61") || !strings.Contains(page, `rel="next" href="/admin/log?type=person_created&amp;offset=50"`) {
		t.Fatalf("log pager:\n%s", pagerOf(page))
	}
	_, page, _ = b.do("GET", "/admin/log?type=person_created&offset=50", nil)
	if !strings.Contains(page, "51–61 of 61") || strings.Count(page, `class="event-type"`) != 11 {
		t.Fatalf("log last page:\n%s", pagerOf(page))
	}
}

func pagerOf(page string) string {
	i := strings.Index(page, `class="pager"`)
	if i < 0 {
		return "no pager in:\n" + page[:min(len(page), 2000)]
	}
	return page[i:min(len(page), i+400)]
}

// The person page: phones as people write them, each reset with every
// channel's outcome in words, and the person's failed-delivery item.
func TestConsolePersonPageHistory(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	id := h.personID(`{"name":"Bo Lind","email":"bo@acme.example","phones":[{"number":"+12015550127"},{"number":"+442079460958","type":"work"}]}`)
	h.email.Fail(&gateway.SendError{Code: "550 5.1.1", Detail: "no such user"})
	h.sms.Fail(&gateway.SendError{Code: "21211", Detail: "invalid To"})
	h.do("POST", "/v1/password-resets", `{"email":"bo@acme.example","phone":"+12015550127"}`, false)
	h.drain()
	b := h.browser()
	b.login("office@acme.example", adminPW)
	code, page, _ := b.do("GET", "/admin/personnel/"+strconv.FormatInt(id, 10), nil)
	if code != http.StatusOK {
		t.Fatalf("person: %d", code)
	}
	for _, want := range []string{"(201) 555-0127", "&#43;44 20 7946 0958", `id="delivery-history"`,
		"Not delivered: the old password still works", "Not delivered: 550 5.1.1 no such user", "Not delivered: 21211 invalid To",
		`id="person-failed"`, "Latest failed reset"} {
		if !strings.Contains(page, want) {
			t.Errorf("person page lacks %q in\n%s", want, page[strings.Index(page, "<main>"):])
		}
	}
}
