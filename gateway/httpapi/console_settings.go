package httpapi

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

func (u *consoleUI) routesSettings() {
	a := u.s.app
	a.Get("/admin/settings", u.auth, u.settings)
	a.Post("/admin/settings", u.auth, u.saveFlags)
	a.Post("/admin/settings/email", u.auth, u.saveEmail)
	a.Post("/admin/settings/lifecycle", u.auth, u.saveLifecycle)
	a.Post("/admin/personnel/:id/verification", u.auth, u.sendVerificationLink)
	u.routesVerifyLinks()
	u.routesSMSRoutes()
	a.Post("/admin/settings/twilio", u.auth, u.saveTwilio)
	a.Post("/admin/settings/test-email", u.auth, u.testEmail)
	a.Get("/admin/failed", u.auth, u.failed)
	a.Post("/admin/failed/:id/retry", u.auth, u.retry)
	a.Post("/admin/failed/:id/resolve", u.auth, u.resolve)
}

// settingsView is a tenant's settings as the page shows them: secrets
// only as "set", never their values (the page never gets them).
type settingsView struct {
	Slug              string
	Name              string
	AllowMobileReset  bool
	KeepOriginal      bool
	MustChange        bool
	ResetTTLHours     float64
	MinPasswordLength int
	SMSCountries      string
	TrustMailKeywords bool
	Email             gateway.EmailProfileView
	Twilio            twilioView
	EmailTest         *gateway.ProviderTestResult
	TestTo            string
	// TimeZone is the tenant's zone; Zones the field's suggestions, and
	// ZoneTyped/ZoneError a refused entry as typed.
	TimeZone  string
	Zones     []string
	ZoneTyped string
	ZoneError string
	// Lifecycle is the account-lifecycle form (console_lifecycle.go).
	Lifecycle lifecycleForm
	// VerifyBacklog is how many people have no working verification link
	// while verified emails are required (console_verifylinks.go).
	VerifyBacklog int
	// Routes is the SMS routes card (console_smsroutes.go).
	Routes smsRoutesView
}

type twilioView struct {
	Configured          bool
	AccountSID          string
	From                string
	MessagingServiceSID string
	HasToken            bool
}

func viewSettings(t *gateway.Tenant) settingsView {
	v := settingsView{Slug: t.Slug, Name: t.Name, AllowMobileReset: t.AllowMobileReset, KeepOriginal: t.KeepOriginal,
		MustChange: t.MustChange, ResetTTLHours: t.ResetTTL.Hours(), MinPasswordLength: t.MinPasswordLength,
		SMSCountries: strings.Join(t.SMSCountries, ", "), TrustMailKeywords: t.TrustMailKeywords,
		Email: gateway.ViewEmailProfile(t.SMTP), TimeZone: t.Location().String(), Zones: commonZones,
		Lifecycle: viewLifecycle(t)}
	if tw := t.Twilio; tw != nil {
		v.Twilio = twilioView{Configured: tw.Configured(), AccountSID: tw.AccountSID, From: tw.From,
			MessagingServiceSID: tw.MessagingServiceSID, HasToken: tw.AuthToken != ""}
	}
	return v
}

func (u *consoleUI) settingsPage(c *fiber.Ctx, v *settingsView) (page, error) {
	if v == nil {
		t, err := u.svc.Settings(c.UserContext(), session(c).Actor, tenantParam(c))
		if err != nil {
			return page{}, err
		}
		sv := viewSettings(t)
		if sv.Routes, err = u.viewSMSRoutes(c.UserContext(), session(c).Actor, t, u.flash(c)); err != nil {
			return page{}, err
		}
		v = &sv
	}
	p := u.page(c, "settings", "Settings", *v)
	if p.Tenant == "" {
		p.Tenant = v.Slug // an operator's settings are always one tenant's
	}
	return p, nil
}

func (u *consoleUI) settings(c *fiber.Ctx) error {
	p, err := u.settingsPage(c, nil)
	if err != nil {
		return u.fail(c, err)
	}
	v := p.D.(settingsView)
	if et := u.flash(c).EmailTest; et != nil {
		v.EmailTest, v.TestTo = et.Result, et.To
	}
	if f := u.flash(c); f.Fields["time_zone"] != "" {
		v.ZoneTyped, v.ZoneError = f.formValue("time_zone", ""), f.Fields["time_zone"]
	}
	if v.Lifecycle.RequireVerifiedEmail {
		if v.VerifyBacklog, err = u.svc.VerificationBacklog(c.UserContext(), session(c).Actor, v.Slug); err != nil {
			return u.fail(c, err)
		}
	}
	v.Lifecycle.fromFlash(u.flash(c))
	p.D = v
	return u.render(c, "settings.html", p)
}

// afterSettings shows the settings again with the error of a refused
// form, or goes back to them saved.
func (u *consoleUI) afterSettings(c *fiber.Ctx, err error) error {
	if err == nil {
		return u.done(c, "/admin/settings", "saved")
	}
	return u.refusedForm(c, err, "/admin/settings")
}

func (u *consoleUI) saveFlags(c *fiber.Ctx) error {
	allow, keep, must := checked(c, "allow_mobile_reset"), checked(c, "keep_original"), checked(c, "must_change")
	trustMail := checked(c, "trust_mail_keywords")
	patch := gateway.SettingsPatch{AllowMobileReset: &allow, KeepOriginal: &keep, MustChange: &must, TrustMailKeywords: &trustMail}
	if v := strings.TrimSpace(c.FormValue("min_password_length")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return u.afterSettings(c, gateway.Errorf(gateway.KindInvalid, "min_length_invalid", "minimum password length is a number"))
		}
		patch.MinPasswordLength = &n
	}
	_, err := u.svc.UpdateSettings(c.UserContext(), session(c).Actor, tenantParam(c), patch)
	return u.afterSettings(c, err)
}

