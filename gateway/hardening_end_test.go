package gateway_test

import (
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

const chosenPassword = "a quiet harbour at dawn 42"

// Any change that makes a temporary password wrong to honour ends the
// pending reset: the password no longer logs in, the request reaches a
// final state with the reason, its queued messages are cancelled with
// their bodies wiped, and nothing more is sent.
func TestHardening06_ChangesEndPendingReset(t *testing.T) {
	const email = "ida@acme.example"
	tests := []struct {
		name   string
		reason string
		change func(e *env, p *gateway.Person)
		// login is the password the person has afterwards.
		login string
	}{
		{"self-service password change", gateway.ReasonPasswordChanged, func(e *env, p *gateway.Person) {
			if err := e.svc.ChangePassword(e.ctx, gateway.ChangeInput{Email: email, OldPassword: original,
				NewPassword: chosenPassword, IP: "192.0.2.9"}); err != nil {
				e.t.Fatal(err)
			}
		}, chosenPassword},
		{"admin override", gateway.ReasonPasswordSet, func(e *env, p *gateway.Person) {
			if _, err := e.svc.SetPassword(e.ctx, operator, p.ID, gateway.PasswordInput{Password: chosenPassword}); err != nil {
				e.t.Fatal(err)
			}
		}, chosenPassword},
		{"admin changes email", gateway.ReasonContactChanged, func(e *env, p *gateway.Person) {
			e.setPerson(email, gateway.PersonPatch{Email: ptr("ida.new@acme.example")})
		}, original},
		{"admin changes phones", gateway.ReasonContactChanged, func(e *env, p *gateway.Person) {
			e.setPerson(email, gateway.PersonPatch{Phones: &[]gateway.PhoneInput{{Number: "+12015550177", Type: "sms"}}})
		}, original},
		{"deactivation", gateway.ReasonInactive, func(e *env, p *gateway.Person) {
			e.setPerson(email, gateway.PersonPatch{Status: ptr("inactive")})
		}, ""},
		{"mobile access off", gateway.ReasonNoMobileAccess, func(e *env, p *gateway.Person) {
			e.setPerson(email, gateway.PersonPatch{MobileAccess: ptr(false)})
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, true)
			p := e.person(email, phoneA, "")
			// The SMS goes out; the email waits in the outbox for a retry.
			e.email.set(&gateway.SendError{Class: gateway.FailTransient, Code: "unavailable"})
			id := e.reset(email, phoneA)
			e.drain()
			temp := e.twilio.password(t)
			if r := e.request(id); r.State != gateway.StateDelivered {
				t.Fatalf("before the change: %s", r.State)
			}

			tt.change(e, p)

			r := e.request(id)
			if r.State != gateway.StateCancelled || r.Reason != tt.reason {
				t.Fatalf("request %s/%s, want %s/%s", r.State, r.Reason, gateway.StateCancelled, tt.reason)
			}
			for _, d := range r.Deliveries {
				if d.Channel == gateway.ChannelEmail && (d.Status != gateway.DeliveryCanceled || d.Body != nil || d.BodyKey != nil) {
					t.Fatalf("queued email: status %s, body kept %v", d.Status, d.Body != nil)
				}
			}
			if evs := e.events(gateway.EventResetCancelled); len(evs) != 1 || evs[0].RequestID != id || evs[0].Code != tt.reason {
				t.Fatalf("events %+v", evs)
			}
			// The address on record may have changed: log in by the
			// current one.
			cur, err := e.store.Person(e.ctx, 0, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			e.mustFail(cur.Email, temp)
			if tt.login != "" {
				e.mustLogin(cur.Email, tt.login)
			}
			// The cancelled email is never sent, even once the relay heals.
			sentBefore := len(e.email.all())
			e.email.set(nil)
			e.advance(time.Hour)
			e.drain()
			for _, m := range e.email.all()[sentBefore:] {
				if m.RequestID == id {
					t.Fatalf("a cancelled message went out to %s", m.To)
				}
			}
		})
	}
}

// Changes that leave the password's destinations alone do not end it.
func TestHardening06_UnrelatedChangeKeepsReset(t *testing.T) {
	e := newEnv(t, true)
	e.person("jon@acme.example", phoneA, "")
	id := e.reset("jon@acme.example", phoneA)
	e.drain()
	temp := e.email.password(t)
	e.setPerson("jon@acme.example", gateway.PersonPatch{Name: ptr("Jon Q"), Locale: ptr("es"),
		Phones: &[]gateway.PhoneInput{{Number: phoneA, Type: "mobile"}}})
	if r := e.request(id); r.State != gateway.StateDelivered {
		t.Fatalf("request %s/%s after a name change", r.State, r.Reason)
	}
	e.mustLogin("jon@acme.example", temp)
}

// Deleting the record ends its reset too: nothing queued goes out.
func TestHardening06_DeletionEndsPendingReset(t *testing.T) {
	e := newEnv(t, true)
	p := e.person("kit@acme.example", phoneA, "")
	e.email.set(&gateway.SendError{Class: gateway.FailTransient, Code: "unavailable"})
	id := e.reset("kit@acme.example", phoneA)
	e.drain()
	if err := e.svc.DeletePerson(e.ctx, operator, "", p.ID); err != nil {
		t.Fatal(err)
	}
	if r := e.request(id); r.State != gateway.StateCancelled || r.Reason != gateway.ReasonPersonDeleted {
		t.Fatalf("request %s/%s", r.State, r.Reason)
	}
	e.email.set(nil)
	e.advance(time.Hour)
	e.drain()
	for _, m := range e.email.all() {
		if m.RequestID == id {
			t.Fatal("a deleted person's queued password went out")
		}
	}
}
