package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/postgres"
	"github.com/resetgw/resetgw/gateway/secret"
)

// Two gateway instances on one PostgreSQL database, each sealing the
// outbox bodies that carry a password under keys in its own memory: what
// is on the database's disk opens for nobody once an instance is gone,
// master key or not; the other instance takes its work over.

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type engine struct {
	st           *postgres.Store
	svc          *gateway.Service
	w            *gateway.Worker
	ring         *secret.KeyRing
	email, texts *gatewaytest.Sender
}

var admin = gateway.Actor{Kind: gateway.ActorAdmin, ID: "test"}

// newEngine opens an instance on dbURL; withRing false is how the
// gateway sealed before (and how SQLite still does).
func newEngine(t *testing.T, dbURL, name string, c *clock, withRing bool) *engine {
	t.Helper()
	e := &engine{email: &gatewaytest.Sender{}, texts: &gatewaytest.Sender{}}
	inst := ""
	if withRing {
		var err error
		if e.ring, err = secret.NewKeyRing(secret.RingConfig{Instance: name, Rotate: 5 * time.Minute,
			MaxAge: 20 * time.Minute, Clock: c.now}); err != nil {
			t.Fatal(err)
		}
		inst = name
	}
	k := gatewaytest.Keys(t)
	st, err := postgres.Open(context.Background(), postgres.Config{URL: dbURL, Sealer: k, Instance: inst, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	e.svc, err = gateway.New(gateway.Config{Store: st, Renderer: gatewaytest.Renderer{}, Keys: k, Ring: e.ring,
		Hasher: gatewaytest.Hasher(), Clock: c.now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Limits: gateway.DefaultLimits(), DefaultTwilio: true})
	if err != nil {
		t.Fatal(err)
	}
	e.w = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteTwilio: e.texts, gateway.RouteEmail: e.email}, BackoffBase: time.Second,
		RetryFor: 10 * time.Minute, Lease: time.Minute})
	return e
}

// markingSender is a test sender whose mail route marks its hand-overs,
// as the SMTP sender does; it asks for the mark before it "sends".
type markingSender struct{ *gatewaytest.Sender }

func (markingSender) HandsOver(r gateway.Route) bool { return r == gateway.RouteEmail }

func (s markingSender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	m.HandOver.Begin()
	if err := m.HandOver.Wait(ctx); err != nil {
		return "", err
	}
	return s.Sender.Send(ctx, m)
}

// newEngineMarkingMail is newEngine (with a ring) whose mail sender marks
// its hand-overs.
func newEngineMarkingMail(t *testing.T, dbURL, name string, c *clock) *engine {
	t.Helper()
	e := newEngine(t, dbURL, name, c, true)
	e.w = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteTwilio: e.texts, gateway.RouteEmail: markingSender{e.email}}, BackoffBase: time.Second,
		RetryFor: 10 * time.Minute, Lease: time.Minute})
	return e
}

