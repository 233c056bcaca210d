package httpapi_test

import (
	"strconv"
	"strings"
	"testing"
)

// The overview draws the week as an SVG that scales (viewBox, no fixed
// width), with its counts in words and a legend, and each route's rate;
// the person page draws their resets. No script, no inline style (the
// CSP would drop it).
func TestConsoleCharts(t *testing.T) {
	h := newHarness(t, token)
	h.admin("office@acme.example", "")
	id := h.personID(`{"name":"Ana Ruiz","email":"ana@acme.example","password":"original-crew-password-7",
		"phones":[{"number":"+12015550123","type":"sms"}]}`)
	// The second reset replaces the first, which is rolled back.
	for range 2 {
		if code, _, _ := h.do("POST", "/v1/password-resets", `{"email":"ana@acme.example","phone":"+12015550123"}`, false); code != 202 {
			t.Fatalf("reset: %d", code)
		}
	}
	h.drain()
	b := h.browser()
	b.login("office@acme.example", adminPW)
	_, page, _ := b.do("GET", "/admin/overview", nil)
	for _, want := range []string{`<svg viewBox="0 0 480 220" role="img"`, `aria-describedby="week-chart-summary"`,
		`id="week-chart-summary">Last 7 days, by hour (UTC): 2 requests: `, "Busiest hour: ",
		`class="legend"`, `<rect class="delivered"`, `id="route-rates"`, `% delivered`} {
		if !strings.Contains(page, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	_, person, _ := b.do("GET", "/admin/personnel/"+strconv.FormatInt(id, 10), nil)
	if !strings.Contains(person, `id="person-timeline-summary">Last 30 days (UTC): 2 resets: `) {
		t.Errorf("person page lacks the timeline:\n%.6000s", person)
	}
	for name, p := range map[string]string{"overview": page, "person": person} {
		if strings.Contains(p, "<script") || strings.Contains(p, " style=") || strings.Contains(p, `<svg width=`) {
			t.Errorf("%s has a script, an inline style or a fixed-width chart", name)
		}
	}
}
