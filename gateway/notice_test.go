package gateway_test

import (
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// notices returns the password-changed notices sent through s.
func notices(s *sender) []*gateway.Message {
	var out []*gateway.Message
	for _, m := range s.all() {
		if strings.Contains(m.Text, "/password_changed]") {
			out = append(out, m)
		}
	}
	return out
}

func TestNoticesGoOutAndNeverCarryAPassword(t *testing.T) {
	e := newEnv(t, true)
	e.patchTenant(gateway.SettingsPatch{OfficePhone: ptr("+1 201 555 0100")})
	p := e.person("ana@example.com", "+12015550123", "")

	// A completed reset: the text carried the password, so only email.
	e.reset("ana@example.com", "+12015550123")
	e.drain()
	pw := e.twilio.password(t)
	e.mustLogin("ana@example.com", pw)
	e.drain()
	if n := len(notices(e.email)); n != 1 {
		t.Fatalf("after a used reset: %d email notices, want 1", n)
	}
	if n := len(notices(e.twilio)); n != 0 {
		t.Fatalf("after a used reset: %d text notices to the phone that carried it, want 0", n)
	}

	// A self-service change: email and text.
	if err := e.svc.ChangePassword(e.ctx, gateway.ChangeInput{Email: "ana@example.com", OldPassword: pw,
		NewPassword: chosen, IP: "192.0.2.7"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if len(notices(e.email)) != 2 || len(notices(e.twilio)) != 1 {
		t.Fatalf("after a change: %d email, %d text notices", len(notices(e.email)), len(notices(e.twilio)))
	}

	// An admin's password: its own mail, and a text notice.
	if _, err := e.svc.SetPassword(e.ctx, operator, p.ID, gateway.PasswordInput{Password: "lantern-harbour-crane-9"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if len(notices(e.twilio)) != 2 {
		t.Fatalf("after an admin's password: %d text notices, want 2", len(notices(e.twilio)))
	}
	for _, m := range append(notices(e.email), notices(e.twilio)...) {
		for _, secret := range []string{pw, chosen, "lantern-harbour-crane-9"} {
			if strings.Contains(m.Text, secret) || strings.Contains(m.HTML, secret) {
				t.Fatalf("a notice carries a password: %q", m.Text)
			}
		}
	}

	// Rate-limited: a flood of changes does not become a flood of notices.
	cur := "lantern-harbour-crane-9"
	for i := range 8 {
		next := chosen + strings.Repeat("z", i+1)
		if err := e.svc.ChangePassword(e.ctx, gateway.ChangeInput{Email: "ana@example.com", OldPassword: cur,
			NewPassword: next, IP: "192.0.2.7"}); err != nil {
			t.Fatal(err)
		}
		cur = next
	}
	e.drain()
	if n := len(notices(e.email)); n > 5 {
		t.Fatalf("%d email notices in an hour, want at most 5", n)
	}
}
