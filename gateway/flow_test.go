package gateway_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

const phoneA = "+12015550123"

func TestResetDeliversBySMSAndEmail(t *testing.T) {
	e := newEnv(t, true)
	p := e.person("ana@acme.example", phoneA, "verizon")
	id := e.reset(" Ana@ACME.example ", "(201) 555-0123")
	if r := e.request(id); r.State != gateway.StateReceived {
		t.Fatalf("before the worker: state %s", r.State)
	}
	e.drain()
	r := e.request(id)
	if r.State != gateway.StateDelivered || r.PersonID != p.ID {
		t.Fatalf("state %s person %d", r.State, r.PersonID)
	}
	if len(r.Deliveries) != 2 {
		t.Fatalf("deliveries %+v", r.Deliveries)
	}
	for _, d := range r.Deliveries {
		// The text keeps its sealed body until its provider's final
		// report (or the late-failover window's end): a late failure
		// sends it again by the next route.
		if d.Status != gateway.DeliverySent || d.ProviderID == "" || (d.Body == nil) != (d.Channel == gateway.ChannelEmail) {
			t.Errorf("delivery %s: status %s provider %q body wiped %v", d.Channel, d.Status, d.ProviderID, d.Body == nil)
		}
	}
	sms, mail := e.twilio.all(), e.email.all()
	if len(sms) != 1 || sms[0].To != phoneA || len(mail) != 1 || mail[0].To != "ana@acme.example" {
		t.Fatalf("sms %+v mail %+v", sms, mail)
	}
	pw := e.twilio.password(t)
	if e.email.password(t) != pw {
		t.Fatal("SMS and email carry different passwords")
	}
	// The original keeps working until the new one is first used.
	e.mustLogin("ana@acme.example", original)
	e.mustLogin("ana@acme.example", pw)
	e.mustFail("ana@acme.example", original)
	e.mustLogin("ana@acme.example", pw) // now the person's own (argon2id)
	if r := e.request(id); !r.UsedAt.Equal(e.now) {
		t.Fatalf("used at %v", r.UsedAt)
	}
	stored, _ := e.store.Person(e.ctx, 0, p.ID)
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$") || stored.PendingRequest != "" {
		t.Fatalf("after first use: hash %.10q pending %q", stored.PasswordHash, stored.PendingRequest)
	}
}

func TestTenantFoundFromPhoneAndCarrierRoute(t *testing.T) {
	e := newEnv(t, false) // no Twilio: texts go by the carrier gateway
	other, err := e.svc.CreateTenant(e.ctx, operator, gateway.TenantInput{Slug: "hvac", Name: "HVAC Co"})
	if err != nil {
		t.Fatal(err)
	}
	e.person("bo@hvac.example", phoneA, "verizon", func(in *gateway.PersonInput) { in.Tenant = "hvac" })
	id := e.reset("bo@hvac.example", phoneA)
	e.drain()
	r := e.request(id)
	if r.State != gateway.StateDelivered || r.TenantID != other.ID {
		t.Fatalf("state %s tenant %d", r.State, r.TenantID)
	}
	msgs := e.carrier.all()
	if len(msgs) != 1 || msgs[0].To != "2015550123@vtext.com" || msgs[0].Route != gateway.RouteCarrier {
		t.Fatalf("carrier messages %+v", msgs)
	}
	if _, err := e.svc.Login(e.ctx, gateway.LoginInput{Tenant: "hvac", Email: "bo@hvac.example",
		Password: e.carrier.password(t)}); err != nil {
		t.Fatal(err)
	}
}

func TestSMSSkipped(t *testing.T) {
	cases := []struct {
		name, phone, carrier, why string
		twilio                    bool
		at                        time.Time
	}{
		{"retired gateway", phoneA, "att", "carrier_gateway_retired", false, time.Time{}},
		{"retiring gateway after its date", phoneA, "verizon", "carrier_gateway_retired", false, time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)},
		{"no carrier, no Twilio", phoneA, "", "no_carrier", false, time.Time{}},
		{"country not allowed", "+442079460123", "", "country_not_allowed", true, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.twilio)
			if !tc.at.IsZero() {
				e.now = tc.at
			}
			e.person("cy@acme.example", tc.phone, tc.carrier)
			id := e.reset("cy@acme.example", tc.phone)
			e.drain()
			r := e.request(id)
			if r.State != gateway.StateDelivered || len(r.Deliveries) != 1 || r.Deliveries[0].Channel != gateway.ChannelEmail {
				t.Fatalf("state %s deliveries %+v", r.State, r.Deliveries)
			}
			evs, _ := e.store.ListEvents(e.ctx, gateway.EventFilter{RequestID: id, Types: []string{"sms_skipped"}})
			if len(evs) != 1 || evs[0].Code != tc.why {
				t.Fatalf("sms_skipped events %+v", evs)
			}
			if n := len(e.twilio.all()) + len(e.carrier.all()); n != 0 {
				t.Fatalf("%d texts sent", n)
			}
		})
	}
}

