package sqlite_test

import (
	"context"
	"testing"

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
