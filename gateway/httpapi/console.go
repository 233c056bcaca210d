package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/templates"
)

// The admin console: server-rendered pages at /admin for office admins on
// a tablet or a phone. Every action calls the same Service method as the
// admin API and the CLI; this file only turns forms into calls and
// results into pages.

const (
	// Cookie names over http; over https they carry the __Host- prefix
	// (see consoleUI.cookieName).
	sessionCookie = "resetgw_session"
	loginCookie   = "resetgw_login"
	consoleKey    = "console"
	// consoleCSP allows no script at all: the console is forms and links.
	consoleCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
		"frame-ancestors 'none'; base-uri 'none'"
)

// consoleUI holds what the console's handlers need.
type consoleUI struct {
	s     *Server
	svc   *gateway.Service
	pages *templates.Console
	// secure is whether RESETGW_PUBLIC_URL is https: it, not a header a
	// client may send, decides the cookies' Secure flag and prefix.
	secure bool
	// flashes wait for the page a POST redirects to; uploads are CSVs
	// between their preview and their Import.
	flashes *keptMap[flash]
	uploads *keptMap[upload]
}

func (s *Server) routesConsole(pages *templates.Console) {
	if pages == nil {
		var err error
		if pages, err = templates.LoadConsole(""); err != nil {
			s.log.Error("admin console disabled: embedded pages do not parse", "err", err)
			return
		}
	}
	u := &consoleUI{s: s, svc: s.svc, pages: pages, secure: s.secure,
		flashes: newKept[flash](maxFlashes, flashTTL, nil), uploads: newKept[upload](maxUploads, uploadTTL, nil)}
	s.consoleErr = u.errorPage
	a := s.app
	a.Get("/admin", func(c *fiber.Ctx) error { return c.Redirect("/admin/overview", fiber.StatusSeeOther) })
	a.Get("/admin/console.css", u.css)
	a.Get("/admin/login", u.loginPage)
	a.Post("/admin/login", u.login)
	a.Post("/admin/logout", u.auth, u.logout)
	a.Get("/admin/overview", u.auth, u.overview)
	u.routesPersonnel()
	u.routesCarriers()
	u.routesSettings()
	u.routesLog()
	u.routesAdmins()
	u.routesZone()
	u.routesBulk()
}

// page is what every console page gets: the frame, then D for the page.
type page struct {
	Title    string
	Nav      string
	Admin    string
	Operator bool
	// Tenant is the tenant the page is about: the admin's own, or the one
	// an operator picked ("" for all tenants).
	Tenant  string
	Tenants []tenantChoice
	CSRF    string
	Notice  string
	Error   string
	Status  int
	// Zone names the time zone the page's times are in; loc is that zone.
	Zone string
	loc  *time.Location
	// Refresh, above 0, reloads the page every so many seconds (a job
	// in progress), without script.
	Refresh int
	D       any
}

