package gateway_test

import (
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

func adminLogin(e *env, email, pw string) (*gateway.ConsoleSession, error) {
	return e.svc.AdminLogin(e.ctx, gateway.AdminLoginInput{Email: email, Password: pw, IP: "192.0.2.60"})
}

// An operator creates an admin and resets their password; each generated
// password works once for a forced change, and the change keeps only the
// session that made it.
func TestAdminGeneratedPasswordForcesChange(t *testing.T) {
	e := newEnv(t, true)
	ad, pw, err := e.svc.CreateAdminGenerated(e.ctx, operator, "Office@Acme.example", "")
	if err != nil || !ad.MustChange || len(pw) < 20 || ad.TenantID != 0 {
		t.Fatalf("create: %+v %q %v", ad, pw, err)
	}
	cs, err := adminLogin(e, "office@acme.example", pw)
	if err != nil || !cs.MustChange {
		t.Fatalf("first sign-in: %+v %v", cs, err)
	}
	other, _ := adminLogin(e, "office@acme.example", pw)
	for _, tc := range []struct {
		old, new, code string
	}{
		{"not-the-password-at-all", "harbor-dispatch-2026", "old_password_wrong"},
		{pw, "short", "password_too_short"},
		{pw, pw, "password_unchanged"},
		{pw, "office@acme.example-x", "password_personal"},
	} {
		err := e.svc.ChangeOwnPassword(e.ctx, cs, gateway.OwnPasswordInput{Old: tc.old, New: tc.new})
		if gateway.ErrorCode(err) != tc.code && !(tc.code == "password_personal" && err != nil) {
			t.Errorf("change %q→%q: %v, want %s", tc.old, tc.new, err, tc.code)
		}
	}
	const mine = "harbor-dispatch-2026"
	if err := e.svc.ChangeOwnPassword(e.ctx, cs, gateway.OwnPasswordInput{Old: pw, New: mine}); err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.AdminSession(e.ctx, cs.Token); err != nil || got.MustChange {
		t.Fatalf("own session after the change: %+v %v", got, err)
	}
	if _, err := e.svc.AdminSession(e.ctx, other.Token); gateway.ErrorKind(err) != gateway.KindUnauthorized {
		t.Fatalf("other session after the change: %v", err)
	}
	if _, err := adminLogin(e, ad.Email, pw); gateway.ErrorKind(err) != gateway.KindUnauthorized {
		t.Fatalf("generated password after the change: %v", err)
	}

	// A reset by the operator: sessions end, the new password forces a change.
	_, reset, err := e.svc.ResetAdminPassword(e.ctx, operator, ad.ID)
	if err != nil || reset == pw {
		t.Fatalf("reset: %v", err)
	}
	if _, err := e.svc.AdminSession(e.ctx, cs.Token); gateway.ErrorKind(err) != gateway.KindUnauthorized {
		t.Fatalf("session after a reset: %v", err)
	}
	if _, err := adminLogin(e, ad.Email, mine); gateway.ErrorKind(err) != gateway.KindUnauthorized {
		t.Fatalf("old password after a reset: %v", err)
	}
	if cs, err := adminLogin(e, ad.Email, reset); err != nil || !cs.MustChange {
		t.Fatalf("after a reset: %+v %v", cs, err)
	}
	// Nobody resets or disables themselves here.
	me := gateway.Actor{Kind: gateway.ActorAdmin, ID: ad.Email}
	if _, _, err := e.svc.ResetAdminPassword(e.ctx, me, ad.ID); gateway.ErrorCode(err) != "own_account" {
		t.Fatalf("own reset: %v", err)
	}
	if _, err := e.svc.SetAdminDisabledByID(e.ctx, me, ad.ID, true); gateway.ErrorCode(err) != "own_account" {
		t.Fatalf("own disable: %v", err)
	}
	for _, typ := range []string{"admin_created", "admin_password_reset", "admin_password_changed", "admin_password_change_failed"} {
		evs := e.events(typ)
		if len(evs) == 0 {
			t.Errorf("no %s event", typ)
		}
		for _, ev := range evs {
			if ev.Detail == pw || ev.Detail == reset || ev.Detail == mine {
				t.Errorf("%s event holds a password", typ)
			}
		}
	}
}

// The old-password check is the sign-in's throttle: guessing through the
// change form stops where guessing through the sign-in form would.
func TestChangeOwnPasswordThrottled(t *testing.T) {
	e := newEnv(t, true)
	_, pw, err := e.svc.CreateAdminGenerated(e.ctx, operator, "office@acme.example", "")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := adminLogin(e, "office@acme.example", pw)
	if err != nil {
		t.Fatal(err)
	}
	cs.Actor.IP = "192.0.2.60"
	for range gateway.DefaultLimits().LoginPerAccountIP {
		e.svc.ChangeOwnPassword(e.ctx, cs, gateway.OwnPasswordInput{Old: "a-wrong-guess-123", New: "harbor-dispatch-2026"})
	}
	err = e.svc.ChangeOwnPassword(e.ctx, cs, gateway.OwnPasswordInput{Old: pw, New: "harbor-dispatch-2026"})
	if gateway.ErrorKind(err) != gateway.KindRateLimited {
		t.Fatalf("after many wrong guesses: %v", err)
	}
	if _, err := adminLogin(e, "office@acme.example", pw); gateway.ErrorKind(err) != gateway.KindRateLimited {
		t.Fatalf("sign-in after many wrong guesses: %v", err)
	}
}

// The attacker is a tenant admin: they see and manage their own tenant's
// admins only, cannot reach an operator or another tenant's admin by id,
// cannot make an operator, and cannot touch tenants.
func TestTenantAdminCannotEscalate(t *testing.T) {
	e := newEnv(t, true)
	beta, boss := e.tenantAdmin("beta")
	gamma, _ := e.tenantAdmin("gamma")
	op, _, err := e.svc.CreateAdminGenerated(e.ctx, operator, "op@gw.example", "")
	if err != nil {
		t.Fatal(err)
	}
	theirs, _, err := e.svc.CreateAdminGenerated(e.ctx, operator, "boss@gamma.example", gamma.Slug)
	if err != nil {
		t.Fatal(err)
	}
	// "" is their own tenant, never an operator; another slug is no tenant.
	mine, _, err := e.svc.CreateAdminGenerated(e.ctx, boss, "second@beta.example", "")
	if err != nil || mine.TenantID != beta.ID {
		t.Fatalf("create in own tenant: %+v %v", mine, err)
	}
	if _, _, err := e.svc.CreateAdminGenerated(e.ctx, boss, "spy@gamma.example", gamma.Slug); !gateway.IsNotFound(err) {
		t.Fatalf("create in another tenant: %v", err)
	}
	for _, id := range []int64{op.ID, theirs.ID, 999999} {
		if _, err := e.svc.ManagedAdmin(e.ctx, boss, id); !gateway.IsNotFound(err) {
			t.Errorf("see admin %d: %v", id, err)
		}
		if _, _, err := e.svc.ResetAdminPassword(e.ctx, boss, id); !gateway.IsNotFound(err) {
			t.Errorf("reset admin %d: %v", id, err)
		}
		if _, err := e.svc.SetAdminDisabledByID(e.ctx, boss, id, true); !gateway.IsNotFound(err) {
			t.Errorf("disable admin %d: %v", id, err)
		}
	}
	if _, _, err := e.svc.ResetAdminPassword(e.ctx, boss, mine.ID); err != nil {
		t.Fatalf("reset own tenant's admin: %v", err)
	}
	list, err := e.svc.ListAdmins(e.ctx, boss)
	if err != nil || len(list) != 1 || list[0].ID != mine.ID {
		t.Fatalf("list: %v %v", list, err)
	}
	if _, err := e.svc.SetTenantDisabled(e.ctx, boss, gamma.Slug, true); gateway.ErrorCode(err) != "operator_only" {
		t.Fatalf("disable a tenant: %v", err)
	}
	if _, err := e.svc.SetTenantDisabled(e.ctx, boss, beta.Slug, true); gateway.ErrorCode(err) != "operator_only" {
		t.Fatalf("disable own tenant: %v", err)
	}
	if g, _ := e.svc.Tenant(e.ctx, gamma.Slug); g.Disabled {
		t.Fatal("a tenant admin disabled a tenant")
	}
}

// A disabled tenant takes no resets and lets none of its admins in.
func TestDisabledTenant(t *testing.T) {
	e := newEnv(t, true)
	e.person("dana@acme.example", "+12015550123", "")
	_, pw, err := e.svc.CreateAdminGenerated(e.ctx, operator, "boss@acme.example", gateway.DefaultSlug)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := adminLogin(e, "boss@acme.example", pw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetTenantDisabled(e.ctx, operator, gateway.DefaultSlug, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AdminSession(e.ctx, cs.Token); gateway.ErrorKind(err) != gateway.KindUnauthorized {
		t.Fatalf("session in a disabled tenant: %v", err)
	}
	if _, err := adminLogin(e, "boss@acme.example", pw); gateway.ErrorKind(err) != gateway.KindUnauthorized {
		t.Fatalf("sign-in in a disabled tenant: %v", err)
	}
	id := e.reset("dana@acme.example", "+12015550123")
	e.drain()
	if r := e.request(id); r.State != gateway.StateRejected || r.Reason != gateway.ReasonResetDisabled {
		t.Fatalf("reset in a disabled tenant: %s %s", r.State, r.Reason)
	}
	if _, err := e.svc.SetTenantDisabled(e.ctx, operator, gateway.DefaultSlug, false); err != nil {
		t.Fatal(err)
	}
	if _, err := adminLogin(e, "boss@acme.example", pw); err != nil {
		t.Fatalf("sign-in after enabling: %v", err)
	}
}

func TestTimeZoneSetting(t *testing.T) {
	e := newEnv(t, true)
	if e.tenant.Location().String() != "UTC" {
		t.Fatalf("default zone: %v", e.tenant.Location())
	}
	for _, tc := range []struct{ in, want, code string }{
		{"America/Chicago", "America/Chicago", ""},
		{" Europe/Madrid ", "Europe/Madrid", ""},
		{"", "UTC", ""},
		{"Mars/Olympus_Mons", "", "time_zone_invalid"},
		{"Local", "", "time_zone_invalid"},
		{"../../etc/passwd", "", "time_zone_invalid"},
	} {
		tn, err := e.svc.UpdateSettings(e.ctx, operator, "", gateway.SettingsPatch{TimeZone: ptr(tc.in)})
		if tc.code != "" {
			if gateway.ErrorCode(err) != tc.code {
				t.Errorf("%q: %v, want %s", tc.in, err, tc.code)
			}
			continue
		}
		if err != nil || tn.Location().String() != tc.want {
			t.Errorf("%q: %v %v", tc.in, tn, err)
		}
	}
}
