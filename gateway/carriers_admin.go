package gateway

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// The carrier list is shared by every tenant (a carrier's gateway is the
// same for all of them), so only operators change it; tenant admins list
// and test it.

var (
	carrierSlugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	domainRE      = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
)

// TwilioSlug names Twilio where a provider slug is expected (Test
// Provider), so it cannot be a carrier's slug.
const TwilioSlug = "twilio"

// CarrierInput creates a carrier or, through its non-nil fields, edits
// one. RetiredOn is a date as 2006-01-02; "" clears it.
type CarrierInput struct {
	Slug      string
	Name      *string
	Country   *string
	SMSDomain *string
	MMSDomain *string
	Status    *string
	RetiredOn *string
	Note      *string
}

// Carriers lists the carrier providers.
func (s *Service) Carriers(ctx context.Context, a Actor) ([]*Carrier, error) {
	return s.store.ListCarriers(ctx)
}

// Carrier returns one carrier provider.
func (s *Service) Carrier(ctx context.Context, a Actor, slug string) (*Carrier, error) {
	c, err := s.store.Carrier(ctx, strings.ToLower(strings.TrimSpace(slug)))
	if IsNotFound(err) {
		return nil, Errorf(KindNotFound, "carrier_not_found", "no carrier %q", slug)
	}
	return c, err
}

func operatorOnly(a Actor, what string) error {
	if a.TenantID != 0 {
		return Errorf(KindForbidden, "operator_only", "only an operator can %s: the carrier list is shared by every tenant", what)
	}
	return nil
}

// SaveCarrier adds a carrier (create) or applies in to an existing one.
func (s *Service) SaveCarrier(ctx context.Context, a Actor, in CarrierInput, create bool) (*Carrier, error) {
	if err := operatorOnly(a, "change carriers"); err != nil {
		return nil, err
	}
	slug := strings.ToLower(strings.TrimSpace(in.Slug))
	if _, route := routeTestSlug(slug); !carrierSlugRE.MatchString(slug) || slug == TwilioSlug || route {
		return nil, Errorf(KindInvalid, "carrier_slug_invalid", "slug must be 1-40 lower-case letters, digits, - or _ (and not twilio, aws or webhook)")
	}
	var c *Carrier
	err := s.store.WithTx(ctx, func(st Store) error {
		old, err := st.Carrier(ctx, slug)
		switch {
		case create && err == nil:
			return Errorf(KindConflict, "carrier_exists", "carrier %q exists already", slug)
		case create && IsNotFound(err):
			c = &Carrier{Slug: slug, NumberFormat: "national10", Status: CarrierUnverified}
		case IsNotFound(err):
			return Errorf(KindNotFound, "carrier_not_found", "no carrier %q", slug)
		case err != nil:
			return err
		default:
			c = old
		}
		changed, err := applyCarrier(c, in)
		if err != nil {
			return err
		}
		if err := st.UpsertCarrier(ctx, c); err != nil {
			return err
		}
		typ := "carrier_updated"
		if create {
			typ = "carrier_created"
		}
		return s.adminEvent(ctx, st, a, Event{Type: typ, Detail: slug + ": " + strings.Join(changed, ",")})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func applyCarrier(c *Carrier, in CarrierInput) ([]string, error) {
	var changed []string
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || utf8.RuneCountInString(n) > 100 || strings.ContainsAny(n, "\r\n\x00") {
			return nil, Errorf(KindInvalid, "carrier_name_invalid", "name is required (one line, at most 100 characters)")
		}
		c.Name, changed = n, append(changed, "name")
	}
	if in.Country != nil {
		cc := strings.ToUpper(strings.TrimSpace(*in.Country))
		if len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
			return nil, Errorf(KindInvalid, "country_invalid", "country is an ISO 3166 two-letter code")
		}
		c.Country, changed = cc, append(changed, "country")
	}
	for _, d := range []struct {
		in   *string
		out  *string
		name string
	}{{in.SMSDomain, &c.SMSDomain, "sms_domain"}, {in.MMSDomain, &c.MMSDomain, "mms_domain"}} {
		if d.in == nil {
			continue
		}
		v := strings.ToLower(strings.TrimSpace(*d.in))
		if v != "" && (len(v) > 253 || !domainRE.MatchString(v)) {
			return nil, Errorf(KindInvalid, "domain_invalid", "%s must be a domain name like vtext.com", d.name)
		}
		*d.out, changed = v, append(changed, d.name)
	}
	if in.Status != nil {
		st := CarrierStatus(strings.ToLower(strings.TrimSpace(*in.Status)))
		switch st {
		case CarrierActive, CarrierRetiring, CarrierRetired, CarrierUnverified:
		default:
			return nil, Errorf(KindInvalid, "carrier_status_invalid", "status must be active, retiring, retired or unverified")
		}
		c.Status, changed = st, append(changed, "status")
	}
	if in.RetiredOn != nil {
		v := strings.TrimSpace(*in.RetiredOn)
		c.RetiredOn = time.Time{}
		if v != "" {
			t, err := time.ParseInLocation(time.DateOnly, v, time.UTC)
			if err != nil {
				return nil, Errorf(KindInvalid, "date_invalid", "retired_on must be a date like 2027-03-31")
			}
			c.RetiredOn = t
		}
		changed = append(changed, "retired_on")
	}
	if in.Note != nil {
		n := strings.TrimSpace(*in.Note)
		if utf8.RuneCountInString(n) > 500 {
			return nil, Errorf(KindInvalid, "note_invalid", "note is at most 500 characters")
		}
		c.Note, changed = n, append(changed, "note")
	}
	if c.Name == "" {
		return nil, Errorf(KindInvalid, "carrier_name_invalid", "name is required")
	}
	if c.Country == "" {
		return nil, Errorf(KindInvalid, "country_invalid", "country is required")
	}
	// Without its end date a retiring gateway could never be reported as
	// ending (route health counts the days).
	if c.Status == CarrierRetiring && c.RetiredOn.IsZero() {
		return nil, Errorf(KindInvalid, "retired_on_required", "a retiring gateway needs its end date")
	}
	return changed, nil
}

// RetireCarrier marks a carrier's gateway as ending on day on: retiring
// while the day is ahead, retired from then on. A zero day means today.
func (s *Service) RetireCarrier(ctx context.Context, a Actor, slug string, on time.Time) (*Carrier, error) {
	today := s.clock().Truncate(24 * time.Hour)
	if on.IsZero() {
		on = today
	}
	status, day := string(CarrierRetired), on.UTC().Format(time.DateOnly)
	if on.After(today) {
		status = string(CarrierRetiring)
	}
	return s.SaveCarrier(ctx, a, CarrierInput{Slug: slug, Status: &status, RetiredOn: &day}, false)
}
