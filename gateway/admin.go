package gateway

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Actor is who does an admin action: an operator (TenantID 0, sees every
// tenant) or a tenant's admin (sees only that tenant).
type Actor struct {
	Kind     string // ActorAdmin, ActorSystem
	ID       string // admin email, "token" for the API token
	IP       string
	TenantID int64
}

// scope resolves the tenant an admin action is about: the named one (which
// a tenant admin may only name if it is theirs), else the actor's own, else
// the default. Another tenant's things answer "not found", not "forbidden",
// so that ids leak nothing.
func (s *Service) scope(ctx context.Context, a Actor, slug string) (*Tenant, error) {
	if a.TenantID != 0 {
		t, err := s.store.TenantByID(ctx, a.TenantID)
		if err != nil {
			return nil, err
		}
		if slug != "" && !strings.EqualFold(strings.TrimSpace(slug), t.Slug) {
			return nil, Errorf(KindNotFound, "tenant_not_found", "no tenant %q", slug)
		}
		return t, nil
	}
	return s.tenant(ctx, s.store, slug)
}

// scopeID is the tenant filter for lookups by id: an operator who named no
// tenant sees all.
func (s *Service) scopeID(ctx context.Context, a Actor, slug string) (int64, error) {
	if a.TenantID == 0 && strings.TrimSpace(slug) == "" {
		return 0, nil
	}
	t, err := s.scope(ctx, a, slug)
	if err != nil {
		return 0, err
	}
	return t.ID, nil
}

func (s *Service) adminEvent(ctx context.Context, st EventStore, a Actor, e Event) error {
	e.Actor, e.ActorID, e.IP = ActorAdmin, a.ID, a.IP
	if a.Kind != "" {
		e.Actor = a.Kind
	}
	return s.event(ctx, st, e)
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// TenantInput creates a tenant.
type TenantInput struct {
	Slug             string
	Name             string
	AllowMobileReset *bool
}

// NewTenant is a tenant with the product's defaults.
func NewTenant(slug, name string) *Tenant {
	return &Tenant{Slug: slug, Name: name, AllowMobileReset: true, KeepOriginal: true,
		MustChange: true, ResetTTL: 24 * time.Hour, SMSCountries: []string{"US", "CA"}, MinPasswordLength: DefaultMinPasswordLength,
		SMSValiditySeconds: DefaultSMSValidity}
}

// CreateTenant adds a tenant (operators only).
func (s *Service) CreateTenant(ctx context.Context, a Actor, in TenantInput) (*Tenant, error) {
	if a.TenantID != 0 {
		return nil, Errorf(KindForbidden, "operator_only", "only an operator can create tenants")
	}
	slug := strings.ToLower(strings.TrimSpace(in.Slug))
	if !slugRE.MatchString(slug) {
		return nil, Errorf(KindInvalid, "slug_invalid", "slug must be 1-63 lower-case letters, digits or dashes")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, Errorf(KindInvalid, "name_invalid", "name is required (at most 200 characters)")
	}
	t := NewTenant(slug, name)
	if in.AllowMobileReset != nil {
		t.AllowMobileReset = *in.AllowMobileReset
	}
	t.CreatedAt = s.clock()
	err := s.store.WithTx(ctx, func(st Store) error {
		if err := st.CreateTenant(ctx, t); err != nil {
			if ErrorKind(err) == KindConflict {
				return Errorf(KindConflict, "tenant_exists", "tenant %q exists already", slug)
			}
			return err
		}
		return s.adminEvent(ctx, st, a, Event{TenantID: t.ID, Type: "tenant_created", Detail: slug})
	})
	return t, err
}

// EnsureTenant creates the tenant if it does not exist yet (start-up).
func (s *Service) EnsureTenant(ctx context.Context, slug, name string) (*Tenant, error) {
	t, err := s.store.TenantBySlug(ctx, slug)
	if err == nil || !IsNotFound(err) {
		return t, err
	}
	t = NewTenant(slug, name)
	t.CreatedAt = s.clock()
	if err := s.store.CreateTenant(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// SettingsPatch changes tenant settings; nil fields stay as they are. An
// empty SMTP URL or Twilio SID removes that profile.
type SettingsPatch struct {
	Name              *string
	AllowMobileReset  *bool
	KeepOriginal      *bool
	MustChange        *bool
	ResetTTL          *time.Duration
	SMSCountries      []string
	MinPasswordLength *int
	SMTP              *SMTPProfile
	Twilio            *TwilioSettings
	// Keywords replaces the tenant's own inbound keywords (see
	// NormalizeKeywords); an empty non-nil map goes back to the defaults.
	Keywords Keywords
	// SMSRatePerSecond overrides the pace of the tenant's SMS lanes; 0
	// goes back to the sender's documented throughput.
	SMSRatePerSecond *float64
	// SMSValiditySeconds is the provider's validity of a text, 1-36000.
	SMSValiditySeconds *int
	// TrustMailKeywords applies STOP and START that arrive by mail.
	TrustMailKeywords *bool
	// ResetMode is "password" or "link"; LinkTTLMinutes 10-1440;
	// OfficePhone goes into password-change notices ("" removes it).
	ResetMode      *string
	LinkTTLMinutes *int
	OfficePhone    *string
	// RequireVerifiedEmail sends only to proved addresses;
	// MaxPasswordAgeDays is 0 (off) or 30-730.
	RequireVerifiedEmail *bool
	MaxPasswordAgeDays   *int
	// SMSRoutes replaces the tenant's SMS chain; an empty non-nil list goes
	// back to the default chain.
	SMSRoutes *[]SMSRoute
	// TimeZone is the IANA zone the console shows times in ("" is UTC).
	TimeZone *string
}

// UpdateSettings applies a settings patch to a tenant.
func (s *Service) UpdateSettings(ctx context.Context, a Actor, slug string, p SettingsPatch) (*Tenant, error) {
	var t *Tenant
	err := s.store.WithTx(ctx, func(st Store) error {
		var err error
		if t, err = s.scope(ctx, a, slug); err != nil {
			return err
		}
		var changed []string
		if p.Name != nil {
			n := strings.TrimSpace(*p.Name)
			if n == "" || utf8.RuneCountInString(n) > 200 {
				return Errorf(KindInvalid, "name_invalid", "name is required (at most 200 characters)")
			}
			t.Name = n
			changed = append(changed, "name")
		}
		if p.AllowMobileReset != nil {
			t.AllowMobileReset = *p.AllowMobileReset
			changed = append(changed, "allow_mobile_reset")
		}
		if p.KeepOriginal != nil {
			t.KeepOriginal = *p.KeepOriginal
			changed = append(changed, "keep_original")
		}
		if p.MustChange != nil {
			t.MustChange = *p.MustChange
			changed = append(changed, "must_change")
		}
		if p.ResetTTL != nil {
			if *p.ResetTTL < 10*time.Minute || *p.ResetTTL > 7*24*time.Hour {
				return Errorf(KindInvalid, "ttl_invalid", "reset validity must be between 10 minutes and 7 days")
			}
			t.ResetTTL = *p.ResetTTL
			changed = append(changed, "reset_ttl")
		}
		if p.SMSCountries != nil {
			cs, err := normalizeCountries(p.SMSCountries)
			if err != nil {
				return err
			}
			for _, c := range cs {
				if !slices.Contains(s.countries, c) {
					return Errorf(KindInvalid, "country_not_permitted", "texts to %s are not offered by this gateway (the operator allows %s)",
						c, strings.Join(s.countries, ", "))
				}
			}
			t.SMSCountries = cs
			changed = append(changed, "sms_countries")
		}
		if err := s.patchLifecycle(t, p, &changed); err != nil {
			return err
		}
		if p.TimeZone != nil {
			tz, err := checkTimeZone(*p.TimeZone)
			if err != nil {
				return err
			}
			t.TimeZone = tz
			changed = append(changed, "time_zone")
		}
		if p.TrustMailKeywords != nil {
			t.TrustMailKeywords = *p.TrustMailKeywords
			changed = append(changed, "trust_mail_keywords")
		}
		if p.MinPasswordLength != nil {
			if *p.MinPasswordLength < MinPasswordLengthLow || *p.MinPasswordLength > MinPasswordLengthHigh {
				return Errorf(KindInvalid, "min_length_invalid", "minimum password length must be %d to %d",
					MinPasswordLengthLow, MinPasswordLengthHigh)
			}
			t.MinPasswordLength = *p.MinPasswordLength
			changed = append(changed, "min_password_length")
		}
		if p.SMSRatePerSecond != nil {
			r := *p.SMSRatePerSecond
			if err := checkSMSRate(r); err != nil {
				return err
			}
			t.SMSRatePerSecond = r
			changed = append(changed, "sms_rate_per_second")
		}
		if p.SMSValiditySeconds != nil {
			v := *p.SMSValiditySeconds
			if err := checkSMSValidity(v); err != nil {
				return err
			}
			t.SMSValiditySeconds = v
			changed = append(changed, "sms_validity_seconds")
		}
		if p.SMTP != nil {
			if p.SMTP.URL == "" {
				t.SMTP = nil
			} else {
				if !strings.HasPrefix(p.SMTP.URL, "smtp://") && !strings.HasPrefix(p.SMTP.URL, "smtps://") {
					return Errorf(KindInvalid, "smtp_url_invalid", "SMTP URL must start with smtp:// or smtps://")
				}
				if err := s.checkSMTPURL(p.SMTP.URL); err != nil {
					return err
				}
				if _, err := NormalizeEmail(p.SMTP.From); err != nil {
					return Errorf(KindInvalid, "mail_from_invalid", "the From address is not a valid email address")
				}
				t.SMTP = &SMTPProfile{URL: p.SMTP.URL, From: p.SMTP.From}
			}
			changed = append(changed, "smtp")
		}
		if p.Keywords != nil {
			k, err := NormalizeKeywords(p.Keywords)
			if err != nil {
				return err
			}
			t.Keywords = k
			changed = append(changed, "keywords")
		}
		if p.SMSRoutes != nil {
			rs, err := s.normalizeRoutes(a, t.SMSRoutes, *p.SMSRoutes)
			if err != nil {
				return err
			}
			t.SMSRoutes = rs
			changed = append(changed, "sms_routes")
		}
		if p.Twilio != nil {
			if p.Twilio.AccountSID == "" {
				t.Twilio = nil
			} else {
				tw := *p.Twilio
				if tw.AuthToken == "" && t.Twilio != nil {
					tw.AuthToken = t.Twilio.AuthToken // secrets are never shown back, so a form leaves it empty
				}
				if !alnum(tw.AccountSID) || !alnum(tw.AuthToken) {
					return Errorf(KindInvalid, "twilio_invalid", "account SID and auth token are letters and digits")
				}
				if tw.From != "" {
					e, _, err := ParsePhone(tw.From, s.region)
					if err != nil {
						return err
					}
					tw.From = e
				}
				if !tw.Configured() {
					return Errorf(KindInvalid, "twilio_invalid", "Twilio needs an account SID, an auth token and a From number or Messaging Service SID")
				}
				if err := s.checkTwilioSender(ctx, st, a, t, &tw); err != nil {
					return err
				}
				t.Twilio = &tw
			}
			changed = append(changed, "twilio")
		}
		if err := st.UpdateTenant(ctx, t); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, a, Event{TenantID: t.ID, Type: "settings_changed", Detail: strings.Join(changed, ",")})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// normalizeCountries checks ISO 3166 two-letter codes, upper-cases them
// and drops repeats.
func normalizeCountries(in []string) ([]string, error) {
	var cs []string
	for _, c := range in {
		c = strings.ToUpper(strings.TrimSpace(c))
		if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
			return nil, Errorf(KindInvalid, "country_invalid", "countries are ISO 3166 two-letter codes")
		}
		if !slices.Contains(cs, c) {
			cs = append(cs, c)
		}
	}
	return cs, nil
}

func alnum(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
