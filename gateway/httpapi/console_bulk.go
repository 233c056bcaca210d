package httpapi

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/resetgw/resetgw/gateway"
)

// The console's bulk actions: a form over a filtered selection, a preview
// of who changes with a confirmation that the server enforces (the POST
// names the count it was shown; a different selection now is refused),
// and a job page that refreshes itself without script while it runs.

func (u *consoleUI) routesBulk() {
	a := u.s.app
	a.Get("/admin/bulk", u.auth, u.bulkPage)
	a.Post("/admin/bulk", u.auth, u.startBulk)
	a.Get("/admin/bulk/:id", u.auth, u.bulkJobPage)
	a.Post("/admin/bulk/:id/cancel", u.auth, u.cancelBulk)
}

// bulkActions are the form's choices, in its order.
var bulkActions = []struct{ Value, Label string }{
	{"reset", "Send a password reset"}, {"activate", "Activate"}, {"deactivate", "Deactivate"},
	{"mobile_on", "Turn mobile access on"}, {"mobile_off", "Turn mobile access off"},
}

type bulkForm struct {
	Action          string
	Status          string
	Tag             string
	LastLoginBefore string
	Emails          string
}

func (f bulkForm) input(tenant string) gateway.BulkInput {
	in := gateway.BulkInput{Tenant: tenant, Action: gateway.BulkAction(f.Action), Filter: gateway.BulkFilter{
		Status: f.Status, Tag: f.Tag, LastLoginBefore: f.LastLoginBefore}}
	for _, e := range strings.FieldsFunc(f.Emails, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' || r == ' ' }) {
		in.Filter.Emails = append(in.Filter.Emails, e)
	}
	return in
}

// query is the form as the preview's address, so a reload shows it again.
func (f bulkForm) query() string {
	q := url.Values{}
	for k, v := range map[string]string{"action": f.Action, "status": f.Status, "tag": f.Tag,
		"last_login_before": f.LastLoginBefore, "emails": f.Emails} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

func readBulkForm(get func(string) string) bulkForm {
	return bulkForm{Action: utils.CopyString(get("action")), Status: utils.CopyString(get("status")),
		Tag: utils.CopyString(get("tag")), LastLoginBefore: utils.CopyString(get("last_login_before")),
		Emails: utils.CopyString(get("emails"))}
}

type bulkPageData struct {
	Actions []struct{ Value, Label string }
	Form    bulkForm
	Preview *gateway.BulkPreview
	Label   string
	Jobs    []*gateway.BulkJob
}

func (u *consoleUI) bulkPage(c *fiber.Ctx) error {
	f := readBulkForm(func(k string) string { return c.Query(k) })
	d := bulkPageData{Actions: bulkActions, Form: f}
	p := u.page(c, "bulk", "Bulk actions", &d)
	cs := session(c)
	jobs, err := u.svc.ListBulkJobs(c.UserContext(), cs.Actor, tenantParam(c), 10)
	if err != nil {
		return u.fail(c, err)
	}
	d.Jobs = jobs
	if f.Action == "" {
		return u.render(c, "bulk.html", p)
	}
	for _, a := range bulkActions {
		if a.Value == f.Action {
			d.Label = a.Label
		}
	}
	if d.Preview, err = u.svc.PreviewBulk(c.UserContext(), cs.Actor, f.input(tenantParam(c))); err != nil {
		return u.formError(c, err, "bulk.html", p)
	}
	return u.render(c, "bulk.html", p)
}

// startBulk starts the job only with the confirmation step's confirm=yes
// and the count it showed; otherwise (the first form, a forged post, a
// selection that changed since) it goes back to the preview.
func (u *consoleUI) startBulk(c *fiber.Ctx) error {
	f := readBulkForm(func(k string) string { return c.FormValue(k) })
	back := "/admin/bulk?" + f.query()
	if t := tenantParam(c); t != "" {
		back += "&tenant=" + url.QueryEscape(t)
	}
	if !confirmed(c) {
		return u.redirect(c, back, nil)
	}
	cs := session(c)
	in := f.input(tenantParam(c))
	pv, err := u.svc.PreviewBulk(c.UserContext(), cs.Actor, in)
	if err != nil {
		return u.redirect(c, back, &flash{Error: errMessage(err)})
	}
	if shown, _ := strconv.Atoi(c.FormValue("count")); shown != pv.Count {
		return u.redirect(c, back, &flash{Error: "Who this changes is not what the preview showed (" +
			strconv.Itoa(shown) + " then, " + strconv.Itoa(pv.Count) + " now): check the preview again."})
	}
	j, err := u.svc.StartBulk(c.UserContext(), cs.Actor, in)
	if err != nil {
		return u.redirect(c, back, &flash{Error: errMessage(err)})
	}
	return u.redirect(c, "/admin/bulk/"+j.ID, nil)
}

type bulkJobData struct {
	S         *gateway.BulkStatus
	Done      int
	Remaining int
	ETA       string
}

func (u *consoleUI) bulkJobPage(c *fiber.Ctx) error {
	st, err := u.svc.BulkJob(c.UserContext(), session(c).Actor, utils.CopyString(c.Params("id")))
	if err != nil {
		return u.fail(c, err)
	}
	d := bulkJobData{S: st, Remaining: st.Counts.Remaining()}
	d.Done = st.Counts.Total - d.Remaining
	if st.ETA != nil {
		d.ETA = st.ETA.String()
	}
	p := u.page(c, "bulk", "Bulk job", &d)
	if st.Job.State == gateway.BulkRunning {
		p.Refresh = 2
	}
	return u.render(c, "bulkjob.html", p)
}

func (u *consoleUI) cancelBulk(c *fiber.Ctx) error {
	id := utils.CopyString(c.Params("id"))
	if _, err := u.svc.CancelBulk(c.UserContext(), session(c).Actor, id); err != nil {
		return u.fail(c, err)
	}
	return u.redirect(c, "/admin/bulk/"+id, &flash{Notice: "Cancelled: nobody not yet reached will be."})
}
