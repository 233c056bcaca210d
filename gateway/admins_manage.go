package gateway

import (
	"context"
	"strings"
	"time"
)

// Managing console admins and tenants from the console. A tenant admin
// manages only their own tenant's admins: an operator, or another tenant's
// admin, answers "not found" to them, exactly like an id that does not
// exist, so that ids leak nothing. Nobody can make an account stronger
// than their own: a tenant admin's new admins are always of their tenant.

// AdminMinPassword is the shortest password an admin may choose.
const AdminMinPassword = adminMinPassword

// ManagedAdmin returns the admin with id if the actor may manage them.
func (s *Service) ManagedAdmin(ctx context.Context, a Actor, id int64) (*Admin, error) {
	ad, err := s.store.AdminByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.TenantID != 0 && ad.TenantID != a.TenantID {
		return nil, ErrNotFound
	}
	return ad, nil
}

// generateAdminPassword draws two temporary passwords and joins them: an
// admin password is held to a longer minimum than a crew member's.
func (s *Service) generateAdminPassword() (string, error) {
	var b strings.Builder
	for b.Len() < 2*adminMinPassword {
		pw, err := s.generatePassword()
		if err != nil {
			return "", err
		}
		b.WriteString(pw)
	}
	return b.String(), nil
}

// CreateAdminGenerated adds an admin with a generated password, which the
// caller shows once; the new admin chooses their own at first sign-in.
func (s *Service) CreateAdminGenerated(ctx context.Context, a Actor, email, tenant string) (*Admin, string, error) {
	pw, err := s.generateAdminPassword()
	if err != nil {
		return nil, "", err
	}
	ad, err := s.CreateAdmin(ctx, a, AdminInput{Email: email, Password: pw, Tenant: tenant, MustChange: true})
	if err != nil {
		return nil, "", err
	}
	return ad, pw, nil
}

// errSelf refuses an action on one's own account that would lock one out
// or skip the old-password check.
var errSelf = Errorf(KindInvalid, "own_account", "this is your own account: change your password under Account instead")

func self(a Actor, ad *Admin) bool {
	return a.Kind == ActorAdmin && strings.EqualFold(a.ID, ad.Email)
}