func TestPhoneOfSomeoneElseGoesToEmailOnly(t *testing.T) {
	e := newEnv(t, true)
	e.person("dee@acme.example", phoneA, "")
	e.person("eve@acme.example", "+12015550124", "")
	id := e.reset("dee@acme.example", "+12015550124")
	e.drain()
	r := e.request(id)
	if r.State != gateway.StateDelivered || len(r.Deliveries) != 1 || r.Deliveries[0].Channel != gateway.ChannelEmail {
		t.Fatalf("state %s deliveries %+v", r.State, r.Deliveries)
	}
	if len(e.twilio.all()) != 0 || e.email.all()[0].To != "dee@acme.example" {
		t.Fatal("the text went to someone else's phone")
	}
}

func TestRejections(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(e *env)
		email  string
		reason string
	}{
		{"unknown email", func(e *env) {}, "nobody@acme.example", gateway.ReasonNoMatch},
		{"tenant flag off", func(e *env) { e.patchTenant(gateway.SettingsPatch{AllowMobileReset: ptr(false)}) }, "fay@acme.example", gateway.ReasonResetDisabled},
		{"inactive", func(e *env) {
			e.setPerson("fay@acme.example", gateway.PersonPatch{Status: ptr("inactive")})
		}, "fay@acme.example", gateway.ReasonInactive},
		{"no mobile access", func(e *env) {
			e.setPerson("fay@acme.example", gateway.PersonPatch{MobileAccess: ptr(false)})
		}, "fay@acme.example", gateway.ReasonNoMobileAccess},
		{"person flag off", func(e *env) {
			e.setPerson("fay@acme.example", gateway.PersonPatch{AllowMobileReset: ptr(false)})
		}, "fay@acme.example", gateway.ReasonPersonDisabled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, true)
			e.person("fay@acme.example", phoneA, "")
			tc.setup(e)
			id := e.reset(tc.email, phoneA)
			e.drain()
			r := e.request(id)
			if r.State != gateway.StateRejected || r.Reason != tc.reason || len(r.Deliveries) != 0 {
				t.Fatalf("state %s reason %q deliveries %d", r.State, r.Reason, len(r.Deliveries))
			}
			if len(e.twilio.all())+len(e.email.all()) != 0 {
				t.Fatal("a rejected request sent something")
			}
			evs, _ := e.store.ListEvents(e.ctx, gateway.EventFilter{RequestID: id, Types: []string{"reset_rejected"}})
			if len(evs) != 1 || evs[0].Code != tc.reason {
				t.Fatalf("events %+v", evs)
			}
		})
	}
}

func (e *env) setPerson(email string, patch gateway.PersonPatch) {
	e.t.Helper()
	p, err := e.store.PersonByEmail(e.ctx, e.tenant.ID, email)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.UpdatePerson(e.ctx, operator, "", p.ID, patch); err != nil {
		e.t.Fatal(err)
	}
}

func TestRateLimitPerPerson(t *testing.T) {
	e := newEnv(t, true)
	e.person("gus@acme.example", phoneA, "")
	var ids []string
	for range gateway.DefaultLimits().PerPersonIP + 1 {
		ids = append(ids, e.reset("gus@acme.example", ""))
	}
	e.drain()
	limited := 0
	for _, id := range ids {
		if r := e.request(id); r.State == gateway.StateRejected && r.Reason == gateway.ReasonRateLimited {
			limited++
		}
	}
	if limited != 1 {
		t.Fatalf("%d of %d requests rate limited, want 1", limited, len(ids))
	}
	// The window ends, the counter (in the store) with it.
	e.advance(time.Hour)
	id := e.reset("gus@acme.example", "")
	e.drain()
	if r := e.request(id); r.State != gateway.StateDelivered {
		t.Fatalf("after the window: %s %s", r.State, r.Reason)
	}
}

func TestRollbackWhenEveryChannelRefuses(t *testing.T) {
	e := newEnv(t, true)
	e.person("hal@acme.example", phoneA, "")
	e.twilio.set(&gateway.SendError{Code: "21211", Detail: "The 'To' number is not a valid phone number."})
	e.email.set(&gateway.SendError{Code: "550 5.1.1", Detail: "no such user"})
	id := e.reset("hal@acme.example", phoneA)
	e.drain()
	r := e.request(id)
	if r.State != gateway.StateRolledBack || r.Reason != gateway.ReasonAllFailed {
		t.Fatalf("state %s reason %s", r.State, r.Reason)
	}
	codes := map[gateway.Channel]string{}
	for _, d := range r.Deliveries {
		if d.Status != gateway.DeliveryFailed || d.Attempts != 1 || d.Body != nil {
			t.Errorf("%s: status %s attempts %d", d.Channel, d.Status, d.Attempts)
		}
		codes[d.Channel] = d.ErrorCode
	}
	if codes[gateway.ChannelSMS] != "21211" || codes[gateway.ChannelEmail] != "550 5.1.1" {
		t.Fatalf("codes %v", codes)
	}
	e.mustLogin("hal@acme.example", original)
	rs, _ := e.svc.ListResets(e.ctx, operator, "", gateway.StateRolledBack, 10, 0)
	if len(rs) != 1 || rs[0].ID != id {
		t.Fatalf("failed-delivery queue %+v", rs)
	}
}

