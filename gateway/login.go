package gateway

import (
	"context"
	"strings"
)

// LoginInput is a login attempt from the crew app.
type LoginInput struct {
	Tenant   string
	Email    string
	Password string
	IP       string
}

// LoginResult is what a successful login tells the app.
type LoginResult struct {
	PersonID   int64
	MustChange bool
}

var errBadLogin = Errorf(KindUnauthorized, "invalid_credentials", "email or password is wrong")

// Login checks a password: the person's own, or the temporary one of a
// delivered reset, which at its first use becomes the person's password
// (re-hashed with argon2id). Unknown accounts cost the same argon2id work
// as known ones. The attempt is reserved against the throttles before any
// hash runs (throttle.go), so parallel attempts cannot outrun them.
func (s *Service) Login(ctx context.Context, in LoginInput) (*LoginResult, error) {
	email, _ := NormalizeEmail(in.Email)
	slug := strings.ToLower(strings.TrimSpace(in.Tenant))
	if slug == "" {
		slug = DefaultSlug
	}
	g := s.loginGate("login", slug+"/"+email, in.IP)
	if err := s.enter(ctx, g); err != nil {
		return nil, err
	}
	res, err := s.checkLogin(ctx, slug, email, in.Password)
	if err != nil {
		if ErrorKind(err) != KindUnauthorized {
			s.abandon(ctx, g)
			return nil, err
		}
		var tid, pid int64
		if res != nil {
			tid, pid = res.tenantID, res.PersonID
		}
		err := s.store.WithTx(ctx, func(st Store) error {
			if err := s.event(ctx, st, Event{TenantID: tid, Type: "login_failed", Actor: ActorCrew,
				PersonID: pid, IP: in.IP}); err != nil {
				return err
			}
			if g.reaches && pid != 0 {
				return s.event(ctx, st, Event{TenantID: tid, Type: EventLoginCeilingReached, PersonID: pid,
					IP: in.IP, Detail: "failed logins from every address reached the ceiling"})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return nil, errBadLogin
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		if err := g.succeeded(ctx, st); err != nil {
			return err
		}
		if err := st.SetLastLogin(ctx, res.PersonID, s.clock()); err != nil {
			return err
		}
		return s.event(ctx, st, Event{TenantID: res.tenantID, Type: res.eventType, Actor: ActorCrew,
			PersonID: res.PersonID, IP: in.IP, RequestID: res.requestID})
	})
	if err != nil {
		return nil, err
	}
	return &res.LoginResult, nil
}

type loginOutcome struct {
	LoginResult
	tenantID  int64
	requestID string
	eventType string
}

// checkLogin verifies without counting. On failure it may still return
// the outcome, to name the person in the log.
func (s *Service) checkLogin(ctx context.Context, slug, email, password string) (*loginOutcome, error) {
	var p *Person
	t, err := s.store.TenantBySlug(ctx, slug)
	if err == nil && email != "" {
		p, err = s.store.PersonByEmail(ctx, t.ID, email)
	}
	if err != nil && !IsNotFound(err) {
		return nil, err
	}
	if p == nil || password == "" || len(password) > 1024 {
		s.hasher.VerifyDummy(ctx, password)
		return nil, errBadLogin
	}
	out := &loginOutcome{LoginResult: LoginResult{PersonID: p.ID}, tenantID: t.ID}
	if p.Status != StatusActive || !p.MobileAccess {
		s.hasher.VerifyDummy(ctx, password)
		return out, errBadLogin
	}

	pending, err := s.pendingReset(ctx, p)
	if err != nil {
		return nil, err
	}
	if pending != nil && s.keys.TempHashEqual(password, pending.TempHash) {
		return s.promote(ctx, t, p, pending, password)
	}
	if p.PasswordHash == "" || (pending != nil && !t.KeepOriginal) {
		s.hasher.VerifyDummy(ctx, password)
		return out, errBadLogin
	}
	ok, err := s.hasher.Verify(ctx, password, p.PasswordHash)
	if err != nil {
		return nil, Internal(err)
	}
	if !ok {
		return out, errBadLogin
	}
	if s.hasher.NeedsRehash(p.PasswordHash) {
		if h, err := s.hasher.Hash(ctx, password); err == nil {
			p.PasswordHash, p.UpdatedAt = h, s.clock()
			if err := s.store.SavePersonAuth(ctx, p); err != nil {
				return nil, err
			}
		}
	}
	out.MustChange, out.eventType = p.MustChange || s.passwordExpired(t, p), "login_succeeded"
	return out, nil
}

// pendingReset returns the person's delivered, unused, unexpired reset.
func (s *Service) pendingReset(ctx context.Context, p *Person) (*ResetRequest, error) {
	if p.PendingRequest == "" {
		return nil, nil
	}
	r, err := s.store.Reset(ctx, p.PendingRequest)
	if IsNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if r.State != StateDelivered || !r.UsedAt.IsZero() || !s.clock().Before(r.ExpiresAt) || len(r.TempHash) == 0 {
		return nil, nil
	}
	return r, nil
}

// promote makes a used temporary password the person's own.
func (s *Service) promote(ctx context.Context, t *Tenant, p *Person, r *ResetRequest, password string) (*loginOutcome, error) {
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, Internal(err)
	}
	now := s.clock()
	err = s.store.WithTx(ctx, func(st Store) error {
		cur, err := st.Reset(ctx, r.ID)
		if err != nil {
			return err
		}
		if !cur.UsedAt.IsZero() || cur.State != StateDelivered {
			return errBadLogin // rolled back or used meanwhile
		}
		cur.UsedAt, cur.UpdatedAt, cur.TempHash = now, now, nil
		if err := st.UpdateReset(ctx, cur); err != nil {
			return err
		}
		// The text's kept body holds what is now the person's password.
		if err := s.dropKeptBodies(ctx, st, cur); err != nil {
			return err
		}
		p.PasswordHash, p.MustChange, p.PendingRequest, p.UpdatedAt, p.PasswordSetAt = hash, t.MustChange, "", now, now
		if err := st.SavePersonAuth(ctx, p); err != nil {
			return err
		}
		return s.passwordChangedNotice(ctx, st, t, p, cur, true)
	})
	if err != nil {
		return nil, err
	}
	s.kick() // the notice
	return &loginOutcome{LoginResult: LoginResult{PersonID: p.ID, MustChange: t.MustChange},
		tenantID: t.ID, requestID: r.ID, eventType: "reset_password_used"}, nil
}

// ChangeInput is a self-service password change.
type ChangeInput struct {
	Tenant      string
	Email       string
	OldPassword string
	NewPassword string
	IP          string
}

// ChangePassword sets a password the person chose, after checking the old
// one (their own or a delivered temporary one).
func (s *Service) ChangePassword(ctx context.Context, in ChangeInput) error {
	res, err := s.Login(ctx, LoginInput{Tenant: in.Tenant, Email: in.Email, Password: in.OldPassword, IP: in.IP})
	if err != nil {
		return err
	}
	t, err := s.Tenant(ctx, in.Tenant)
	if err != nil {
		return err
	}
	p, err := s.store.Person(ctx, t.ID, res.PersonID)
	if err != nil {
		return err
	}
	if err := CheckPassword(in.NewPassword, t.MinPasswordLength, p.Email, p.Name); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, in.NewPassword)
	if err != nil {
		return Internal(err)
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		cur, err := st.Person(ctx, t.ID, p.ID)
		if err != nil {
			return err
		}
		// A temporary password still out would undo the choice just made.
		if err := s.endPending(ctx, st, cur, ReasonPasswordChanged); err != nil {
			return err
		}
		cur.PasswordHash, cur.MustChange, cur.UpdatedAt = hash, false, s.clock()
		cur.PasswordSetAt = cur.UpdatedAt
		if err := st.SavePersonAuth(ctx, cur); err != nil {
			return err
		}
		if err := s.event(ctx, st, Event{TenantID: t.ID, Type: "password_changed", Actor: ActorCrew,
			PersonID: cur.ID, IP: in.IP}); err != nil {
			return err
		}
		return s.passwordChangedNotice(ctx, st, t, cur, nil, true)
	})
	if err == nil {
		s.kick()
	}
	return err
}
