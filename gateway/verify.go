package gateway

import (
	"context"
	"strconv"
	"time"
)

// Email verification: a person proves an email address theirs by
// pressing the button on the page a link sent to it opens. While a tenant
// requires verified emails, nothing but that link goes to an address not
// proved: a reset goes by text only, or is refused.

const (
	// VerifyLinkTTL is how long a verification link works.
	VerifyLinkTTL = 7 * 24 * time.Hour
	// verifySendMax links per person per verifySendWindow: an admin's
	// resend button must not become a way to flood a mailbox.
	verifySendMax    = 3
	verifySendWindow = time.Hour
)

// ReasonEmailUnverified: the tenant requires a verified email, the
// person's is not, and no other channel could carry the reset.
const ReasonEmailUnverified = "email_unverified"

// Event types of email verification.
const (
	EventVerificationSent = "email_verification_sent"
	EventEmailVerified    = "email_verified"
	EventEmailSkipped     = "email_skipped"
)

// VerifyState says whether a verification link can be used.
type VerifyState string

const (
	VerifyValid   VerifyState = "valid"
	VerifyUnknown VerifyState = "unknown" // never made, replaced by a newer one, or cancelled
	VerifyUsed    VerifyState = "used"
	VerifyExpired VerifyState = "expired"
)

// VerifyInfo is what the verification page shows: nothing about the
// person, so a forwarded or leaked link tells no one whose it is.
type VerifyInfo struct {
	State   VerifyState
	Company string
	Locale  string
	// Done says VerifyEmail verified the address just now.
	Done bool
}

// mailable reports whether mail may go to p's email address: always,
// unless the tenant requires verified emails and p's is not.
func mailable(t *Tenant, p *Person) bool {
	return p.Email != "" && (!t.Lifecycle.RequireVerifiedEmail || p.EmailVerified())
}

func emailSkipped(t *Tenant, p *Person, requestID string) Event {
	return Event{TenantID: t.ID, Type: EventEmailSkipped, RequestID: requestID, PersonID: p.ID,
		Channel: string(ChannelEmail), Code: ReasonEmailUnverified}
}

func (s *Service) verifyHash(token string) []byte { return s.keys.TempHash("verify\x00" + token) }

// sendVerification replaces p's outstanding verification link with a new
// one and queues it to p's email at prio, in st.
func (s *Service) sendVerification(ctx context.Context, st Store, a Actor, t *Tenant, p *Person, prio Priority) error {
	if s.publicURL == "" {
		return Errorf(KindInvalid, "public_url_required",
			"a verification link needs the gateway's public address (RESETGW_PUBLIC_URL)")
	}
	if p.Email == "" {
		return Errorf(KindInvalid, "email_required", "the person has no email address")
	}
	lim := []Limit{{Scope: "verify_send", Key: strconv.FormatInt(p.ID, 10), Max: verifySendMax, Window: verifySendWindow}}
	if over, err := st.Hit(ctx, s.clock(), lim); err != nil {
		return err
	} else if over != nil {
		return Errorf(KindRateLimited, "verify_throttled",
			"%d verification links went to this person in the last hour: wait before sending another", verifySendMax)
	}
	token, err := s.newLinkToken()
	if err != nil {
		return err
	}
	now := s.clock()
	v := &EmailVerification{PersonID: p.ID, TenantID: t.ID, Email: p.Email, TokenHash: s.verifyHash(token),
		CreatedAt: now, ExpiresAt: now.Add(VerifyLinkTTL)}
	if err := st.SaveEmailVerification(ctx, v); err != nil {
		return err
	}
	d, err := s.emailDelivery(p, "verify_email", MessageData{Name: p.Name, Company: t.Name,
		Link: s.publicURL + "/v/" + token, ExpiresIn: expiresIn(p.Locale, VerifyLinkTTL)})
	if err != nil {
		return err
	}
	d.Priority, d.ringSeal = prio, true // the link is a secret
	if err := s.enqueue(ctx, st, t.ID, p.ID, d); err != nil {
		return err
	}
	return s.adminEvent(ctx, st, a, Event{TenantID: t.ID, Type: EventVerificationSent, PersonID: p.ID,
		Channel: string(ChannelEmail)})
}

