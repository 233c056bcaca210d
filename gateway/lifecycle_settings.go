package gateway

import (
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
