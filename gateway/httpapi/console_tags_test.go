package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// The person page edits a person's tags (what bulk actions select by):
// saved normalized, a bad tag shown beside its field with what was typed
// kept, and a form without the field leaves the tags as they were.
func TestConsolePersonTags(t *testing.T) {
	h := newPublicHarness(t)
	h.admin("office@acme.example", "")
	id := h.personID(`{"name":"Ana Ruiz","email":"ana@acme.example","tags":["fall-2026"]}`)
	path := "/admin/personnel/" + strconv.FormatInt(id, 10)
	b := h.browser()
	csrf := b.login("office@acme.example", adminPW)
	form := func(tags *string) url.Values {
		v := url.Values{"_csrf": {csrf}, "name": {"Ana Ruiz"}, "email": {"ana@acme.example"}, "status": {"active"},
			"locale": {"en"}, "mobile_access": {"1"}, "allow_mobile_reset": {"1"}}
		if tags != nil {
			v.Set("tags", *tags)
		}
		return v
	}
	ptr := func(s string) *string { return &s }
	for _, tc := range []struct {
		name   string
		tags   *string
		shown  string // the field's value on the page after the save
		errors bool
	}{
		{"shown", nil, `value="fall-2026"`, false},
		{"saved sorted", ptr("spring-2027; crew-a"), `value="crew-a;spring-2027"`, false},
		{"bad tag kept as typed", ptr("crew-a;no spaces!"), `value="crew-a;no spaces!"`, true},
		{"a form without the field keeps them", nil, `value="crew-a;spring-2027"`, false},
		{"cleared", ptr(""), `name="tags" value=""`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "shown" {
				code, _, resp := b.do("POST", path, form(tc.tags))
				if code != http.StatusSeeOther || resp.Header.Get("Location") != path {
					t.Fatalf("save: %d %s", code, resp.Header.Get("Location"))
				}
			}
			_, page, _ := b.do("GET", path, nil)
			if !strings.Contains(page, tc.shown) {
				i := strings.Index(page, `name="tags"`)
				t.Fatalf("want %s on the page, have %.200s", tc.shown, page[max(i-20, 0):])
			}
			if got := strings.Contains(page, `id="err-tags"`); got != tc.errors {
				t.Fatalf("tag error shown: %v, want %v", got, tc.errors)
			}
		})
	}
}

// The personnel list filters by tag: the tenant's own tags offered with
// their counts, the pager keeping the filter, a tag nobody carries said
// so, and a tag that cannot be one answered at its field with a 400.
func TestConsolePersonnelTagFilter(t *testing.T) {
	h := newHarness(t, token)
	if _, err := h.svc.EnsureTenant(context.Background(), "beta", "Beta"); err != nil {
		t.Fatal(err)
	}
	h.admin("office@acme.example", gateway.DefaultSlug)
	for i := range 55 {
		h.personID(fmt.Sprintf(`{"name":"Crew %02d","email":"crew%02d@acme.example","tags":["crew-a"]}`, i, i))
	}
	for i := range 3 {
		h.personID(fmt.Sprintf(`{"name":"Spring %d","email":"spring%d@acme.example","tags":["spring-2027"]}`, i, i))
	}
	h.personID(`{"tenant":"beta","name":"Beta One","email":"one@beta.example","tags":["crew-a","beta-only"]}`)
	b := h.browser()
	b.login("office@acme.example", adminPW)

	_, page, _ := b.do("GET", "/admin/personnel", nil)
	for _, want := range []string{`<select name="tag" id="tag-filter">`, `<option value="crew-a">crew-a (55)</option>`,
		`<option value="spring-2027">spring-2027 (3)</option>`, `<a class="tag" href="/admin/personnel?tag=crew-a">crew-a</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("personnel page lacks %s", want)
		}
	}
	if strings.Contains(page, "beta-only") {
		t.Error("another tenant's tag is offered")
	}

	code, page, _ := b.do("GET", "/admin/personnel?tag=crew-a", nil)
	if code != 200 || !strings.Contains(page, "1–50 of 55") || strings.Contains(page, "Spring 0") ||
		!strings.Contains(page, `<option value="crew-a" selected>`) || !strings.Contains(page, `id="tag-active"`) {
		t.Fatalf("filtered: %d\n%.3000s", code, page)
	}
	next := `href="/admin/personnel?tag=crew-a&amp;offset=50"`
	if !strings.Contains(page, next) {
		t.Fatalf("the next page drops the filter:\n%s", page[strings.Index(page, `class="pager"`):])
	}
	_, page, _ = b.do("GET", "/admin/personnel?tag=crew-a&offset=50", nil)
	if !strings.Contains(page, "51–55 of 55") || !strings.Contains(page, `href="/admin/personnel?tag=crew-a&amp;offset=0"`) {
		t.Fatalf("second page:\n%.3000s", page)
	}
	// Search and tag together; capitals and spaces in a hand-typed tag.
	_, page, _ = b.do("GET", "/admin/personnel?q=crew+07&tag=+CREW-A+", nil)
	if !strings.Contains(page, "1–1 of 1") || !strings.Contains(page, "Crew 07") {
		t.Fatalf("search within a tag:\n%.3000s", page)
	}
	_, page, _ = b.do("GET", "/admin/personnel?tag=spring-2027&q=crew", nil)
	if !strings.Contains(page, "Nobody tagged spring-2027 matches") {
		t.Fatalf("no match within a tag:\n%.3000s", page)
	}
	code, page, _ = b.do("GET", "/admin/personnel?tag=beta-only", nil)
	if code != 200 || !strings.Contains(page, "Nobody has the tag beta-only.") || strings.Contains(page, "Beta One") {
		t.Fatalf("another tenant's tag: %d\n%.3000s", code, page)
	}
	for _, bad := range []string{"no%20spaces!", "%3Cscript%3E", strings.Repeat("a", 40)} {
		code, page, _ = b.do("GET", "/admin/personnel?tag="+bad, nil)
		if code != http.StatusBadRequest || !strings.Contains(page, `id="err-tag"`) || !strings.Contains(page, "lower-case letters") ||
			strings.Contains(page, `id="people"`) || strings.Contains(page, "<script>") {
			t.Fatalf("bad tag %q: %d\n%.3000s", bad, code, page)
		}
	}
}
