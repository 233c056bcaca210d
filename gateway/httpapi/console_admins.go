package httpapi

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// Console admins, tenants and one's own account. Every action calls the
// Service, which decides who may do what: a tenant admin reaches only
// their own tenant's admins (others answer 404) and no tenant at all.

func (u *consoleUI) routesAdmins() {
	a := u.s.app
	a.Get("/admin/account", u.auth, u.account)
	a.Post("/admin/account/password", u.auth, u.changeOwnPassword)
	a.Get("/admin/admins", u.auth, u.admins)
	a.Post("/admin/admins", u.auth, u.createAdmin)
	a.Get("/admin/admins/:id", u.auth, u.adminPage)
	a.Get("/admin/admins/:id/password", u.auth, u.confirmAdminPassword)
	a.Post("/admin/admins/:id/password", u.auth, u.resetAdminPassword)
	a.Get("/admin/admins/:id/disable", u.auth, u.confirmAdminDisable)
	a.Post("/admin/admins/:id/disable", u.auth, u.disableAdmin)
	a.Post("/admin/admins/:id/enable", u.auth, u.enableAdmin)
	a.Get("/admin/tenants", u.auth, u.tenants)
	a.Post("/admin/tenants", u.auth, u.createTenant)
	a.Get("/admin/tenants/:slug/disable", u.auth, u.confirmTenantDisable)
	a.Post("/admin/tenants/:slug/disable", u.auth, u.disableTenant)
	a.Post("/admin/tenants/:slug/enable", u.auth, u.enableTenant)
}

// mustChangeAllowed are the pages an admin who must choose their own
// password can reach: that form, and signing out.
func mustChangeAllowed(path string) bool {
	switch strings.TrimSuffix(strings.ToLower(path), "/") {
	case "/admin/account", "/admin/account/password", "/admin/logout":
		return true
	}
	return false
}

// adminView is an admin as a page shows them: never the hash.
type adminView struct {
	ID          int64
	Email       string
	Tenant      string // slug, "" for an operator
	Disabled    bool
	MustChange  bool
	Self        bool
	LastLoginAt time.Time
	CreatedAt   time.Time
}

type adminsData struct {
	Admins []adminView
	// Tenants are the choices of the create form (an operator's only).
	Tenants []tenantChoice
	Email   string
	Pick    string // the create form's tenant as typed
	Errs    map[string]string
}

type adminData struct {
	A         adminView
	Generated string
	Confirm   string // "password", "disable": the second step shown
}

func (u *consoleUI) slugs(c *fiber.Ctx) map[int64]string {
	ts, _ := u.svc.Tenants(c.UserContext(), session(c).Actor)
	m := map[int64]string{}
	for _, t := range ts {
		m[t.ID] = t.Slug
	}
	return m
}

func (u *consoleUI) view(c *fiber.Ctx, ad *gateway.Admin, slugs map[int64]string) adminView {
	return adminView{ID: ad.ID, Email: ad.Email, Tenant: slugs[ad.TenantID], Disabled: ad.Disabled, MustChange: ad.MustChange,
		Self: strings.EqualFold(ad.Email, session(c).Email), LastLoginAt: ad.LastLoginAt, CreatedAt: ad.CreatedAt}
}

func (u *consoleUI) admins(c *fiber.Ctx) error {
	cs := session(c)
	all, err := u.svc.ListAdmins(c.UserContext(), cs.Actor)
	if err != nil {
		return u.fail(c, err)
	}
	p := u.page(c, "admins", "Admins", nil)
	slugs := u.slugs(c)
	f := u.flash(c)
	d := adminsData{Email: f.formValue("email", ""), Pick: f.formValue("admin_tenant", p.Tenant), Errs: f.Fields}
	for _, ad := range all {
		// An operator who picked a tenant sees that tenant's admins.
		if p.Operator && p.Tenant != "" && slugs[ad.TenantID] != p.Tenant {
			continue
		}
		d.Admins = append(d.Admins, u.view(c, ad, slugs))
	}
	if p.Operator {
		d.Tenants = p.Tenants
	}
	p.D = d
	return u.render(c, "admins.html", p)
}

func (u *consoleUI) createAdmin(c *fiber.Ctx) error {
	cs := session(c)
	// A tenant admin's form has no tenant: the Service puts their new
	// admin in their own tenant whatever is posted, and a forged slug of
	// another tenant answers "not found".
	pick := c.FormValue("admin_tenant")
	if cs.Actor.TenantID == 0 {
		// An operator says which: an operator is never made by default.
		switch pick {
		case "":
			f := refused(c, gateway.Errorf(gateway.KindInvalid, "admin_tenant_required", "choose a tenant, or Operator"))
			f.Fields["admin_tenant"], f.Error = "choose a tenant, or Operator", "Not saved: fix the field marked below."
			return u.redirect(c, "/admin/admins", f)
		case operatorPick:
			pick = ""
		}
	}
	ad, pw, err := u.svc.CreateAdminGenerated(c.UserContext(), cs.Actor, c.FormValue("email"), pick)
	if err != nil {
		switch gateway.ErrorKind(err) {
		case gateway.KindInvalid, gateway.KindUnprocessable, gateway.KindConflict:
			f := refused(c, err)
			if fieldOf(err) == "" && gateway.ErrorCode(err) == "admin_exists" {
				f.Fields["email"], f.Error = errMessage(err), "Not saved: fix the field marked below."
			}
			return u.redirect(c, "/admin/admins", f)
		}
		return u.fail(c, err)
	}
	return u.redirect(c, adminPath(ad.ID), &flash{Generated: pw,
		Notice: "Admin created. Give them this password now: it is not shown again, and they choose their own at first sign-in."})
}