// Link adds the page's tenant to a console path, so an operator's choice
// follows them from page to page.
func (p page) Link(path string) string {
	if !p.Operator || p.Tenant == "" {
		return path
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "tenant=" + url.QueryEscape(p.Tenant)
}

func session(c *fiber.Ctx) *gateway.ConsoleSession {
	cs, _ := c.Locals(consoleKey).(*gateway.ConsoleSession)
	return cs
}

// tenantParam is the tenant a request names: an operator may pick any
// (query or form field "tenant"); a tenant admin is always in their own.
func tenantParam(c *fiber.Ctx) string {
	cs := session(c)
	if cs == nil || cs.Actor.TenantID != 0 {
		return ""
	}
	if t := c.FormValue("tenant"); t != "" {
		return t
	}
	return c.Query("tenant")
}

func (u *consoleUI) page(c *fiber.Ctx, nav, title string, d any) page {
	cs := session(c)
	p := page{Title: title, Nav: nav, D: d, Notice: noticeText(c.Query("done"))}
	if cs == nil {
		return p
	}
	if f := u.flash(c); f.Notice != "" || f.Error != "" {
		p.Notice, p.Error = f.Notice, f.Error
	}
	p.Admin, p.Operator, p.CSRF = cs.Email, cs.Actor.TenantID == 0, cs.CSRF
	p.Tenant = cs.Tenant
	if p.Operator {
		p.Tenant = tenantParam(c)
		// The tenant switcher; a failure only hides it.
		ts, _ := u.svc.Tenants(c.UserContext(), cs.Actor)
		for _, t := range ts {
			p.Tenants = append(p.Tenants, tenantChoice{Slug: t.Slug, Name: t.Name})
		}
	}
	p.loc = u.zone(c)
	p.Zone = zoneName(p.loc, u.svc.Now())
	return p
}

const zoneLocal = "console_zone"

// zone is the time zone of the request's pages: the tenant's (the admin's
// own, or the one an operator picked); UTC for an operator looking at
// every tenant, or when the tenant cannot be read.
func (u *consoleUI) zone(c *fiber.Ctx) *time.Location {
	if loc, ok := c.Locals(zoneLocal).(*time.Location); ok {
		return loc
	}
	loc := time.UTC
	if cs := session(c); cs != nil && (cs.Actor.TenantID != 0 || tenantParam(c) != "") {
		if t, err := u.svc.Settings(c.UserContext(), cs.Actor, tenantParam(c)); err == nil {
			loc = t.Location()
		}
	}
	c.Locals(zoneLocal, loc)
	return loc
}

// zoneName says a zone as an office reads it: "America/Chicago (UTC−06:00)".
func zoneName(loc *time.Location, now time.Time) string {
	if loc == time.UTC || loc.String() == "UTC" {
		return "UTC"
	}
	_, off := now.In(loc).Zone()
	sign := "+"
	if off < 0 {
		sign, off = "−", -off
	}
	return fmt.Sprintf("%s (UTC%s%02d:%02d)", loc.String(), sign, off/3600, off%3600/60)
}

// tenantChoice is a tenant as a page may show it: never the *Tenant,
// whose settings hold secrets a template must not be able to print.
type tenantChoice struct {
	Slug string
	Name string
}

// noticeText is the confirmation shown after a redirect; only known
// keys, so a link cannot make the page say anything.
func noticeText(key string) string {
	return map[string]string{
		"saved":       "Saved.",
		"deactivated": "Deactivated: reset and login are off for this person.",
		"retried":     "A new reset is on its way.",
		"retired":     "The gateway is marked as retiring or retired.",
		"created":     "Created.",
	}[key]
}

func (u *consoleUI) render(c *fiber.Ctx, name string, p page) error {
	var buf bytes.Buffer
	if err := u.pages.RenderIn(&buf, name, p, p.loc); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentSecurityPolicy, consoleCSP)
	c.Type("html", "utf-8")
	if p.Status != 0 {
		c.Status(p.Status)
	}
	return c.Send(buf.Bytes())
}

// fail shows an error as a console page, with the status the one mapping
// in errors.go gives its kind.
func (u *consoleUI) fail(c *fiber.Ctx, err error) error {
	ge := domainError(err)
	code := status[ge.Kind]
	if ge != errRequestEnded && (ge.Kind == gateway.KindInternal || ge.Kind == gateway.KindUnavailable) {
		u.s.log.Error("console request failed", "method", c.Method(), "route", routeOf(c), "request_id", requestIDOf(c), "ip", clientIP(c), "err", err)
	}
	p := u.page(c, "", "Error", nil)
	p.Status, p.Error = code, ge.Message
	switch code {
	case fiber.StatusNotFound:
		p.Title = "Not found"
	case fiber.StatusForbidden:
		p.Title = "Not allowed"
	case fiber.StatusInternalServerError:
		p.Title, p.Error = "Something went wrong", "The gateway could not finish this. It is in the server's log; try again in a moment."
	}
	return u.render(c, "error.html", p)
}

// consolePage is whether path is a page of the console (a browser's),
// whose errors are pages too; the JSON API under /admin/api and the CSV
// export keep their JSON errors.
func consolePage(path string) bool {
	path = strings.ToLower(path)
	return (path == "/admin" || strings.HasPrefix(path, "/admin/")) && !strings.HasPrefix(path, "/admin/api/") &&
		path != "/admin/api" && !strings.HasSuffix(path, ".csv")
}

