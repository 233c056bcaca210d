package httpapi

import (
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
	Test     carrierTest
}

type carrierData struct {
	C    *gateway.Carrier
	New  bool
	Test carrierTest
}

func (u *consoleUI) carriers(c *fiber.Ctx) error {
	cs, err := u.svc.Carriers(c.UserContext(), session(c).Actor)
	if err != nil {
		return u.fail(c, err)
	}
	return u.render(c, "carriers.html", u.page(c, "carriers", "Carrier providers", carriersData{Carriers: cs, Test: carrierTest{Slug: gateway.TwilioSlug}}))
}

func (u *consoleUI) carrier(c *fiber.Ctx) error {
	cr, err := u.svc.Carrier(c.UserContext(), session(c).Actor, c.Params("slug"))
	if err != nil {
		return u.fail(c, err)
	}
	return u.render(c, "carrier.html", u.page(c, "carriers", cr.Name, carrierData{C: cr, Test: carrierTest{Slug: cr.Slug}}))
}

func (u *consoleUI) newCarrier(c *fiber.Ctx) error {
	d := carrierData{C: &gateway.Carrier{Country: "US", Status: gateway.CarrierUnverified}, New: true}
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
		d := carrierData{C: formCarrier(in), New: true}
		return u.formError(c, err, "carrier.html", u.page(c, "carriers", "Add a carrier", d))
	}
	return u.done(c, "/admin/carriers/"+cr.Slug, "created")
}

func (u *consoleUI) saveCarrier(c *fiber.Ctx) error {
	in := carrierForm(c, c.Params("slug"))
	cr, err := u.svc.SaveCarrier(c.UserContext(), session(c).Actor, in, false)
	if err != nil {
		d := carrierData{C: formCarrier(in), Test: carrierTest{Slug: in.Slug}}
		return u.formError(c, err, "carrier.html", u.page(c, "carriers", *in.Name, d))
	}
	return u.done(c, "/admin/carriers/"+cr.Slug, "saved")
}

func (u *consoleUI) retireCarrier(c *fiber.Ctx) error {
	var on time.Time
	if v := c.FormValue("retired_on"); v != "" {
		var err error
		if on, err = time.Parse(time.DateOnly, v); err != nil {
			return u.fail(c, gateway.Errorf(gateway.KindInvalid, "date_invalid", "the end date must look like 2027-03-31"))
		}
	}
	cr, err := u.svc.RetireCarrier(c.UserContext(), session(c).Actor, c.Params("slug"), on)
	if err != nil {
		return u.fail(c, err)
	}
	return u.done(c, "/admin/carriers/"+cr.Slug, "retired")
}

// testCarrier is Test Provider: the answer (accepted or refused) is shown
// on the page the test was started from.
func (u *consoleUI) testCarrier(c *fiber.Ctx) error {
	cs := session(c)
	slug := c.Params("slug")
	t := carrierTest{Slug: slug, Phone: c.FormValue("phone"), Message: c.FormValue("message")}
	res, err := u.svc.TestProvider(c.UserContext(), cs.Actor, slug, gateway.ProviderTestInput{
		Tenant: tenantParam(c), Phone: t.Phone, Message: t.Message})
	t.Result = res
	if slug == gateway.TwilioSlug {
		list, lerr := u.svc.Carriers(c.UserContext(), cs.Actor)
		if lerr != nil {
			return u.fail(c, lerr)
		}
		p := u.page(c, "carriers", "Carrier providers", carriersData{Carriers: list, Test: t})
		if err != nil {
			return u.formError(c, err, "carriers.html", p)
		}
		return u.render(c, "carriers.html", p)
	}
	cr, cerr := u.svc.Carrier(c.UserContext(), cs.Actor, slug)
	if cerr != nil {
		return u.fail(c, cerr)
	}
	p := u.page(c, "carriers", cr.Name, carrierData{C: cr, Test: t})
	if err != nil {
		return u.formError(c, err, "carrier.html", p)
	}
	return u.render(c, "carrier.html", p)
}

func (u *consoleUI) routes(c *fiber.Ctx) error {
	rh, err := u.svc.RouteHealth(c.UserContext(), session(c).Actor, tenantParam(c))
	if err != nil {
		return u.fail(c, err)
	}
	return u.render(c, "routes.html", u.page(c, "routes", "Route health", rh))
}
