package gateway_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
)

func verifyEnv(t *testing.T) *env {
	e := newEnv(t, true, func(c *gateway.Config) { c.PublicURL = "https://reset.example.com" })
	e.patchTenant(gateway.SettingsPatch{RequireVerifiedEmail: ptr(true)})
	return e
}

// verifyToken reads the token of the newest verification link mailed.
func verifyToken(t *testing.T, s *sender) string {
	t.Helper()
	msgs := s.all()
	for i := len(msgs) - 1; i >= 0; i-- {
		if !strings.Contains(msgs[i].Text, "/verify_email]") {
			continue
		}
		l, _ := gatewaytest.Link(msgs[i].Text)
		tok, ok := strings.CutPrefix(l, "https://reset.example.com/v/")
		if !ok || len(tok) != 22 {
			t.Fatalf("link %q: want PUBLIC_URL/v/ and a 22-character token", l)
		}
		return tok
	}
	t.Fatal("no verification link was mailed")
	return ""
}

func (e *env) verified(id int64) bool {
	e.t.Helper()
	p, err := e.svc.Person(e.ctx, operator, "", id)
	if err != nil {
		e.t.Fatal(err)
	}
	return p.EmailVerified()
}

func mailsNamed(s *sender, name string) int {
	n := 0
	for _, m := range s.all() {
		if strings.Contains(m.Text, "/"+name+"]") {
			n++
		}
	}
	return n
}

// A mail scanner's GETs never verify; the page's POST does, once; the
// token is kept only as a keyed hash.
func TestVerificationGetNeverVerifiesPostDoesOnce(t *testing.T) {
	e := verifyEnv(t)
	p := e.person("ana@example.com", "+12015550123", "")
	e.drain()
	tok := verifyToken(t, e.email)
	for range 3 {
		info, err := e.svc.CheckVerification(e.ctx, tok)
		if err != nil || info.State != gateway.VerifyValid || info.Company != "Acme Movers" {
			t.Fatalf("check: %+v %v", info, err)
		}
	}
	if e.verified(p.ID) {
		t.Fatal("looking at the link verified the address")
	}
	info, err := e.svc.VerifyEmail(e.ctx, tok, "192.0.2.5")
	if err != nil || !info.Done {
		t.Fatalf("verify: %+v %v", info, err)
	}
	if !e.verified(p.ID) {
		t.Fatal("not verified after the POST")
	}
	if info, _ := e.svc.VerifyEmail(e.ctx, tok, "192.0.2.5"); info.Done || info.State != gateway.VerifyUsed {
		t.Fatalf("second use: %+v", info)
	}
	for _, bad := range []string{"", "short", strings.Repeat("A", 22), tok[:21] + "!", tok + "x"} {
		if info, err := e.svc.VerifyEmail(e.ctx, bad, ""); err != nil || info.State != gateway.VerifyUnknown || info.Done {
			t.Fatalf("token %q: %+v %v", bad, info, err)
		}
	}
	raw, err := os.ReadFile(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), tok) {
		t.Fatal("the token is in the database file")
	}
	for _, ev := range e.events() {
		if strings.Contains(ev.Detail+ev.Code, tok) {
			t.Fatalf("the token is in the log: %+v", ev)
		}
	}
	if n := len(e.events(gateway.EventEmailVerified)); n != 1 {
		t.Fatalf("%d email_verified events", n)
	}
}

// The attacker's moves: a link to the old address after the admin
// changed it, a replaced link, an expired one, and resends to flood a
// mailbox.
func TestVerificationRefusesWhatAStrangerTries(t *testing.T) {
	e := verifyEnv(t)
	p := e.person("ana@example.com", "", "")
	e.drain()
	old := verifyToken(t, e.email)
	// The admin fixes a typo: the link sent to the old address proves
	// nothing about the new one, and a new one goes to the new address.
	if _, err := e.svc.UpdatePerson(e.ctx, operator, "", p.ID, gateway.PersonPatch{Email: ptr("ana.real@example.com")}); err != nil {
		t.Fatal(err)
	}
	if info, _ := e.svc.VerifyEmail(e.ctx, old, ""); info.Done || info.State != gateway.VerifyUnknown {
		t.Fatalf("the old address's link: %+v", info)
	}
	e.drain()
	if m := e.email.all(); m[len(m)-1].To != "ana.real@example.com" {
		t.Fatalf("new link went to %s", m[len(m)-1].To)
	}
	cur := verifyToken(t, e.email)
	if info, _ := e.svc.VerifyEmail(e.ctx, cur, ""); !info.Done {
		t.Fatalf("new address's link: %+v", info)
	}
	// Changing the email again makes it unverified, even back to an
	// address that was verified once.
	if _, err := e.svc.UpdatePerson(e.ctx, operator, "", p.ID, gateway.PersonPatch{Email: ptr("ana@example.com")}); err != nil {
		t.Fatal(err)
	}
	if e.verified(p.ID) {
		t.Fatal("an email change kept the address verified")
	}
	if _, err := e.svc.UpdatePerson(e.ctx, operator, "", p.ID, gateway.PersonPatch{Email: ptr("ana.real@example.com")}); err != nil {
		t.Fatal(err)
	}
	if e.verified(p.ID) {
		t.Fatal("changing back to a once-verified address made it verified")
	}
	// Three links an hour at most (the two automatic ones count); then
	// the resend is refused with its own code and nothing is mailed.
	e.drain()
	sent := len(e.email.all())
	if err := e.svc.ResendVerification(e.ctx, operator, "", p.ID); gateway.ErrorCode(err) != "verify_throttled" {
		t.Fatalf("a fourth link in an hour: %v", err)
	}
	e.drain()
	if len(e.email.all()) != sent {
		t.Fatal("a throttled resend mailed")
	}
	e.advance(time.Hour)
	replaced := verifyToken(t, e.email)
	if err := e.svc.ResendVerification(e.ctx, operator, "", p.ID); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if info, _ := e.svc.CheckVerification(e.ctx, replaced); info.State != gateway.VerifyUnknown {
		t.Fatalf("a replaced link: %+v", info)
	}
	newest := verifyToken(t, e.email)
	e.advance(gateway.VerifyLinkTTL)
	if info, _ := e.svc.VerifyEmail(e.ctx, newest, ""); info.Done || info.State != gateway.VerifyExpired {
		t.Fatalf("an expired link: %+v", info)
	}
	// Another tenant's admin cannot send links to this person.
	_, other := e.tenantAdmin("beta")
	if err := e.svc.ResendVerification(e.ctx, other, "", p.ID); !gateway.IsNotFound(err) {
		t.Fatalf("another tenant's resend: %v", err)
	}
	e.advance(time.Hour)
	if err := e.svc.ResendVerification(e.ctx, operator, "", p.ID); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if info, _ := e.svc.VerifyEmail(e.ctx, verifyToken(t, e.email), ""); !info.Done {
		t.Fatal("a fresh link did not verify")
	}
	if err := e.svc.ResendVerification(e.ctx, operator, "", p.ID); gateway.ErrorCode(err) != "email_already_verified" {
		t.Fatalf("resend to a verified address: %v", err)
	}
}

