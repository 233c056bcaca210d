package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/sqlite"
)

func TestReopenRunsNoMigrationTwice(t *testing.T) {
	keys := gatewaytest.Keys(t)
	st, path := gatewaytest.Store(t, keys)
	ctx := context.Background()
	tn := gateway.NewTenant("acme", "Acme")
	if err := st.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	st.Close()
	again, err := sqlite.Open(ctx, sqlite.Config{Path: path, Sealer: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got, err := again.TenantBySlug(ctx, "acme"); err != nil || got.Name != "Acme" {
		t.Fatalf("after reopen: %v %v", got, err)
	}
}

func TestConflictsAndNotFound(t *testing.T) {
	st, _ := gatewaytest.Store(t, gatewaytest.Keys(t))
	ctx := context.Background()
	tn := gateway.NewTenant("acme", "Acme")
	if err := st.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateTenant(ctx, gateway.NewTenant("acme", "Again")); gateway.ErrorKind(err) != gateway.KindConflict {
		t.Fatalf("duplicate tenant: %v", err)
	}
	p := &gateway.Person{TenantID: tn.ID, Name: "A", Email: "a@acme.example", Status: gateway.StatusActive,
		Phones: []gateway.Phone{{Number: "+12015550123", Type: gateway.PhoneSMS}}}
	if err := st.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	dup := &gateway.Person{TenantID: tn.ID, Name: "B", Email: "a@acme.example", Status: gateway.StatusActive}
	if err := st.CreatePerson(ctx, dup); gateway.ErrorCode(err) != "email_taken" {
		t.Fatalf("duplicate email: %v", err)
	}
	other := &gateway.Person{TenantID: tn.ID, Name: "C", Email: "c@acme.example", Status: gateway.StatusActive,
		Phones: []gateway.Phone{{Number: "+12015550123", Type: gateway.PhoneSMS}}}
	if err := st.CreatePerson(ctx, other); gateway.ErrorCode(err) != "phone_taken" {
		t.Fatalf("duplicate phone: %v", err)
	}
	// The failed insert left nothing behind: the email is still free.
	if _, err := st.PersonByEmail(ctx, tn.ID, "c@acme.example"); !gateway.IsNotFound(err) {
		t.Fatalf("half-created person: %v", err)
	}
	if _, err := st.Person(ctx, tn.ID+1, p.ID); !gateway.IsNotFound(err) {
		t.Fatalf("other tenant: %v", err)
	}
	if _, err := st.Reset(ctx, "rr_none"); !gateway.IsNotFound(err) {
		t.Fatalf("no reset: %v", err)
	}
}

func TestSecretsAreSealed(t *testing.T) {
	st, path := gatewaytest.Store(t, gatewaytest.Keys(t))
	ctx := context.Background()
	tn := gateway.NewTenant("acme", "Acme")
	tn.SMTP = &gateway.SMTPProfile{URL: "smtp://u:smtp-pass-123@mail.example:587", From: "x@acme.example"}
	tn.Twilio = &gateway.TwilioSettings{AccountSID: "AC1", AuthToken: "tokentoken123", From: "+12015550150"}
	if err := st.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	got, err := st.TenantByTwilioNumber(ctx, "+12015550150")
	if err != nil || got.Twilio.AuthToken != "tokentoken123" || got.SMTP.URL != tn.SMTP.URL {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	st.Close()
	raw := readFile(t, path)
	for _, secret := range []string{"smtp-pass-123", "tokentoken123"} {
		if contains(raw, secret) {
			t.Fatalf("%s stored in the clear", secret)
		}
	}
	// Another key cannot read them, and says so instead of failing silently.
	other, err := sqlite.Open(ctx, sqlite.Config{Path: path, Sealer: mustKeys(t, 9)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.TenantBySlug(ctx, "acme"); gateway.ErrorCode(err) != "secret_unreadable" {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestHitCountsPerWindow(t *testing.T) {
	st, _ := gatewaytest.Store(t, gatewaytest.Keys(t))
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	l := []gateway.Limit{{Scope: "ip", Key: "192.0.2.1", Max: 2, Window: time.Hour}}
	for i, want := range []bool{false, false, true} {
		over, err := st.Hit(ctx, now, l)
		if err != nil || (over != nil) != want {
			t.Fatalf("hit %d: over=%v err=%v", i, over, err)
		}
	}
	if over, _ := st.Over(ctx, now, l); over == nil {
		t.Fatal("Over does not see the count")
	}
	if over, _ := st.Over(ctx, now.Add(time.Hour), l); over != nil {
		t.Fatal("the next window starts at zero")
	}
	if err := st.ClearHits(ctx, l[0]); err != nil {
		t.Fatal(err)
	}
	if over, _ := st.Over(ctx, now, l); over != nil {
		t.Fatal("cleared counts still there")
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	st, path := gatewaytest.Store(t, gatewaytest.Keys(t))
	ctx := context.Background()
	if err := st.AppendEvent(ctx, &gateway.Event{At: time.Now(), Actor: "system", Type: "x"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	db := openRaw(t, path)
	if _, err := db.Exec(`UPDATE events SET type = 'y'`); err == nil {
		t.Fatal("an event was edited")
	}
	if _, err := db.Exec(`DELETE FROM events`); err == nil {
		t.Fatal("an event was deleted")
	}
}
