package gateway_test

import (
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// verifyMailsTo counts the verification links mailed to each address.
func verifyMailsTo(s *sender) map[string]int {
	out := map[string]int{}
	for _, m := range s.all() {
		if strings.Contains(m.Text, "/verify_email]") {
			out[m.To]++
		}
	}
	return out
}

func (e *env) importCSV(csv string) {
	e.t.Helper()
	res, err := e.svc.ImportPersonnel(e.ctx, operator, "", strings.NewReader(csv), true)
	if err != nil || !res.Committed {
		e.t.Fatalf("import: %+v %v", res, err)
	}
}

// People created by an import get the same first link as people added by
// hand; people there before the setting get one only when an admin sends
// the links, confirming how many, and never past the per-person limit.
func TestImportedAndEarlierPeopleGetVerificationLinks(t *testing.T) {
	e := newEnv(t, true, func(c *gateway.Config) { c.PublicURL = "https://reset.example.com" })
	e.importCSV("name,email,status\nAna,ana@acme.example,active\nBo,bo@acme.example,active\nCy,cy@acme.example,active\nDi,di@acme.example,inactive\n")
	e.person("hand@acme.example", "", "")
	e.drain()
	if n := len(verifyMailsTo(e.email)); n != 0 {
		t.Fatalf("%d links before verified emails were required", n)
	}
	e.patchTenant(gateway.SettingsPatch{RequireVerifiedEmail: ptr(true)})
	// Switching the setting on mails nobody by itself.
	e.drain()
	if n, err := e.svc.VerificationBacklog(e.ctx, operator, ""); err != nil || n != 4 || len(verifyMailsTo(e.email)) != 0 {
		t.Fatalf("backlog %d (%v), %d mailed", n, err, len(verifyMailsTo(e.email)))
	}

	// An import now sends its new people their link, like a person added
	// by hand; a row that only updates sends none.
	e.importCSV("name,email\nEd,ed@acme.example\nAna Ruiz,ana@acme.example\n")
	e.drain()
	if got := verifyMailsTo(e.email); len(got) != 1 || got["ed@acme.example"] != 1 {
		t.Fatalf("after an import with the setting on: %v", got)
	}

	// Zed has had three links this hour and no working one.
	z := e.person("zed@acme.example", "", "")
	for range 2 {
		if err := e.svc.ResendVerification(e.ctx, operator, "", z.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.UpdatePerson(e.ctx, operator, "", z.ID, gateway.PersonPatch{Email: ptr("zed2@acme.example")}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	n, err := e.svc.VerificationBacklog(e.ctx, operator, "")
	if err != nil || n != 5 { // ana, bo, cy, hand, zed2 (not di: inactive; not ed: a link that works)
		t.Fatalf("backlog %d %v", n, err)
	}
	before := verifyMailsTo(e.email)
	if _, err := e.svc.SendVerificationLinks(e.ctx, operator, "", 4); gateway.ErrorCode(err) != "verify_count_changed" {
		t.Fatalf("a stale count: %v", err)
	}
	res, err := e.svc.SendVerificationLinks(e.ctx, operator, "", 5)
	if err != nil || res.Sent != 4 || res.Throttled != 1 {
		t.Fatalf("send: %+v %v", res, err)
	}
	e.drain()
	got := verifyMailsTo(e.email)
	for _, addr := range []string{"ana@acme.example", "bo@acme.example", "cy@acme.example", "hand@acme.example"} {
		if got[addr]-before[addr] != 1 {
			t.Errorf("%s: %d new links, want 1", addr, got[addr]-before[addr])
		}
	}
	if got["di@acme.example"] != 0 || got["zed2@acme.example"] != 0 || got["ed@acme.example"] != 1 {
		t.Errorf("mailed: %v", got)
	}
	// Sent again at once: only the throttled one is left, and stays so.
	if n, _ := e.svc.VerificationBacklog(e.ctx, operator, ""); n != 1 {
		t.Fatalf("backlog after sending: %d", n)
	}
	if res, err := e.svc.SendVerificationLinks(e.ctx, operator, "", 1); err != nil || res.Sent != 0 || res.Throttled != 1 {
		t.Fatalf("second send: %+v %v", res, err)
	}
	// Another tenant's admin reaches none of them.
	_, boss := e.tenantAdmin("beta")
	if n, err := e.svc.VerificationBacklog(e.ctx, boss, ""); err != nil || n != 0 {
		t.Fatalf("another tenant's backlog: %d %v", n, err)
	}
}

// Without the setting there is nothing to send links for.
func TestVerificationLinksNeedTheSetting(t *testing.T) {
	e := newEnv(t, true, func(c *gateway.Config) { c.PublicURL = "https://reset.example.com" })
	e.person("ana@acme.example", "", "")
	if _, err := e.svc.SendVerificationLinks(e.ctx, operator, "", 1); gateway.ErrorCode(err) != "verification_not_required" {
		t.Fatalf("without the setting: %v", err)
	}
}
