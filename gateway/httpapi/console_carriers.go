package httpapi

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

func (u *consoleUI) routesCarriers() {
	a := u.s.app
	a.Get("/admin/carriers", u.auth, u.carriers)
	a.Get("/admin/carriers/new", u.auth, u.newCarrier)
	a.Post("/admin/carriers/new", u.auth, u.createCarrier)
	a.Get("/admin/carriers/:slug", u.auth, u.carrier)
	a.Post("/admin/carriers/:slug", u.auth, u.saveCarrier)
	a.Get("/admin/carriers/:slug/retire", u.auth, u.confirmRetire)
	a.Post("/admin/carriers/:slug/retire", u.auth, u.retireCarrier)
	a.Post("/admin/carriers/:slug/test", u.auth, u.testCarrier)
	a.Get("/admin/routes", u.auth, u.routes)
}

// carrierTest is the Test Provider form and the provider's answer.
type carrierTest struct {
	Slug    string
	Phone   string
	Message string
	Result  *gateway.ProviderTestResult
}

type carriersData struct {
	Carriers []*gateway.Carrier
	Pager    pager
	Test     carrierTest
}

// pageOf is the page of a list at the request's ?offset, with its pager.
func pageOf[T any](c *fiber.Ctx, base string, all []T) ([]T, pager) {
	offset, _ := strconv.Atoi(c.Query("offset"))
	offset = min(max(offset, 0), len(all))
	end := min(offset+pageSize, len(all))
	if t := tenantParam(c); t != "" {
		base += "?tenant=" + url.QueryEscape(t)
	}
	return all[offset:end], newPager(base, offset, end-offset, len(all))
}

// routesData is route health with its list of people paged.
type routesData struct {
	*gateway.RouteHealth
	Pager pager
}

type carrierData struct {
	C       *gateway.Carrier
	New     bool
	Test    carrierTest
	Errs    map[string]string
	Confirm bool // the retire step
	// RetireOn is the end date the retire step asks about ("" is today).
	RetireOn string
}

// carrierFormValues is a refused carrier form as typed.
func carrierFormValues(f *flash, slug string) gateway.CarrierInput {
	v := func(k string) *string { s := f.Form.Get(k); return &s }
	return gateway.CarrierInput{Slug: slug, Name: v("name"), Country: v("country"), SMSDomain: v("sms_domain"),
		MMSDomain: v("mms_domain"), Status: v("status"), RetiredOn: v("retired_on"), Note: v("note")}
}

func (u *consoleUI) carriers(c *fiber.Ctx) error {
	cs, err := u.svc.Carriers(c.UserContext(), session(c).Actor)
	if err != nil {
		return u.fail(c, err)
	}
	t := carrierTest{Slug: gateway.TwilioSlug}
	if ft := u.flash(c).Test; ft != nil && ft.Slug == gateway.TwilioSlug {
		t = *ft
	}
	d := carriersData{Test: t}
	d.Carriers, d.Pager = pageOf(c, "/admin/carriers", cs)
	return u.render(c, "carriers.html", u.page(c, "carriers", "Carrier providers", d))
}

func (u *consoleUI) carrier(c *fiber.Ctx) error { return u.showCarrier(c, false) }

// confirmRetire is retire's second step: the carrier page asking whether
// to retire on the date given (?on=).
func (u *consoleUI) confirmRetire(c *fiber.Ctx) error { return u.showCarrier(c, true) }

func (u *consoleUI) showCarrier(c *fiber.Ctx, confirm bool) error {
	cr, err := u.svc.Carrier(c.UserContext(), session(c).Actor, c.Params("slug"))
	if err != nil {
		return u.fail(c, err)
	}
	d := carrierData{C: cr, Test: carrierTest{Slug: cr.Slug}, Confirm: confirm}
	if confirm {
		if _, err := retireDate(c.Query("on")); err != nil {
			return u.fail(c, err)
		}
		d.RetireOn = c.Query("on")
	}
	f := u.flash(c)
	if f.Test != nil && f.Test.Slug == cr.Slug {
		d.Test = *f.Test
	}
	if f.Form != nil && f.Form.Has("name") {
		d.C = formCarrier(carrierFormValues(f, cr.Slug))
	}
	d.Errs = f.Fields
	return u.render(c, "carrier.html", u.page(c, "carriers", cr.Name, d))
}

func (u *consoleUI) newCarrier(c *fiber.Ctx) error {
	d := carrierData{C: &gateway.Carrier{Country: "US", Status: gateway.CarrierUnverified}, New: true}
	if f := u.flash(c); f.Form != nil && f.Form.Has("name") {
		d.C, d.Errs = formCarrier(carrierFormValues(f, f.Form.Get("slug"))), f.Fields
	}
	return u.render(c, "carrier.html", u.page(c, "carriers", "Add a carrier", d))
}

