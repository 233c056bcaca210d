package gateway_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
)

// TestEmailProfileURLChecked: the tenant's SMTP URL is held to the SMTP
// carrier's rules as it is saved (cmd/resetgw passes its parser in), so
// ?tls= is kept and an unknown parameter is refused with the checker's
// words; without a checker any query is refused.
func TestEmailProfileURLChecked(t *testing.T) {
	check := func(raw string) error {
		u, err := url.Parse(raw)
		if err != nil {
			return errors.New("smtp url: malformed")
		}
		for k := range u.Query() {
			if k != "tls" {
				return errors.New(`smtp url: unknown query parameter "` + k + `"`)
			}
		}
		return nil
	}
	ctx := context.Background()
	keys := gatewaytest.Keys(t)
	newSvc := func(check func(string) error) *gateway.Service {
		st, _ := gatewaytest.Store(t, keys)
		svc, err := gateway.New(gateway.Config{Store: st, Renderer: gatewaytest.Renderer{}, Keys: keys,
			Hasher: gatewaytest.Hasher(), CheckSMTPURL: check})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.EnsureTenant(ctx, gateway.DefaultSlug, "Acme"); err != nil {
			t.Fatal(err)
		}
		return svc
	}
	admin := gateway.Actor{Kind: gateway.ActorAdmin, ID: "test"}
	svc := newSvc(check)
	tn, err := svc.SetEmailProfile(ctx, admin, gateway.EmailProfileInput{URL: "smtp://mail.acme.example:587?tls=opportunistic",
		Username: "relay", Password: "relay-secret-1", From: "reset@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if v := gateway.ViewEmailProfile(tn.SMTP); v.URL != "smtp://mail.acme.example:587?tls=opportunistic" || v.Username != "relay" {
		t.Fatalf("stored profile %+v", v)
	}
	_, err = svc.SetEmailProfile(ctx, admin, gateway.EmailProfileInput{URL: "smtp://mail.acme.example:587?tsl=verify", From: "reset@acme.example"})
	if gateway.ErrorCode(err) != "smtp_url_invalid" || !strings.Contains(err.Error(), `"tsl"`) {
		t.Fatalf("unknown parameter: %v", err)
	}
	_, err = svc.UpdateSettings(ctx, admin, "", gateway.SettingsPatch{SMTP: &gateway.SMTPProfile{URL: "smtp://u:relay-secret-1@mail.acme.example?x=1", From: "reset@acme.example"}})
	if gateway.ErrorCode(err) != "smtp_url_invalid" || strings.Contains(err.Error(), "relay-secret-1") {
		t.Fatalf("settings patch: %v", err)
	}

	bare := newSvc(nil)
	_, err = bare.SetEmailProfile(ctx, admin, gateway.EmailProfileInput{URL: "smtp://mail.acme.example:587?tls=verify", From: "reset@acme.example"})
	if gateway.ErrorCode(err) != "smtp_url_invalid" {
		t.Fatalf("no checker: %v", err)
	}
}
