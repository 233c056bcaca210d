package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

func testTenants(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := gateway.NewTenant("acme", "Acme")
	tn.CreatedAt = t0
	tn.SMTP = &gateway.SMTPProfile{URL: "smtp://u:smtp-pass-123@mail.example:587", From: "x@acme.example"}
	tn.Twilio = &gateway.TwilioSettings{AccountSID: "AC1", AuthToken: "tokentoken123", From: "+12015550150"}
	tn.Keywords = gateway.Keywords{"ALTO": gateway.KeywordStop}
	tn.SMSRatePerSecond, tn.TrustMailKeywords, tn.MustChange = 2.5, true, true
	must(t, st.CreateTenant(ctx, tn))
	if tn.ID == 0 {
		t.Fatal("no id")
	}
	for name, get := range map[string]func() (*gateway.Tenant, error){
		"slug":   func() (*gateway.Tenant, error) { return st.TenantBySlug(ctx, "acme") },
		"id":     func() (*gateway.Tenant, error) { return st.TenantByID(ctx, tn.ID) },
		"twilio": func() (*gateway.Tenant, error) { return st.TenantByTwilioNumber(ctx, "+12015550150") },
	} {
		got, err := get()
		if err != nil {
			t.Fatalf("by %s: %v", name, err)
		}
		if got.ID != tn.ID || got.Name != "Acme" || got.Twilio == nil || got.Twilio.AuthToken != "tokentoken123" ||
			got.SMTP == nil || got.SMTP.URL != tn.SMTP.URL || got.Keywords["ALTO"] != gateway.KeywordStop ||
			got.SMSRatePerSecond != 2.5 || !got.TrustMailKeywords || !got.MustChange || !got.AllowMobileReset ||
			got.ResetTTL != 24*time.Hour || !slices.Equal(got.SMSCountries, []string{"US", "CA"}) ||
			got.SMSValiditySeconds != gateway.DefaultSMSValidity || !got.CreatedAt.Equal(t0) {
			t.Fatalf("by %s: %+v", name, got)
		}
	}
	// The SMS chain round-trips in order, its webhook secret sealed.
	tn.SMSRoutes = []gateway.SMSRoute{{Kind: gateway.RouteWebhook, URL: "https://sms.example.com/send",
		Secret: "whsec-0123456789abcdef-01", OperatorSet: true}, {Kind: gateway.RouteCarrier}}
	must(t, st.UpdateTenant(ctx, tn))
	if got, err := st.TenantBySlug(ctx, "acme"); err != nil || !slices.Equal(got.SMSRoutes, tn.SMSRoutes) {
		t.Fatalf("sms routes: %+v %v", got, err)
	}
	tn.Name, tn.SMTP, tn.Twilio, tn.AllowMobileReset, tn.SMSRoutes = "Acme Corp", nil, nil, false, nil
	must(t, st.UpdateTenant(ctx, tn))
	got, err := st.TenantBySlug(ctx, "acme")
	if err != nil || got.Name != "Acme Corp" || got.SMTP != nil || got.Twilio != nil || got.AllowMobileReset || got.SMSRoutes != nil {
		t.Fatalf("after update: %+v %v", got, err)
	}
	if _, err := st.TenantByTwilioNumber(ctx, "+12015550150"); !gateway.IsNotFound(err) {
		t.Fatalf("old number still finds the tenant: %v", err)
	}
	tenant(t, st, "beta")
	list, err := st.ListTenants(ctx)
	if err != nil || len(list) != 2 || list[0].Slug != "acme" || list[1].Slug != "beta" {
		t.Fatalf("list: %v %v", list, err)
	}
	if err := st.UpdateTenant(ctx, &gateway.Tenant{ID: 9999, Slug: "none"}); !gateway.IsNotFound(err) {
		t.Fatalf("update of no tenant: %v", err)
	}
}

