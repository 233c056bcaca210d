package httpapi

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// The settings page's "Account lifecycle" form: reset mode and link
// validity, the office phone of notices, verified emails, password age,
// and the pace and validity of texts. Every refused field is shown beside
// itself, with what was typed kept.

// lifecycleForm is that form's values, as text so a refused entry comes
// back exactly as typed.
type lifecycleForm struct {
	ResetMode            string
	LinkTTLMinutes       string
	OfficePhone          string
	RequireVerifiedEmail bool
	MaxPasswordAgeDays   string
	SMSRatePerSecond     string
	SMSValiditySeconds   string
	Errs                 map[string]string
}

// lifecycleFields are the form's fields, named as in the settings API.
var lifecycleFields = []string{"reset_mode", "link_ttl_minutes", "office_phone", "require_verified_email",
	"max_password_age_days", "sms_rate_per_second", "sms_validity_seconds"}

func viewLifecycle(t *gateway.Tenant) lifecycleForm {
	f := lifecycleForm{ResetMode: string(t.Lifecycle.Mode()),
		LinkTTLMinutes:       strconv.Itoa(int(t.Lifecycle.LinkTTL().Minutes())),
		OfficePhone:          t.Lifecycle.OfficePhone,
		RequireVerifiedEmail: t.Lifecycle.RequireVerifiedEmail,
		MaxPasswordAgeDays:   strconv.Itoa(t.Lifecycle.MaxPasswordAgeDays),
		SMSRatePerSecond:     strconv.FormatFloat(t.SMSRatePerSecond, 'f', -1, 64),
		SMSValiditySeconds:   strconv.Itoa(t.SMSValiditySeconds)}
	if t.SMSValiditySeconds == 0 {
		f.SMSValiditySeconds = strconv.Itoa(gateway.DefaultSMSValidity)
	}
	return f
}

// fromFlash puts a refused form back as it was typed.
func (f *lifecycleForm) fromFlash(fl *flash) {
	if fl.Form == nil || fl.Form.Get("form") != "lifecycle" {
		return
	}
	v := fl.Form
	f.ResetMode, f.LinkTTLMinutes, f.OfficePhone = v.Get("reset_mode"), v.Get("link_ttl_minutes"), v.Get("office_phone")
	f.RequireVerifiedEmail = v.Get("require_verified_email") != ""
	f.MaxPasswordAgeDays, f.SMSRatePerSecond, f.SMSValiditySeconds = v.Get("max_password_age_days"),
		v.Get("sms_rate_per_second"), v.Get("sms_validity_seconds")
	f.Errs = fl.Fields
}

// lifecyclePatch reads the form; a number that does not parse is a field
// error of its own.
func lifecyclePatch(c *fiber.Ctx) (gateway.SettingsPatch, map[string]string) {
	errs := map[string]string{}
	var p gateway.SettingsPatch
	num := func(field, what string) *int {
		s := strings.TrimSpace(c.FormValue(field))
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			errs[field] = what + " is a whole number"
			return nil
		}
		return &n
	}
	mode, phone := c.FormValue("reset_mode"), c.FormValue("office_phone")
	verified := checked(c, "require_verified_email")
	p.ResetMode, p.OfficePhone, p.RequireVerifiedEmail = &mode, &phone, &verified
	p.LinkTTLMinutes = num("link_ttl_minutes", "link validity")
	p.MaxPasswordAgeDays = num("max_password_age_days", "maximum password age")
	p.SMSValiditySeconds = num("sms_validity_seconds", "text validity")
	if s := strings.TrimSpace(c.FormValue("sms_rate_per_second")); s != "" {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil {
			errs["sms_rate_per_second"] = "texts per second is a number, 0 for the sender's own pace"
		} else {
			p.SMSRatePerSecond = &r
		}
	}
	return p, errs
}

func (u *consoleUI) saveLifecycle(c *fiber.Ctx) error {
	cs := session(c)
	patch, errs := lifecyclePatch(c)
	problems, err := u.svc.LifecycleProblems(c.UserContext(), cs.Actor, tenantParam(c), patch)
	if err != nil {
		return u.fail(c, err)
	}
	for k, v := range problems {
		if _, ok := errs[k]; !ok {
			errs[k] = v
		}
	}
	if len(errs) == 0 {
		if _, err = u.svc.UpdateSettings(c.UserContext(), cs.Actor, tenantParam(c), patch); err == nil {
			return u.done(c, "/admin/settings#lifecycle", "saved")
		}
		switch gateway.ErrorKind(err) {
		case gateway.KindInvalid, gateway.KindUnprocessable, gateway.KindConflict:
			errs["reset_mode"] = errMessage(err)
		default:
			return u.fail(c, err)
		}
	}
	f := &flash{Form: lifecycleValues(c), Fields: errs, Error: "Not saved: fix the fields marked below."}
	return u.redirect(c, "/admin/settings#lifecycle", f)
}

// lifecycleValues keeps only the form's own fields of what was posted.
func lifecycleValues(c *fiber.Ctx) url.Values {
	all := formValues(c)
	v := url.Values{"form": {"lifecycle"}}
	for _, k := range lifecycleFields {
		if x, ok := all[k]; ok {
			v[k] = x
		}
	}
	return v
}

// sendVerificationLink mails a person a new verification link and says
// so on their page (throttled, refused when the address is verified).
func (u *consoleUI) sendVerificationLink(c *fiber.Ctx) error {
	p, err := u.loadPerson(c)
	if err != nil {
		return u.fail(c, err)
	}
	err = u.svc.ResendVerification(c.UserContext(), session(c).Actor, "", p.ID)
	if err == nil {
		return u.redirect(c, personPath(p.ID), &flash{Notice: "A verification link is on its way to " + p.Email + "."})
	}
	switch gateway.ErrorKind(err) {
	case gateway.KindInvalid, gateway.KindConflict, gateway.KindRateLimited:
		return u.redirect(c, personPath(p.ID), &flash{Error: errMessage(err)})
	}
	return u.fail(c, err)
}