func (e *engine) drain(t *testing.T) {
	t.Helper()
	for range 20 {
		busy, err := e.w.Pass(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !busy {
			return
		}
	}
	t.Fatal("still busy after 20 passes")
}

const original = "original-crew-password-7"

func (e *engine) crew(t *testing.T, email, phone string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.svc.EnsureTenant(ctx, gateway.DefaultSlug, "Acme Movers"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreatePerson(ctx, admin, gateway.PersonInput{Name: "Crew", Email: email, Password: original,
		Phones: []gateway.PhoneInput{{Number: phone, Type: "sms"}}}); err != nil {
		t.Fatal(err)
	}
}

func (e *engine) login(email, pw string) error {
	_, err := e.svc.Login(context.Background(), gateway.LoginInput{Email: email, Password: pw, IP: "192.0.2.9"})
	return err
}

type rawRow struct {
	id             int64
	channel, to    string
	body, key      []byte
	sealedBy       *string
	status, reason string
}

func rawDeliveries(t *testing.T, dbURL, requestID string) []rawRow {
	t.Helper()
	rows, err := rawDB(t, dbURL).Query(`SELECT id, channel, recipient, body, body_key, sealed_by, status, error_code
		FROM deliveries WHERE request_id = $1 ORDER BY id`, requestID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []rawRow
	for rows.Next() {
		var r rawRow
		if err := rows.Scan(&r.id, &r.channel, &r.to, &r.body, &r.key, &r.sealedBy, &r.status, &r.reason); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func aad(requestID string, r rawRow) []byte {
	return []byte(requestID + "\x00" + r.channel + "\x00" + r.to)
}

var transient = &gateway.SendError{Class: gateway.FailTransient, Code: "down", Detail: "provider down"}

// The raw row (sealed body and wrapped key, as in the heap, the WAL or a
// backup) and the master key: before, that opened the password; with the
// ring it opens only while the sealing instance keeps its key.
func TestRawOutboxRowDoesNotOpenWithTheMasterKey(t *testing.T) {
	for _, tc := range []struct {
		name         string
		ring         bool
		masterOpens  bool
		ringSealedBy bool
	}{
		{"master-key envelope (the old way, SQLite's)", false, true, false},
		{"instance key ring", true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := testDB(t)
			c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
			a := newEngine(t, u, "inst-a", c, tc.ring)
			a.crew(t, "ana@acme.example", "+12015550123")
			a.email.Fail(transient)
			a.texts.Fail(transient)
			id, err := a.svc.RequestReset(context.Background(), gateway.ResetInput{Email: "ana@acme.example", Phone: "+12015550123", IP: "192.0.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			a.drain(t)
			rows := rawDeliveries(t, u, id)
			if len(rows) != 2 {
				t.Fatalf("%d deliveries, want text and mail", len(rows))
			}
			master := gatewaytest.Keys(t)
			for _, r := range rows {
				if r.status != "pending" || r.body == nil {
					t.Fatalf("delivery %d is %s", r.id, r.status)
				}
				_, err := master.OpenEnvelope(r.key, r.body, aad(id, r))
				if (err == nil) != tc.masterOpens || (r.sealedBy != nil) != tc.ringSealedBy {
					t.Fatalf("%s: the master key opens the raw row: %v (sealed by %v)", r.channel, err == nil, r.sealedBy)
				}
				if !tc.ring {
					continue
				}
				if *r.sealedBy != "inst-a" || master.UnwrapsDataKey(r.key[len(r.key)-secret.WrappedKeyLen:], aad(id, r)) {
					t.Fatalf("%s: sealed by %q, or its data key unwraps under the master key", r.channel, *r.sealedBy)
				}
				plain, err := a.ring.Open(r.key, r.body, aad(id, r))
				if err != nil || len(plain) == 0 {
					t.Fatalf("the sealing instance cannot open its own row: %v", err)
				}
			}
			if !tc.ring {
				return
			}
			// The instance stops: its keys leave memory with it, and the same
			// bytes open for nobody.
			if err := a.w.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if _, err := a.ring.Open(r.key, r.body, aad(id, r)); !errors.Is(err, secret.ErrKeyGone) {
					t.Fatalf("after shutdown the row opens: %v", err)
				}
			}
		})
	}
}

// sealedPassword is the password in a's sealed row, as a reads it.
func sealedPassword(t *testing.T, a *engine, requestID string, r rawRow) string {
	t.Helper()
	plain, err := a.ring.Open(r.key, r.body, aad(requestID, r))
	if err != nil {
		t.Fatal(err)
	}
	var b map[string]string
	if err := json.Unmarshal(plain, &b); err != nil {
		t.Fatal(err)
	}
	pw, ok := gatewaytest.Password(b["t"])
	if !ok {
		t.Fatalf("no password in %s's body", r.channel)
	}
	return pw
}

func sentPassword(t *testing.T, msgs []*gateway.Message) string {
	t.Helper()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	pw, ok := gatewaytest.Password(msgs[0].Text)
	if !ok {
		t.Fatalf("no password in %q", msgs[0].Text)
	}
	return pw
}

// A accepts and seals; it stops (gracefully, or is killed with a claim
// out) with work pending; B, which never touched A's rows while A lived,
// takes them over.
func TestAnotherInstanceTakesOverWhenTheSealerIsGone(t *testing.T) {
	const email, phone = "ana@acme.example", "+12015550123"
	tests := []struct {
		name string
		// before A goes: its mail goes out; A is killed holding a claim.
		mailSent, killedWithClaim bool
		state                     gateway.ResetState
		regenerated               bool
	}{
		{"nothing went out: B makes a new password and sends it", false, false, gateway.StateDelivered, true},
		{"the mail went out: the text fails, the mailed password stands", true, false, gateway.StateDelivered, false},
		{"killed mid-claim: what may have gone out fails, and the reset rolls back", false, true, gateway.StateRolledBack, false},
		{"killed mid-claim before the mail reached the relay: B makes a new password and mails it", false, true, gateway.StateDelivered, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			u := testDB(t)
			c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
			a, b := newEngine(t, u, "inst-a", c, true), newEngine(t, u, "inst-b", c, true)
			// The last case: the text was refused for good, and the mail's
			// route marks its hand-overs (as SMTP does), so an unmarked
			// claim is known never to have reached the relay.
			marksMail := tc.killedWithClaim && tc.regenerated
			if marksMail {
				a, b = newEngineMarkingMail(t, u, "inst-a", c), newEngineMarkingMail(t, u, "inst-b", c)
			}
			a.crew(t, email, phone)
			a.texts.Fail(transient)
			if marksMail {
				a.texts.Fail(&gateway.SendError{Class: gateway.FailRecipient, Code: "21211", Detail: "not a mobile number"})
			}
			if !tc.mailSent {
				a.email.Fail(transient)
			}
			id, err := a.svc.RequestReset(ctx, gateway.ResetInput{Email: email, Phone: phone, IP: "192.0.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			a.drain(t)
			rows := rawDeliveries(t, u, id)
			var sealedByA string
			for _, r := range rows {
				if r.status == "pending" {
					sealedByA = sealedPassword(t, a, id, r)
				}
			}
			// While A lives, B leaves its rows alone, however often it claims.
			c.advance(5 * time.Second)
			b.drain(t)
			if n := len(b.texts.Messages()) + len(b.email.Messages()); n != 0 {
				t.Fatalf("B sent %d of A's messages while A was alive", n)
			}
			if tc.killedWithClaim {
				want := 2
				if marksMail {
					want = 1 // the text has failed already
				}
				if ds, err := a.st.ClaimDeliveries(ctx, c.now(), c.now().Add(time.Minute), 10); err != nil || len(ds) != want {
					t.Fatalf("A's claim: %d, %v", len(ds), err)
				}
				a.ring.Close() // SIGKILL: the keys die with the process, the liveness row stays
				c.advance(2 * time.Minute)
			} else if err := a.w.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			c.advance(5 * time.Second)
			b.drain(t)

			r, err := b.svc.Reset(ctx, admin, id)
			if err != nil {
				t.Fatal(err)
			}
			if r.State != tc.state {
				t.Fatalf("request %s (%s), want %s", r.State, r.Reason, tc.state)
			}
			evs, err := b.svc.Events(ctx, admin, gateway.EventQuery{RequestID: id})
			if err != nil {
				t.Fatal(err)
			}
			regenerated, keyGone := false, 0
			for _, e := range evs {
				regenerated = regenerated || e.Type == gateway.EventResetRegenerated
				if (e.Code == gateway.CodeKeyGone || e.Code == gateway.CodeKeyGoneMaybeSent) && e.Type == "delivery_failed" && e.Detail != "" {
					keyGone++
				}
			}
			if regenerated != tc.regenerated {
				t.Fatalf("regenerated %v, want %v (%d key-gone failures)", regenerated, tc.regenerated, keyGone)
			}
			switch {
			case marksMail:
				// The mail A held was never handed over: B mails a new
				// password, which logs in, and A's sealed one does not.
				if n := len(b.texts.Messages()); n != 0 || len(b.email.Messages()) != 1 {
					t.Fatalf("B sent %d texts and %d mails", n, len(b.email.Messages()))
				}
				pw := sentPassword(t, b.email.Messages())
				if pw == sealedByA {
					t.Fatal("B mailed the password A had sealed")
				}
				if err := b.login(email, sealedByA); gateway.ErrorKind(err) != gateway.KindUnauthorized {
					t.Fatalf("A's sealed password: %v", err)
				}
				if err := b.login(email, pw); err != nil {
					t.Fatalf("B's password: %v", err)
				}
			case tc.regenerated:
				// Both messages went from B with one new password: it logs in;
				// what A had sealed does not.
				pw := sentPassword(t, b.texts.Messages())
				if got := sentPassword(t, b.email.Messages()); got != pw || pw == sealedByA {
					t.Fatalf("B sent %q and %q, A had sealed %q", pw, got, sealedByA)
				}
				if err := b.login(email, sealedByA); gateway.ErrorKind(err) != gateway.KindUnauthorized {
					t.Fatalf("A's sealed password: %v", err)
				}
				if err := b.login(email, pw); err != nil {
					t.Fatalf("B's password: %v", err)
				}
			case tc.mailSent:
				// The mailed password is the one in force; the text nobody can
				// open is not sent, nor replaced by another password.
				if n := len(b.texts.Messages()) + len(b.email.Messages()); n != 0 || keyGone != 1 {
					t.Fatalf("B sent %d, %d key-gone failures", n, keyGone)
				}
				if err := b.login(email, sentPassword(t, a.email.Messages())); err != nil {
					t.Fatalf("the mailed password: %v", err)
				}
			default:
				if n := len(b.texts.Messages()) + len(b.email.Messages()); n != 0 || keyGone != 2 {
					t.Fatalf("B sent %d, %d key-gone failures", n, keyGone)
				}
				if err := b.login(email, sealedByA); gateway.ErrorKind(err) != gateway.KindUnauthorized {
					t.Fatalf("A's sealed password after the rollback: %v", err)
				}
				if err := b.login(email, original); err != nil {
					t.Fatalf("the original password after the rollback: %v", err)
				}
			}
			// Whatever happened, nothing pending is left, and no row holds a
			// body sealed by A.
			for _, r := range rawDeliveries(t, u, id) {
				if r.status == "pending" || (r.sealedBy != nil && *r.sealedBy == "inst-a" && r.body != nil) {
					t.Fatalf("delivery %d: %s, sealed by %v", r.id, r.status, r.sealedBy)
				}
			}
		})
	}
}