// SetAdminDisabledByID disables or enables an admin the actor manages.
// Nobody disables themselves: the last operator would lock everyone out.
func (s *Service) SetAdminDisabledByID(ctx context.Context, a Actor, id int64, disabled bool) (*Admin, error) {
	ad, err := s.ManagedAdmin(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if disabled && self(a, ad) {
		return nil, Errorf(KindInvalid, "own_account", "you cannot disable your own account")
	}
	if err := s.SetAdminDisabled(ctx, a, ad.Email, disabled); err != nil {
		return nil, err
	}
	ad.Disabled = disabled
	return ad, nil
}

// ResetAdminPassword gives an admin the actor manages a generated
// password, returned once for the caller to show. The admin's sessions
// end, their failed-login lock is lifted, and they must choose their own
// password at their next sign-in before anything else works.
func (s *Service) ResetAdminPassword(ctx context.Context, a Actor, id int64) (*Admin, string, error) {
	ad, err := s.ManagedAdmin(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	if self(a, ad) {
		return nil, "", errSelf
	}
	pw, err := s.generateAdminPassword()
	if err != nil {
		return nil, "", err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return nil, "", Internal(err)
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		cur, err := st.AdminByID(ctx, ad.ID)
		if err != nil {
			return err
		}
		cur.PasswordHash, cur.MustChange, cur.UpdatedAt = hash, true, s.clock()
		if err := st.UpdateAdmin(ctx, cur); err != nil {
			return err
		}
		if err := st.DeleteAdminSessions(ctx, cur.ID); err != nil {
			return err
		}
		if err := s.unlock(ctx, st, "admin_login", cur.Email); err != nil {
			return err
		}
		ad = cur
		return s.adminEvent(ctx, st, a, Event{TenantID: cur.TenantID, Type: "admin_password_reset", Detail: cur.Email})
	})
	if err != nil {
		return nil, "", err
	}
	return ad, pw, nil
}

// OwnPasswordInput is an admin changing their own password.
type OwnPasswordInput struct {
	Old, New string
}

var errOldPassword = Errorf(KindInvalid, "old_password_wrong", "the current password is wrong")

// ChangeOwnPassword sets a signed-in admin's password after checking the
// current one. The check counts against the same throttles as the sign-in
// form, so the form is no way around them. The admin's other sessions end;
// this one stays.
func (s *Service) ChangeOwnPassword(ctx context.Context, cs *ConsoleSession, in OwnPasswordInput) error {
	g := s.loginGate("admin_login", cs.Email, cs.Actor.IP)
	if err := s.enter(ctx, g); err != nil {
		return err
	}
	ad, err := s.store.AdminByEmail(ctx, cs.Email)
	if err != nil {
		s.abandon(ctx, g)
		return err
	}
	ok := false
	if in.Old == "" || len(in.Old) > 1024 {
		s.hasher.VerifyDummy(ctx, in.Old)
	} else if ok, err = s.hasher.Verify(ctx, in.Old, ad.PasswordHash); err != nil {
		s.abandon(ctx, g)
		return Internal(err)
	}
	if !ok {
		err := s.store.WithTx(ctx, func(st Store) error {
			if err := s.event(ctx, st, Event{TenantID: ad.TenantID, Type: "admin_password_change_failed",
				Actor: ActorAdmin, ActorID: ad.Email, IP: cs.Actor.IP, Detail: "current password wrong"}); err != nil {
				return err
			}
			if g.reaches {
				return s.event(ctx, st, Event{TenantID: ad.TenantID, Type: EventLoginCeilingReached, Actor: ActorAdmin,
					ActorID: ad.Email, IP: cs.Actor.IP, Detail: "failed logins from every address reached the ceiling"})
			}
			return nil
		})
		if err != nil {
			return err
		}
		return errOldPassword
	}
	// The attempt proved the password: whatever follows, it is no failure.
	if in.New == in.Old {
		s.abandon(ctx, g)
		return Errorf(KindInvalid, "password_unchanged", "choose a new password, not the current one")
	}
	if err := CheckPassword(in.New, adminMinPassword, ad.Email); err != nil {
		s.abandon(ctx, g)
		return err
	}
	hash, err := s.hasher.Hash(ctx, in.New)
	if err != nil {
		s.abandon(ctx, g)
		return Internal(err)
	}
	return s.store.WithTx(ctx, func(st Store) error {
		if err := g.succeeded(ctx, st); err != nil {
			return err
		}
		cur, err := st.AdminByID(ctx, ad.ID)
		if err != nil {
			return err
		}
		cur.PasswordHash, cur.MustChange, cur.UpdatedAt = hash, false, s.clock()
		if err := st.UpdateAdmin(ctx, cur); err != nil {
			return err
		}
		// End every other session: keep this one's row, drop the rest.
		mine, err := st.AdminSession(ctx, sessionHash(cs.Token))
		if err != nil {
			return err
		}
		if err := st.DeleteAdminSessions(ctx, cur.ID); err != nil {
			return err
		}
		if err := st.CreateAdminSession(ctx, mine); err != nil {
			return err
		}
		return s.event(ctx, st, Event{TenantID: cur.TenantID, Type: "admin_password_changed", Actor: ActorAdmin,
			ActorID: cur.Email, IP: cs.Actor.IP})
	})
}

// SetTenantDisabled switches a tenant off or on again (operators only). A
// disabled tenant takes no resets, and its admins' sessions end at once
// and they cannot sign in.
func (s *Service) SetTenantDisabled(ctx context.Context, a Actor, slug string, disabled bool) (*Tenant, error) {
	if a.TenantID != 0 {
		return nil, Errorf(KindForbidden, "operator_only", "only an operator can disable tenants")
	}
	var t *Tenant
	err := s.store.WithTx(ctx, func(st Store) error {
		var err error
		if t, err = s.tenant(ctx, st, slug); err != nil {
			return err
		}
		t.Disabled = disabled
		if err := st.UpdateTenant(ctx, t); err != nil {
			return err
		}
		typ := "tenant_enabled"
		if disabled {
			typ = "tenant_disabled"
			admins, err := st.ListAdmins(ctx)
			if err != nil {
				return err
			}
			for _, ad := range admins {
				if ad.TenantID == t.ID {
					if err := st.DeleteAdminSessions(ctx, ad.ID); err != nil {
						return err
					}
				}
			}
		}
		return s.adminEvent(ctx, st, a, Event{TenantID: t.ID, Type: typ, Detail: t.Slug})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Location is the zone the console shows the tenant's times in: its
// time_zone, else UTC.
func (t *Tenant) Location() *time.Location {
	if t == nil || t.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// checkTimeZone accepts "" (UTC) and IANA zone names the binary knows.
// "Local" is refused: it is the server's zone, which the tenant cannot
// see and which changes with the machine.
func checkTimeZone(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil
	}
	bad := Errorf(KindInvalid, "time_zone_invalid", "time zone %q is not an IANA zone name such as America/Chicago", Clip(name, 64))
	if len(name) > 64 || strings.EqualFold(name, "Local") {
		return "", bad
	}
	if _, err := time.LoadLocation(name); err != nil {
		return "", bad
	}
	return name, nil
}

// Now is the service's clock, for adapters that show times (a zone's
// offset today).
func (s *Service) Now() time.Time { return s.clock() }
