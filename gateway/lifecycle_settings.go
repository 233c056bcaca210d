package gateway

import (
	"context"
	"errors"
	"strings"
	"time"
)

// linkFitsText refuses link mode when the link could not fit one text
// segment (a long public address): every reset would fail to render.
func (s *Service) linkFitsText(t *Tenant) error {
	link := s.publicURL + "/r/" + strings.Repeat("x", 22)
	for _, loc := range locales {
		data := MessageData{Company: t.Name, Link: link, ExpiresIn: expiresIn(loc, MaxLinkTTLMinutes*time.Minute)}
		if _, err := s.renderer.SMS(loc, "reset", data); err != nil {
			return Errorf(KindInvalid, "link_too_long",
				"a reset link to %s does not fit in one text: give the gateway a shorter public address", s.publicURL)
		}
	}
	return nil
}

// patchLifecycle applies the lifecycle fields of a settings patch to t.
func (s *Service) patchLifecycle(t *Tenant, p SettingsPatch, changed *[]string) error {
	if p.ResetMode != nil {
		m := ResetMode(strings.ToLower(strings.TrimSpace(*p.ResetMode)))
		switch m {
		case ResetModePassword:
		case ResetModeLink:
			if s.publicURL == "" {
				return Errorf(KindInvalid, "public_url_required",
					"link mode needs the gateway's public address (RESETGW_PUBLIC_URL) to put in the link")
			}
			if err := s.linkFitsText(t); err != nil {
				return err
			}
		default:
			return Errorf(KindInvalid, "reset_mode_invalid", `reset_mode must be "password" or "link"`)
		}
		t.Lifecycle.ResetMode = m
		*changed = append(*changed, "reset_mode")
	}
	if p.LinkTTLMinutes != nil {
		if *p.LinkTTLMinutes < MinLinkTTLMinutes || *p.LinkTTLMinutes > MaxLinkTTLMinutes {
			return Errorf(KindInvalid, "link_ttl_invalid", "link_ttl_minutes must be %d to %d", MinLinkTTLMinutes, MaxLinkTTLMinutes)
		}
		t.Lifecycle.LinkTTLMinutes = *p.LinkTTLMinutes
		*changed = append(*changed, "link_ttl_minutes")
	}
	if p.OfficePhone != nil {
		ph := strings.Join(strings.Fields(*p.OfficePhone), " ")
		// It goes into a one-segment text: digits and the usual marks only.
		if len(ph) > 20 || strings.Trim(ph, "0123456789+-(). ") != "" {
			return Errorf(KindInvalid, "office_phone_invalid", "office_phone: at most 20 characters of digits, spaces and + - ( ) .")
		}
		t.Lifecycle.OfficePhone = ph
		*changed = append(*changed, "office_phone")
	}
	if p.RequireVerifiedEmail != nil {
		if *p.RequireVerifiedEmail && s.publicURL == "" {
			return Errorf(KindInvalid, "public_url_required",
				"verified emails need the gateway's public address (RESETGW_PUBLIC_URL) to put in the verification link")
		}
		t.Lifecycle.RequireVerifiedEmail = *p.RequireVerifiedEmail
		*changed = append(*changed, "require_verified_email")
	}
	if p.MaxPasswordAgeDays != nil {
		d := *p.MaxPasswordAgeDays
		if d != 0 && (d < MinPasswordAgeDays || d > MaxPasswordAgeDaysCap) {
			return Errorf(KindInvalid, "max_password_age_invalid",
				"max_password_age_days must be 0 (off) or %d to %d", MinPasswordAgeDays, MaxPasswordAgeDaysCap)
		}
		t.Lifecycle.MaxPasswordAgeDays = d
		*changed = append(*changed, "max_password_age_days")
	}
	return nil
}

func checkSMSRate(r float64) error {
	if r != 0 && (r < 0.01 || r > MaxSMSRatePerSecond) || r != r {
		return Errorf(KindInvalid, "sms_rate_invalid", "sms_rate_per_second must be 0 (the sender's own) or 0.01 to 10000")
	}
	return nil
}

func checkSMSValidity(v int) error {
	if v < 1 || v > MaxSMSValiditySeconds {
		return Errorf(KindInvalid, "sms_validity_invalid", "sms_validity_seconds must be 1 to 36000")
	}
	return nil
}

// LifecycleProblems checks each lifecycle and SMS-pacing field of p on
// its own, without saving anything, and answers each refused field's
// message by its settings name (nil when all pass): a form shows every
// problem at once, beside its field.
func (s *Service) LifecycleProblems(ctx context.Context, a Actor, slug string, p SettingsPatch) (map[string]string, error) {
	t, err := s.Settings(ctx, a, slug)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	note := func(field string, err error) {
		if err != nil {
			out[field] = errMessageOf(err)
		}
	}
	try := func(field string, one SettingsPatch) {
		cp := *t
		var changed []string
		note(field, s.patchLifecycle(&cp, one, &changed))
	}
	if p.ResetMode != nil {
		try("reset_mode", SettingsPatch{ResetMode: p.ResetMode})
	}
	if p.LinkTTLMinutes != nil {
		try("link_ttl_minutes", SettingsPatch{LinkTTLMinutes: p.LinkTTLMinutes})
	}
	if p.OfficePhone != nil {
		try("office_phone", SettingsPatch{OfficePhone: p.OfficePhone})
	}
	if p.RequireVerifiedEmail != nil {
		try("require_verified_email", SettingsPatch{RequireVerifiedEmail: p.RequireVerifiedEmail})
	}
	if p.MaxPasswordAgeDays != nil {
		try("max_password_age_days", SettingsPatch{MaxPasswordAgeDays: p.MaxPasswordAgeDays})
	}
	if p.SMSRatePerSecond != nil {
		note("sms_rate_per_second", checkSMSRate(*p.SMSRatePerSecond))
	}
	if p.SMSValiditySeconds != nil {
		note("sms_validity_seconds", checkSMSValidity(*p.SMSValiditySeconds))
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func errMessageOf(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return err.Error()
}
