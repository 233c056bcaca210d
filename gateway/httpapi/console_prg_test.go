package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// raw sends any body with the browser's cookies (a multipart upload).
func (b *browser) raw(method, path, ctype string, body io.Reader) (int, string, *http.Response) {
	b.t.Helper()
	req := httptest.NewRequest(method, path, body)
	req.Header.Set("Content-Type", ctype)
	for _, c := range b.jar {
		req.AddCookie(c)
	}
	resp, err := b.h.srv.App().Test(req, -1)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Value == "" {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = c
		}
	}
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp
}

func (b *browser) upload(csrf, name string, csv []byte) (int, string, *http.Response) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("_csrf", csrf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(csv)
	mw.Close()
	return b.raw("POST", "/admin/import", mw.FormDataContentType(), &buf)
}

func countEvents(t *testing.T, h *harness, typ string) int {
	t.Helper()
	evs, err := h.svc.Events(context.Background(), gateway.Actor{}, gateway.EventQuery{Types: []string{typ}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

var genRE = regexp.MustCompile(`id="generated-password">([^<]+)<`)

// A generated password is the answer of a redirect, read once from the
// server's flash: a reload sets nothing and shows nothing, and another
// session holding the flash cookie reads nothing.
func TestConsoleGeneratedPasswordSurvivesNoReload(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	id := h.personID(`{"name":"Ana Ruiz","email":"ana@acme.example","password":"original-crew-password-7"}`)
	b := h.browser()
	tok := b.login("office@acme.example", adminPW)
	path := "/admin/personnel/" + strconv.FormatInt(id, 10)
	code, _, resp := b.do("POST", path+"/password", url.Values{"_csrf": {tok}, "mode": {"generate"}})
	if code != http.StatusSeeOther || resp.Header.Get("Location") != path {
		t.Fatalf("set password: %d %s", code, resp.Header.Get("Location"))
	}
	if strings.Contains(resp.Header.Get("Location"), "password") {
		t.Fatal("the redirect names the password")
	}
	// An attacker's session with the victim's flash cookie gets nothing.
	thief := h.browser()
	thief.login("office@acme.example", adminPW)
	for k, c := range b.jar {
		if strings.Contains(k, "flash") {
			thief.jar[k] = c
		}
	}
	if _, page, _ := thief.do("GET", path, nil); genRE.MatchString(page) {
		t.Fatal("another session read the flash")
	}
	_, page, _ := b.do("GET", path, nil)
	m := genRE.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "not shown again") {
		t.Fatalf("no generated password on the page after the redirect:\n%.2000s", page)
	}
	for range 3 {
		_, page, _ = b.do("GET", path, nil)
		if genRE.MatchString(page) || strings.Contains(page, m[1]) {
			t.Fatal("a reload showed the password again")
		}
	}
	if n := countEvents(t, h, "password_set"); n != 1 {
		t.Fatalf("%d passwords set, want 1", n)
	}
	if code, _, _ := h.do("POST", "/v1/login", `{"email":"ana@acme.example","password":"`+m[1]+`"}`, false); code != 200 {
		t.Fatalf("login with the generated password: %d", code)
	}
}

func crewCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("name,email,phone,carrier,status,locale\n")
	for i := range n {
		fmt.Fprintf(&b, "Crew Member %d,crew%d@acme.example,,,active,en\n", i, i)
	}
	return b.Bytes()
}

var uploadRE = regexp.MustCompile(`name="upload" value="([^"]+)"`)

// A 3,000-row file (over the old 256 KiB re-post) previews, imports by
// its upload id, and imports once however often the commit is sent.
func TestConsoleImportByUploadID(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	b := h.browser()
	tok := b.login("office@acme.example", adminPW)
	code, _, resp := b.upload(tok, "crew.csv", crewCSV(3000))
	loc := resp.Header.Get("Location")
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/import?upload=") {
		t.Fatalf("upload: %d %s", code, loc)
	}
	code, page, _ := b.do("GET", loc, nil)
	m := uploadRE.FindStringSubmatch(page)
	if code != 200 || m == nil || !strings.Contains(page, `id="commit-form"`) || !strings.Contains(page, "Would create 3000") {
		t.Fatalf("preview: %d\n%.1500s", code, page)
	}
	form := page[strings.Index(page, `id="commit-form"`):]
	form = form[:strings.Index(form, "</form>")]
	if strings.Contains(form, "crew1@acme.example") || strings.Contains(form, "textarea") {
		t.Fatal("the commit form carries the CSV")
	}
	commit := url.Values{"_csrf": {tok}, "upload": {m[1]}, "confirm": {"yes"}}
	if code, _, resp = b.do("POST", "/admin/import", commit); code != http.StatusSeeOther {
		t.Fatalf("commit: %d", code)
	}
	if _, page, _ = b.do("GET", resp.Header.Get("Location"), nil); !strings.Contains(page, "Created 3000") {
		t.Fatalf("no summary:\n%.1500s", page)
	}
	// The back button and a second click: nothing more.
	if code, _, _ = b.do("POST", "/admin/import", commit); code != http.StatusSeeOther {
		t.Fatalf("second commit: %d", code)
	}
	if n := countEvents(t, h, "personnel_imported"); n != 1 {
		t.Fatalf("%d imports, want 1", n)
	}
	// Another admin cannot commit this admin's upload.
	h.admin("other@acme.example", "")
	o := h.browser()
	otok := o.login("other@acme.example", adminPW)
	_, _, resp = b.upload(tok, "crew.csv", crewCSV(2))
	id := strings.TrimPrefix(resp.Header.Get("Location"), "/admin/import?upload=")
	o.do("POST", "/admin/import", url.Values{"_csrf": {otok}, "upload": {id}, "confirm": {"yes"}})
	if n := countEvents(t, h, "personnel_imported"); n != 1 {
		t.Fatal("another admin committed the upload")
	}
}

