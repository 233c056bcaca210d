package httpapi

import (
	"bytes"
	"mime"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// The admin API's side of the console's tools: carriers and Test
// Provider, the manual password, CSV import, retries, the log, route
// health, the overview and admin accounts. Each handler is one Service
// call, the same the console and the CLI make.
func (s *Server) routesAdminTools(a fiber.Router) {
	a.Get("/carriers", s.listCarriers)
	a.Post("/carriers", s.createCarrier)
	a.Patch("/carriers/:slug", s.patchCarrier)
	a.Post("/carriers/:slug/retire", s.retireCarrier)
	a.Post("/carriers/:slug/test", s.testCarrier)
	a.Post("/settings/test-email", s.testEmail)
	a.Post("/settings/sms-routes/test", s.testSMSRoutes)
	a.Put("/settings/email", s.putEmailProfile)
	a.Post("/personnel/import", s.importPersonnel)
	a.Post("/personnel/:id/password", s.setPassword)
	a.Post("/resets/:id/retry", s.retryReset)
	a.Get("/events", s.listEvents)
	a.Get("/route-health", s.routeHealth)
	a.Get("/overview", s.getOverview)
	a.Get("/admins", s.listAdmins)
	a.Post("/admins", s.createAdmin)
	a.Patch("/admins/:email", s.patchAdmin)
}

func carrierJSON(c *gateway.Carrier) fiber.Map {
	m := fiber.Map{"slug": c.Slug, "name": c.Name, "country": c.Country, "sms_domain": c.SMSDomain,
		"mms_domain": c.MMSDomain, "status": c.Status, "retired_on": nil, "note": c.Note}
	if !c.RetiredOn.IsZero() {
		m["retired_on"] = c.RetiredOn.Format(time.DateOnly)
	}
	return m
}

func (s *Server) listCarriers(c *fiber.Ctx) error {
	cs, err := s.svc.Carriers(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(cs))
	for _, cr := range cs {
		out = append(out, carrierJSON(cr))
	}
	// A bare list, as the contract names it ("→ list").
	return c.JSON(out)
}

type carrierBody struct {
	Slug      string  `json:"slug"`
	Name      *string `json:"name"`
	Country   *string `json:"country"`
	SMSDomain *string `json:"sms_domain"`
	MMSDomain *string `json:"mms_domain"`
	Status    *string `json:"status"`
	RetiredOn *string `json:"retired_on"`
	Note      *string `json:"note"`
}

func (b carrierBody) input(slug string) gateway.CarrierInput {
	return gateway.CarrierInput{Slug: slug, Name: b.Name, Country: b.Country, SMSDomain: b.SMSDomain,
		MMSDomain: b.MMSDomain, Status: b.Status, RetiredOn: b.RetiredOn, Note: b.Note}
}

func (s *Server) createCarrier(c *fiber.Ctx) error {
	var b carrierBody
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	cr, err := s.svc.SaveCarrier(c.UserContext(), actor(c), b.input(b.Slug), true)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(carrierJSON(cr))
}

func (s *Server) patchCarrier(c *fiber.Ctx) error {
	var b carrierBody
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	cr, err := s.svc.SaveCarrier(c.UserContext(), actor(c), b.input(c.Params("slug")), false)
	if err != nil {
		return err
	}
	return c.JSON(carrierJSON(cr))
}

func (s *Server) retireCarrier(c *fiber.Ctx) error {
	var b struct {
		RetiredOn string `json:"retired_on"`
	}
	if len(bytes.TrimSpace(c.Body())) > 0 {
		if err := decodeStrict(c.Body(), &b); err != nil {
			return err
		}
	}
	var on time.Time
	if b.RetiredOn != "" {
		var err error
		if on, err = time.Parse(time.DateOnly, b.RetiredOn); err != nil {
			return gateway.Errorf(gateway.KindInvalid, "date_invalid", "retired_on must be a date like 2027-03-31")
		}
	}
	cr, err := s.svc.RetireCarrier(c.UserContext(), actor(c), c.Params("slug"), on)
	if err != nil {
		return err
	}
	return c.JSON(carrierJSON(cr))
}

type testBody struct {
	Phone   string `json:"phone"`
	Message string `json:"message"`
	Tenant  string `json:"tenant"`
	To      string `json:"to"`
	// Link picks the route of the tenant's SMS chain to test (from 1).
	Link int `json:"link"`
}

// testCarrier answers 200 with ok and the provider's answer, a refusal
// included: the refusal is what the admin wanted to see.
func (s *Server) testCarrier(c *fiber.Ctx) error {
	var b testBody
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	res, err := s.svc.TestProvider(c.UserContext(), actor(c), c.Params("slug"), gateway.ProviderTestInput{
		Tenant: b.Tenant, Phone: b.Phone, Message: b.Message, Link: b.Link})
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (s *Server) testEmail(c *fiber.Ctx) error {
	var b testBody
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	res, err := s.svc.TestEmail(c.UserContext(), actor(c), firstOf(b.Tenant, c.Query("tenant")), b.To)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func (s *Server) putEmailProfile(c *fiber.Ctx) error {
	var b struct {
		URL      string `json:"url"`
		Username string `json:"username"`
		Password string `json:"password"`
		From     string `json:"from"`
		Tenant   string `json:"tenant"`
	}
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	t, err := s.svc.SetEmailProfile(c.UserContext(), actor(c), gateway.EmailProfileInput{
		Tenant: firstOf(b.Tenant, c.Query("tenant")), URL: b.URL, Username: b.Username, Password: b.Password, From: b.From})
	if err != nil {
		return err
	}
	return c.JSON(s.tenantJSON(t))
}

// setPassword is the manual override. 200 with the generated password
// when one was asked for: the only place it is ever shown.
func (s *Server) setPassword(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var b struct {
		Password   string `json:"password"`
		MustChange *bool  `json:"must_change"`
		Generate   bool   `json:"generate"`
		Tenant     string `json:"tenant"`
	}
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	res, err := s.svc.SetPassword(c.UserContext(), actor(c), id, gateway.PasswordInput{
		Tenant: firstOf(b.Tenant, c.Query("tenant")), Password: b.Password, Generate: b.Generate, MustChange: b.MustChange})
	if err != nil {
		return err
	}
	out := fiber.Map{"person_id": res.PersonID, "must_change": res.MustChange, "notified": true}
	if res.Generated != "" {
		out["password"] = res.Generated
	}
	return c.JSON(out)
}

// importPersonnel takes a text/csv body; ?dry_run=1 previews. Any row in
// error means nothing is imported, and the answer is still 200 with the
// errors listed by row.
func (s *Server) importPersonnel(c *fiber.Ctx) error {
	mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	switch mt {
	case "text/csv", "application/csv", "text/plain":
	default:
		return fiber.ErrUnsupportedMediaType
	}
	dry := c.QueryBool("dry_run")
	res, err := s.svc.ImportPersonnel(c.UserContext(), actor(c), c.Query("tenant"), bytes.NewReader(c.Body()), !dry)
	if err != nil {
		return err
	}
	if !dry {
		res.Rows = nil // the preview's detail; a commit answers with counts
	}
	return c.JSON(res)
}

func (s *Server) retryReset(c *fiber.Ctx) error {
	id, err := s.svc.RetryReset(c.UserContext(), actor(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"request_id": id, "retry_of": c.Params("id")})
}

// listEvents is the log: JSON newest first (page with ?before=), or with
// format=csv the whole match, oldest first, streamed.
func (s *Server) listEvents(c *fiber.Ctx) error {
	q, err := eventQuery(c, c.Query("tenant"), time.Local)
	if err != nil {
		return err
	}
	if strings.EqualFold(c.Query("format"), "csv") {
		exp, err := s.svc.ExportEvents(c.UserContext(), actor(c), q)
		if err != nil {
			return err
		}
		return s.streamCSV(c, exp)
	}
	evs, err := s.svc.Events(c.UserContext(), actor(c), q)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(evs))
	for _, e := range evs {
		out = append(out, eventJSON(e))
	}
	m := fiber.Map{"events": out}
	if len(evs) > 0 {
		m["next_before"] = evs[len(evs)-1].ID
	}
	return c.JSON(m)
}

func (s *Server) routeHealth(c *fiber.Ctx) error {
	rh, err := s.svc.RouteHealth(c.UserContext(), actor(c), c.Query("tenant"))
	if err != nil {
		return err
	}
	people := make([]fiber.Map, 0, len(rh.People))
	for _, r := range rh.People {
		m := fiber.Map{"tenant": r.Tenant, "person_id": r.PersonID, "name": r.Name, "email": r.Email, "phone": r.Phone,
			"carrier": r.Carrier, "status": r.Status, "days_left": r.DaysLeft, "ended": r.Ended(), "retired_on": nil}
		if !r.RetiredOn.IsZero() {
			m["retired_on"] = r.RetiredOn.Format(time.DateOnly)
		}
		people = append(people, m)
	}
	tenants := make([]fiber.Map, 0, len(rh.Tenants))
	for _, t := range rh.Tenants {
		m := fiber.Map{"slug": t.Slug, "name": t.Name, "people": t.People, "ended": t.Ended, "first_end": nil}
		if !t.FirstEnd.IsZero() {
			m["first_end"] = t.FirstEnd.Format(time.DateOnly)
		}
		tenants = append(tenants, m)
	}
	return c.JSON(fiber.Map{"people": people, "tenants": tenants})
}

func (s *Server) getOverview(c *fiber.Ctx) error {
	o, err := s.svc.Overview(c.UserContext(), actor(c), c.Query("tenant"), time.Local)
	if err != nil {
		return err
	}
	failing := make([]fiber.Map, 0, len(o.Failing))
	for _, r := range o.Failing {
		failing = append(failing, fiber.Map{"route": r.Route, "failed": r.Failed, "retrying": r.Retrying,
			"sent": r.Sent, "last_error": r.LastError, "last_error_at": r.LastErrorAt})
	}
	return c.JSON(fiber.Map{"since": o.Since, "requests": o.Requests, "delivered": o.Delivered,
		"rolled_back": o.RolledBack, "rejected": o.Rejected, "in_flight": o.InFlight, "failing": failing,
		"at_risk": o.AtRisk})
}

func adminJSON(a *gateway.Admin) fiber.Map {
	return fiber.Map{"id": a.ID, "email": a.Email, "tenant_id": a.TenantID, "disabled": a.Disabled,
		"last_login_at": a.LastLoginAt, "created_at": a.CreatedAt}
}

func (s *Server) listAdmins(c *fiber.Ctx) error {
	as, err := s.svc.ListAdmins(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(as))
	for _, a := range as {
		m := adminJSON(a)
		lock, err := s.svc.AdminLoginLock(c.UserContext(), a)
		if err != nil {
			return err
		}
		m["login"] = loginLockJSON(lock)
		out = append(out, m)
	}
	return c.JSON(fiber.Map{"admins": out})
}

func (s *Server) createAdmin(c *fiber.Ctx) error {
	var b struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Tenant   string `json:"tenant"`
	}
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	a, err := s.svc.CreateAdmin(c.UserContext(), actor(c), gateway.AdminInput{Email: b.Email, Password: b.Password, Tenant: b.Tenant})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(adminJSON(a))
}

func (s *Server) patchAdmin(c *fiber.Ctx) error {
	var b struct {
		Disabled *bool `json:"disabled"`
	}
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	if b.Disabled == nil {
		return gateway.Errorf(gateway.KindInvalid, "fields_required", "disabled (true or false) is required")
	}
	if err := s.svc.SetAdminDisabled(c.UserContext(), actor(c), c.Params("email"), *b.Disabled); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"email": strings.ToLower(c.Params("email")), "disabled": *b.Disabled})
}
