package httpapi_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// The failed-delivery queue is per person: two failures are one item
// with its history; a password set by hand takes it out of the queue and
// into Resolved; so does a mark with a note.
func TestConsoleFailedQueuePerPerson(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	boID := h.personID(`{"name":"Bo Lind","email":"bo@acme.example","phones":[{"number":"+12015550124"}]}`)
	h.personID(`{"name":"Cy Moss","email":"cy@acme.example","phones":[{"number":"+12015550125"}]}`)
	h.email.Fail(&gateway.SendError{Code: "550 5.1.1", Detail: "no such user"})
	h.sms.Fail(&gateway.SendError{Code: "21211", Detail: "invalid To"})
	for _, body := range []string{`{"email":"bo@acme.example","phone":"+12015550124"}`, `{"email":"bo@acme.example","phone":"+12015550124"}`,
		`{"email":"cy@acme.example","phone":"+12015550125"}`} {
		h.do("POST", "/v1/password-resets", body, false)
		h.drain()
	}
	b := h.browser()
	tok := b.login("office@acme.example", adminPW)
	_, page, _ := b.do("GET", "/admin/failed", nil)
	if strings.Count(page, `class="card item"`) != 2 || strings.Count(page, "Bo Lind") != 1 ||
		!strings.Contains(page, "1 earlier failed attempt") || !strings.Contains(page, "1–2 of 2") {
		t.Fatalf("queue:\n%.4000s", page)
	}
	boPath := "/admin/personnel/" + strconv.FormatInt(boID, 10)
	if code, _, _ := b.do("POST", boPath+"/password", url.Values{"_csrf": {tok}, "mode": {"generate"}}); code != http.StatusSeeOther {
		t.Fatalf("set password: %d", code)
	}
	_, page, _ = b.do("GET", "/admin/failed", nil)
	if strings.Contains(page, "Bo Lind") || !strings.Contains(page, "Cy Moss") {
		t.Fatalf("bo still open after the password was set:\n%.3000s", page)
	}
	i := strings.Index(page, `action="/admin/failed/`)
	id := page[i+len(`action="/admin/failed/`):]
	id = id[:strings.Index(id, "/")]
	if code, _, _ := b.do("POST", "/admin/failed/"+id+"/resolve", url.Values{"_csrf": {tok}, "note": {""}}); code != http.StatusSeeOther {
		t.Fatalf("empty note: %d", code)
	}
	_, page, _ = b.do("GET", "/admin/failed", nil)
	if !strings.Contains(page, "Cy Moss") || !strings.Contains(page, "how it was resolved") {
		t.Fatalf("an empty note resolved it:\n%.3000s", page)
	}
	b.do("POST", "/admin/failed/"+id+"/resolve", url.Values{"_csrf": {tok}, "note": {"called him, old password works"}})
	_, page, _ = b.do("GET", "/admin/failed", nil)
	if strings.Contains(page, "Cy Moss") || !strings.Contains(page, "No failed deliveries waiting") {
		t.Fatalf("cy still open:\n%.3000s", page)
	}
	_, page, _ = b.do("GET", "/admin/failed?show=resolved", nil)
	if !strings.Contains(page, "Bo Lind") || !strings.Contains(page, "password set by hand") ||
		!strings.Contains(page, "Cy Moss") || !strings.Contains(page, "called him, old password works") {
		t.Fatalf("resolved:\n%.4000s", page)
	}
}

// A skipped text and a request's reason read as words on the failed
// queue and the person page; the code stays only in a title for whoever
// needs it.
func TestConsoleReasonsInWords(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	boID := h.personID(`{"name":"Bo Lind","email":"bo@acme.example","phones":[{"number":"+12015550124"}]}`)
	if code, body, _ := h.do("POST", "/admin/api/opt-outs", `{"phone":"+12015550124","opted_out":true}`, true); code != 200 {
		t.Fatalf("opt out: %d %v", code, body)
	}
	h.email.Fail(&gateway.SendError{Code: "550 5.1.1", Detail: "no such user"})
	h.do("POST", "/v1/password-resets", `{"email":"bo@acme.example","phone":"+12015550124"}`, false)
	h.drain()
	b := h.browser()
	b.login("office@acme.example", adminPW)
	for _, path := range []string{"/admin/failed", "/admin/personnel/" + strconv.FormatInt(boID, 10)} {
		_, page, _ := b.do("GET", path, nil)
		if !strings.Contains(page, gateway.ReasonWords(gateway.SkipOptedOut)) {
			t.Errorf("%s: the skipped text is not in words:\n%.5000s", path, page)
		}
		if strings.Contains(page, ">"+gateway.SkipOptedOut+"<") || strings.Contains(page, ">"+gateway.ReasonAllFailed+"<") {
			t.Errorf("%s shows a reason's code as its text", path)
		}
	}
	_, page, _ := b.do("GET", "/admin/failed", nil)
	if !strings.Contains(page, gateway.ReasonWords(gateway.ReasonAllFailed)) {
		t.Errorf("the request's reason is not in words:\n%.5000s", page)
	}
}
