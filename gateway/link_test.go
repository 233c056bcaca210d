package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/templates"
)

const chosen = "a long chosen phrase for the crew"

func linkEnv(t *testing.T) *env {
	e := newEnv(t, true, func(c *gateway.Config) { c.PublicURL = "https://reset.example.com/" })
	e.patchTenant(gateway.SettingsPatch{ResetMode: ptr("link"), LinkTTLMinutes: ptr(30)})
	return e
}

// lastToken reads the token of the newest link sent to s.
func lastToken(t *testing.T, s *sender) string {
	t.Helper()
	msgs := s.all()
	if len(msgs) == 0 {
		t.Fatal("nothing sent")
	}
	l, ok := gatewaytest.Link(msgs[len(msgs)-1].Text)
	if !ok {
		t.Fatalf("no link in %q", msgs[len(msgs)-1].Text)
	}
	tok, ok := strings.CutPrefix(l, "https://reset.example.com/r/")
	if !ok || len(tok) != 22 {
		t.Fatalf("link %q: want PUBLIC_URL/r/ and a 22-character token", l)
	}
	return tok
}

func (e *env) useLink(tok, pw string) gateway.LinkState {
	e.t.Helper()
	info, err := e.svc.UseLink(e.ctx, gateway.UseLinkInput{Token: tok, Password: pw, Password2: pw, IP: "192.0.2.5"})
	if err != nil {
		e.t.Fatalf("use link: %v", err)
	}
	return info.State
}

func TestLinkWorksOnceAndScannersDoNotConsumeIt(t *testing.T) {
	e := linkEnv(t)
	e.person("ana@example.com", "+12015550123", "")
	id := e.reset("ana@example.com", "+12015550123")
	e.drain()
	tok := lastToken(t, e.twilio)
	if strings.Contains(e.twilio.all()[0].Text, "PW=") && !strings.HasSuffix(e.twilio.all()[0].Text, "PW=") {
		t.Fatal("a link-mode text carries a password")
	}
	if r := e.request(id); len(r.TempHash) != 0 || len(r.LinkHash) == 0 {
		t.Fatal("a link must be stored as its keyed hash only, with no temporary password")
	}
	// The original password still works while the link is out.
	e.mustLogin("ana@example.com", original)
	// Mail scanners fetch links: any number of GETs change nothing.
	for range 3 {
		info, err := e.svc.CheckLink(e.ctx, tok)
		if err != nil || info.State != gateway.LinkValid {
			t.Fatalf("check: %v %v", info, err)
		}
	}
	// The two passwords must match; a refused form uses nothing up.
	if _, err := e.svc.UseLink(e.ctx, gateway.UseLinkInput{Token: tok, Password: chosen, Password2: chosen + "x"}); gateway.ErrorCode(err) != "passwords_differ" {
		t.Fatalf("differing passwords: %v", err)
	}
	if _, err := e.svc.UseLink(e.ctx, gateway.UseLinkInput{Token: tok, Password: "short", Password2: "short"}); gateway.ErrorKind(err) != gateway.KindUnprocessable {
		t.Fatalf("short password: %v", err)
	}
	if info, err := e.svc.UseLink(e.ctx, gateway.UseLinkInput{Token: tok, Password: chosen, Password2: chosen}); err != nil || !info.Done {
		t.Fatalf("first use: %+v %v", info, err)
	}
	e.mustLogin("ana@example.com", chosen)
	e.mustFail("ana@example.com", original)
	// Second use: refused, nothing changed.
	if info, err := e.svc.UseLink(e.ctx, gateway.UseLinkInput{Token: tok, Password: chosen, Password2: chosen}); err != nil || info.Done || info.State != gateway.LinkUsed {
		t.Fatalf("second use: %+v %v", info, err)
	}
	e.mustLogin("ana@example.com", chosen)
	// The token is not a password.
	e.mustFail("ana@example.com", tok)
	if info, _ := e.svc.CheckLink(e.ctx, "AAAAAAAAAAAAAAAAAAAAAA"); info.State != gateway.LinkUnknown {
		t.Fatalf("unknown token: %s", info.State)
	}
	if info, _ := e.svc.CheckLink(e.ctx, "../../etc/passwd"); info.State != gateway.LinkUnknown {
		t.Fatalf("malformed token: %s", info.State)
	}
}

func TestLinkExpiredAndSupersededRefuse(t *testing.T) {
	e := linkEnv(t)
	e.person("ana@example.com", "+12015550123", "")
	e.reset("ana@example.com", "+12015550123")
	e.drain()
	first := lastToken(t, e.twilio)
	e.advance(time.Minute)
	e.reset("ana@example.com", "+12015550123")
	e.drain()
	second := lastToken(t, e.twilio)
	if first == second {
		t.Fatal("two resets gave the same token")
	}
	if st := e.useLink(first, chosen); st != gateway.LinkSuperseded {
		t.Fatalf("superseded link: %s", st)
	}
	e.mustLogin("ana@example.com", original)
	e.advance(31 * time.Minute)
	if st := e.useLink(second, chosen); st != gateway.LinkExpired {
		t.Fatalf("expired link: %s", st)
	}
	e.mustLogin("ana@example.com", original)
}

func TestLinkEndsWithDeactivation(t *testing.T) {
	e := linkEnv(t)
	p := e.person("ana@example.com", "+12015550123", "")
	e.reset("ana@example.com", "+12015550123")
	e.drain()
	tok := lastToken(t, e.twilio)
	if _, err := e.svc.UpdatePerson(e.ctx, operator, "", p.ID, gateway.PersonPatch{Status: ptr("inactive")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdatePerson(e.ctx, operator, "", p.ID, gateway.PersonPatch{Status: ptr("active")}); err != nil {
		t.Fatal(err)
	}
	// Reactivation does not revive the link.
	if st := e.useLink(tok, chosen); st != gateway.LinkCancelled {
		t.Fatalf("link after deactivation and reactivation: %s", st)
	}
}

func TestLinkModeSettings(t *testing.T) {
	e := newEnv(t, true)
	for _, p := range []gateway.SettingsPatch{
		{ResetMode: ptr("link")}, // no public URL to link to
		{ResetMode: ptr("magic")},
		{LinkTTLMinutes: ptr(9)},
		{LinkTTLMinutes: ptr(1441)},
		{OfficePhone: ptr("call me\nnow")},
	} {
		if _, err := e.svc.UpdateSettings(e.ctx, operator, "", p); gateway.ErrorKind(err) != gateway.KindInvalid {
			t.Errorf("%+v: want invalid, got %v", p, err)
		}
	}
}

// A public address too long for a link to fit one text refuses link mode
// at once, instead of failing every reset later.
func TestLinkModeRefusesALinkThatCannotFitAText(t *testing.T) {
	r, err := templates.New(templates.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, true, func(c *gateway.Config) {
		c.Renderer, c.PublicURL = r, "https://"+strings.Repeat("reset.", 20)+"example.com"
	})
	if _, err := e.svc.UpdateSettings(e.ctx, operator, "", gateway.SettingsPatch{ResetMode: ptr("link")}); gateway.ErrorCode(err) != "link_too_long" {
		t.Fatalf("long public URL: %v", err)
	}
	e = newEnv(t, true, func(c *gateway.Config) { c.Renderer, c.PublicURL = r, "https://reset.example.com" })
	e.patchTenant(gateway.SettingsPatch{ResetMode: ptr("link")})
}
