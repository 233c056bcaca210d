package httpapi

import (
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

func (u *consoleUI) routesLog() {
	u.s.app.Get("/admin/log", u.auth, u.log)
	u.s.app.Get("/admin/log.csv", u.auth, u.logCSV)
}

// logData is the log page: the filter as given, a page of events, and
// the links to the next page and to the same filter as CSV.
type logData struct {
	F        logFilter
	Events   []*gateway.Event
	Older    string
	CSV      string
	Security []string
}

type logFilter struct {
	Type, Preset, Person, Request, Actor, Since, Until string
}

func (u *consoleUI) log(c *fiber.Ctx) error {
	cs := session(c)
	d := logData{F: logFilter{Type: c.Query("type"), Preset: c.Query("preset"), Person: c.Query("person"),
		Request: c.Query("request"), Actor: c.Query("actor"), Since: c.Query("since"), Until: c.Query("until")},
		Security: gateway.SecurityEvents}
	pg := u.page(c, "log", "Log", nil)
	q, err := eventQuery(c, tenantParam(c))
	if err == nil {
		q.Limit = pageSize
		d.Events, err = u.svc.Events(c.UserContext(), cs.Actor, q)
	}
	if err != nil {
		pg.D = d
		return u.formError(c, err, "log.html", pg)
	}
	vals := url.Values{}
	for k, v := range map[string]string{"type": d.F.Type, "preset": d.F.Preset, "person": d.F.Person,
		"request": d.F.Request, "actor": d.F.Actor, "since": d.F.Since, "until": d.F.Until, "tenant": pg.Tenant} {
		if v != "" {
			vals.Set(k, v)
		}
	}
	d.CSV = "/admin/log.csv?" + vals.Encode()
	if len(d.Events) == pageSize {
		vals.Set("before", strconv.FormatInt(d.Events[len(d.Events)-1].ID, 10))
		d.Older = "/admin/log?" + vals.Encode()
	}
	pg.D = d
	return u.render(c, "log.html", pg)
}

func (u *consoleUI) logCSV(c *fiber.Ctx) error {
	q, err := eventQuery(c, tenantParam(c))
	if err != nil {
		return u.fail(c, err)
	}
	exp, err := u.svc.ExportEvents(c.UserContext(), session(c).Actor, q)
	if err != nil {
		return u.fail(c, err)
	}
	return u.s.streamCSV(c, exp)
}
