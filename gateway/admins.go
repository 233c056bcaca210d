package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"strings"
	"time"
)

// Admin is an office admin of the console: an operator (TenantID 0, sees
// every tenant) or one tenant's admin.
type Admin struct {
	ID           int64
	TenantID     int64
	Email        string
	PasswordHash string // argon2id PHC string
	Disabled     bool
	// MustChange is set when someone else chose the password (an operator's
	// reset): the admin sets their own before anything else works.
	MustChange  bool
	LastLoginAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// AdminSession is one console login. The store keeps only the SHA-256 of
// its token, so that a copy of the database opens no console; deleting
// the row (logout, deactivation) ends it at once.
type AdminSession struct {
	Hash      []byte
	AdminID   int64
	IP        string
	CreatedAt time.Time
	SeenAt    time.Time
	ExpiresAt time.Time
}

// Session lifetimes: a dispatch tablet stays signed in for a shift, and an
// idle one signs out on its own.
const (
	SessionIdle     = 2 * time.Hour
	SessionLifetime = 12 * time.Hour
	// touchEvery limits the writes that keep a session alive.
	touchEvery = time.Minute
	// adminMinPassword is stricter than the crew's default: an admin
	// password opens every record of a tenant.
	adminMinPassword = 12
)

// AdminInput creates an admin. Tenant "" makes an operator when an
// operator asks, and an admin of their own tenant when a tenant admin does.
type AdminInput struct {
	Email    string
	Password string
	Tenant   string
	// MustChange makes the admin choose their own password at first
	// sign-in (someone else chose this one).
	MustChange bool
}

// CreateAdmin adds a console admin with an argon2id password.
func (s *Service) CreateAdmin(ctx context.Context, a Actor, in AdminInput) (*Admin, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return nil, err
	}
	var tenantID int64
	if a.TenantID != 0 || strings.TrimSpace(in.Tenant) != "" {
		t, err := s.scope(ctx, a, in.Tenant)
		if err != nil {
			return nil, err
		}
		tenantID = t.ID
	}
	if err := CheckPassword(in.Password, adminMinPassword, email); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, Internal(err)
	}
	now := s.clock()
	ad := &Admin{TenantID: tenantID, Email: email, PasswordHash: hash, MustChange: in.MustChange, CreatedAt: now, UpdatedAt: now}
	err = s.store.WithTx(ctx, func(st Store) error {
		if err := st.CreateAdmin(ctx, ad); err != nil {
			if ErrorKind(err) == KindConflict {
				return Errorf(KindConflict, "admin_exists", "an admin with this email exists already")
			}
			return err
		}
		return s.adminEvent(ctx, st, a, Event{TenantID: tenantID, Type: "admin_created", Detail: email})
	})
	if err != nil {
		return nil, err
	}
	return ad, nil
}

