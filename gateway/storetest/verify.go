package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// testEmailVerification: a link proves only the address it was sent to,
// works once, is replaced by a newer one, and an email change (or a
// cleared proof) leaves the person unverified.
func testEmailVerification(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := tenant(t, st, "acme")
	p := person(t, st, tn.ID, "ana@acme.example")
	if got, _ := st.Person(ctx, tn.ID, p.ID); got.EmailVerified() || !got.EmailVerifiedAt.IsZero() {
		t.Fatalf("a new person is verified: %+v", got)
	}
	v1 := &gateway.EmailVerification{PersonID: p.ID, TenantID: tn.ID, Email: p.Email, TokenHash: []byte("hash-1"),
		CreatedAt: t0, ExpiresAt: t0.Add(7 * 24 * time.Hour)}
	must(t, st.SaveEmailVerification(ctx, v1))
	v2 := *v1
	v2.TokenHash, v2.CreatedAt = []byte("hash-2"), t0.Add(time.Minute)
	must(t, st.SaveEmailVerification(ctx, &v2))
	if _, err := st.EmailVerificationByHash(ctx, []byte("hash-1")); !gateway.IsNotFound(err) {
		t.Fatalf("a replaced link is still found: %v", err)
	}
	got, err := st.EmailVerificationByHash(ctx, []byte("hash-2"))
	if err != nil || got.PersonID != p.ID || got.Email != p.Email || !got.CreatedAt.Equal(v2.CreatedAt) ||
		!got.ExpiresAt.Equal(v2.ExpiresAt) || !got.UsedAt.IsZero() {
		t.Fatalf("link: %+v %v", got, err)
	}
	if err := st.UseEmailVerification(ctx, v1, t0.Add(2*time.Minute)); !gateway.IsNotFound(err) {
		t.Fatalf("the replaced link verified: %v", err)
	}
	must(t, st.UseEmailVerification(ctx, got, t0.Add(2*time.Minute)))
	if err := st.UseEmailVerification(ctx, got, t0.Add(3*time.Minute)); !gateway.IsNotFound(err) {
		t.Fatalf("a link worked twice: %v", err)
	}
	if used, _ := st.EmailVerificationByHash(ctx, []byte("hash-2")); used == nil || !used.UsedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("used link: %+v", used)
	}
	pv, _ := st.Person(ctx, tn.ID, p.ID)
	if !pv.EmailVerified() || !pv.EmailVerifiedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("not verified: %+v", pv)
	}
	// UpdatePerson keeps the proof; a new address is not covered by it.
	pv.Email, pv.UpdatedAt = "ana.new@acme.example", t0.Add(4*time.Minute)
	must(t, st.UpdatePerson(ctx, pv))
	if pn, _ := st.Person(ctx, tn.ID, p.ID); pn.EmailVerified() {
		t.Fatalf("a changed email is verified: %+v", pn)
	}
	// A link sent to the old address cannot prove the new one.
	v3 := &gateway.EmailVerification{PersonID: p.ID, TenantID: tn.ID, Email: p.Email, TokenHash: []byte("hash-3"),
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	must(t, st.SaveEmailVerification(ctx, v3))
	if err := st.UseEmailVerification(ctx, v3, t0.Add(5*time.Minute)); !gateway.IsNotFound(err) {
		t.Fatalf("a link to the old address verified the new one: %v", err)
	}
	if v, _ := st.EmailVerificationByHash(ctx, []byte("hash-3")); v == nil || !v.UsedAt.IsZero() {
		t.Fatalf("a refused use changed the link: %+v", v)
	}
	// Clearing drops the proof and the outstanding link.
	v4 := &gateway.EmailVerification{PersonID: p.ID, TenantID: tn.ID, Email: pv.Email, TokenHash: []byte("hash-4"),
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	must(t, st.SaveEmailVerification(ctx, v4))
	must(t, st.UseEmailVerification(ctx, v4, t0.Add(6*time.Minute)))
	must(t, st.SaveEmailVerification(ctx, &gateway.EmailVerification{PersonID: p.ID, TenantID: tn.ID, Email: pv.Email,
		TokenHash: []byte("hash-5"), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	must(t, st.ClearEmailVerified(ctx, tn.ID, p.ID))
	if pc, _ := st.Person(ctx, tn.ID, p.ID); pc.EmailVerified() || pc.VerifiedEmail != "" || !pc.EmailVerifiedAt.IsZero() {
		t.Fatalf("cleared: %+v", pc)
	}
	if _, err := st.EmailVerificationByHash(ctx, []byte("hash-5")); !gateway.IsNotFound(err) {
		t.Fatalf("clearing left the link: %v", err)
	}
}

// testPasswordReminders: PasswordSetAt round-trips through CreatePerson
// and SavePersonAuth; a reminder is claimed once per password, and a new
// password is due again.
func testPasswordReminders(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn, other := tenant(t, st, "acme"), tenant(t, st, "beta")
	day := 24 * time.Hour
	mk := func(tid int64, email string, set time.Time, mutate func(*gateway.Person)) *gateway.Person {
		p := &gateway.Person{TenantID: tid, Name: email, Email: email, Status: gateway.StatusActive, MobileAccess: true,
			AllowMobileReset: true, Locale: "en", PasswordHash: "$argon2id$x", PasswordSetAt: set, CreatedAt: t0, UpdatedAt: t0}
		if mutate != nil {
			mutate(p)
		}
		must(t, st.CreatePerson(ctx, p))
		return p
	}
	old := mk(tn.ID, "old@acme.example", t0.Add(-100*day), nil)
	older := mk(tn.ID, "older@acme.example", t0.Add(-120*day), nil)
	mk(tn.ID, "fresh@acme.example", t0.Add(-10*day), nil)
	mk(tn.ID, "gone@acme.example", t0.Add(-100*day), func(p *gateway.Person) { p.Status = gateway.StatusInactive })
	mk(tn.ID, "nopass@acme.example", t0.Add(-100*day), func(p *gateway.Person) { p.PasswordHash = "" })
	mk(other.ID, "b@beta.example", t0.Add(-100*day), nil)
	if got, _ := st.Person(ctx, tn.ID, old.ID); !got.PasswordSetAt.Equal(t0.Add(-100 * day)) {
		t.Fatalf("password set at: %v", got.PasswordSetAt)
	}
	due := func() []string {
		ps, err := st.PasswordRemindersDue(ctx, tn.ID, t0.Add(-365*day), t0.Add(-30*day), 10)
		must(t, err)
		var out []string
		for _, p := range ps {
			out = append(out, p.Email)
		}
		return out
	}
	if got := due(); len(got) != 2 || got[0] != "older@acme.example" || got[1] != "old@acme.example" {
		t.Fatalf("due: %v", got)
	}
	if ok, err := st.ClaimPasswordReminder(ctx, tn.ID, old.ID, old.PasswordSetAt); err != nil || !ok {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	if ok, err := st.ClaimPasswordReminder(ctx, tn.ID, old.ID, old.PasswordSetAt); err != nil || ok {
		t.Fatalf("second claim of one password: %v %v", ok, err)
	}
	if ok, _ := st.ClaimPasswordReminder(ctx, tn.ID, older.ID, t0); ok {
		t.Fatal("a claim for another password than the current one")
	}
	if ok, _ := st.ClaimPasswordReminder(ctx, other.ID, older.ID, older.PasswordSetAt); ok {
		t.Fatal("a claim across tenants")
	}
	if got := due(); len(got) != 1 || got[0] != "older@acme.example" {
		t.Fatalf("due after a claim: %v", got)
	}
	// A new password (still old enough to be due) is due again.
	cur, _ := st.Person(ctx, tn.ID, old.ID)
	cur.PasswordHash, cur.PasswordSetAt, cur.UpdatedAt = "$argon2id$y", t0.Add(-60*day), t0
	must(t, st.SavePersonAuth(ctx, cur))
	if got, _ := st.Person(ctx, tn.ID, old.ID); !got.PasswordSetAt.Equal(t0.Add(-60 * day)) {
		t.Fatalf("SavePersonAuth did not save the set time: %v", got.PasswordSetAt)
	}
	if got := due(); len(got) != 2 {
		t.Fatalf("a new password is not due: %v", got)
	}
}

// testUnverifiedPeople: the people a "send verification links" mails are
// a tenant's active ones whose email is neither verified nor carrying a
// working link; paged by id, counted alike.
func testUnverifiedPeople(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn, other := tenant(t, st, "acme"), tenant(t, st, "other")
	none := person(t, st, tn.ID, "none@acme.example")         // no link: listed
	expired := person(t, st, tn.ID, "expired@acme.example")   // link expired: listed
	linked := person(t, st, tn.ID, "linked@acme.example")     // link works: not listed
	verified := person(t, st, tn.ID, "verified@acme.example") // verified: not listed
	moved := person(t, st, tn.ID, "moved@acme.example")       // link to an old address: listed
	off := person(t, st, tn.ID, "off@acme.example")           // inactive: not listed
	person(t, st, other.ID, "none@other.example")
	link := func(p *gateway.Person, email string, expires time.Time, hash string) *gateway.EmailVerification {
		v := &gateway.EmailVerification{PersonID: p.ID, TenantID: tn.ID, Email: email, TokenHash: []byte(hash),
			CreatedAt: t0.Add(-time.Hour), ExpiresAt: expires}
		must(t, st.SaveEmailVerification(ctx, v))
		return v
	}
	link(expired, expired.Email, t0, "h-expired")
	link(linked, linked.Email, t0.Add(time.Hour), "h-linked")
	must(t, st.UseEmailVerification(ctx, link(verified, verified.Email, t0.Add(time.Hour), "h-verified"), t0.Add(-time.Minute)))
	link(moved, "old@acme.example", t0.Add(time.Hour), "h-moved")
	off.Status = gateway.StatusInactive
	must(t, st.UpdatePerson(ctx, off))

	n, err := st.CountUnverifiedPeople(ctx, tn.ID, t0)
	must(t, err)
	if n != 3 {
		t.Fatalf("count %d, want 3", n)
	}
	first, err := st.UnverifiedPeople(ctx, tn.ID, t0, 0, 2)
	must(t, err)
	if len(first) != 2 || first[0].ID != none.ID || first[1].ID != expired.ID || first[0].Email != none.Email {
		t.Fatalf("first page: %+v", first)
	}
	rest, err := st.UnverifiedPeople(ctx, tn.ID, t0, first[1].ID, 2)
	must(t, err)
	if len(rest) != 1 || rest[0].ID != moved.ID {
		t.Fatalf("second page: %+v", rest)
	}
}