func carrierForm(c *fiber.Ctx, slug string) gateway.CarrierInput {
	v := func(k string) *string { s := c.FormValue(k); return &s }
	return gateway.CarrierInput{Slug: slug, Name: v("name"), Country: v("country"), SMSDomain: v("sms_domain"),
		MMSDomain: v("mms_domain"), Status: v("status"), RetiredOn: v("retired_on"), Note: v("note")}
}

// formCarrier is what the form said, to show it again with its error.
func formCarrier(in gateway.CarrierInput) *gateway.Carrier {
	cr := &gateway.Carrier{Slug: in.Slug, Name: *in.Name, Country: *in.Country, SMSDomain: *in.SMSDomain,
		MMSDomain: *in.MMSDomain, Status: gateway.CarrierStatus(*in.Status), Note: *in.Note}
	cr.RetiredOn, _ = time.Parse(time.DateOnly, *in.RetiredOn)
	return cr
}

func (u *consoleUI) createCarrier(c *fiber.Ctx) error {
	in := carrierForm(c, c.FormValue("slug"))
	cr, err := u.svc.SaveCarrier(c.UserContext(), session(c).Actor, in, true)
	if err != nil {
		return u.refusedForm(c, err, "/admin/carriers/new")
	}
	return u.done(c, "/admin/carriers/"+cr.Slug, "created")
}

func (u *consoleUI) saveCarrier(c *fiber.Ctx) error {
	in := carrierForm(c, c.Params("slug"))
	cr, err := u.svc.SaveCarrier(c.UserContext(), session(c).Actor, in, false)
	if err != nil {
		return u.refusedForm(c, err, "/admin/carriers/"+in.Slug)
	}
	return u.done(c, "/admin/carriers/"+cr.Slug, "saved")
}

// retireDate reads a retire form's end date ("" is today).
func retireDate(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	on, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return on, gateway.Errorf(gateway.KindInvalid, "date_invalid", "the end date must look like 2027-03-31")
	}
	return on, nil
}

// retireCarrier needs the second step's confirm=yes: without it (the
// first form, or a forged post) it only redirects to the step.
func (u *consoleUI) retireCarrier(c *fiber.Ctx) error {
	on, err := retireDate(c.FormValue("retired_on"))
	if err != nil {
		return u.fail(c, err)
	}
	if !confirmed(c) {
		q := url.Values{}
		if v := c.FormValue("retired_on"); v != "" {
			q.Set("on", v)
		}
		return u.redirect(c, strings.TrimSuffix("/admin/carriers/"+c.Params("slug")+"/retire?"+q.Encode(), "?"), nil)
	}
	cr, err := u.svc.RetireCarrier(c.UserContext(), session(c).Actor, c.Params("slug"), on)
	if err != nil {
		return u.fail(c, err)
	}
	return u.done(c, "/admin/carriers/"+cr.Slug, "retired")
}

// testCarrier is Test Provider: the answer (accepted or refused) waits
// in a flash for the page the test was started from.
func (u *consoleUI) testCarrier(c *fiber.Ctx) error {
	slug := c.Params("slug")
	t := carrierTest{Slug: slug, Phone: c.FormValue("phone"), Message: c.FormValue("message")}
	res, err := u.svc.TestProvider(c.UserContext(), session(c).Actor, slug, gateway.ProviderTestInput{
		Tenant: tenantParam(c), Phone: t.Phone, Message: t.Message})
	t.Result = res
	back := "/admin/carriers/" + slug
	if slug == gateway.TwilioSlug {
		back = "/admin/carriers"
	}
	f := &flash{Test: &t}
	if err != nil {
		switch gateway.ErrorKind(err) {
		case gateway.KindInvalid, gateway.KindUnprocessable, gateway.KindConflict, gateway.KindRateLimited:
			f.Error = errMessage(err)
		default:
			return u.fail(c, err)
		}
	}
	return u.redirect(c, back+"#test-form", f)
}

func (u *consoleUI) routes(c *fiber.Ctx) error {
	rh, err := u.svc.RouteHealth(c.UserContext(), session(c).Actor, tenantParam(c))
	if err != nil {
		return u.fail(c, err)
	}
	d := routesData{RouteHealth: rh}
	rh.People, d.Pager = pageOf(c, "/admin/routes", rh.People)
	return u.render(c, "routes.html", u.page(c, "routes", "Route health", d))
}