// A Twilio sender (number or Messaging Service) is one tenant's.
func testTenantSenderUnique(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	a := gateway.NewTenant("a", "A")
	a.Twilio = &gateway.TwilioSettings{AccountSID: "AC1", AuthToken: "t1", From: "+12015550150", MessagingServiceSID: "MG1"}
	must(t, st.CreateTenant(ctx, a))
	b := gateway.NewTenant("b", "B")
	must(t, st.CreateTenant(ctx, b))
	b.Twilio = &gateway.TwilioSettings{AccountSID: "AC2", AuthToken: "t2", From: "+12015550150"}
	if err := st.UpdateTenant(ctx, b); gateway.ErrorCode(err) != "twilio_sender_taken" {
		t.Fatalf("shared number: %v", err)
	}
	b.Twilio = &gateway.TwilioSettings{AccountSID: "AC2", AuthToken: "t2", MessagingServiceSID: "MG1"}
	if err := st.UpdateTenant(ctx, b); gateway.ErrorCode(err) != "twilio_sender_taken" {
		t.Fatalf("shared service: %v", err)
	}
	c := gateway.NewTenant("c", "C")
	c.Twilio = &gateway.TwilioSettings{AccountSID: "AC3", AuthToken: "t3", From: "+12015550150"}
	wantKind(t, "create with a taken number", st.CreateTenant(ctx, c), gateway.KindConflict)
}