// ResendVerification sends a person a new verification link (the older
// one stops working). Errors: email_already_verified, verify_throttled
// (more than 3 an hour), public_url_required.
func (s *Service) ResendVerification(ctx context.Context, a Actor, tenant string, id int64) error {
	tid, err := s.scopeID(ctx, a, tenant)
	if err != nil {
		return err
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		p, err := st.Person(ctx, tid, id)
		if err != nil {
			return err
		}
		if p.EmailVerified() {
			return Errorf(KindConflict, "email_already_verified", "this email address is verified already")
		}
		t, err := st.TenantByID(ctx, p.TenantID)
		if err != nil {
			return err
		}
		return s.sendVerification(ctx, st, a, t, p, PriorityNotice)
	})
	if err == nil {
		s.kick()
	}
	return err
}

// verificationAfterChange runs in an admin's update of p: a new email is
// not proved, so the proof and any link sent to the old one go; where
// the tenant requires verified emails, a link goes to the new address
// (unless too many went already: then the admin resends later).
func (s *Service) verificationAfterChange(ctx context.Context, st Store, a Actor, p *Person) error {
	if err := st.ClearEmailVerified(ctx, p.TenantID, p.ID); err != nil {
		return err
	}
	p.VerifiedEmail, p.EmailVerifiedAt = "", time.Time{}
	return s.autoVerification(ctx, st, a, p)
}

// autoVerification sends a first link where the tenant requires verified
// emails and the gateway can make links; a refusal is only logged.
func (s *Service) autoVerification(ctx context.Context, st Store, a Actor, p *Person) error {
	return s.autoVerificationAt(ctx, st, a, p, PriorityNotice)
}

// autoVerificationAt is autoVerification at prio: an import's links go
// behind the resets people wait for.
func (s *Service) autoVerificationAt(ctx context.Context, st Store, a Actor, p *Person, prio Priority) error {
	t, err := st.TenantByID(ctx, p.TenantID)
	if err != nil {
		return err
	}
	if !t.Lifecycle.RequireVerifiedEmail || s.publicURL == "" || p.Email == "" {
		return nil
	}
	err = s.sendVerification(ctx, st, a, t, p, prio)
	if ErrorKind(err) == KindRateLimited {
		return s.event(ctx, st, Event{TenantID: t.ID, Type: EventEmailSkipped, PersonID: p.ID,
			Channel: string(ChannelEmail), Code: ErrorCode(err), Detail: "verification link"})
	}
	return err
}

// CheckVerification says whether a verification link can be used. It
// changes nothing: a mail scanner's GET must not verify an address.
func (s *Service) CheckVerification(ctx context.Context, token string) (*VerifyInfo, error) {
	info, _, err := s.lookVerification(ctx, s.store, token)
	return info, err
}

func (s *Service) lookVerification(ctx context.Context, st Store, token string) (*VerifyInfo, *EmailVerification, error) {
	info := &VerifyInfo{State: VerifyUnknown}
	if !wellFormedToken(token) {
		return info, nil, nil
	}
	v, err := st.EmailVerificationByHash(ctx, s.verifyHash(token))
	if IsNotFound(err) {
		return info, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	if t, err := st.TenantByID(ctx, v.TenantID); err == nil {
		info.Company = t.Name
	}
	p, err := st.Person(ctx, v.TenantID, v.PersonID)
	if IsNotFound(err) {
		return info, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	info.Locale = p.Locale
	switch {
	case !v.UsedAt.IsZero():
		info.State = VerifyUsed
	case p.Email != v.Email:
		info.State = VerifyUnknown // the address changed: this link proves nothing now
	case !s.clock().Before(v.ExpiresAt):
		info.State = VerifyExpired
	default:
		info.State = VerifyValid
	}
	return info, v, nil
}

// VerifyEmail uses a verification link: the person's email, still the
// address the link went to, is verified from now on.
func (s *Service) VerifyEmail(ctx context.Context, token, ip string) (*VerifyInfo, error) {
	var info *VerifyInfo
	err := s.store.WithTx(ctx, func(st Store) error {
		var v *EmailVerification
		var err error
		if info, v, err = s.lookVerification(ctx, st, token); err != nil || info.State != VerifyValid {
			return err
		}
		if err := st.UseEmailVerification(ctx, v, s.clock()); IsNotFound(err) {
			info.State = VerifyUsed // used or replaced meanwhile
			return nil
		} else if err != nil {
			return err
		}
		info.State, info.Done = VerifyUsed, true
		return s.event(ctx, st, Event{TenantID: v.TenantID, Type: EventEmailVerified, Actor: ActorCrew,
			PersonID: v.PersonID, IP: ip, Channel: string(ChannelEmail)})
	})
	if err != nil {
		return nil, err
	}
	return info, nil
}
