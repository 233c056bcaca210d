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

// logData is the log page: the filter as given, a page of events with
// the people they are about, the pager and the same filter as CSV.
type logData struct {
	F      logFilter
	Events []logRow
	Pager  pager
	CSV    string
	// Types is the type list of the filter: every known type, plus the
	// one asked for when a link names another.
	Types []gateway.EventLabel
}

// logRow is one event as the page shows it: its type in words, and the
// person's name when the record still exists.
type logRow struct {
	*gateway.Event
	Label  string
	Person *gateway.PersonRef
}

type logFilter struct {
	Type, Preset, Person, Request, Actor, Since, Until string
}

func (u *consoleUI) log(c *fiber.Ctx) error {
	cs := session(c)
	d := logData{F: logFilter{Type: c.Query("type"), Preset: c.Query("preset"), Person: c.Query("person"),
		Request: c.Query("request"), Actor: c.Query("actor"), Since: c.Query("since"), Until: c.Query("until")},
		Types: gateway.EventLabels}
	if d.F.Type != "" && !gateway.KnownEventType(d.F.Type) {
		d.Types = append([]gateway.EventLabel{{Type: d.F.Type, Label: gateway.EventWords(d.F.Type)}}, d.Types...)
	}
	pg := u.page(c, "log", "Log", nil)
	offset, _ := strconv.Atoi(c.Query("offset"))
	offset = max(offset, 0)
	var (
		evs   []*gateway.Event
		total int
	)
	q, err := eventQuery(c, tenantParam(c), u.zone(c))
	if err == nil {
		// The console pages by offset, so its pager can say where it is.
		q.Limit, q.Offset, q.BeforeID = pageSize, offset, 0
		evs, total, err = u.svc.EventsPage(c.UserContext(), cs.Actor, q)
	}
	var people map[int64]gateway.PersonRef
	if err == nil {
		ids := make([]int64, 0, len(evs))
		for _, e := range evs {
			ids = append(ids, e.PersonID)
		}
		people, err = u.svc.PeopleByID(c.UserContext(), cs.Actor, ids)
	}
	if err != nil {
		pg.D = d
		return u.formError(c, err, "log.html", pg)
	}
	for _, e := range evs {
		r := logRow{Event: e, Label: gateway.EventWords(e.Type)}
		if p, ok := people[e.PersonID]; ok {
			r.Person = &p
		}
		d.Events = append(d.Events, r)
	}
	vals := url.Values{}
	for k, v := range map[string]string{"type": d.F.Type, "preset": d.F.Preset, "person": d.F.Person,
		"request": d.F.Request, "actor": d.F.Actor, "since": d.F.Since, "until": d.F.Until, "tenant": pg.Tenant} {
		if v != "" {
			vals.Set(k, v)
		}
	}
	d.Pager = newPager("/admin/log?"+vals.Encode(), offset, len(evs), total)
	d.CSV = "/admin/log.csv?" + vals.Encode()
	pg.D = d
	return u.render(c, "log.html", pg)
}

func (u *consoleUI) logCSV(c *fiber.Ctx) error {
	q, err := eventQuery(c, tenantParam(c), u.zone(c))
	if err != nil {
		return u.fail(c, err)
	}
	exp, err := u.svc.ExportEvents(c.UserContext(), session(c).Actor, q)
	if err != nil {
		return u.fail(c, err)
	}
	return u.s.streamCSV(c, exp)
}