func testConflictsAndNotFound(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := tenant(t, st, "acme")
	wantKind(t, "duplicate tenant", st.CreateTenant(ctx, gateway.NewTenant("acme", "Again")), gateway.KindConflict)
	p := person(t, st, tn.ID, "a@acme.example", "+12015550123")
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
	// A number is unique across tenants too.
	beta := tenant(t, st, "beta")
	cross := &gateway.Person{TenantID: beta.ID, Name: "D", Email: "d@beta.example", Status: gateway.StatusActive,
		Phones: []gateway.Phone{{Number: "+12015550123", Type: gateway.PhoneSMS}}}
	if err := st.CreatePerson(ctx, cross); gateway.ErrorCode(err) != "phone_taken" {
		t.Fatalf("number in another tenant: %v", err)
	}
	if _, err := st.Person(ctx, beta.ID, p.ID); !gateway.IsNotFound(err) {
		t.Fatalf("other tenant: %v", err)
	}
	if _, err := st.Reset(ctx, "rr_none"); !gateway.IsNotFound(err) {
		t.Fatalf("no reset: %v", err)
	}
	for name, err := range map[string]error{
		"tenant slug": func() error { _, err := st.TenantBySlug(ctx, "none"); return err }(),
		"tenant id":   func() error { _, err := st.TenantByID(ctx, 9999); return err }(),
		"phone":       func() error { _, err := st.PhoneByNumber(ctx, "+12015550199"); return err }(),
		"carrier":     func() error { _, err := st.Carrier(ctx, "none"); return err }(),
		"delivery":    func() error { _, err := st.Delivery(ctx, 9999); return err }(),
		"provider id": func() error { _, err := st.DeliveryByProviderID(ctx, "SMnone"); return err }(),
		"admin":       func() error { _, err := st.AdminByEmail(ctx, "none@x.example"); return err }(),
		"session":     func() error { _, err := st.AdminSession(ctx, []byte("none")); return err }(),
		"reject":      func() error { _, err := st.RejectGroup(ctx, 9999); return err }(),
		"person upd":  st.UpdatePerson(ctx, &gateway.Person{ID: 9999, TenantID: tn.ID, Status: gateway.StatusActive}),
		"auth save":   st.SavePersonAuth(ctx, &gateway.Person{ID: 9999, TenantID: tn.ID}),
		"person del":  st.DeletePerson(ctx, tn.ID, 9999),
		"reset upd":   st.UpdateReset(ctx, &gateway.ResetRequest{ID: "rr_none", State: gateway.StateDelivered}),
		"delivery up": st.UpdateDelivery(ctx, &gateway.Delivery{ID: 9999, Status: gateway.DeliverySent}),
	} {
		if !gateway.IsNotFound(err) {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
}

func testPersonnel(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	tn := tenant(t, st, "acme")
	p := person(t, st, tn.ID, "a@acme.example", "+12015550123", "+12015550124")
	if p.ID == 0 || p.Phones[0].ID == 0 || p.Phones[0].PersonID != p.ID || p.Phones[1].TenantID != tn.ID {
		t.Fatalf("ids not set: %+v", p)
	}
	for _, tid := range []int64{tn.ID, 0} {
		got, err := st.Person(ctx, tid, p.ID)
		if err != nil || got.Email != p.Email || len(got.Phones) != 2 || got.Phones[0].Number != "+12015550123" ||
			!got.MobileAccess || !got.CreatedAt.Equal(t0) {
			t.Fatalf("person (tenant %d): %+v %v", tid, got, err)
		}
	}
	p.Name, p.Phones = "Renamed", []gateway.Phone{{Number: "+12015550125", Type: gateway.PhoneMobile, Carrier: "verizon"}}
	p.MobileAccess, p.UpdatedAt = false, t0.Add(time.Minute)
	must(t, st.UpdatePerson(ctx, p))
	got, err := st.PersonByEmail(ctx, tn.ID, "a@acme.example")
	if err != nil || got.Name != "Renamed" || got.MobileAccess || len(got.Phones) != 1 ||
		got.Phones[0].Carrier != "verizon" || got.Phones[0].Type != gateway.PhoneMobile {
		t.Fatalf("after update: %+v %v", got, err)
	}
	// The replaced numbers are free again.
	person(t, st, tn.ID, "b@acme.example", "+12015550123")
	p.PasswordHash, p.MustChange, p.PendingRequest, p.UpdatedAt = "$argon2id$x", true, "rr_1", t0.Add(2*time.Minute)
	p.Name = "not saved by SavePersonAuth"
	must(t, st.SavePersonAuth(ctx, p))
	got, _ = st.Person(ctx, tn.ID, p.ID)
	if got.PasswordHash != "$argon2id$x" || !got.MustChange || got.PendingRequest != "rr_1" || got.Name != "Renamed" ||
		!got.UpdatedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("auth save: %+v", got)
	}
	ph, err := st.PhoneByNumber(ctx, "+12015550125")
	if err != nil || ph.PersonID != p.ID || ph.TenantID != tn.ID || ph.OptedOut {
		t.Fatalf("phone: %+v %v", ph, err)
	}
	must(t, st.SetOptOut(ctx, gateway.OptOut{TenantID: tn.ID, Channel: "twilio:+12015550150", Number: "+12015550125",
		Source: gateway.OptOutAdmin, At: t0}))
	if ph, _ := st.PhoneByNumber(ctx, "+12015550125"); !ph.OptedOut {
		t.Fatal("an opted-out phone does not say so")
	}
	if got, _ := st.Person(ctx, tn.ID, p.ID); !got.Phones[0].OptedOut {
		t.Fatal("an opted-out phone does not say so on the record")
	}
	if err := st.DeletePerson(ctx, tn.ID+1000, p.ID); !gateway.IsNotFound(err) {
		t.Fatalf("delete from another tenant: %v", err)
	}
	must(t, st.DeletePerson(ctx, tn.ID, p.ID))
	if _, err := st.PhoneByNumber(ctx, "+12015550125"); !gateway.IsNotFound(err) {
		t.Fatalf("phones outlive their person: %v", err)
	}
}

func testListPersonnel(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	acme, beta := tenant(t, st, "acme"), tenant(t, st, "beta")
	a := person(t, st, acme.ID, "ann@acme.example", "+12015550101")
	b := person(t, st, acme.ID, "bob_100%@acme.example", "+12015550102")
	c := person(t, st, beta.ID, "cid@beta.example", "+12015550103")
	names := func(f gateway.PersonFilter) []string {
		t.Helper()
		ps, err := st.ListPersonnel(ctx, f)
		must(t, err)
		var out []string
		for _, p := range ps {
			if len(p.Phones) != 1 {
				t.Fatalf("%s listed without its phone", p.Email)
			}
			out = append(out, p.Email)
		}
		return out
	}
	for _, tc := range []struct {
		f    gateway.PersonFilter
		want []string
	}{
		{gateway.PersonFilter{}, []string{a.Email, b.Email, c.Email}},
		{gateway.PersonFilter{TenantID: acme.ID}, []string{a.Email, b.Email}},
		{gateway.PersonFilter{Query: "ANN"}, []string{a.Email}},
		{gateway.PersonFilter{Query: "100%"}, []string{b.Email}}, // % is a literal, not a wildcard
		{gateway.PersonFilter{Query: "_"}, []string{b.Email}},
		{gateway.PersonFilter{Query: "(201) 555-0103"}, []string{c.Email}},
		{gateway.PersonFilter{Query: "0103", TenantID: acme.ID}, nil},
		{gateway.PersonFilter{Limit: 1, Offset: 1}, []string{b.Email}},
		// A negative offset is the first page on every engine, as in the
		// event log (PostgreSQL refuses OFFSET -1, SQLite reads it as 0).
		{gateway.PersonFilter{Limit: 1, Offset: -1}, []string{a.Email}},
	} {
		if got := names(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.f, got, tc.want)
		}
	}
}

