package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/templates"
)

// The public pages: a reset link's form (/r/{token}), "forgot password"
// (/reset) and "change password" (/password). They call the same service
// methods as the API, so the rules, answers and throttles are the API's.

const csrfCookie = "rgw_csrf"

// pageData is what every public page shows.
type pageData struct {
	Lang, CSRF, Company, Error string
	T                          map[string]string
	// link page
	Action    string
	MinLength int
	// message page
	Heading, Message, Next, NextText string
	OK                               bool
	// reset and password pages
	Tenant, Email, Phone string
	Tenants              []*gateway.Tenant
}

func (s *Server) routesPages() {
	s.app.Get("/r/:token", s.linkPage)
	s.app.Post("/r/:token", s.linkPost)
	s.app.Get("/reset", s.resetPage)
	s.app.Get("/reset/:tenant", s.resetPage)
	s.app.Post("/reset", s.resetPost)
	s.app.Get("/password", s.passwordPage)
	s.app.Post("/password", s.passwordPost)
	s.app.Get("/v/:token", s.verifyPage)
	s.app.Post("/v/:token", s.verifyPost)
}

// newPage starts a page's data: its language from the explicit choice
// (?lang= or the form's), else fallback, else Accept-Language; and the
// CSRF token of the browser's cookie, made when it has none.
func (s *Server) newPage(c *fiber.Ctx, fallback string) *pageData {
	choice := c.FormValue("lang")
	if choice == "" && fallback != "" && c.Query("lang") == "" {
		choice = fallback
	}
	if q := c.Query("lang"); q != "" {
		choice = q
	}
	lang := s.pages.Lang(choice, c.Get(fiber.HeaderAcceptLanguage))
	d := &pageData{Lang: lang, T: s.pages.Text(lang)}
	d.CSRF = c.Cookies(csrfCookie)
	if len(d.CSRF) != 32 {
		b := make([]byte, 16)
		_, _ = rand.Read(b) // crypto/rand does not fail on supported systems
		d.CSRF = hex.EncodeToString(b)
		c.Cookie(&fiber.Cookie{Name: csrfCookie, Value: d.CSRF, Path: "/", HTTPOnly: true, Secure: s.secure,
			SameSite: fiber.CookieSameSiteStrictMode, Expires: time.Now().Add(12 * time.Hour)})
	}
	return d
}

// csrfOK is the double-submit check: the form's hidden token must be the
// cookie's, which another site can neither read nor set.
func csrfOK(c *fiber.Ctx) bool {
	ck, form := c.Cookies(csrfCookie), c.FormValue("csrf")
	return len(ck) == 32 && subtle.ConstantTimeCompare([]byte(ck), []byte(form)) == 1
}

func (s *Server) page(c *fiber.Ctx, status int, name string, d *pageData) error {
	b, err := s.pages.Render(name, d)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(b)
}

// errText says a domain error in the page's language.
func errText(d *pageData, err error) string {
	switch gateway.ErrorCode(err) {
	case "passwords_differ":
		return d.T["err_differ"]
	case "password_too_short":
		return d.T["err_short"]
	case "password_too_long":
		return d.T["err_long"]
	case "password_common":
		return d.T["err_common"]
	case "password_personal":
		return d.T["err_personal"]
	case "password_invalid_chars":
		return d.T["err_chars"]
	case "invalid_credentials":
		return d.T["err_login"]
	case "email_required", "email_invalid":
		return d.T["err_email"]
	case "phone_invalid", "phone_extension":
		return d.T["err_phone"]
	}
	if gateway.ErrorKind(err) == gateway.KindRateLimited {
		return d.T["err_limited"]
	}
	return d.T["err_other"]
}

// pageStatus is the HTTP status of a page showing err.
func pageStatus(err error) int {
	switch gateway.ErrorKind(err) {
	case gateway.KindInvalid:
		return fiber.StatusBadRequest
	case gateway.KindUnauthorized:
		return fiber.StatusUnauthorized
	case gateway.KindUnprocessable:
		return fiber.StatusUnprocessableEntity
	case gateway.KindRateLimited:
		return fiber.StatusTooManyRequests
	}
	return fiber.StatusServiceUnavailable
}

