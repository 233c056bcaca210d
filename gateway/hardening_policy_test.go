package gateway_test

import (
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// A reset's password and one an admin sets must be changed at first login
// unless the tenant turns that off; an admin may still say otherwise for
// one password.
func TestHardening09_MustChangeDefaultsOn(t *testing.T) {
	if tn := gateway.NewTenant("x", "X"); !tn.MustChange {
		t.Fatal("a new tenant does not require a change")
	}
	e := newEnv(t, true)
	if !e.tenant.MustChange {
		t.Fatal("the default tenant does not require a change")
	}
	login := func(email, pw string) bool {
		t.Helper()
		res, err := e.svc.Login(e.ctx, gateway.LoginInput{Email: email, Password: pw, IP: "192.0.2.9"})
		if err != nil {
			t.Fatalf("login %s: %v", email, err)
		}
		return res.MustChange
	}
	// A person created with a password by an admin.
	e.person("kim@acme.example", phoneA, "")
	if !login("kim@acme.example", original) {
		t.Fatal("an admin's initial password is not one to change")
	}
	// A reset's temporary password.
	e.reset("kim@acme.example", phoneA)
	e.drain()
	if !login("kim@acme.example", e.twilio.password(t)) {
		t.Fatal("a reset's password is not one to change")
	}
	// An admin's override, with must_change not given, and given off.
	p, err := e.store.PersonByEmail(e.ctx, e.tenant.ID, "kim@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	const set = "lantern-harbour-crane-9"
	res, err := e.svc.SetPassword(e.ctx, operator, p.ID, gateway.PasswordInput{Password: set})
	if err != nil || !res.MustChange || !login("kim@acme.example", set) {
		t.Fatalf("override without must_change: %+v %v", res, err)
	}
	if _, err := e.svc.SetPassword(e.ctx, operator, p.ID, gateway.PasswordInput{Password: set, MustChange: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if login("kim@acme.example", set) {
		t.Fatal("an explicit must_change=false was not honoured")
	}

	// The tenant turns it off: resets and overrides no longer ask.
	e.patchTenant(gateway.SettingsPatch{MustChange: ptr(false)})
	e.reset("kim@acme.example", phoneA)
	e.drain()
	if login("kim@acme.example", e.twilio.password(t)) {
		t.Fatal("the tenant turned must_change off, yet the reset's password must change")
	}
	if res, err := e.svc.SetPassword(e.ctx, operator, p.ID, gateway.PasswordInput{Password: set}); err != nil || res.MustChange {
		t.Fatalf("override after the tenant turned it off: %+v %v", res, err)
	}
}

// Passwords people choose are 15 characters by default; a tenant may set
// 8 to 64 and nothing else; the blocklist applies at any length.
func TestHardening16_MinLengthDefault15(t *testing.T) {
	if tn := gateway.NewTenant("x", "X"); tn.MinPasswordLength != 15 {
		t.Fatalf("new tenant minimum %d, want 15", tn.MinPasswordLength)
	}
	e := newEnv(t, true)
	p := e.person("lou@acme.example", phoneA, "")
	change := func(pw string) error {
		return e.svc.ChangePassword(e.ctx, gateway.ChangeInput{Email: "lou@acme.example", OldPassword: original,
			NewPassword: pw, IP: "192.0.2.9"})
	}
	if err := change("Tq7vLm2Rx9Pw4K"); gateway.ErrorCode(err) != "password_too_short" || gateway.ErrorKind(err) != gateway.KindUnprocessable {
		t.Fatalf("14 characters: %v, want 422 password_too_short", err)
	}
	if err := change("Tq7vLm2Rx9Pw4Kd"); err != nil {
		t.Fatalf("15 characters: %v", err)
	}
	if _, err := e.svc.SetPassword(e.ctx, operator, p.ID, gateway.PasswordInput{Password: "Tq7vLm2Rx9Pw"}); gateway.ErrorCode(err) != "password_too_short" {
		t.Fatalf("an admin's 12-character password: %v, want password_too_short", err)
	}

	for _, n := range []int{7, 0, -1, 65, 1000} {
		_, err := e.svc.UpdateSettings(e.ctx, operator, "", gateway.SettingsPatch{MinPasswordLength: ptr(n)})
		if gateway.ErrorCode(err) != "min_length_invalid" || gateway.ErrorKind(err) != gateway.KindInvalid ||
			!strings.Contains(err.Error(), "8 to 64") {
			t.Fatalf("minimum %d: %v, want 400 min_length_invalid", n, err)
		}
	}
	e.patchTenant(gateway.SettingsPatch{MinPasswordLength: ptr(8)})
	if _, err := e.svc.SetPassword(e.ctx, operator, p.ID, gateway.PasswordInput{Password: "Tq7vLm2R"}); err != nil {
		t.Fatalf("8 characters under a minimum of 8: %v", err)
	}
	for _, common := range []string{"password", "Password1234", "1qaz2wsx3edc"} {
		if _, err := e.svc.SetPassword(e.ctx, operator, p.ID, gateway.PasswordInput{Password: common}); gateway.ErrorCode(err) != "password_common" {
			t.Fatalf("%q under a minimum of 8: %v, want password_common", common, err)
		}
	}
	e.patchTenant(gateway.SettingsPatch{MinPasswordLength: ptr(64)})
	if _, err := e.svc.SetPassword(e.ctx, operator, p.ID, gateway.PasswordInput{Password: strings.Repeat("k7", 31) + "x"}); gateway.ErrorCode(err) != "password_too_short" {
		t.Fatalf("63 characters under a minimum of 64: %v", err)
	}
}