func TestTemporaryFailureIsRetriedThenDelivered(t *testing.T) {
	e := newEnv(t, true)
	e.person("ida@acme.example", phoneA, "")
	down := &gateway.SendError{Class: gateway.FailTransient, Code: "421 4.3.2", Detail: "try later"}
	e.twilio.set(&gateway.SendError{Class: gateway.FailTransient, Code: "twilio_unavailable", Detail: "503"})
	e.email.set(down)
	id := e.reset("ida@acme.example", phoneA)
	e.drain()
	r := e.request(id)
	if r.State != gateway.StateDelivering {
		t.Fatalf("while down: %s", r.State)
	}
	for _, d := range r.Deliveries {
		if d.Status != gateway.DeliveryPending || d.Attempts != 1 || !d.NextAttemptAt.After(e.now) {
			t.Fatalf("%s: %s attempts %d next %v", d.Channel, d.Status, d.Attempts, d.NextAttemptAt)
		}
	}
	e.mustFail("ida@acme.example", "Abcdefgh23") // nothing new is in force yet
	e.mustLogin("ida@acme.example", original)
	e.email.set(nil)
	e.advance(5 * time.Second)
	e.drain()
	if r := e.request(id); r.State != gateway.StateDelivered {
		t.Fatalf("after email recovered: %s", r.State)
	}
	e.mustLogin("ida@acme.example", e.email.password(t))
}

func TestTemporaryFailureGivesUpAndRollsBack(t *testing.T) {
	e := newEnv(t, true)
	e.person("jo@acme.example", phoneA, "")
	e.twilio.set(&gateway.SendError{Class: gateway.FailTransient, Code: "twilio_unavailable", Detail: "503"})
	e.email.set(&gateway.SendError{Class: gateway.FailTransient, Code: "connect", Detail: "connection refused"})
	id := e.reset("jo@acme.example", phoneA)
	for range 40 {
		e.drain()
		e.advance(time.Minute)
	}
	r := e.request(id)
	if r.State != gateway.StateRolledBack {
		t.Fatalf("state %s", r.State)
	}
	for _, d := range r.Deliveries {
		if d.Status != gateway.DeliveryFailed || d.Attempts < 3 {
			t.Fatalf("%s: %s after %d attempts", d.Channel, d.Status, d.Attempts)
		}
	}
	e.mustLogin("jo@acme.example", original)
}

func TestNewerResetReplacesOlder(t *testing.T) {
	e := newEnv(t, true)
	e.person("kai@acme.example", phoneA, "")
	first := e.reset("kai@acme.example", phoneA)
	e.drain()
	old := e.email.password(t)
	second := e.reset("kai@acme.example", phoneA)
	e.drain()
	fresh := e.email.password(t)
	if old == fresh {
		t.Fatal("same password twice")
	}
	e.mustFail("kai@acme.example", old)
	e.mustLogin("kai@acme.example", fresh)
	if r := e.request(first); r.Reason != gateway.ReasonSuperseded {
		t.Fatalf("first: %s %s", r.State, r.Reason)
	}
	if r := e.request(second); r.State != gateway.StateDelivered {
		t.Fatalf("second: %s", r.State)
	}
}

func TestUnusedPasswordExpires(t *testing.T) {
	e := newEnv(t, true)
	e.person("lea@acme.example", phoneA, "")
	e.reset("lea@acme.example", phoneA)
	e.drain()
	pw := e.email.password(t)
	e.advance(24*time.Hour + time.Second)
	e.mustFail("lea@acme.example", pw)
	e.mustLogin("lea@acme.example", original)
}

func TestPolicyOriginalStopsAtDelivery(t *testing.T) {
	e := newEnv(t, true)
	e.patchTenant(gateway.SettingsPatch{KeepOriginal: ptr(false), MustChange: ptr(true)})
	e.person("max@acme.example", phoneA, "")
	e.reset("max@acme.example", phoneA)
	e.drain()
	e.mustFail("max@acme.example", original)
	res, err := e.svc.Login(e.ctx, gateway.LoginInput{Email: "max@acme.example", Password: e.email.password(t)})
	if err != nil || !res.MustChange {
		t.Fatalf("login %v must_change %v", err, res)
	}
}

