package main

import (
	"context"
	"fmt"
	"io"

	"github.com/resetgw/resetgw/carriers/devinbox"
	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

// demoSeed is what the demo tenant holds, for the banner.
type demoSeed struct {
	Tenant   string
	Email    string
	Phone    string
	Password string
	// The console admin of the demo tenant, and a crew member whose mail
	// the dev inbox refuses (.invalid), to show a failed delivery.
	AdminEmail    string
	AdminPassword string
	Bounce        string
}

const (
	demoPassword      = "moving-day-ladder-42"
	demoAdminPassword = "demo-dispatch-desk-42"
)

// seedDemo creates the demo tenant and its crew once; a restart keeps
// whatever changed since.
func seedDemo(ctx context.Context, svc *gateway.Service) (*demoSeed, error) {
	seed := &demoSeed{Tenant: "demo", Email: "maria@demo.example", Phone: "+12015550123", Password: demoPassword,
		AdminEmail: "office@demo.example", AdminPassword: demoAdminPassword, Bounce: "dana@demo.invalid"}
	op := gateway.Actor{Kind: gateway.ActorSystem, ID: "demo-seed"}
	if _, err := svc.Tenant(ctx, seed.Tenant); err == nil {
		return seed, seedDemoAdmin(ctx, svc, op, seed)
	} else if !gateway.IsNotFound(err) {
		return nil, err
	}
	if _, err := svc.CreateTenant(ctx, op, gateway.TenantInput{Slug: seed.Tenant, Name: "Demo Movers"}); err != nil {
		return nil, err
	}
	no := false
	crew := []gateway.PersonInput{
		{Name: "Maria Lopez", Email: seed.Email, Phones: []gateway.PhoneInput{{Number: seed.Phone, Type: "sms", Carrier: "verizon"}}},
		{Name: "José García", Email: "jose@demo.example", Locale: "es",
			Phones: []gateway.PhoneInput{{Number: "+12015550124", Type: "sms", Carrier: "uscellular"}}},
		{Name: "Sam Carter", Email: "sam@demo.example",
			Phones: []gateway.PhoneInput{{Number: "+12015550125", Type: "sms", Carrier: "att"}}},
		{Name: "Terry Former", Email: "terry@demo.example", Status: "inactive", MobileAccess: &no,
			Phones: []gateway.PhoneInput{{Number: "+12015550126", Type: "sms", Carrier: "verizon"}}},
		{Name: "Dana Reyes", Email: seed.Bounce,
			Phones: []gateway.PhoneInput{{Number: "+12015550127", Type: "sms", Carrier: "att"}}},
	}
	for _, p := range crew {
		p.Tenant, p.Password = seed.Tenant, demoPassword
		if _, err := svc.CreatePerson(ctx, op, p); err != nil {
			return nil, fmt.Errorf("seeding %s: %w", p.Email, err)
		}
	}
	return seed, seedDemoAdmin(ctx, svc, op, seed)
}

// seedDemoAdmin makes the demo tenant's console admin unless it exists.
func seedDemoAdmin(ctx context.Context, svc *gateway.Service, op gateway.Actor, seed *demoSeed) error {
	_, err := svc.CreateAdmin(ctx, op, gateway.AdminInput{Email: seed.AdminEmail, Password: seed.AdminPassword, Tenant: seed.Tenant})
	if gateway.ErrorCode(err) == "admin_exists" {
		return nil
	}
	return err
}

func printBanner(w io.Writer, cfg *config, base string, seed *demoSeed, inbox bool) {
	fmt.Fprintf(w, "resetgw listening on %s (database %s)\n", base, dbLabel(cfg.DB))
	fmt.Fprintf(w, "  health:    %s/healthz\n", base)
	fmt.Fprintf(w, "  reset API: POST %s/v1/password-resets\n", base)
	if cfg.AdminToken != "" {
		fmt.Fprintf(w, "  admin API: %s/admin/api (Authorization: Bearer <RESETGW_ADMIN_TOKEN>)\n", base)
	}
	fmt.Fprintf(w, "  console:   %s/admin\n", base)
	if inbox {
		fmt.Fprintf(w, "  dev inbox: %s/dev/inbox\n", base)
	}
	if seed == nil {
		return
	}
	fmt.Fprintf(w, "\nDemo tenant %q is seeded (crew password %q).\n", seed.Tenant, seed.Password)
	fmt.Fprintf(w, "Admin console: %s/admin, sign in as %s with %q.\n", base, seed.AdminEmail, seed.AdminPassword)
	if cfg.AdminToken != "" {
		fmt.Fprintf(w, "Admin token for this run: %s\n", cfg.AdminToken)
	}
	fmt.Fprintf(w, "Trigger a reset, then watch it arrive in the dev inbox:\n\n")
	fmt.Fprintf(w, "  curl -s -X POST %s/v1/password-resets -H 'Content-Type: application/json' \\\n", base)
	fmt.Fprintf(w, "    -d '{\"email\":\"%s\",\"phone\":\"%s\",\"tenant\":\"%s\"}'\n\n", seed.Email, seed.Phone, seed.Tenant)
	fmt.Fprintf(w, "  curl -s %s/admin/api/resets/<request_id> -H 'Authorization: Bearer %s'\n\n", base, cfg.AdminToken)
}

// inboxView shows the dev inbox on the HTTP side.
type inboxView struct{ in *devinbox.Inbox }

func (v inboxView) Entries() []httpapi.InboxEntry {
	list := v.in.List()
	out := make([]httpapi.InboxEntry, 0, len(list))
	for _, e := range list {
		out = append(out, httpapi.InboxEntry{At: e.At, Route: string(e.Route), Channel: string(e.Channel),
			To: e.To, Subject: e.Subject, Text: e.Text})
	}
	return out
}