// operatorPick is the create form's choice of an operator: not a slug
// (slugs start with a letter or digit).
const operatorPick = "-"

func adminPath(id int64) string { return "/admin/admins/" + strconv.FormatInt(id, 10) }

func (u *consoleUI) loadAdmin(c *fiber.Ctx) (*gateway.Admin, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	return u.svc.ManagedAdmin(c.UserContext(), session(c).Actor, id)
}

func (u *consoleUI) showAdmin(c *fiber.Ctx, confirm string) error {
	ad, err := u.loadAdmin(c)
	if err != nil {
		return u.fail(c, err)
	}
	p := u.page(c, "admins", ad.Email, nil)
	p.D = adminData{A: u.view(c, ad, u.slugs(c)), Generated: u.flash(c).Generated, Confirm: confirm}
	return u.render(c, "admin.html", p)
}

func (u *consoleUI) adminPage(c *fiber.Ctx) error            { return u.showAdmin(c, "") }
func (u *consoleUI) confirmAdminPassword(c *fiber.Ctx) error { return u.showAdmin(c, "password") }
func (u *consoleUI) confirmAdminDisable(c *fiber.Ctx) error  { return u.showAdmin(c, "disable") }

// resetAdminPassword needs the confirmation step's confirm=yes; without
// it the form goes to that step, whatever sent it.
func (u *consoleUI) resetAdminPassword(c *fiber.Ctx) error {
	ad, err := u.loadAdmin(c)
	if err != nil {
		return u.fail(c, err)
	}
	if !confirmed(c) {
		return u.redirect(c, adminPath(ad.ID)+"/password", nil)
	}
	_, pw, err := u.svc.ResetAdminPassword(c.UserContext(), session(c).Actor, ad.ID)
	if err != nil {
		return u.adminRefused(c, ad.ID, err)
	}
	return u.redirect(c, adminPath(ad.ID), &flash{Generated: pw,
		Notice: "Password reset: " + ad.Email + " is signed out and must choose their own at the next sign-in. It is not shown again."})
}

func (u *consoleUI) adminRefused(c *fiber.Ctx, id int64, err error) error {
	if gateway.ErrorKind(err) == gateway.KindInvalid {
		return u.redirect(c, adminPath(id), &flash{Error: errMessage(err)})
	}
	return u.fail(c, err)
}

func (u *consoleUI) disableAdmin(c *fiber.Ctx) error {
	ad, err := u.loadAdmin(c)
	if err != nil {
		return u.fail(c, err)
	}
	if !confirmed(c) {
		return u.redirect(c, adminPath(ad.ID)+"/disable", nil)
	}
	if _, err := u.svc.SetAdminDisabledByID(c.UserContext(), session(c).Actor, ad.ID, true); err != nil {
		return u.adminRefused(c, ad.ID, err)
	}
	return u.redirect(c, adminPath(ad.ID), &flash{Notice: "Disabled: " + ad.Email + " is signed out and cannot sign in."})
}

func (u *consoleUI) enableAdmin(c *fiber.Ctx) error {
	ad, err := u.loadAdmin(c)
	if err != nil {
		return u.fail(c, err)
	}
	if _, err := u.svc.SetAdminDisabledByID(c.UserContext(), session(c).Actor, ad.ID, false); err != nil {
		return u.adminRefused(c, ad.ID, err)
	}
	return u.redirect(c, adminPath(ad.ID), &flash{Notice: "Enabled: " + ad.Email + " can sign in again."})
}

type accountData struct {
	MustChange bool
	MinLength  int
	Errs       map[string]string
}

func (u *consoleUI) account(c *fiber.Ctx) error {
	cs := session(c)
	p := u.page(c, "account", "Your account", nil)
	p.D = accountData{MustChange: cs.MustChange, MinLength: gateway.AdminMinPassword, Errs: u.flash(c).Fields}
	if cs.MustChange && p.Notice == "" && p.Error == "" {
		p.Notice = "Choose your own password before you go on: the one you signed in with was set by someone else."
	}
	return u.render(c, "account.html", p)
}

