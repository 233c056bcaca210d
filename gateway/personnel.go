package gateway

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// PhoneInput is a phone as an admin enters it.
type PhoneInput struct {
	Number  string
	Type    string
	Carrier string
}

// PersonInput creates a personnel record. Nil flags take the defaults
// (mobile access and reset allowed).
type PersonInput struct {
	Tenant           string
	Name             string
	Email            string
	Status           string
	MobileAccess     *bool
	AllowMobileReset *bool
	Password         string
	// MustChange applies to Password; nil takes the tenant's MustChange.
	MustChange *bool
	Locale     string
	Phones     []PhoneInput
	// Tags group people for bulk actions (tags.go).
	Tags []string
}

// PersonPatch changes a record; nil fields stay as they are.
type PersonPatch struct {
	Name             *string
	Email            *string
	Status           *string
	MobileAccess     *bool
	AllowMobileReset *bool
	Locale           *string
	Phones           *[]PhoneInput
	Tags             *[]string
}

// Locales the gateway has messages for.
var locales = []string{"en", "es"}

func normalizeLocale(l string) (string, error) {
	l = strings.ToLower(strings.TrimSpace(l))
	if l == "" {
		return "en", nil
	}
	base, _, _ := strings.Cut(strings.ReplaceAll(l, "_", "-"), "-")
	for _, x := range locales {
		if base == x {
			return x, nil
		}
	}
	return "", Errorf(KindInvalid, "locale_invalid", "locale must be one of %s", strings.Join(locales, ", "))
}

func normalizeName(n string) (string, error) {
	n = strings.TrimSpace(n)
	if n == "" || utf8.RuneCountInString(n) > 200 || !utf8.ValidString(n) || strings.ContainsAny(n, "\x00\r\n") {
		return "", Errorf(KindInvalid, "name_invalid", "name is required (one line, at most 200 characters)")
	}
	return n, nil
}

func normalizeStatus(s string) (PersonStatus, error) {
	switch PersonStatus(strings.ToLower(strings.TrimSpace(s))) {
	case "", StatusActive:
		return StatusActive, nil
	case StatusInactive:
		return StatusInactive, nil
	}
	return "", Errorf(KindInvalid, "status_invalid", "status must be active or inactive")
}

// phones validates phones: E.164, no extensions, a known type and carrier,
// no number twice.
func (s *Service) phones(ctx context.Context, in []PhoneInput) ([]Phone, error) {
	if len(in) > 10 {
		return nil, Errorf(KindInvalid, "too_many_phones", "at most 10 phones per person")
	}
	out := make([]Phone, 0, len(in))
	seen := map[string]bool{}
	for i, p := range in {
		e164, _, err := ParsePhone(p.Number, s.region)
		if err != nil {
			if e, ok := errors.AsType[*Error](err); ok {
				return nil, &Error{Kind: e.Kind, Code: e.Code, Message: "phones[" + strconv.Itoa(i) + "]: " + e.Message}
			}
			return nil, err
		}
		if seen[e164] {
			return nil, Errorf(KindInvalid, "phone_duplicate", "phones[%d]: %s is listed twice", i, e164)
		}
		seen[e164] = true
		typ := PhoneType(strings.ToLower(strings.TrimSpace(p.Type)))
		if typ == "" {
			typ = PhoneSMS
		}
		switch typ {
		case PhoneSMS, PhoneMobile, PhoneHome, PhoneWork:
		default:
			return nil, Errorf(KindInvalid, "phone_type_invalid", "phones[%d]: type must be sms, mobile, home or work", i)
		}
		carrier := strings.ToLower(strings.TrimSpace(p.Carrier))
		if carrier != "" {
			if _, err := s.store.Carrier(ctx, carrier); IsNotFound(err) {
				return nil, Errorf(KindInvalid, "carrier_unknown", "phones[%d]: no carrier %q", i, Clip(carrier, 40))
			} else if err != nil {
				return nil, err
			}
		}
		out = append(out, Phone{Number: e164, Type: typ, Carrier: carrier})
	}
	return out, nil
}

