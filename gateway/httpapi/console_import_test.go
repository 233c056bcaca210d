package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A preview of a 5,000-row file shows a page of rows at a time, with the
// file's totals and the rows to fix first; the confirmation still imports
// every row it previewed.
func TestConsoleImportPreviewPaged(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	b := h.browser()
	tok := b.login("office@acme.example", adminPW)
	csv := func(rows int, bad ...int) []byte {
		var sb strings.Builder
		sb.WriteString("name,email,phone\n")
		isBad := map[int]bool{}
		for _, r := range bad {
			isBad[r] = true
		}
		for i := range rows {
			phone := ""
			if isBad[i] {
				phone = "not-a-phone"
			}
			fmt.Fprintf(&sb, "Crew %04d,crew%04d@acme.example,%s\n", i, i, phone)
		}
		return []byte(sb.String())
	}
	upload := func(body []byte) string {
		t.Helper()
		code, _, resp := b.upload(tok, "crew.csv", body)
		loc := resp.Header.Get("Location")
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/import?upload=") {
			t.Fatalf("upload: %d %s", code, loc)
		}
		return strings.TrimPrefix(loc, "/admin/import?upload=")
	}
	rowsOn := func(page string) int {
		i := strings.Index(page, `id="import-rows"`)
		if i < 0 {
			return 0
		}
		return strings.Count(page[i:], `<td data-label="Row"`)
	}

	// Two bad rows far down the file come first.
	id := upload(csv(300, 250, 299))
	_, page, _ := b.do("GET", "/admin/import?upload="+id, nil)
	if n := rowsOn(page); n != 100 || !strings.Contains(page, "1–100 of 300") ||
		!strings.Contains(page, "300 row(s) in the file") || !strings.Contains(page, "2 with a problem") {
		t.Fatalf("preview with errors: %d rows\n%.4000s", n, page[strings.Index(page, "<main>"):])
	}
	first := page[strings.Index(page, `id="import-rows"`):]
	if i, j := strings.Index(first, ">252<"), strings.Index(first, ">301<"); i < 0 || j < 0 || i > j ||
		strings.Index(first, ">2<") < j {
		t.Fatalf("the rows in error are not first:\n%.3000s", first)
	}

	id = upload(csv(5000))
	code, page, _ := b.do("GET", "/admin/import?upload="+id, nil)
	if n := rowsOn(page); code != 200 || n != 100 || !strings.Contains(page, "1–100 of 5,000") ||
		!strings.Contains(page, "Would create 5000") {
		t.Fatalf("preview of 5,000: %d, %d rows\n%.3000s", code, n, page[strings.Index(page, "<main>"):])
	}
	next := `href="/admin/import?upload=` + id + `&amp;offset=100"`
	if !strings.Contains(page, next) {
		t.Fatalf("no next page link %s", next)
	}
	_, page, _ = b.do("GET", "/admin/import?upload="+id+"&offset=4900", nil)
	if n := rowsOn(page); n != 100 || !strings.Contains(page, "4,901–5,000 of 5,000") || !strings.Contains(page, ">5001<") {
		t.Fatalf("last page: %d rows\n%.2000s", n, page[strings.Index(page, "<main>"):])
	}
	if _, page, _ = b.do("GET", "/admin/import?upload="+id+"&offset=99999", nil); !strings.Contains(page, "1–100 of 5,000") {
		t.Fatalf("an offset past the end: %.2000s", page[strings.Index(page, "<main>"):])
	}
	// Confirmed from a later page: every row goes in, not the page shown.
	if code, _, _ := b.do("POST", "/admin/import", url.Values{"_csrf": {tok}, "upload": {id}, "confirm": {"yes"}}); code != http.StatusSeeOther {
		t.Fatalf("commit: %d", code)
	}
	if _, page, _ = b.do("GET", "/admin/personnel", nil); !strings.Contains(page, "1–50 of 5,000") {
		t.Fatalf("after the import: %.2000s", page[strings.Index(page, "<main>"):])
	}
}
