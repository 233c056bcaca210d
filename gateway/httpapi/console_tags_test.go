package httpapi_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
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
