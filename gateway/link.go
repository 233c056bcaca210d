package gateway

import (
	"context"
	"encoding/base64"
	"io"
	"strings"
)

// linkTokenBytes is a reset link's entropy: 128 bits, 22 characters of
// base64url in the URL.
const linkTokenBytes = 16

// LinkState says why a reset link cannot be used (LinkValid when it can).
type LinkState string

const (
	LinkValid      LinkState = "valid"
	LinkUnknown    LinkState = "unknown"    // no such link (mistyped, or never made)
	LinkUsed       LinkState = "used"       // its password was chosen already
	LinkExpired    LinkState = "expired"    // past its validity
	LinkSuperseded LinkState = "superseded" // a newer reset replaced it
	LinkCancelled  LinkState = "cancelled"  // a password or record change ended it
)

// ReasonLinkUsed is recorded when a link's form set the password.
const EventResetLinkUsed = "reset_link_used"

// newLinkToken makes a link token from the injected randomness (crypto/rand
// unless a test says otherwise).
func (s *Service) newLinkToken() (string, error) {
	b := make([]byte, linkTokenBytes)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", Internal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// linkHash is the keyed hash a link is stored and found by; the prefix
// keeps it apart from the hashes of temporary passwords under the same key.
func (s *Service) linkHash(token string) []byte { return s.keys.TempHash("link\x00" + token) }

// LinkInfo is what the link page needs to show.
type LinkInfo struct {
	State     LinkState
	Tenant    string // slug, to offer a new request
	Company   string
	Locale    string
	MinLength int
	// Done says UseLink set the password just now.
	Done bool
}

// wellFormedToken refuses anything that is not 22 base64url characters
// before it reaches the store.
func wellFormedToken(token string) bool {
	if len(token) != 22 {
		return false
	}
	return strings.Trim(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
}

// CheckLink says whether a reset link can still be used. It changes
// nothing: a mail scanner's GET must not consume a link.
func (s *Service) CheckLink(ctx context.Context, token string) (*LinkInfo, error) {
	info, _, _, err := s.lookLink(ctx, s.store, token)
	return info, err
}

func (s *Service) lookLink(ctx context.Context, st Store, token string) (*LinkInfo, *ResetRequest, *Tenant, error) {
	info := &LinkInfo{State: LinkUnknown}
	if !wellFormedToken(token) {
		return info, nil, nil, nil
	}
	r, err := st.ResetByLinkHash(ctx, s.linkHash(token))
	if IsNotFound(err) {
		return info, nil, nil, nil
	} else if err != nil {
		return nil, nil, nil, err
	}
	t, err := st.TenantByID(ctx, r.TenantID)
	if err != nil {
		return nil, nil, nil, err
	}
	info.Tenant, info.Company, info.MinLength = t.Slug, t.Name, t.MinPasswordLength
	if p, err := st.Person(ctx, t.ID, r.PersonID); err == nil {
		info.Locale = p.Locale
	}
	switch {
	case !r.UsedAt.IsZero():
		info.State = LinkUsed
	case r.Reason == ReasonSuperseded:
		info.State = LinkSuperseded
	case r.State == StateCancelled:
		info.State = LinkCancelled
	case r.State != StateDelivering && r.State != StateDelivered:
		info.State = LinkCancelled // rolled back: its messages never arrived
	case !s.clock().Before(r.ExpiresAt):
		info.State = LinkExpired
	default:
		info.State = LinkValid
	}
	return info, r, t, nil
}

// UseLinkInput is the link page's form.
type UseLinkInput struct {
	Token     string
	Password  string
	Password2 string
	IP        string
}

// UseLink sets the password chosen on a link's page and uses the link up.
// It answers the link's state when the link cannot be used (nothing
// changed), or a password rule's error.
func (s *Service) UseLink(ctx context.Context, in UseLinkInput) (*LinkInfo, error) {
	info, r, t, err := s.lookLink(ctx, s.store, in.Token)
	if err != nil || info.State != LinkValid {
		return info, err
	}
	if in.Password != in.Password2 {
		return info, Errorf(KindUnprocessable, "passwords_differ", "the two passwords are not the same")
	}
	p, err := s.store.Person(ctx, t.ID, r.PersonID)
	if err != nil {
		return nil, err
	}
	if err := CheckPassword(in.Password, t.MinPasswordLength, p.Email, p.Name); err != nil {
		return info, err
	}
	// Only a valid link gets here, so the argon2id work is the link
	// holder's alone: a stranger cannot make the gateway hash.
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, Internal(err)
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		cur, r, _, err := s.lookLink(ctx, st, in.Token)
		if err != nil {
			return err
		}
		if cur.State != LinkValid {
			info = cur
			return errLinkGone
		}
		now := s.clock()
		r.UsedAt, r.UpdatedAt = now, now
		if err := st.UpdateReset(ctx, r); err != nil {
			return err
		}
		pc, err := st.Person(ctx, t.ID, r.PersonID)
		if err != nil {
			return err
		}
		pc.PasswordHash, pc.MustChange, pc.UpdatedAt, pc.PasswordSetAt = hash, false, now, now
		if pc.PendingRequest == r.ID {
			pc.PendingRequest = ""
		}
		if err := st.SavePersonAuth(ctx, pc); err != nil {
			return err
		}
		if err := s.event(ctx, st, Event{TenantID: t.ID, Type: EventResetLinkUsed, Actor: ActorCrew,
			RequestID: r.ID, PersonID: pc.ID, IP: in.IP}); err != nil {
			return err
		}
		return s.passwordChangedNotice(ctx, st, t, pc, r, true)
	})
	if err == errLinkGone {
		return info, nil
	}
	if err != nil {
		return nil, err
	}
	s.kick()
	info.State, info.Done = LinkUsed, true
	return info, nil
}

var errLinkGone = Errorf(KindConflict, "link_gone", "the link was used or ended meanwhile")