// errorPage answers an error the handlers did not (no such page, a body
// over the limit, a panic) in the console's look, with the admin's
// navigation when their session is good.
func (u *consoleUI) errorPage(c *fiber.Ctx, err error) error {
	if session(c) == nil {
		if cs, serr := u.svc.AdminSession(c.UserContext(), c.Cookies(u.cookieName(sessionCookie))); serr == nil {
			c.Locals(consoleKey, cs)
		}
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		if fe.Code == fiber.StatusRequestEntityTooLarge && strings.EqualFold(c.Path(), "/admin/import") {
			return u.tooLarge(c)
		}
		p := u.page(c, "", "Error", nil)
		p.Status, p.Error = fe.Code, fe.Message
		switch fe.Code {
		case fiber.StatusNotFound:
			p.Title, p.Error = "Page not found", "There is no such page in the console."
		case fiber.StatusRequestEntityTooLarge:
			p.Title, p.Error = "Too large", "What was sent is larger than the console takes (256 KiB)."
		case fiber.StatusMethodNotAllowed:
			p.Title = "Not allowed"
		}
		return u.render(c, "error.html", p)
	}
	return u.fail(c, err)
}

// formError re-renders a form with the error of a refused input, and
// shows any other error as an error page.
func (u *consoleUI) formError(c *fiber.Ctx, err error, name string, p page) error {
	switch gateway.ErrorKind(err) {
	case gateway.KindInvalid, gateway.KindUnprocessable, gateway.KindConflict, gateway.KindForbidden:
		p.Status, p.Error = status[gateway.ErrorKind(err)], errMessage(err)
		return u.render(c, name, p)
	}
	return u.fail(c, err)
}

func errMessage(err error) string {
	var ge *gateway.Error
	if errors.As(err, &ge) {
		return ge.Message
	}
	return "internal error"
}

// done redirects after a successful form (post, redirect, get), keeping
// the tenant an operator works in; the notice waits in a flash.
func (u *consoleUI) done(c *fiber.Ctx, path, notice string) error {
	var f *flash
	if t := noticeText(notice); t != "" {
		f = &flash{Notice: t}
	}
	return u.redirect(c, path, f)
}

// cookieName is a console cookie's name: over https with the __Host-
// prefix, which a browser keeps only when it is Secure, for Path=/ and
// without a Domain, so neither a sibling host nor a plain-http page can
// plant or overwrite it.
func (u *consoleUI) cookieName(name string) string {
	if u.secure {
		return "__Host-" + name
	}
	return name
}

// cookie sets a console cookie: HttpOnly, SameSite=Strict, never with a
// Domain. Over https it is Secure and on Path=/ (as __Host- requires);
// over http it is kept to /admin.
func (u *consoleUI) cookie(c *fiber.Ctx, name, value string, expires time.Time) {
	path := "/admin"
	if u.secure {
		path = "/"
	}
	c.Cookie(&fiber.Cookie{Name: u.cookieName(name), Value: value, Path: path, Expires: expires, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode, Secure: u.secure})
}

// formToken is a form's CSRF token, read from the request body only: a
// token in the query string ends up in logs, history and Referer headers,
// so it is never accepted from there.
func formToken(c *fiber.Ctx) string {
	const field = "_csrf"
	ct := strings.ToLower(string(c.Request().Header.ContentType()))
	if strings.HasPrefix(ct, fiber.MIMEMultipartForm) {
		if f, err := c.MultipartForm(); err == nil && len(f.Value[field]) > 0 {
			return f.Value[field][0]
		}
		return ""
	}
	// PostArgs are the body of an x-www-form-urlencoded request, and
	// nothing for any other type.
	return string(c.Context().PostArgs().Peek(field))
}

