package gateway_test

import (
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

func (e *env) mustChange(email, pw string) bool {
	e.t.Helper()
	res, err := e.svc.Login(e.ctx, gateway.LoginInput{Email: email, Password: pw, IP: "192.0.2.9"})
	if err != nil {
		e.t.Fatalf("login %s: %v", email, err)
	}
	return res.MustChange
}

// A reset's or an admin's password answers must_change on every login
// until the person sets their own; nothing else is refused meanwhile.
func TestMustChangeHoldsUntilChanged(t *testing.T) {
	e := newEnv(t, true)
	p := e.person("ana@example.com", "+12015550123", "")
	e.reset("ana@example.com", "+12015550123")
	e.drain()
	pw := e.twilio.password(t)
	for i := range 3 {
		if !e.mustChange("ana@example.com", pw) {
			t.Fatalf("login %d with the reset's password: must_change false", i+1)
		}
	}
	if err := e.svc.ChangePassword(e.ctx, gateway.ChangeInput{Email: "ana@example.com", OldPassword: pw,
		NewPassword: chosen, IP: "192.0.2.7"}); err != nil {
		t.Fatal(err)
	}
	if e.mustChange("ana@example.com", chosen) {
		t.Fatal("must_change after the person chose their own")
	}
	const set = "lantern-harbour-crane-9"
	if _, err := e.svc.SetPassword(e.ctx, operator, p.ID, gateway.PasswordInput{Password: set}); err != nil {
		t.Fatal(err)
	}
	if !e.mustChange("ana@example.com", set) || !e.mustChange("ana@example.com", set) {
		t.Fatal("an admin's password must be changed, login after login")
	}
}

// Deactivation ends login at once and cancels the pending reset and its
// queued messages; reactivation does not revive them.
func TestReactivationDoesNotReviveAReset(t *testing.T) {
	e := newEnv(t, true)
	p := e.person("ana@example.com", "+12015550123", "")
	// The text goes out; the email waits in the outbox for a retry.
	e.email.set(&gateway.SendError{Class: gateway.FailTransient, Code: "unavailable"})
	id := e.reset("ana@example.com", "+12015550123")
	e.drain()
	pw := e.twilio.password(t)
	if _, err := e.svc.UpdatePerson(e.ctx, operator, "", p.ID, gateway.PersonPatch{Status: ptr("inactive")}); err != nil {
		t.Fatal(err)
	}
	e.mustFail("ana@example.com", original)
	if _, err := e.svc.UpdatePerson(e.ctx, operator, "", p.ID, gateway.PersonPatch{Status: ptr("active")}); err != nil {
		t.Fatal(err)
	}
	e.email.set(nil)
	e.advance(time.Hour)
	e.drain()
	if n := len(e.email.all()); n != 0 {
		t.Fatalf("%d mails queued before deactivation went out after reactivation", n)
	}
	e.mustFail("ana@example.com", pw)
	e.mustLogin("ana@example.com", original)
	for _, rid := range []string{id} {
		r := e.request(rid)
		if r.State != gateway.StateCancelled {
			t.Fatalf("%s: %s %s after deactivation and reactivation", rid, r.State, r.Reason)
		}
		for _, d := range r.Deliveries {
			if d.Status == gateway.DeliveryPending {
				t.Fatalf("%s: a delivery still pending", rid)
			}
		}
	}
}