// CreatePerson adds a personnel record.
func (s *Service) CreatePerson(ctx context.Context, a Actor, in PersonInput) (*Person, error) {
	t, err := s.scope(ctx, a, in.Tenant)
	if err != nil {
		return nil, err
	}
	p := &Person{TenantID: t.ID, MobileAccess: true, AllowMobileReset: true}
	if in.MustChange != nil {
		p.MustChange = *in.MustChange
	} else if in.Password != "" {
		p.MustChange = t.MustChange // an admin-set password, like SetPassword's
	}
	if p.Name, err = normalizeName(in.Name); err != nil {
		return nil, err
	}
	if p.Email, err = NormalizeEmail(in.Email); err != nil {
		return nil, err
	}
	if p.Status, err = normalizeStatus(in.Status); err != nil {
		return nil, err
	}
	if p.Locale, err = normalizeLocale(in.Locale); err != nil {
		return nil, err
	}
	if in.MobileAccess != nil {
		p.MobileAccess = *in.MobileAccess
	}
	if in.AllowMobileReset != nil {
		p.AllowMobileReset = *in.AllowMobileReset
	}
	if p.Phones, err = s.phones(ctx, in.Phones); err != nil {
		return nil, err
	}
	if p.Tags, err = NormalizeTags(in.Tags); err != nil {
		return nil, err
	}
	if in.Password != "" {
		if err := CheckPassword(in.Password, t.MinPasswordLength, p.Email, p.Name); err != nil {
			return nil, err
		}
		if p.PasswordHash, err = s.hasher.Hash(ctx, in.Password); err != nil {
			return nil, Internal(err)
		}
	}
	p.CreatedAt = s.clock()
	p.UpdatedAt = p.CreatedAt
	if p.PasswordHash != "" {
		p.PasswordSetAt = p.CreatedAt
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		if err := st.CreatePerson(ctx, p); err != nil {
			return err
		}
		if err := s.adminEvent(ctx, st, a, Event{TenantID: t.ID, Type: "person_created", PersonID: p.ID}); err != nil {
			return err
		}
		return s.autoVerification(ctx, st, a, p)
	})
	if err == nil {
		s.kick()
	}
	if err != nil {
		p.ID = 0
		return nil, s.phoneTaken(ctx, a, err, p)
	}
	return p, nil
}