func (s *Server) linkPage(c *fiber.Ctx) error {
	info, err := s.svc.CheckLink(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	d := s.newPage(c, info.Locale)
	return s.linkAnswer(c, d, info, "")
}

func (s *Server) linkAnswer(c *fiber.Ctx, d *pageData, info *gateway.LinkInfo, errMsg string) error {
	d.Company = info.Company
	if info.State != gateway.LinkValid {
		d.Heading, d.Message = d.T["link_gone_title"], d.T["link_"+string(info.State)]
		d.Next, d.NextText = "/reset?lang="+d.Lang, d.T["new_request"]
		if info.Tenant != "" {
			d.Next = "/reset/" + info.Tenant + "?lang=" + d.Lang
		}
		status := fiber.StatusGone
		if info.State == gateway.LinkUnknown {
			status = fiber.StatusNotFound
		}
		return s.page(c, status, "message", d)
	}
	d.Action, d.MinLength, d.Error = "/r/"+c.Params("token"), max(info.MinLength, 1), errMsg
	status := fiber.StatusOK
	if errMsg != "" {
		status = fiber.StatusUnprocessableEntity
	}
	return s.page(c, status, "link", d)
}

func (s *Server) linkPost(c *fiber.Ctx) error {
	token := c.Params("token")
	if !csrfOK(c) {
		info, err := s.svc.CheckLink(c.UserContext(), token)
		if err != nil {
			return err
		}
		d := s.newPage(c, info.Locale)
		return s.linkAnswer(c, d, info, d.T["err_csrf"])
	}
	info, err := s.svc.UseLink(c.UserContext(), gateway.UseLinkInput{Token: token,
		Password: c.FormValue("password"), Password2: c.FormValue("password2"), IP: clientIP(c)})
	if info == nil {
		return err
	}
	d := s.newPage(c, info.Locale)
	if err != nil {
		return s.linkAnswer(c, d, info, errText(d, err))
	}
	return s.linkDone(c, d, info)
}

func (s *Server) linkDone(c *fiber.Ctx, d *pageData, info *gateway.LinkInfo) error {
	d.Company = info.Company
	if !info.Done {
		return s.linkAnswer(c, d, info, "")
	}
	d.Heading, d.Message, d.OK = d.T["link_done_title"], d.T["link_done"], true
	return s.page(c, fiber.StatusOK, "message", d)
}

// tenantChoice fills the tenant field: the one named in the URL or form,
// else a chooser when there are several tenants, else the only one.
func (s *Server) tenantChoice(c *fiber.Ctx, d *pageData, named string) error {
	d.Tenant = strings.ToLower(strings.TrimSpace(named))
	if d.Tenant != "" {
		if t, err := s.svc.Tenant(c.UserContext(), d.Tenant); err == nil {
			d.Company = t.Name
		}
		return nil
	}
	ts, err := s.svc.Store().ListTenants(c.UserContext())
	if err != nil {
		return err
	}
	if len(ts) > 1 {
		d.Tenants = ts
	}
	return nil
}

func (s *Server) resetPage(c *fiber.Ctx) error {
	d := s.newPage(c, "")
	if err := s.tenantChoice(c, d, c.Params("tenant")); err != nil {
		return err
	}
	return s.page(c, fiber.StatusOK, "reset", d)
}

func (s *Server) resetPost(c *fiber.Ctx) error {
	d := s.newPage(c, "")
	d.Email, d.Phone = c.FormValue("email"), c.FormValue("phone")
	fail := func(status int, msg string) error {
		if err := s.tenantChoice(c, d, c.FormValue("tenant")); err != nil {
			return err
		}
		d.Error = msg
		return s.page(c, status, "reset", d)
	}
	if !csrfOK(c) {
		return fail(fiber.StatusForbidden, d.T["err_csrf"])
	}
	_, err := s.svc.RequestReset(c.UserContext(), gateway.ResetInput{Email: d.Email, Phone: d.Phone,
		Tenant: c.FormValue("tenant"), IP: clientIP(c), Source: gateway.SourceAPI})
	if err != nil && gateway.ErrorKind(err) != gateway.KindInternal && gateway.ErrorKind(err) != gateway.KindUnavailable {
		return fail(pageStatus(err), errText(d, err))
	} else if err != nil {
		return err
	}
	// The API's uniform answer: nothing here tells whether the account
	// exists.
	d.Heading, d.Message, d.OK = d.T["sent_title"], d.T["sent"], true
	return s.page(c, fiber.StatusAccepted, "message", d)
}

func (s *Server) passwordPage(c *fiber.Ctx) error {
	d := s.newPage(c, "")
	if err := s.tenantChoice(c, d, c.Query("tenant")); err != nil {
		return err
	}
	d.MinLength = s.minLength(c, d.Tenant)
	return s.page(c, fiber.StatusOK, "password", d)
}

func (s *Server) minLength(c *fiber.Ctx, slug string) int {
	if t, err := s.svc.Tenant(c.UserContext(), slug); err == nil && t.MinPasswordLength > 0 {
		return t.MinPasswordLength
	}
	return 15
}

func (s *Server) passwordPost(c *fiber.Ctx) error {
	d := s.newPage(c, "")
	d.Email = c.FormValue("email")
	fail := func(status int, msg string) error {
		if err := s.tenantChoice(c, d, c.FormValue("tenant")); err != nil {
			return err
		}
		d.MinLength, d.Error = s.minLength(c, d.Tenant), msg
		return s.page(c, status, "password", d)
	}
	if !csrfOK(c) {
		return fail(fiber.StatusForbidden, d.T["err_csrf"])
	}
	if c.FormValue("password") != c.FormValue("password2") {
		return fail(fiber.StatusUnprocessableEntity, d.T["err_differ"])
	}
	err := s.svc.ChangePassword(c.UserContext(), gateway.ChangeInput{Tenant: c.FormValue("tenant"), Email: d.Email,
		OldPassword: c.FormValue("old_password"), NewPassword: c.FormValue("password"), IP: clientIP(c)})
	if err != nil && gateway.ErrorKind(err) != gateway.KindInternal && gateway.ErrorKind(err) != gateway.KindUnavailable {
		return fail(pageStatus(err), errText(d, err))
	} else if err != nil {
		return err
	}
	d.Heading, d.Message, d.OK = d.T["changed_title"], d.T["changed"], true
	return s.page(c, fiber.StatusOK, "message", d)
}

// mustPages parses the embedded pages, which the templates tests prove
// parse: a failure here is a broken build.
func mustPages() *templates.Pages {
	p, err := templates.LoadPages()
	if err != nil {
		panic(err)
	}
	return p
}