// auth lets a signed-in admin through, and checks the CSRF token of every
// POST against their session. A missing or ended session sends a page
// request to the login form.
func (u *consoleUI) auth(c *fiber.Ctx) error {
	cs, err := u.svc.AdminSession(c.UserContext(), c.Cookies(u.cookieName(sessionCookie)))
	if err != nil {
		if gateway.ErrorKind(err) == gateway.KindUnauthorized && c.Method() == fiber.MethodGet {
			return c.Redirect("/admin/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return u.fail(c, err)
	}
	cs.Actor.IP = clientIP(c)
	c.Locals(consoleKey, cs)
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead &&
		!u.svc.CheckCSRF(cs.Token, formToken(c)) {
		return u.fail(c, gateway.Errorf(gateway.KindForbidden, "csrf_invalid",
			"this form has expired or did not come from the console: reload the page and try again"))
	}
	// Someone else chose this admin's password: nothing works until they
	// choose their own (a POST does nothing and lands on the same form).
	if cs.MustChange && !mustChangeAllowed(c.Path()) {
		return c.Redirect("/admin/account", fiber.StatusSeeOther)
	}
	return u.s.adminBound(c)
}

func (u *consoleUI) css(c *fiber.Ctx) error {
	c.Type("css", "utf-8")
	c.Set(fiber.HeaderCacheControl, "max-age=300")
	return c.Send(u.pages.CSS())
}

type loginData struct {
	Email string
	Next  string
	Token string
}

func (u *consoleUI) loginPage(c *fiber.Ctx) error {
	return u.showLogin(c, "", 0)
}

func (u *consoleUI) showLogin(c *fiber.Ctx, msg string, code int) error {
	nonce, token, err := u.svc.LoginNonce()
	if err != nil {
		return u.fail(c, err)
	}
	u.cookie(c, loginCookie, nonce, time.Time{})
	p := u.page(c, "", "Sign in", loginData{Email: c.FormValue("email"), Next: safeNext(c.Query("next", c.FormValue("next"))), Token: token})
	p.Error, p.Status = msg, code
	return u.render(c, "login.html", p)
}

func (u *consoleUI) login(c *fiber.Ctx) error {
	if !u.svc.CheckLoginNonce(c.Cookies(u.cookieName(loginCookie)), formToken(c)) {
		return u.showLogin(c, "The sign-in form expired. Please try again.", fiber.StatusForbidden)
	}
	cs, err := u.svc.AdminLogin(c.UserContext(), gateway.AdminLoginInput{
		Email: c.FormValue("email"), Password: c.FormValue("password"), IP: clientIP(c)})
	if err != nil {
		switch gateway.ErrorKind(err) {
		case gateway.KindUnauthorized, gateway.KindRateLimited:
			return u.showLogin(c, errMessage(err), status[gateway.ErrorKind(err)])
		}
		return u.fail(c, err)
	}
	u.cookie(c, loginCookie, "", time.Unix(1, 0))
	u.cookie(c, sessionCookie, cs.Token, time.Time{}) // a browser session; the server ends it too
	return c.Redirect(safeNext(c.FormValue("next")), fiber.StatusSeeOther)
}

// safeNext keeps a post-login redirect inside the console, so the login
// form cannot be used to send someone elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "/admin/login") {
		return "/admin/overview"
	}
	return next
}

func (u *consoleUI) logout(c *fiber.Ctx) error {
	if err := u.svc.AdminLogout(c.UserContext(), session(c), clientIP(c)); err != nil {
		return u.fail(c, err)
	}
	u.cookie(c, sessionCookie, "", time.Unix(1, 0))
	return c.Redirect("/admin/login", fiber.StatusSeeOther)
}

func (u *consoleUI) overview(c *fiber.Ctx) error {
	cs := session(c)
	o, err := u.svc.Overview(c.UserContext(), cs.Actor, tenantParam(c), u.zone(c))
	if err != nil {
		return u.fail(c, err)
	}
	p := u.page(c, "overview", "Overview", nil)
	d := overviewData{Overview: o}
	if d.Week, d.Rates, err = u.weekChart(c, p.Zone); err != nil {
		return u.fail(c, err)
	}
	p.D = d
	return u.render(c, "overview.html", p)
}
