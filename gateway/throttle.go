package gateway

import (
	"context"
	"math"
	"time"
)

// Login throttling. An attempt is reserved (counted as a failure) before
// any password is checked, in one step that refuses when over, so that
// concurrent attempts cannot all be evaluated; a success gives it back.
//
// The counters are chosen so that a stranger cannot lock anyone out:
//   - per (account, client IP): a few failures, then growing pauses, then
//     a cap for the window. This is the one an attacker meets first.
//   - per client IP: many failures over all accounts (in-flight attempts
//     count too, until they succeed).
//   - per account, from everywhere: a ceiling far higher (NIST's 100 a
//     day). Past it, addresses that failed for the account today are
//     refused and others may still try, so the owner's right password from
//     an address that has not failed is never refused for others'
//     failures. Reaching the ceiling is an event; an admin sees it on the
//     person (or admin) and clears it.

// loginFree is how many failures of an (account, IP) pair go without a
// pause; LoginDelay applies after that, doubling.
const loginFree = 5

// Event types of the throttles.
const (
	EventLoginCeilingReached = "login_ceiling_reached"
	EventLoginUnlocked       = "login_unlocked"
)

var errTooManyLogins = Errorf(KindRateLimited, "too_many_attempts", "too many failed logins, try again later")

// loginGate is the counters one login attempt moves.
type loginGate struct {
	now     time.Time
	pair    Limit // this account from this IP, in LoginWindow
	pairDay Limit // the same in the ceiling's window: "has this IP failed here"
	ip      Limit
	account Limit // the ceiling
	// reaches says that this attempt, if it fails, is the one that
	// brings the account to its ceiling.
	reaches bool
}

// loginScope names the counters of crew ("login") and console
// ("admin_login") accounts apart.
func (s *Service) loginGate(scope, account, ip string) *loginGate {
	l := s.limits
	ip = IPKey(ip)
	pair := account + " " + ip // neither an email nor an IP holds a space
	return &loginGate{
		now:     s.clock(),
		pair:    Limit{Scope: scope + "_pair", Key: pair, Max: l.LoginPerAccountIP, Window: l.LoginWindow, Free: loginFree, Delay: l.LoginDelay},
		pairDay: Limit{Scope: scope + "_pair_day", Key: pair, Max: math.MaxInt32, Window: l.LoginCeilingWindow},
		// No pause per IP: a crew behind one office address logs in at
		// the start of a shift, many at once, and an attempt counts here
		// while its hash waits. The cap alone bounds an address that
		// tries many accounts.
		ip:      Limit{Scope: scope + "_ip", Key: ip, Max: l.LoginPerIP, Window: l.LoginWindow},
		account: Limit{Scope: scope + "_account", Key: account, Max: l.LoginCeiling, Window: l.LoginCeilingWindow},
	}
}

// enter reserves the attempt, or refuses it with KindRateLimited having
// counted nothing.
func (s *Service) enter(ctx context.Context, g *loginGate) error {
	return s.store.WithTx(ctx, func(st Store) error {
		if g.account.Max > 0 {
			n, err := st.Count(ctx, g.now, g.account)
			if err != nil {
				return err
			}
			if n >= g.account.Max {
				failed, err := st.Count(ctx, g.now, g.pairDay)
				if err != nil {
					return err
				}
				if failed > 0 {
					return errTooManyLogins
				}
			}
			g.reaches = n+1 == g.account.Max
		}
		over, err := st.Reserve(ctx, g.now, []Limit{g.pair, g.ip})
		if err != nil {
			return err
		}
		if over != nil {
			return errTooManyLogins
		}
		_, err = st.Hit(ctx, g.now, []Limit{g.pairDay, g.account})
		return err
	})
}

// succeeded clears the pair (this address knows the password) and gives
// back what the attempt took from the IP and the account. It runs in the
// transaction that records the login.
func (g *loginGate) succeeded(ctx context.Context, st RateStore) error {
	if err := st.ClearHits(ctx, g.pair); err != nil {
		return err
	}
	if err := st.ClearHits(ctx, g.pairDay); err != nil {
		return err
	}
	return st.Release(ctx, g.now, []Limit{g.ip, g.account})
}

// abandon gives the whole reservation back: the attempt ended in an error
// (the store, a caller that went away before its hash ran), so nothing
// was learnt about the password.
func (s *Service) abandon(ctx context.Context, g *loginGate) {
	ctx = context.WithoutCancel(ctx)
	if err := s.store.Release(ctx, g.now, []Limit{g.pair, g.pairDay, g.ip, g.account}); err != nil {
		s.log.Error("releasing a login reservation failed", "err", err)
	}
}

// LoginLock is what an admin sees of an account's failed logins: the
// failures counted against the ceiling in its current window.
type LoginLock struct {
	Failures int
	Ceiling  int
	// Locked says the ceiling is reached: addresses that failed for the
	// account are refused until the window ends or an admin clears it.
	Locked bool
}

func (s *Service) loginLock(ctx context.Context, scope, account string) (LoginLock, error) {
	g := s.loginGate(scope, account, "")
	n, err := s.store.Count(ctx, g.now, g.account)
	if err != nil {
		return LoginLock{}, err
	}
	return LoginLock{Failures: n, Ceiling: g.account.Max, Locked: g.account.Max > 0 && n >= g.account.Max}, nil
}

// unlock forgets every login counter of an account: its ceiling and the
// failures of every address.
func (s *Service) unlock(ctx context.Context, st RateStore, scope, account string) error {
	g := s.loginGate(scope, account, "")
	if err := st.ClearHits(ctx, g.account); err != nil {
		return err
	}
	if err := st.ClearHitsPrefix(ctx, g.pair.Scope, account+" "); err != nil {
		return err
	}
	return st.ClearHitsPrefix(ctx, g.pairDay.Scope, account+" ")
}

func crewAccount(t *Tenant, email string) string { return t.Slug + "/" + email }

// PersonLoginLock returns the login ceiling's state for a person.
func (s *Service) PersonLoginLock(ctx context.Context, p *Person) (LoginLock, error) {
	t, err := s.store.TenantByID(ctx, p.TenantID)
	if err != nil {
		return LoginLock{}, err
	}
	return s.loginLock(ctx, "login", crewAccount(t, p.Email))
}

// UnlockPerson clears a person's failed-login counters (the ceiling and
// every address's), so that they can sign in again at once.
func (s *Service) UnlockPerson(ctx context.Context, a Actor, tenant string, id int64) (*Person, error) {
	p, err := s.Person(ctx, a, tenant, id)
	if err != nil {
		return nil, err
	}
	t, err := s.store.TenantByID(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		if err := s.unlock(ctx, st, "login", crewAccount(t, p.Email)); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, a, Event{TenantID: p.TenantID, Type: EventLoginUnlocked, PersonID: p.ID})
	})
	return p, err
}

// AdminLoginLock returns the login ceiling's state for a console admin.
func (s *Service) AdminLoginLock(ctx context.Context, ad *Admin) (LoginLock, error) {
	return s.loginLock(ctx, "admin_login", ad.Email)
}

// UnlockAdmin clears a console admin's failed-login counters.
func (s *Service) UnlockAdmin(ctx context.Context, a Actor, email string) (*Admin, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	ad, err := s.store.AdminByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	if a.TenantID != 0 && ad.TenantID != a.TenantID {
		return nil, ErrNotFound
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		if err := s.unlock(ctx, st, "admin_login", ad.Email); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, a, Event{TenantID: ad.TenantID, Type: EventLoginUnlocked, Detail: ad.Email})
	})
	return ad, err
}