func (u *consoleUI) saveEmail(c *fiber.Ctx) error {
	in := gateway.EmailProfileInput{Tenant: tenantParam(c), URL: c.FormValue("smtp_url"),
		Username: c.FormValue("smtp_username"), Password: c.FormValue("smtp_password"), From: c.FormValue("mail_from")}
	if checked(c, "remove") {
		in = gateway.EmailProfileInput{Tenant: in.Tenant}
	}
	_, err := u.svc.SetEmailProfile(c.UserContext(), session(c).Actor, in)
	return u.afterSettings(c, err)
}

func (u *consoleUI) saveTwilio(c *fiber.Ctx) error {
	tw := &gateway.TwilioSettings{AccountSID: strings.TrimSpace(c.FormValue("account_sid")),
		AuthToken: strings.TrimSpace(c.FormValue("auth_token")), From: strings.TrimSpace(c.FormValue("from")),
		MessagingServiceSID: strings.TrimSpace(c.FormValue("messaging_service_sid"))}
	if checked(c, "remove") {
		tw = &gateway.TwilioSettings{}
	}
	_, err := u.svc.UpdateSettings(c.UserContext(), session(c).Actor, tenantParam(c), gateway.SettingsPatch{Twilio: tw})
	return u.afterSettings(c, err)
}

func (u *consoleUI) testEmail(c *fiber.Ctx) error {
	to := c.FormValue("to")
	res, err := u.svc.TestEmail(c.UserContext(), session(c).Actor, tenantParam(c), to)
	if err != nil && res == nil {
		return u.refusedForm(c, err, "/admin/settings#email")
	}
	f := &flash{EmailTest: &emailTest{To: to, Result: res}}
	if err != nil {
		f.Error = errMessage(err)
	}
	return u.redirect(c, "/admin/settings#email", f)
}

// failedData is the failed-delivery queue page.
type failedData struct {
	Items    []gateway.FailedItem
	Resolved bool // the filter: items that left the queue
	Pager    pager
}

func (u *consoleUI) failed(c *fiber.Ctx) error {
	offset, _ := strconv.Atoi(c.Query("offset"))
	offset = max(offset, 0)
	d := failedData{Resolved: c.Query("show") == "resolved"}
	items, total, err := u.svc.FailedQueue(c.UserContext(), session(c).Actor, tenantParam(c), d.Resolved, pageSize, offset)
	if err != nil {
		return u.fail(c, err)
	}
	for i := range items {
		it := &items[i]
		if it.Person != nil {
			it.Person = safePerson(it.Person)
		}
		for _, r := range append([]*gateway.ResetRequest{it.Request, it.Retry}, it.History...) {
			if r == nil {
				continue
			}
			for _, dl := range r.Deliveries {
				dl.To, dl.Body = maskRecipient(dl.To), nil
			}
		}
	}
	d.Items = items
	base := "/admin/failed"
	if d.Resolved {
		base += "?show=resolved"
	}
	pg := u.page(c, "failed", "Failed deliveries", nil)
	d.Pager = newPager(pg.Link(base), offset, len(items), total)
	pg.D = d
	return u.render(c, "failed.html", pg)
}

// retry starts a new reset and says how it went: the gateway sends at
// once, so the answer waits (a few seconds at most) for the outcome
// instead of promising one.
func (u *consoleUI) retry(c *fiber.Ctx) error {
	cs := session(c)
	id, err := u.svc.RetryReset(c.UserContext(), cs.Actor, c.Params("id"))
	if err != nil {
		return u.refusedForm(c, err, "/admin/failed")
	}
	var r *gateway.ResetRequest
	for i := 0; i < 30; i++ {
		if r, err = u.svc.Reset(c.UserContext(), cs.Actor, id); err != nil {
			return u.fail(c, err)
		}
		if r.State == gateway.StateDelivered || r.State == gateway.StateRolledBack || r.State == gateway.StateRejected {
			break
		}
		select {
		case <-c.UserContext().Done():
			i = 30
		case <-time.After(100 * time.Millisecond):
		}
	}
	f := &flash{}
	switch r.State {
	case gateway.StateDelivered:
		f.Notice = "The retry was delivered: the new password reached the person. The item has left the queue."
	case gateway.StateRolledBack:
		f.Error = "The retry failed too (" + r.Reason + "): nothing reached the person, and their old password still works. " +
			"Set a password by hand, or fix the cause and retry."
	case gateway.StateRejected:
		f.Error = "The retry was refused (" + r.Reason + "): nothing was sent."
	default:
		f.Notice = "The retry is still on its way (request " + r.ID + "); its outcome shows on this item."
	}
	return u.redirect(c, "/admin/failed", f)
}

// resolve marks an item resolved with a note.
func (u *consoleUI) resolve(c *fiber.Ctx) error {
	if err := u.svc.ResolveFailed(c.UserContext(), session(c).Actor, c.Params("id"), c.FormValue("note")); err != nil {
		switch gateway.ErrorKind(err) {
		case gateway.KindInvalid, gateway.KindConflict:
			return u.redirect(c, "/admin/failed", &flash{Error: errMessage(err)})
		}
		return u.fail(c, err)
	}
	return u.redirect(c, "/admin/failed", &flash{Notice: "Marked resolved; it is listed under Resolved."})
}