func testOptOuts(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	const n = "+12015550123"
	out := func(tenantID int64, channel string) bool {
		t.Helper()
		ok, err := st.OptedOut(ctx, tenantID, channel, n)
		must(t, err)
		return ok
	}
	wantKind(t, "no channel", st.SetOptOut(ctx, gateway.OptOut{TenantID: 1, Number: n}), gateway.KindInvalid)
	must(t, st.SetOptOut(ctx, gateway.OptOut{TenantID: 1, Channel: "twilio:A", Number: n, Source: gateway.OptOutTwilioWebhook, At: t0}))
	// Twice is once.
	must(t, st.SetOptOut(ctx, gateway.OptOut{TenantID: 1, Channel: "twilio:A", Number: n, Source: gateway.OptOutTwilio21610, At: t0}))
	if !out(1, "twilio:A") || out(1, "twilio:B") || out(2, "twilio:A") || out(1, gateway.ChannelCarrier) {
		t.Fatal("a channel's opt-out reaches beyond that tenant and channel")
	}
	must(t, st.SetOptOut(ctx, gateway.OptOut{TenantID: 1, Channel: gateway.ChannelAny, Number: n, Source: gateway.OptOutAdmin, At: t0}))
	if !out(1, "twilio:B") || !out(1, gateway.ChannelCarrier) || out(2, "twilio:B") {
		t.Fatal("a tenant-wide opt-out is wrong")
	}
	must(t, st.SetOptOut(ctx, gateway.OptOut{TenantID: 0, Channel: gateway.ChannelAny, Number: n, Source: gateway.OptOutMail, At: t0}))
	if !out(2, "twilio:Z") {
		t.Fatal("an opt-out for every tenant misses one")
	}
	// Another tenant's START clears its own and the every-tenant one, not
	// tenant 1's.
	must(t, st.ClearOptOut(ctx, 2, "twilio:Z", n))
	if out(2, "twilio:Z") || !out(1, "twilio:A") || !out(1, "twilio:B") {
		t.Fatal("START cleared the wrong opt-outs")
	}
	// START on one channel ends that channel's and the tenant-wide one.
	must(t, st.SetOptOut(ctx, gateway.OptOut{TenantID: 1, Channel: "twilio:B", Number: n, Source: gateway.OptOutAdmin, At: t0}))
	must(t, st.ClearOptOut(ctx, 1, "twilio:A", n))
	if out(1, "twilio:A") || !out(1, "twilio:B") || out(1, gateway.ChannelCarrier) {
		t.Fatal("START on one channel")
	}
}

func testSeenMessage(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	const keep = 48 * time.Hour
	for i, tc := range []struct {
		scope, id string
		at        time.Time
		seen      bool
	}{
		{"twilio", "SM1", t0, false},
		{"twilio", "SM1", t0.Add(time.Hour), true},
		{"mail", "SM1", t0.Add(time.Hour), false}, // scopes are apart
		{"twilio", "SM2", t0.Add(time.Hour), false},
		{"twilio", "SM1", t0.Add(keep + time.Second), false}, // forgotten after keep
		{"twilio", "SM1", t0.Add(keep + 2*time.Second), true},
	} {
		seen, err := st.SeenMessage(ctx, tc.scope, tc.id, tc.at, keep)
		if err != nil || seen != tc.seen {
			t.Fatalf("%d: seen=%v err=%v, want %v", i, seen, err, tc.seen)
		}
	}
}

func testCarriers(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	c := &gateway.Carrier{Slug: "verizon", Name: "Verizon", Country: "US", SMSDomain: "vtext.com",
		NumberFormat: "national10", Status: gateway.CarrierRetiring, RetiredOn: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)}
	must(t, st.UpsertCarrier(ctx, c))
	c.Note = "ends soon"
	must(t, st.UpsertCarrier(ctx, c))
	must(t, st.UpsertCarrier(ctx, &gateway.Carrier{Slug: "rogers", Name: "Rogers", Country: "CA",
		NumberFormat: "national10", Status: gateway.CarrierActive}))
	got, err := st.Carrier(ctx, "verizon")
	if err != nil || got.Note != "ends soon" || !got.RetiredOn.Equal(c.RetiredOn) || got.Status != gateway.CarrierRetiring {
		t.Fatalf("carrier: %+v %v", got, err)
	}
	list, err := st.ListCarriers(ctx)
	if err != nil || len(list) != 2 || list[0].Slug != "verizon" || !list[1].RetiredOn.IsZero() {
		t.Fatalf("list: %v %v", list, err)
	}
}
