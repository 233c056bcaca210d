package sqlstore

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

const tenantCols = `id, slug, name, allow_mobile_reset, keep_original, must_change,
	reset_ttl_seconds, sms_countries, min_password_length, smtp_sealed, twilio_sealed, created_at, keywords,
	sms_rate_per_second, sms_validity_seconds, trust_mail_keywords, lifecycle, sms_routes_sealed, disabled, time_zone`

// CreateTenant implements gateway.Store.
func (s *Store) CreateTenant(ctx context.Context, t *gateway.Tenant) error {
	smtp, twilio, from, err := s.sealTenant(t)
	if err != nil {
		return err
	}
	routes, err := s.sealRoutes(t)
	if err != nil {
		return err
	}
	t.ID, err = s.d.Insert(ctx, `INSERT INTO tenants (slug, name, allow_mobile_reset, keep_original,
		must_change, reset_ttl_seconds, sms_countries, min_password_length, smtp_sealed, twilio_sealed,
		twilio_from, created_at, keywords, sms_rate_per_second, sms_validity_seconds, trust_mail_keywords,
		twilio_service_sid, lifecycle, sms_routes_sealed, disabled, time_zone) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		t.Slug, t.Name, b2i(t.AllowMobileReset), b2i(t.KeepOriginal), b2i(t.MustChange),
		int64(t.ResetTTL/time.Second), strings.Join(t.SMSCountries, ","), t.MinPasswordLength,
		smtp, twilio, from, Nanos(t.CreatedAt), keywordsJSON(t.Keywords), t.SMSRatePerSecond, validity(t),
		b2i(t.TrustMailKeywords), serviceSID(t), lifecycleJSON(t), routes, b2i(t.Disabled), t.TimeZone)
	return err
}

// UpdateTenant implements gateway.Store.
func (s *Store) UpdateTenant(ctx context.Context, t *gateway.Tenant) error {
	smtp, twilio, from, err := s.sealTenant(t)
	if err != nil {
		return err
	}
	routes, err := s.sealRoutes(t)
	if err != nil {
		return err
	}
	res, err := s.q.ExecContext(ctx, `UPDATE tenants SET name=?, allow_mobile_reset=?, keep_original=?,
		must_change=?, reset_ttl_seconds=?, sms_countries=?, min_password_length=?, smtp_sealed=?,
		twilio_sealed=?, twilio_from=?, keywords=?, sms_rate_per_second=?, sms_validity_seconds=?,
		trust_mail_keywords=?, twilio_service_sid=?, lifecycle=?, sms_routes_sealed=?, disabled=?, time_zone=? WHERE id=?`,
		t.Name, b2i(t.AllowMobileReset), b2i(t.KeepOriginal), b2i(t.MustChange),
		int64(t.ResetTTL/time.Second), strings.Join(t.SMSCountries, ","), t.MinPasswordLength,
		smtp, twilio, from, keywordsJSON(t.Keywords), t.SMSRatePerSecond, validity(t),
		b2i(t.TrustMailKeywords), serviceSID(t), lifecycleJSON(t), routes, b2i(t.Disabled), t.TimeZone, t.ID)
	if err != nil {
		// The only uniqueness an update can break: a Twilio sender is one
		// tenant's.
		return s.conflict(err, "twilio_sender_taken", "another company already uses this Twilio number or Messaging Service")
	}
	return s.mustAffect(res, err)
}

// TenantBySlug implements gateway.Store.
func (s *Store) TenantBySlug(ctx context.Context, slug string) (*gateway.Tenant, error) {
	return s.scanTenant(s.q.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE slug = ?`, slug))
}

// TenantByID implements gateway.Store.
func (s *Store) TenantByID(ctx context.Context, id int64) (*gateway.Tenant, error) {
	return s.scanTenant(s.q.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = ?`, id))
}

// TenantByTwilioNumber implements gateway.Store.
func (s *Store) TenantByTwilioNumber(ctx context.Context, e164 string) (*gateway.Tenant, error) {
	return s.scanTenant(s.q.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE twilio_from = ? ORDER BY id LIMIT 1`, e164))
}

// ListTenants implements gateway.Store.
func (s *Store) ListTenants(ctx context.Context) ([]*gateway.Tenant, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+tenantCols+` FROM tenants ORDER BY slug`)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*gateway.Tenant
	for rows.Next() {
		t, err := s.scanTenant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, s.wrap(rows.Err())
}

