package gateway

import (
	"strings"
)

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
	return nil
}
