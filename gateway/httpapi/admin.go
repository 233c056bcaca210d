package httpapi

import (
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

func (s *Server) routesAdmin() {
	a := s.app.Group("/admin/api", s.adminAuth)
	a.Post("/tenants", s.createTenant)
	a.Patch("/settings", s.patchSettings)
	a.Get("/settings", s.getSettings)
	a.Post("/personnel", s.createPerson)
	a.Get("/personnel", s.listPersonnel)
	a.Get("/personnel/:id", s.getPerson)
	a.Patch("/personnel/:id", s.patchPerson)
	a.Delete("/personnel/:id", s.deletePerson)
	a.Post("/personnel/:id/verification", s.resendVerification)
	a.Get("/resets", s.listResets)
	a.Get("/resets/:id", s.getReset)
	s.routesAdminTools(a)
	s.routesAdminThrottles(a)
	s.routesLanes(a)
	s.routesOptOuts(a)
	s.routesBulk(a)
}

const actorKey = "actor"

// adminAuth checks the bearer token in constant time. No token configured
// means no admin API. A client address that sent wrong tokens too often
// is refused before its token is even compared, right or wrong.
func (s *Server) adminAuth(c *fiber.Ctx) error {
	ip := clientIP(c)
	key := gateway.IPKey(ip)
	if s.tokenFails.blocked(key) {
		return gateway.Errorf(gateway.KindRateLimited, "too_many_token_failures",
			"too many wrong admin tokens from this address, try again later")
	}
	h := c.Get(fiber.HeaderAuthorization)
	token, ok := strings.CutPrefix(h, "Bearer ")
	if s.token == "" || !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) != 1 {
		if s.tokenFails.fail(key) {
			// Once per window and address; what was sent stays out of it.
			if err := s.svc.SecurityEvent(c.UserContext(), gateway.SecurityEventInput{IP: ip,
				Code: "admin_token_throttled", Detail: c.Method() + " " + c.Path()}); err != nil {
				s.log.Error("security event not logged", "err", err)
			}
		}
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="resetgw admin"`)
		return gateway.Errorf(gateway.KindUnauthorized, "unauthorized", "a valid admin token is required")
	}
	c.Locals(actorKey, gateway.Actor{Kind: gateway.ActorAdmin, ID: "token", IP: ip})
	return s.adminBound(c)
}

func actor(c *fiber.Ctx) gateway.Actor {
	a, _ := c.Locals(actorKey).(gateway.Actor)
	return a
}

func pathID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, gateway.Errorf(gateway.KindNotFound, "not_found", "no such record")
	}
	return id, nil
}

func paging(c *fiber.Ctx) (limit, offset int) {
	limit, _ = strconv.Atoi(c.Query("limit"))
	offset, _ = strconv.Atoi(c.Query("offset"))
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	return limit, max(offset, 0)
}

// tenantJSON shows a tenant's settings; secrets only as "configured".
func (s *Server) tenantJSON(t *gateway.Tenant) fiber.Map {
	m := fiber.Map{
		"id": t.ID, "slug": t.Slug, "name": t.Name, "allow_mobile_reset": t.AllowMobileReset,
		"keep_original": t.KeepOriginal, "must_change": t.MustChange,
		"reset_ttl_hours": t.ResetTTL.Hours(), "sms_countries": t.SMSCountries,
		"min_password_length": t.MinPasswordLength,
		"keywords":            t.Keywords,
		"sms_rate_per_second": t.SMSRatePerSecond, "sms_validity_seconds": t.SMSValiditySeconds,
		"trust_mail_keywords": t.TrustMailKeywords,
		"reset_mode":          t.Lifecycle.Mode(), "link_ttl_minutes": int(t.Lifecycle.LinkTTL() / time.Minute),
		"office_phone":           t.Lifecycle.OfficePhone,
		"require_verified_email": t.Lifecycle.RequireVerifiedEmail,
		"max_password_age_days":  t.Lifecycle.MaxPasswordAgeDays,
		"sms_routes":             s.routesJSON(t),
		"smtp":                   fiber.Map{"configured": t.SMTP != nil},
		"twilio":                 fiber.Map{"configured": t.Twilio.Configured()},
	}
	m["time_zone"], m["disabled"] = t.Location().String(), t.Disabled
	if t.SMTP != nil {
		m["smtp"] = fiber.Map{"configured": true, "from": t.SMTP.From}
	}
	if t.Twilio != nil {
		m["twilio"] = fiber.Map{"configured": t.Twilio.Configured(), "account_sid": t.Twilio.AccountSID,
			"from": t.Twilio.From, "messaging_service_sid": t.Twilio.MessagingServiceSID}
	}
	return m
}

type tenantBody struct {
	Slug             string `json:"slug"`
	Name             string `json:"name"`
	AllowMobileReset *bool  `json:"allow_mobile_reset"`
}

func (s *Server) createTenant(c *fiber.Ctx) error {
	var b tenantBody
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	t, err := s.svc.CreateTenant(c.UserContext(), actor(c), gateway.TenantInput{
		Slug: b.Slug, Name: b.Name, AllowMobileReset: b.AllowMobileReset})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(s.tenantJSON(t))
}

type settingsBody struct {
	Name              *string                 `json:"name"`
	AllowMobileReset  *bool                   `json:"allow_mobile_reset"`
	KeepOriginal      *bool                   `json:"keep_original"`
	MustChange        *bool                   `json:"must_change"`
	ResetTTLHours     *float64                `json:"reset_ttl_hours"`
	SMSCountries      []string                `json:"sms_countries"`
	MinPasswordLength *int                    `json:"min_password_length"`
	SMTP              *gateway.SMTPProfile    `json:"smtp"`
	Twilio            *gateway.TwilioSettings `json:"twilio"`
	// Keywords are the tenant's own inbound-text words, {"OLVIDE":
	// "reset", "PASSWORD": ""}; {} goes back to the defaults.
	Keywords gateway.Keywords `json:"keywords"`
	// SMSRatePerSecond paces the tenant's texts (0: the sender's own);
	// SMSValiditySeconds is how long the provider may keep trying one.
	SMSRatePerSecond   *float64 `json:"sms_rate_per_second"`
	SMSValiditySeconds *int     `json:"sms_validity_seconds"`
	TrustMailKeywords  *bool    `json:"trust_mail_keywords"`
	ResetMode          *string  `json:"reset_mode"`
	LinkTTLMinutes     *int     `json:"link_ttl_minutes"`
	OfficePhone        *string  `json:"office_phone"`
	// RequireVerifiedEmail mails only proved addresses; MaxPasswordAgeDays
	// is 0 (off) or 30-730.
	RequireVerifiedEmail *bool `json:"require_verified_email"`
	MaxPasswordAgeDays   *int  `json:"max_password_age_days"`
	// SMSRoutes is the tenant's ordered SMS chain; [] goes back to the
	// default one.
	SMSRoutes *[]smsRouteJSON `json:"sms_routes"`
	// TimeZone is the IANA zone of the console's times ("" is UTC).
	TimeZone *string `json:"time_zone"`
}

func (s *Server) patchSettings(c *fiber.Ctx) error {
	var b settingsBody
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	p := gateway.SettingsPatch{Name: b.Name, AllowMobileReset: b.AllowMobileReset, KeepOriginal: b.KeepOriginal,
		MustChange: b.MustChange, SMSCountries: b.SMSCountries, MinPasswordLength: b.MinPasswordLength,
		SMTP: b.SMTP, Twilio: b.Twilio, Keywords: b.Keywords, TrustMailKeywords: b.TrustMailKeywords,
		SMSRatePerSecond: b.SMSRatePerSecond, SMSValiditySeconds: b.SMSValiditySeconds,
		ResetMode: b.ResetMode, LinkTTLMinutes: b.LinkTTLMinutes, OfficePhone: b.OfficePhone,
		TimeZone:             b.TimeZone,
		RequireVerifiedEmail: b.RequireVerifiedEmail, MaxPasswordAgeDays: b.MaxPasswordAgeDays}
	routes, err := smsRoutes(b.SMSRoutes)
	if err != nil {
		return err
	}
	p.SMSRoutes = routes
	if b.ResetTTLHours != nil {
		d := time.Duration(*b.ResetTTLHours * float64(time.Hour))
		p.ResetTTL = &d
	}
	t, err := s.svc.UpdateSettings(c.UserContext(), actor(c), c.Query("tenant"), p)
	if err != nil {
		return err
	}
	return c.JSON(s.tenantJSON(t))
}

func (s *Server) getSettings(c *fiber.Ctx) error {
	t, err := s.svc.Tenant(c.UserContext(), c.Query("tenant"))
	if err != nil {
		return err
	}
	return c.JSON(s.tenantJSON(t))
}

type phoneJSON struct {
	Number   string `json:"number"`
	Type     string `json:"type"`
	Carrier  string `json:"carrier,omitempty"`
	OptedOut bool   `json:"opted_out,omitempty"`
}

type personBody struct {
	Tenant           string      `json:"tenant"`
	Name             string      `json:"name"`
	Email            string      `json:"email"`
	Status           string      `json:"status"`
	MobileAccess     *bool       `json:"mobile_access"`
	AllowMobileReset *bool       `json:"allow_mobile_reset"`
	Password         string      `json:"password"`
	MustChange       *bool       `json:"must_change"`
	Locale           string      `json:"locale"`
	Phones           []phoneJSON `json:"phones"`
	Tags             []string    `json:"tags"`
}

func phoneInputs(in []phoneJSON) []gateway.PhoneInput {
	out := make([]gateway.PhoneInput, 0, len(in))
	for _, p := range in {
		out = append(out, gateway.PhoneInput{Number: p.Number, Type: p.Type, Carrier: p.Carrier})
	}
	return out
}

func personJSON(p *gateway.Person) fiber.Map {
	phones := make([]phoneJSON, 0, len(p.Phones))
	for _, ph := range p.Phones {
		phones = append(phones, phoneJSON{Number: ph.Number, Type: string(ph.Type), Carrier: ph.Carrier, OptedOut: ph.OptedOut})
	}
	m := fiber.Map{
		"id": p.ID, "tenant_id": p.TenantID, "name": p.Name, "email": p.Email, "status": p.Status,
		"mobile_access": p.MobileAccess, "allow_mobile_reset": p.AllowMobileReset,
		"must_change": p.MustChange, "locale": p.Locale, "has_password": p.PasswordHash != "",
		"phones": phones, "tags": tagsJSON(p.Tags), "created_at": p.CreatedAt, "updated_at": p.UpdatedAt,
		"email_verified": p.EmailVerified(),
	}
	if p.EmailVerified() {
		m["email_verified_at"] = p.EmailVerifiedAt
	}
	if !p.PasswordSetAt.IsZero() {
		m["password_set_at"] = p.PasswordSetAt
	}
	return m
}

func (s *Server) createPerson(c *fiber.Ctx) error {
	var b personBody
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	p, err := s.svc.CreatePerson(c.UserContext(), actor(c), gateway.PersonInput{
		Tenant: b.Tenant, Name: b.Name, Email: b.Email, Status: b.Status, MobileAccess: b.MobileAccess,
		AllowMobileReset: b.AllowMobileReset, Password: b.Password, MustChange: b.MustChange,
		Locale: b.Locale, Phones: phoneInputs(b.Phones), Tags: b.Tags,
	})
	if err != nil {
		return err
	}
	m := personJSON(p)
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (s *Server) getPerson(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.svc.Person(c.UserContext(), actor(c), c.Query("tenant"), id)
	if err != nil {
		return err
	}
	return s.personWithLock(c, p)
}

func (s *Server) listPersonnel(c *fiber.Ctx) error {
	limit, offset := paging(c)
	q := c.Query("q")
	if q == "" {
		q = c.Query("search")
	}
	var ps []*gateway.Person
	var err error
	if tag := c.Query("tag"); tag != "" {
		ps, err = s.svc.ListPersonnelTagged(c.UserContext(), actor(c), c.Query("tenant"), q, tag, limit, offset)
	} else {
		ps, err = s.svc.ListPersonnel(c.UserContext(), actor(c), c.Query("tenant"), q, limit, offset)
	}
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(ps))
	for _, p := range ps {
		out = append(out, personJSON(p))
	}
	return c.JSON(fiber.Map{"personnel": out})
}

type personPatchBody struct {
	Name             *string      `json:"name"`
	Email            *string      `json:"email"`
	Status           *string      `json:"status"`
	MobileAccess     *bool        `json:"mobile_access"`
	AllowMobileReset *bool        `json:"allow_mobile_reset"`
	Locale           *string      `json:"locale"`
	Phones           *[]phoneJSON `json:"phones"`
	Tags             *[]string    `json:"tags"`
}

func (s *Server) patchPerson(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var b personPatchBody
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	p := gateway.PersonPatch{Name: b.Name, Email: b.Email, Status: b.Status, MobileAccess: b.MobileAccess,
		AllowMobileReset: b.AllowMobileReset, Locale: b.Locale, Tags: b.Tags}
	if b.Phones != nil {
		in := phoneInputs(*b.Phones)
		p.Phones = &in
	}
	person, err := s.svc.UpdatePerson(c.UserContext(), actor(c), c.Query("tenant"), id, p)
	if err != nil {
		return err
	}
	return c.JSON(personJSON(person))
}

func (s *Server) deletePerson(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.svc.DeletePerson(c.UserContext(), actor(c), c.Query("tenant"), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func resetJSON(r *gateway.ResetRequest) fiber.Map {
	ds := make([]fiber.Map, 0, len(r.Deliveries))
	for _, d := range r.Deliveries {
		m := fiber.Map{"channel": d.Channel, "route": d.Route, "status": d.Status, "attempt_count": d.Attempts,
			"to": maskRecipient(d.To)}
		if d.ProviderID != "" {
			m["provider_id"] = d.ProviderID
		}
		if d.ErrorCode != "" {
			m["error"] = d.ErrorCode
			m["error_detail"] = d.ErrorDetail
		}
		tries := make([]fiber.Map, 0, len(d.Tries))
		for _, a := range d.Tries {
			t := fiber.Map{"route": a.Route, "status": a.Status, "at": a.At}
			if a.ProviderID != "" {
				t["provider_id"] = a.ProviderID
			}
			if a.Error != "" {
				t["error"] = a.Error
			}
			tries = append(tries, t)
		}
		m["attempts"] = tries
		ds = append(ds, m)
	}
	m := fiber.Map{"request_id": r.ID, "state": r.State, "source": r.Source, "tenant_id": r.TenantID,
		"person_id": r.PersonID, "created_at": r.CreatedAt, "updated_at": r.UpdatedAt,
		"used": !r.UsedAt.IsZero(), "deliveries": ds}
	if r.Reason != "" {
		m["reason"] = r.Reason
	}
	if !r.ExpiresAt.IsZero() {
		m["expires_at"] = r.ExpiresAt
	}
	return m
}

// maskRecipient keeps enough of an address to recognise it in a log view.
func maskRecipient(to string) string {
	if local, domain, ok := strings.Cut(to, "@"); ok && len(local) > 2 {
		return local[:2] + strings.Repeat("*", len(local)-2) + "@" + domain
	}
	if len(to) > 4 {
		return strings.Repeat("*", len(to)-4) + to[len(to)-4:]
	}
	return to
}

func (s *Server) getReset(c *fiber.Ctx) error {
	r, err := s.svc.Reset(c.UserContext(), actor(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(resetJSON(r))
}

func (s *Server) listResets(c *fiber.Ctx) error {
	limit, offset := paging(c)
	state := gateway.ResetState(c.Query("state"))
	switch state {
	case "", gateway.StateReceived, gateway.StateRejected, gateway.StateDelivering, gateway.StateDelivered, gateway.StateRolledBack,
		gateway.StateCancelled:
	default:
		return gateway.Errorf(gateway.KindInvalid, "state_invalid", "unknown state %q", state)
	}
	rs, err := s.svc.ListResets(c.UserContext(), actor(c), c.Query("tenant"), state, limit, offset)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(rs))
	for _, r := range rs {
		out = append(out, resetJSON(r))
	}
	// A bare list, as the contract names it ("→ list").
	return c.JSON(out)
}

// resendVerification mails the person a new email verification link.
func (s *Server) resendVerification(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.svc.ResendVerification(c.UserContext(), actor(c), c.Query("tenant"), id); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"sent": true})
}