func (s *Store) scanTenant(row Scanner) (*gateway.Tenant, error) {
	var (
		t                 gateway.Tenant
		allow, keep, must int
		ttl, created      int64
		countries         string
		smtp, twilio      []byte
		routes            []byte
		keywords          string
		trustMail         int
		lifecycle         string
		disabled          int
	)
	err := row.Scan(&t.ID, &t.Slug, &t.Name, &allow, &keep, &must, &ttl, &countries,
		&t.MinPasswordLength, &smtp, &twilio, &created, &keywords, &t.SMSRatePerSecond, &t.SMSValiditySeconds, &trustMail, &lifecycle, &routes,
		&disabled, &t.TimeZone)
	if err != nil {
		return nil, s.wrap(err)
	}
	t.AllowMobileReset, t.KeepOriginal, t.MustChange = allow == 1, keep == 1, must == 1
	t.TrustMailKeywords, t.Disabled = trustMail == 1, disabled == 1
	t.ResetTTL = time.Duration(ttl) * time.Second
	if countries != "" {
		t.SMSCountries = strings.Split(countries, ",")
	}
	t.CreatedAt = FromNanos(created)
	if keywords != "" {
		if err := json.Unmarshal([]byte(keywords), &t.Keywords); err != nil {
			return nil, gateway.Internal(err)
		}
	}
	if lifecycle != "" && lifecycle != "{}" {
		if err := json.Unmarshal([]byte(lifecycle), &t.Lifecycle); err != nil {
			return nil, gateway.Internal(err)
		}
	}
	aad := []byte(t.Slug)
	if smtp != nil {
		t.SMTP = new(gateway.SMTPProfile)
		if err := s.openJSON(smtp, aad, t.SMTP); err != nil {
			return nil, err
		}
	}
	if twilio != nil {
		t.Twilio = new(gateway.TwilioSettings)
		if err := s.openJSON(twilio, aad, t.Twilio); err != nil {
			return nil, err
		}
	}
	if routes != nil {
		if err := s.openJSON(routes, aad, &t.SMSRoutes); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// sealTenant seals the tenant's secrets, bound to its slug so that a row's
// sealed settings cannot be pasted onto another tenant.
func (s *Store) sealTenant(t *gateway.Tenant) (smtp, twilio []byte, from string, err error) {
	aad := []byte(t.Slug)
	if t.SMTP != nil {
		if smtp, err = s.sealJSON(t.SMTP, aad); err != nil {
			return nil, nil, "", err
		}
	}
	if t.Twilio != nil {
		if twilio, err = s.sealJSON(t.Twilio, aad); err != nil {
			return nil, nil, "", err
		}
		from = t.Twilio.From
	}
	return smtp, twilio, from, nil
}

// sealRoutes seals the tenant's SMS chain (webhook secrets are in it);
// nil for the default chain.
func (s *Store) sealRoutes(t *gateway.Tenant) ([]byte, error) {
	if len(t.SMSRoutes) == 0 {
		return nil, nil
	}
	return s.sealJSON(t.SMSRoutes, []byte(t.Slug))
}

func (s *Store) sealJSON(v any, aad []byte) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, gateway.Internal(err)
	}
	sealed, err := s.sealer.SealSecret(plain, aad)
	if err != nil {
		return nil, gateway.Internal(err)
	}
	return sealed, nil
}

func (s *Store) openJSON(sealed, aad []byte, v any) error {
	plain, err := s.sealer.OpenSecret(sealed, aad)
	if err != nil {
		return &gateway.Error{Kind: gateway.KindInternal, Code: "secret_unreadable",
			Message: "stored settings cannot be decrypted (was RESETGW_SECRET_KEY changed?)", Err: err}
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return gateway.Internal(err)
	}
	return nil
}

// serviceSID is the tenant's Messaging Service SID in the clear, kept
// unique across tenants like its number.
func serviceSID(t *gateway.Tenant) string {
	if t.Twilio == nil {
		return ""
	}
	return t.Twilio.MessagingServiceSID
}

// validity stores the default for a tenant made without one.
func validity(t *gateway.Tenant) int {
	if t.SMSValiditySeconds <= 0 {
		return gateway.DefaultSMSValidity
	}
	return t.SMSValiditySeconds
}

// keywordsJSON keeps a tenant's own keywords as a JSON object, and none
// as the empty string.
func keywordsJSON(k gateway.Keywords) string {
	if len(k) == 0 {
		return ""
	}
	b, _ := json.Marshal(k) // a map of strings always marshals
	return string(b)
}

// lifecycleJSON is the tenant's lifecycle settings as stored.
func lifecycleJSON(t *gateway.Tenant) string {
	b, _ := json.Marshal(t.Lifecycle) // plain fields always marshal
	return string(b)
}
