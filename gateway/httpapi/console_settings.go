package httpapi

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

func (u *consoleUI) routesSettings() {
	a := u.s.app
	a.Get("/admin/settings", u.auth, u.settings)
	a.Post("/admin/settings", u.auth, u.saveFlags)
	a.Post("/admin/settings/email", u.auth, u.saveEmail)
	a.Post("/admin/settings/twilio", u.auth, u.saveTwilio)
	a.Post("/admin/settings/test-email", u.auth, u.testEmail)
	a.Get("/admin/failed", u.auth, u.failed)
	a.Post("/admin/failed/:id/retry", u.auth, u.retry)
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
		Email: gateway.ViewEmailProfile(t.SMTP)}
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
	if et := u.flash(c).EmailTest; et != nil {
		v := p.D.(settingsView)
		v.EmailTest, v.TestTo = et.Result, et.To
		p.D = v
	}
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

func (u *consoleUI) failed(c *fiber.Ctx) error {
	offset, _ := strconv.Atoi(c.Query("offset"))
	rows, err := u.svc.FailedResets(c.UserContext(), session(c).Actor, tenantParam(c), pageSize, max(offset, 0))
	if err != nil {
		return u.fail(c, err)
	}
	for i := range rows {
		if rows[i].Person != nil {
			rows[i].Person = safePerson(rows[i].Person)
		}
		for _, d := range rows[i].Request.Deliveries {
			d.To, d.Body = maskRecipient(d.To), nil
		}
	}
	return u.render(c, "failed.html", u.page(c, "failed", "Failed deliveries", rows))
}

func (u *consoleUI) retry(c *fiber.Ctx) error {
	if _, err := u.svc.RetryReset(c.UserContext(), session(c).Actor, c.Params("id")); err != nil {
		return u.fail(c, err)
	}
	return u.done(c, "/admin/failed", "retried")
}