// While the email is unverified, a reset goes by text only, or is
// refused with email_unverified; notices skip the mailbox too. Once
// verified, mail goes again.
func TestUnverifiedEmailGetsNothingButItsLink(t *testing.T) {
	for _, mode := range []string{"password", "link"} {
		t.Run(mode, func(t *testing.T) {
			e := verifyEnv(t)
			e.patchTenant(gateway.SettingsPatch{ResetMode: ptr(mode)})
			p := e.person("ana@example.com", "+12015550123", "")
			e.drain()
			links := len(e.email.all())
			id := e.reset("ana@example.com", "+12015550123")
			e.drain()
			if r := e.request(id); r.State != gateway.StateDelivered {
				t.Fatalf("reset with the phone: %s %s", r.State, r.Reason)
			}
			if len(e.email.all()) != links || len(e.twilio.all()) != 1 {
				t.Fatalf("mails %d (want %d), texts %d", len(e.email.all()), links, len(e.twilio.all()))
			}
			if len(e.events(gateway.EventEmailSkipped)) == 0 {
				t.Fatal("no email_skipped event")
			}
			id = e.reset("ana@example.com", "")
			e.drain()
			if r := e.request(id); r.State != gateway.StateRejected || r.Reason != gateway.ReasonEmailUnverified {
				t.Fatalf("reset by email only: %s %s", r.State, r.Reason)
			}
			if len(e.email.all()) != links {
				t.Fatal("a reset mailed an unverified address")
			}
			// A self-service change's notice goes by text only.
			texts := len(e.twilio.all())
			if err := e.svc.ChangePassword(e.ctx, gateway.ChangeInput{Email: "ana@example.com", OldPassword: original,
				NewPassword: chosen, IP: "192.0.2.7"}); err != nil {
				t.Fatal(err)
			}
			e.drain()
			if len(e.email.all()) != links || len(e.twilio.all()) != texts+1 {
				t.Fatalf("change notice: mails %d (want %d), texts %d (want %d)", len(e.email.all()), links,
					len(e.twilio.all()), texts+1)
			}
			if info, _ := e.svc.VerifyEmail(e.ctx, verifyToken(t, e.email), ""); !info.Done {
				t.Fatal("verify failed")
			}
			e.advance(time.Hour)
			id = e.reset("ana@example.com", "")
			e.drain()
			if r := e.request(id); r.State != gateway.StateDelivered || len(e.email.all()) != links+1 {
				t.Fatalf("after verification: %s %s, %d mails", r.State, r.Reason, len(e.email.all()))
			}
			_ = p
		})
	}
}

// Verified emails need links, and links need the public address.
func TestRequireVerifiedEmailNeedsAPublicURL(t *testing.T) {
	e := newEnv(t, true)
	if _, err := e.svc.UpdateSettings(e.ctx, operator, "", gateway.SettingsPatch{RequireVerifiedEmail: ptr(true)}); gateway.ErrorCode(err) != "public_url_required" {
		t.Fatalf("without a public URL: %v", err)
	}
	p := e.person("ana@example.com", "", "")
	if err := e.svc.ResendVerification(e.ctx, operator, "", p.ID); gateway.ErrorCode(err) != "public_url_required" {
		t.Fatalf("resend without a public URL: %v", err)
	}
	// Off, nothing changes: the email is used as before.
	e.reset("ana@example.com", "")
	e.drain()
	if mailsNamed(e.email, "reset") != 1 {
		t.Fatal("with the setting off, the reset did not mail")
	}
}