// ListAdmins lists the admins the actor may see: all for an operator, the
// tenant's own for a tenant admin.
func (s *Service) ListAdmins(ctx context.Context, a Actor) ([]*Admin, error) {
	all, err := s.store.ListAdmins(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, ad := range all {
		if a.TenantID == 0 || ad.TenantID == a.TenantID {
			out = append(out, ad)
		}
	}
	return out, nil
}

// SetAdminDisabled disables (or enables again) an admin; disabling ends
// every session of theirs at once.
func (s *Service) SetAdminDisabled(ctx context.Context, a Actor, email string, disabled bool) error {
	email, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	return s.store.WithTx(ctx, func(st Store) error {
		ad, err := st.AdminByEmail(ctx, email)
		if err != nil {
			return err
		}
		if a.TenantID != 0 && ad.TenantID != a.TenantID {
			return ErrNotFound
		}
		ad.Disabled, ad.UpdatedAt = disabled, s.clock()
		if err := st.UpdateAdmin(ctx, ad); err != nil {
			return err
		}
		typ := "admin_enabled"
		if disabled {
			typ = "admin_disabled"
			if err := st.DeleteAdminSessions(ctx, ad.ID); err != nil {
				return err
			}
		}
		return s.adminEvent(ctx, st, a, Event{TenantID: ad.TenantID, Type: typ, Detail: email})
	})
}

// AdminLoginInput is a console login attempt.
type AdminLoginInput struct {
	Email    string
	Password string
	IP       string
}

// ConsoleSession is a signed-in admin as the console sees them.
type ConsoleSession struct {
	// Token is the cookie value; only its hash is stored.
	Token  string
	Actor  Actor
	Email  string
	Tenant string // the admin's tenant slug, "" for an operator
	// MustChange: the admin's password was chosen by someone else, and
	// they set their own before anything else works.
	MustChange bool
	CSRF       string
	ExpiresAt  time.Time
}

var errAdminLogin = Errorf(KindUnauthorized, "invalid_credentials", "email or password is wrong")

// AdminLogin checks an admin's password and opens a session. Unknown and
// disabled accounts cost the same argon2id work as known ones, and
// failures are throttled per account and per IP as crew logins are.
func (s *Service) AdminLogin(ctx context.Context, in AdminLoginInput) (*ConsoleSession, error) {
	email, _ := NormalizeEmail(in.Email)
	g := s.loginGate("admin_login", email, in.IP)
	if err := s.enter(ctx, g); err != nil {
		return nil, err
	}
	now := g.now
	ad, err := s.store.AdminByEmail(ctx, email)
	if err != nil && !IsNotFound(err) {
		s.abandon(ctx, g)
		return nil, err
	}
	off := ad != nil && ad.Disabled
	if ad != nil && !off && ad.TenantID != 0 {
		t, err := s.store.TenantByID(ctx, ad.TenantID)
		if err != nil {
			s.abandon(ctx, g)
			return nil, err
		}
		off = t.Disabled
	}
	ok := false
	if ad == nil || off || in.Password == "" || len(in.Password) > 1024 {
		s.hasher.VerifyDummy(ctx, in.Password)
	} else if ok, err = s.hasher.Verify(ctx, in.Password, ad.PasswordHash); err != nil {
		s.abandon(ctx, g)
		return nil, Internal(err)
	}
	if !ok {
		// The typed email is logged only when it names an admin: people
		// type passwords into the email field.
		ev := Event{Type: "admin_login_failed", Actor: ActorAdmin, IP: in.IP, Detail: "unknown account"}
		if ad != nil {
			ev.TenantID, ev.ActorID, ev.Detail = ad.TenantID, ad.Email, ""
			if off {
				ev.Detail = "disabled"
			}
		}
		err := s.store.WithTx(ctx, func(st Store) error {
			if err := s.event(ctx, st, ev); err != nil {
				return err
			}
			if g.reaches && ad != nil {
				return s.event(ctx, st, Event{TenantID: ad.TenantID, Type: EventLoginCeilingReached, Actor: ActorAdmin,
					ActorID: ad.Email, IP: in.IP, Detail: "failed logins from every address reached the ceiling"})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return nil, errAdminLogin
	}

	token, err := s.sessionToken()
	if err != nil {
		return nil, err
	}
	sess := &AdminSession{Hash: sessionHash(token), AdminID: ad.ID, IP: in.IP, CreatedAt: now, SeenAt: now,
		ExpiresAt: now.Add(SessionLifetime)}
	if s.hasher.NeedsRehash(ad.PasswordHash) {
		if h, err := s.hasher.Hash(ctx, in.Password); err == nil {
			ad.PasswordHash = h
		}
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		if err := g.succeeded(ctx, st); err != nil {
			return err
		}
		if err := st.PruneAdminSessions(ctx, now); err != nil {
			return err
		}
		if err := st.CreateAdminSession(ctx, sess); err != nil {
			return err
		}
		ad.LastLoginAt, ad.UpdatedAt = now, now
		if err := st.UpdateAdmin(ctx, ad); err != nil {
			return err
		}
		return s.event(ctx, st, Event{TenantID: ad.TenantID, Type: "admin_login", Actor: ActorAdmin,
			ActorID: ad.Email, IP: in.IP})
	})
	if err != nil {
		return nil, err
	}
	return s.consoleSession(ctx, token, ad, sess)
}

// AdminSession resolves a session token (the cookie) to the admin it
// belongs to, keeping it alive. An unknown, expired or idle token, or a
// disabled admin, is KindUnauthorized.
func (s *Service) AdminSession(ctx context.Context, token string) (*ConsoleSession, error) {
	none := Errorf(KindUnauthorized, "session_invalid", "please sign in")
	if token == "" || len(token) > 128 {
		return nil, none
	}
	hash := sessionHash(token)
	sess, err := s.store.AdminSession(ctx, hash)
	if IsNotFound(err) {
		return nil, none
	} else if err != nil {
		return nil, err
	}
	now := s.clock()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.SeenAt) >= SessionIdle {
		if err := s.store.DeleteAdminSession(ctx, hash); err != nil {
			return nil, err
		}
		return nil, none
	}
	ad, err := s.store.AdminByID(ctx, sess.AdminID)
	if IsNotFound(err) {
		return nil, none
	} else if err != nil {
		return nil, err
	}
	if ad.Disabled {
		return nil, none
	}
	if now.Sub(sess.SeenAt) >= touchEvery {
		if err := s.store.TouchAdminSession(ctx, hash, now); err != nil {
			return nil, err
		}
	}
	return s.consoleSession(ctx, token, ad, sess)
}

func (s *Service) consoleSession(ctx context.Context, token string, ad *Admin, sess *AdminSession) (*ConsoleSession, error) {
	cs := &ConsoleSession{Token: token, Email: ad.Email, CSRF: s.keys.Sign("csrf\x00" + token), MustChange: ad.MustChange,
		ExpiresAt: sess.ExpiresAt, Actor: Actor{Kind: ActorAdmin, ID: ad.Email, IP: sess.IP, TenantID: ad.TenantID}}
	if ad.TenantID != 0 {
		t, err := s.store.TenantByID(ctx, ad.TenantID)
		if err != nil {
			return nil, err
		}
		if t.Disabled {
			return nil, Errorf(KindUnauthorized, "session_invalid", "please sign in")
		}
		cs.Tenant = t.Slug
	}
	return cs, nil
}

// CheckCSRF reports in constant time whether csrf is the token bound to
// the session token: a form posted from another site cannot know it.
func (s *Service) CheckCSRF(sessionToken, csrf string) bool {
	return sessionToken != "" && s.keys.Verify("csrf\x00"+sessionToken, csrf)
}

// AdminLogout ends a session.
func (s *Service) AdminLogout(ctx context.Context, cs *ConsoleSession, ip string) error {
	return s.store.WithTx(ctx, func(st Store) error {
		if err := st.DeleteAdminSession(ctx, sessionHash(cs.Token)); err != nil && !IsNotFound(err) {
			return err
		}
		return s.event(ctx, st, Event{TenantID: cs.Actor.TenantID, Type: "admin_logout", Actor: ActorAdmin,
			ActorID: cs.Email, IP: ip})
	})
}

// LoginNonce and CheckLoginNonce protect the login form itself from
// cross-site posts before any session exists: the form carries a MAC of
// a random value that the browser also holds in a cookie.
func (s *Service) LoginNonce() (nonce, token string, err error) {
	if nonce, err = s.sessionToken(); err != nil {
		return "", "", err
	}
	return nonce, s.keys.Sign("login\x00" + nonce), nil
}

// CheckLoginNonce reports whether token was made for nonce by LoginNonce.
func (s *Service) CheckLoginNonce(nonce, token string) bool {
	return nonce != "" && s.keys.Verify("login\x00"+nonce, token)
}

func (s *Service) sessionToken() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", Internal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func sessionHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
