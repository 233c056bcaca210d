package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Retiring a carrier and importing a file act only from their second
// step: a post without it (a forged form, an old page) changes nothing
// and leads to the step.
func TestConsoleConfirmStepsEnforced(t *testing.T) {
	h := newHarness(t, token)
	h.admin("ops@acme.example", "")
	b := h.browser()
	tok := b.login("ops@acme.example", adminPW)

	code, _, resp := b.do("POST", "/admin/carriers/verizon/retire", url.Values{"_csrf": {tok}, "retired_on": {"2027-01-15"}})
	if loc := resp.Header.Get("Location"); code != http.StatusSeeOther || loc != "/admin/carriers/verizon/retire?on=2027-01-15" {
		t.Fatalf("retire without the step: %d %s", code, loc)
	}
	_, page, _ := b.do("GET", "/admin/carriers/verizon", nil)
	if strings.Contains(page, "ends 2027-01-15") {
		t.Fatal("retired without the confirmation")
	}
	code, page, _ = b.do("GET", "/admin/carriers/verizon/retire?on=2027-01-15", nil)
	if code != 200 || !strings.Contains(page, `id="confirm-retire"`) || !strings.Contains(page, "on 2027-01-15?") {
		t.Fatalf("retire step: %d\n%.2000s", code, page)
	}
	if code, _, _ := b.do("GET", "/admin/carriers/verizon/retire?on=soon", nil); code != http.StatusBadRequest {
		t.Fatalf("bad date on the step: %d", code)
	}
	code, _, _ = b.do("POST", "/admin/carriers/verizon/retire", url.Values{"_csrf": {tok}, "retired_on": {"2027-01-15"}, "confirm": {"yes"}})
	if code != http.StatusSeeOther {
		t.Fatalf("confirmed retire: %d", code)
	}
	if _, page, _ = b.do("GET", "/admin/carriers/verizon", nil); !strings.Contains(page, "ends 2027-01-15") {
		t.Fatalf("not retired after the confirmation:\n%.1500s", page[strings.Index(page, "<main>"):])
	}

	// Import: the commit without confirm goes back to the preview, which
	// still has the upload; the confirmed one imports.
	_, _, resp = b.upload(tok, "crew.csv", crewCSV(2))
	id := strings.TrimPrefix(resp.Header.Get("Location"), "/admin/import?upload=")
	code, _, resp = b.do("POST", "/admin/import", url.Values{"_csrf": {tok}, "upload": {id}})
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/import?upload="+id {
		t.Fatalf("commit without confirm: %d %s", code, resp.Header.Get("Location"))
	}
	if n := countEvents(t, h, "personnel_imported"); n != 0 {
		t.Fatal("imported without the confirmation")
	}
	if _, page, _ = b.do("GET", "/admin/import?upload="+id, nil); !strings.Contains(page, `id="commit-form"`) {
		t.Fatalf("the preview lost its upload:\n%.1500s", page)
	}
	b.do("POST", "/admin/import", url.Values{"_csrf": {tok}, "upload": {id}, "confirm": {"yes"}})
	if n := countEvents(t, h, "personnel_imported"); n != 1 {
		t.Fatalf("%d imports after the confirmation, want 1", n)
	}
}

// The import page offers a CSV template and says what each column takes.
func TestConsoleImportTemplate(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	b := h.browser()
	b.login("office@acme.example", adminPW)
	_, page, _ := b.do("GET", "/admin/import", nil)
	for _, want := range []string{`href="/admin/import/template.csv"`, `id="column-help"`, "<code>phone_type</code>",
		"<code>(201) 555-0140</code>", "<code>verizon</code>"} {
		if !strings.Contains(page, want) {
			t.Errorf("import page lacks %s", want)
		}
	}
	code, body, resp := b.do("GET", "/admin/import/template.csv", nil)
	if code != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") ||
		!strings.HasPrefix(body, "name,email,phone,carrier,status,locale,phone_type\n") {
		t.Fatalf("template: %d %s\n%s", code, resp.Header, body)
	}
	// Signed out, it is not served.
	if code, _, _ := h.browser().do("GET", "/admin/import/template.csv", nil); code == 200 {
		t.Fatal("template served without a session")
	}
}