// Over the console's limits: a page in the console's look naming the
// limit and the CLI, never raw JSON.
func TestConsoleImportTooLarge(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	b := h.browser()
	tok := b.login("office@acme.example", adminPW)
	big := append(crewCSV(10), bytes.Repeat([]byte("Filler Name,filler@acme.example,,,,\n"), 57000)...)
	for name, body := range map[string][]byte{"bytes": big, "rows": crewCSV(5001)} {
		code, page, resp := b.upload(tok, "crew.csv", body)
		if code == http.StatusSeeOther {
			code, page, resp = b.do("GET", resp.Header.Get("Location"), nil)
		}
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(page, "5000 people") || !strings.Contains(page, "resetgw personnel import") {
			t.Fatalf("%s: %d %s\n%.800s", name, code, resp.Header.Get("Content-Type"), page)
		}
	}
	// Every other route keeps the small limit.
	code, _, _ := h.do("POST", "/v1/password-resets", `{"email":"`+strings.Repeat("a", 300<<10)+`"}`, false)
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 300 KiB body elsewhere: %d", code)
	}
}

// Two bad fields: both errors beside their fields, what was typed kept.
func TestConsoleFormKeepsValuesAndEveryError(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	b := h.browser()
	tok := b.login("office@acme.example", adminPW)
	form := url.Values{"_csrf": {tok}, "name": {"Typed Name Kept"}, "email": {"not-an-email"}, "status": {"active"},
		"locale": {"en"}, "phone_number": {"555-2671"}, "phone_type": {"sms"}, "phone_carrier": {""}}
	code, _, resp := b.do("POST", "/admin/personnel/new", form)
	if code != http.StatusSeeOther {
		t.Fatalf("refused form: %d", code)
	}
	_, page, _ := b.do("GET", resp.Header.Get("Location"), nil)
	for _, want := range []string{`id="err-email"`, `id="err-phone-0"`, `value="Typed Name Kept"`, `value="not-an-email"`, `value="555-2671"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("missing %s:\n%.3000s", want, page)
		}
	}
	// A CSV row with two problems reports both.
	bad := "name,email,phone,carrier,status,locale\nKim Park,kim@@x,555-2671,nosuch,active,en\n"
	_, _, resp = b.upload(tok, "bad.csv", []byte(bad))
	_, page, _ = b.do("GET", resp.Header.Get("Location"), nil)
	if !strings.Contains(page, "no carrier") || !strings.Contains(page, "phone") || !strings.Contains(page, "email") {
		t.Fatalf("row errors:\n%.3000s", page)
	}
}

// Browser routes answer errors as pages; the JSON API keeps JSON.
func TestConsoleErrorPages(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	b := h.browser()
	b.login("office@acme.example", adminPW)
	for path, want := range map[string]int{"/admin/no-such-page": 404, "/admin/personnel/999999": 404} {
		code, page, resp := b.do("GET", path, nil)
		if code != want || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(page, "console.css") {
			t.Fatalf("%s: %d %s", path, code, resp.Header.Get("Content-Type"))
		}
	}
	code, _, hdr := h.do("GET", "/admin/api/no-such", "", true)
	if code != 404 || !strings.Contains(hdr.Get("Content-Type"), "json") {
		t.Fatalf("API 404: %d %s", code, hdr.Get("Content-Type"))
	}
}