func (u *consoleUI) changeOwnPassword(c *fiber.Ctx) error {
	cs := session(c)
	refuse := func(field, msg string) error {
		return u.redirect(c, "/admin/account", &flash{Error: "Your password was not changed.", Fields: map[string]string{field: msg}})
	}
	if c.FormValue("new_password") != c.FormValue("new_password2") {
		return refuse("new_password2", "the two new passwords differ")
	}
	err := u.svc.ChangeOwnPassword(c.UserContext(), cs, gateway.OwnPasswordInput{
		Old: c.FormValue("old_password"), New: c.FormValue("new_password")})
	if err != nil {
		switch gateway.ErrorKind(err) {
		case gateway.KindInvalid, gateway.KindUnprocessable, gateway.KindRateLimited:
			field := "new_password"
			if code := gateway.ErrorCode(err); code == "old_password_wrong" || gateway.ErrorKind(err) == gateway.KindRateLimited {
				field = "old_password"
			}
			return refuse(field, errMessage(err))
		}
		return u.fail(c, err)
	}
	next := "/admin/account"
	if cs.MustChange {
		next = "/admin/overview"
	}
	return u.redirect(c, next, &flash{Notice: "Your password is changed. Your other sessions are signed out."})
}

// Tenants: operators only. A tenant admin gets the 403 page.

type tenantView struct {
	Slug      string
	Name      string
	Disabled  bool
	TimeZone  string
	CreatedAt time.Time
}

type tenantsData struct {
	Tenants  []tenantView
	Slug     string
	Name     string
	Errs     map[string]string
	Confirm  *tenantView // the tenant whose disabling is being confirmed
	Disabled int
}

func operatorOnly(c *fiber.Ctx) error {
	if session(c).Actor.TenantID != 0 {
		return gateway.Errorf(gateway.KindForbidden, "operator_only", "only an operator manages tenants")
	}
	return nil
}

func (u *consoleUI) showTenants(c *fiber.Ctx, confirm string) error {
	if err := operatorOnly(c); err != nil {
		return u.fail(c, err)
	}
	ts, err := u.svc.Tenants(c.UserContext(), session(c).Actor)
	if err != nil {
		return u.fail(c, err)
	}
	f := u.flash(c)
	d := tenantsData{Slug: f.formValue("slug", ""), Name: f.formValue("name", ""), Errs: f.Fields}
	for _, t := range ts {
		v := tenantView{Slug: t.Slug, Name: t.Name, Disabled: t.Disabled, TimeZone: t.Location().String(), CreatedAt: t.CreatedAt}
		if v.Disabled {
			d.Disabled++
		}
		if confirm != "" && t.Slug == confirm {
			d.Confirm = &v
		}
		d.Tenants = append(d.Tenants, v)
	}
	if confirm != "" && d.Confirm == nil {
		return u.fail(c, gateway.ErrNotFound)
	}
	return u.render(c, "tenants.html", u.page(c, "tenants", "Tenants", d))
}

func (u *consoleUI) tenants(c *fiber.Ctx) error { return u.showTenants(c, "") }
func (u *consoleUI) confirmTenantDisable(c *fiber.Ctx) error {
	return u.showTenants(c, c.Params("slug"))
}

func (u *consoleUI) createTenant(c *fiber.Ctx) error {
	if err := operatorOnly(c); err != nil {
		return u.fail(c, err)
	}
	_, err := u.svc.CreateTenant(c.UserContext(), session(c).Actor, gateway.TenantInput{
		Slug: c.FormValue("slug"), Name: c.FormValue("name")})
	if err != nil {
		switch gateway.ErrorKind(err) {
		case gateway.KindInvalid, gateway.KindConflict:
			f := refused(c, err)
			switch gateway.ErrorCode(err) {
			case "slug_invalid", "tenant_exists":
				f.Fields["slug"], f.Error = errMessage(err), "Not saved: fix the field marked below."
			}
			return u.redirect(c, "/admin/tenants", f)
		}
		return u.fail(c, err)
	}
	return u.redirect(c, "/admin/tenants", &flash{Notice: "Tenant created. Add its first admin under Admins."})
}

func (u *consoleUI) disableTenant(c *fiber.Ctx) error {
	if err := operatorOnly(c); err != nil {
		return u.fail(c, err)
	}
	slug := c.Params("slug")
	if !confirmed(c) {
		return u.redirect(c, "/admin/tenants/"+url.PathEscape(slug)+"/disable", nil)
	}
	t, err := u.svc.SetTenantDisabled(c.UserContext(), session(c).Actor, slug, true)
	if err != nil {
		return u.fail(c, err)
	}
	return u.redirect(c, "/admin/tenants", &flash{Notice: "Disabled " + t.Name + ": no resets, and its admins are signed out."})
}

func (u *consoleUI) enableTenant(c *fiber.Ctx) error {
	if err := operatorOnly(c); err != nil {
		return u.fail(c, err)
	}
	t, err := u.svc.SetTenantDisabled(c.UserContext(), session(c).Actor, c.Params("slug"), false)
	if err != nil {
		return u.fail(c, err)
	}
	return u.redirect(c, "/admin/tenants", &flash{Notice: "Enabled " + t.Name + "."})
}