// Person returns one record in the actor's scope.
func (s *Service) Person(ctx context.Context, a Actor, tenant string, id int64) (*Person, error) {
	tid, err := s.scopeID(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	return s.store.Person(ctx, tid, id)
}

// ListPersonnel searches records by name, email or phone.
func (s *Service) ListPersonnel(ctx context.Context, a Actor, tenant, query string, limit, offset int) ([]*Person, error) {
	tid, err := s.scopeID(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	return s.store.ListPersonnel(ctx, PersonFilter{TenantID: tid, Query: query, Limit: limit, Offset: offset})
}

// ListPersonnelTagged is ListPersonnel narrowed to the people with a tag.
func (s *Service) ListPersonnelTagged(ctx context.Context, a Actor, tenant, query, tag string, limit, offset int) ([]*Person, error) {
	tid, err := s.scopeID(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	if tag, err = NormalizeTag(tag); err != nil {
		return nil, err
	}
	return s.store.ListPersonnel(ctx, PersonFilter{TenantID: tid, Query: query, Tag: tag, Limit: limit, Offset: offset})
}

// UpdatePerson applies a patch. Deactivating a person or taking away mobile
// access also ends a pending reset at once.
func (s *Service) UpdatePerson(ctx context.Context, a Actor, tenant string, id int64, in PersonPatch) (*Person, error) {
	tid, err := s.scopeID(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	var phones []Phone
	if in.Phones != nil {
		if phones, err = s.phones(ctx, *in.Phones); err != nil {
			return nil, err
		}
	}
	var tags []string
	if in.Tags != nil {
		if tags, err = NormalizeTags(*in.Tags); err != nil {
			return nil, err
		}
	}
	var p *Person
	err = s.store.WithTx(ctx, func(st Store) error {
		if p, err = st.Person(ctx, tid, id); err != nil {
			return err
		}
		before := *p
		var changed []string
		if in.Name != nil {
			if p.Name, err = normalizeName(*in.Name); err != nil {
				return err
			}
			changed = append(changed, "name")
		}
		if in.Email != nil {
			if p.Email, err = NormalizeEmail(*in.Email); err != nil {
				return err
			}
			changed = append(changed, "email")
		}
		if in.Status != nil {
			if p.Status, err = normalizeStatus(*in.Status); err != nil {
				return err
			}
			changed = append(changed, "status")
		}
		if in.Locale != nil {
			if p.Locale, err = normalizeLocale(*in.Locale); err != nil {
				return err
			}
			changed = append(changed, "locale")
		}
		if in.MobileAccess != nil {
			p.MobileAccess = *in.MobileAccess
			changed = append(changed, "mobile_access")
		}
		if in.AllowMobileReset != nil {
			p.AllowMobileReset = *in.AllowMobileReset
			changed = append(changed, "allow_mobile_reset")
		}
		if in.Phones != nil {
			p.Phones = phones
			changed = append(changed, "phones")
		}
		if in.Tags != nil {
			p.Tags = tags
			changed = append(changed, "tags")
		}
		// A reset in flight ends at once when the person may no longer
		// have it, or when the contacts it went to are no longer theirs.
		if reason := endReason(p, &before); reason != "" {
			if err := s.endPending(ctx, st, p, reason); err != nil {
				return err
			}
		}
		p.UpdatedAt = s.clock()
		if err := st.UpdatePerson(ctx, p); err != nil {
			return err
		}
		if err := s.adminEvent(ctx, st, a, Event{TenantID: p.TenantID, Type: "person_updated", PersonID: p.ID,
			Detail: strings.Join(changed, ",")}); err != nil {
			return err
		}
		if p.Email != before.Email {
			return s.verificationAfterChange(ctx, st, a, p)
		}
		return nil
	})
	if err == nil {
		s.kick()
	}
	if err != nil {
		if p == nil {
			return nil, err
		}
		return nil, s.phoneTaken(ctx, a, err, p)
	}
	return p, nil
}

// endReason says why an update ends the person's pending reset, "" when
// it does not: deactivation, mobile access taken away, or a different
// email or set of phone numbers.
func endReason(p, before *Person) string {
	switch {
	case p.Status != StatusActive:
		return ReasonInactive
	case !p.MobileAccess:
		return ReasonNoMobileAccess
	case p.Email != before.Email || !sameNumbers(p.Phones, before.Phones):
		return ReasonContactChanged
	}
	return ""
}

// sameNumbers reports whether a and b hold the same numbers, in any order
// (a new type or carrier for the same number reaches the same phone).
func sameNumbers(a, b []Phone) bool {
	if len(a) != len(b) {
		return false
	}
	have := make(map[string]int, len(a))
	for _, ph := range a {
		have[ph.Number]++
	}
	for _, ph := range b {
		if have[ph.Number] == 0 {
			return false
		}
		have[ph.Number]--
	}
	return true
}

// DeletePerson removes a record (its log stays).
func (s *Service) DeletePerson(ctx context.Context, a Actor, tenant string, id int64) error {
	tid, err := s.scopeID(ctx, a, tenant)
	if err != nil {
		return err
	}
	return s.store.WithTx(ctx, func(st Store) error {
		p, err := st.Person(ctx, tid, id)
		if err != nil {
			return err
		}
		// Messages still queued would carry a password to someone gone.
		if err := s.endPending(ctx, st, p, ReasonPersonDeleted); err != nil {
			return err
		}
		if err := st.DeletePerson(ctx, p.TenantID, id); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, a, Event{TenantID: p.TenantID, Type: "person_deleted", PersonID: id})
	})
}

// Reset returns a request with its deliveries, in the actor's scope.
func (s *Service) Reset(ctx context.Context, a Actor, id string) (*ResetRequest, error) {
	r, err := s.store.Reset(ctx, id)
	if IsNotFound(err) {
		return s.compactReset(ctx, a, id) // refused at the door: no row of its own
	}
	if err != nil {
		return nil, err
	}
	if a.TenantID != 0 && r.TenantID != a.TenantID {
		return nil, ErrNotFound
	}
	for _, d := range r.Deliveries {
		if d.Tries, err = s.store.DeliveryAttempts(ctx, d.ID); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// ListResets lists requests, newest first, in the actor's scope.
func (s *Service) ListResets(ctx context.Context, a Actor, tenant string, state ResetState, limit, offset int) ([]*ResetRequest, error) {
	tid, err := s.scopeID(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	return s.store.ListResets(ctx, ResetFilter{TenantID: tid, State: state, Limit: limit, Offset: offset})
}
