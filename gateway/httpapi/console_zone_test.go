package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// Times on every console page are in the tenant's zone, and the page names
// it; an operator looking at every tenant sees UTC, named.
func TestConsoleTimesInTenantZone(t *testing.T) {
	h := newHarness(t, token)
	h.do("POST", "/admin/api/tenants", `{"slug":"hvac","name":"HVAC Co"}`, true)
	h.admin("boss@hvac.example", "hvac")
	h.admin("op@gw.example", "")
	b := h.browser()
	tok := b.login("boss@hvac.example", adminPW)
	if _, page, _ := b.do("GET", "/admin/overview", nil); !strings.Contains(page, `id="time-zone">Times on this page are in UTC.`) {
		t.Fatalf("default zone not named:\n%.4000s", page)
	}
	code, _, resp := b.do("POST", "/admin/settings/time-zone", url.Values{"_csrf": {tok}, "time_zone": {"Mars/Olympus_Mons"}})
	wantSeeOther(t, "unknown zone", code, resp, "/admin/settings#time-zone")
	if _, page, _ := b.do("GET", "/admin/settings", nil); !strings.Contains(page, `id="err-time-zone"`) || !strings.Contains(page, `value="Mars/Olympus_Mons"`) {
		t.Fatalf("unknown zone not refused beside the field:\n%.6000s", page)
	}
	code, _, resp = b.do("POST", "/admin/settings/time-zone", url.Values{"_csrf": {tok}, "time_zone": {"America/Chicago"}})
	wantSeeOther(t, "zone", code, resp, "/admin/settings#time-zone")

	chicago, _ := time.LoadLocation("America/Chicago")
	_, off := time.Now().In(chicago).Zone()
	named := "America/Chicago (UTC−0" + strconv.Itoa(-off/3600) + ":00)"
	id := h.adminID("boss@hvac.example")
	all, _ := h.svc.ListAdmins(context.Background(), gateway.Actor{})
	var last time.Time
	for _, ad := range all {
		if ad.ID == id {
			last = ad.LastLoginAt
		}
	}
	path := "/admin/admins/" + strconv.FormatInt(id, 10)
	_, page, _ := b.do("GET", path, nil)
	if !strings.Contains(page, named) || !strings.Contains(page, last.In(chicago).Format("2006-01-02 15:04")) {
		t.Fatalf("want %s and the sign-in at %s:\n%.4000s", named, last.In(chicago).Format("2006-01-02 15:04"), page)
	}
	for _, p := range []string{"/admin/overview", "/admin/personnel", "/admin/log", "/admin/settings", "/admin/failed", "/admin/account"} {
		if code, page, _ := b.do("GET", p, nil); code != http.StatusOK || !strings.Contains(page, named) {
			t.Errorf("%s: %d, zone not named", p, code)
		}
	}
	// The operator: UTC over every tenant, the tenant's zone in one.
	op := h.browser()
	op.login("op@gw.example", adminPW)
	if _, page, _ := op.do("GET", path, nil); !strings.Contains(page, "Times on this page are in UTC.") ||
		!strings.Contains(page, last.UTC().Format("2006-01-02 15:04")) {
		t.Fatalf("operator over every tenant:\n%.4000s", page)
	}
	if _, page, _ := op.do("GET", path+"?tenant=hvac", nil); !strings.Contains(page, named) {
		t.Fatalf("operator in hvac:\n%.4000s", page)
	}
	// The API takes the same field and refuses what the zone database lacks.
	if code, m, _ := h.do("PATCH", "/admin/api/settings?tenant=hvac", `{"time_zone":"Nowhere/Town"}`, true); code != 400 || !strings.Contains(fmt.Sprint(m["error"]), "time_zone_invalid") {
		t.Fatalf("API unknown zone: %d %v", code, m)
	}
	if code, m, _ := h.do("GET", "/admin/api/settings?tenant=hvac", "", true); code != 200 || m["time_zone"] != "America/Chicago" {
		t.Fatalf("API zone: %d %v", code, m["time_zone"])
	}
}

// The console shows a test's answer in plain words above the server's own.
func TestConsoleTestResultInWords(t *testing.T) {
	h := newHarness(t, token)
	h.svc.SetTester(&tester{refuse: true})
	h.admin("office@acme.example", "")
	b := h.browser()
	tok := b.login("office@acme.example", adminPW)
	b.do("POST", "/admin/settings/test-email", url.Values{"_csrf": {tok}, "to": {"nobody@acme.example"}})
	_, page, _ := b.do("GET", "/admin/settings", nil)
	if !strings.Contains(page, `id="test-summary">The mail server refused this test message`) || !strings.Contains(page, "550 5.1.1") {
		t.Fatalf("no plain words:\n%.8000s", page)
	}
}

// The log's day filters read a day in the zone the page shows: "until
// yesterday" there never takes in what happened just now.
func TestConsoleLogDaysInTenantZone(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", gateway.DefaultSlug)
	b := h.browser()
	tok := b.login("office@acme.example", adminPW)
	const zone = "Pacific/Kiritimati" // UTC+14: its day is rarely the server's
	b.do("POST", "/admin/settings/time-zone", url.Values{"_csrf": {tok}, "time_zone": {zone}})
	loc, _ := time.LoadLocation(zone)
	now := time.Now().In(loc)
	yesterday, today := now.AddDate(0, 0, -1).Format(time.DateOnly), now.Format(time.DateOnly)
	if _, page, _ := b.do("GET", "/admin/log?until="+yesterday, nil); strings.Contains(page, `class="event-type" title="admin_login"`) {
		t.Errorf("until %s (%s) shows this minute's sign-in", yesterday, zone)
	}
	if _, page, _ := b.do("GET", "/admin/log?since="+today, nil); !strings.Contains(page, `class="event-type" title="admin_login"`) {
		t.Errorf("since %s (%s) lacks this minute's sign-in:\n%.3000s", today, zone, page)
	}
}