func TestDeactivationEndsPendingReset(t *testing.T) {
	e := newEnv(t, true)
	e.person("ned@acme.example", phoneA, "")
	e.reset("ned@acme.example", phoneA)
	e.drain()
	pw := e.email.password(t)
	e.setPerson("ned@acme.example", gateway.PersonPatch{Status: ptr("inactive")})
	e.mustFail("ned@acme.example", pw)
	e.mustFail("ned@acme.example", original)
	e.setPerson("ned@acme.example", gateway.PersonPatch{Status: ptr("active")})
	e.mustFail("ned@acme.example", pw)
	e.mustLogin("ned@acme.example", original)
}

func TestLoginThrottled(t *testing.T) {
	e := newEnv(t, true)
	e.person("ola@acme.example", phoneA, "")
	// A pause grows between failures: each one waits it out here.
	for range 10 {
		e.mustFail("ola@acme.example", "wrong-password-1")
		e.advance(20 * time.Second)
	}
	if err := e.login("ola@acme.example", original); gateway.ErrorKind(err) != gateway.KindRateLimited {
		t.Fatalf("11th attempt: %v", err)
	}
	e.advance(15 * time.Minute)
	e.mustLogin("ola@acme.example", original)
}

func TestOutboxIsEncryptedAndWiped(t *testing.T) {
	e := newEnv(t, true)
	e.person("pia@acme.example", phoneA, "")
	e.twilio.set(&gateway.SendError{Class: gateway.FailTransient, Code: "twilio_unavailable"})
	id := e.reset("pia@acme.example", phoneA)
	e.drain()
	pw := e.email.password(t)
	db, err := sql.Open("sqlite3", "file:"+e.dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT channel, body FROM deliveries WHERE request_id = ?`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch string
		var body []byte
		if err := rows.Scan(&ch, &body); err != nil {
			t.Fatal(err)
		}
		switch ch {
		case "sms": // still pending: sealed
			if len(body) == 0 || strings.Contains(string(body), pw) || strings.Contains(string(body), "PW=") {
				t.Fatalf("pending SMS body is not sealed: %q", body)
			}
		case "email": // delivered: wiped
			if body != nil {
				t.Fatalf("delivered email body kept: %q", body)
			}
		}
	}
	var hash []byte
	if err := db.QueryRow(`SELECT temp_hash FROM reset_requests WHERE id = ?`, id).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if len(hash) != 32 || strings.Contains(string(hash), pw) {
		t.Fatalf("temp hash %x", hash)
	}
}

func TestNoSecretInLogsOrEvents(t *testing.T) {
	e := newEnv(t, true)
	e.person("quin@acme.example", phoneA, "")
	e.twilio.set(&gateway.SendError{Code: "21211", Detail: "bad number"})
	e.reset("quin@acme.example", phoneA)
	e.drain()
	pw := e.email.password(t)
	e.mustLogin("quin@acme.example", pw)
	e.mustFail("quin@acme.example", "wrong-"+pw)
	p, _ := e.store.PersonByEmail(e.ctx, e.tenant.ID, "quin@acme.example")
	evs, err := e.store.ListEvents(e.ctx, gateway.EventFilter{})
	if err != nil || len(evs) < 5 {
		t.Fatalf("events %d %v", len(evs), err)
	}
	var all strings.Builder
	all.WriteString(e.logs.String())
	for _, ev := range evs {
		all.WriteString(ev.Type + ev.Code + ev.Detail + ev.ActorID + ev.ProviderID + "\n")
	}
	for _, secret := range []string{pw, original, p.PasswordHash, p.PasswordHash[len(p.PasswordHash)-20:]} {
		if strings.Contains(all.String(), secret) {
			t.Fatalf("a secret reached the log: %.6q…", secret)
		}
	}
}

func TestTwilioUnsubscribedRecordsOptOut(t *testing.T) {
	e := newEnv(t, true)
	e.person("rae@acme.example", phoneA, "verizon")
	e.twilio.set(&gateway.SendError{Code: "21610", Detail: "Attempt to send to unsubscribed recipient"})
	e.reset("rae@acme.example", phoneA)
	e.drain()
	if out, err := e.store.OptedOut(e.ctx, e.tenant.ID, "twilio:default", phoneA); err != nil || !out {
		t.Fatalf("opted out %v %v", out, err)
	}
	// The next reset goes by email only, on every route.
	e.twilio.set(nil)
	id := e.reset("rae@acme.example", phoneA)
	e.drain()
	if r := e.request(id); len(r.Deliveries) != 1 || r.Deliveries[0].Channel != gateway.ChannelEmail {
		t.Fatalf("deliveries %+v", r.Deliveries)
	}
}
