package gateway_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/sqlite"
)

// sender adds to gatewaytest.Sender what these tests read.
type sender struct{ gatewaytest.Sender }

func (s *sender) set(err error)           { s.Fail(err) }
func (s *sender) all() []*gateway.Message { return s.Messages() }

// password reads the password out of the newest message.
func (s *sender) password(t *testing.T) string {
	t.Helper()
	msgs := s.all()
	if len(msgs) == 0 {
		t.Fatal("no message was sent")
	}
	// Notices of a change (which never carry one) may come after it.
	for i := len(msgs) - 1; i >= 0; i-- {
		if pw, ok := gatewaytest.Password(msgs[i].Text); ok {
			return pw
		}
		if !strings.Contains(msgs[i].Text, "/password_changed]") {
			break
		}
	}
	t.Fatalf("no password in %q", msgs[len(msgs)-1].Text)
	return ""
}

type env struct {
	t       *testing.T
	ctx     context.Context
	store   *sqlite.Store
	svc     *gateway.Service
	worker  *gateway.Worker
	now     time.Time
	mu      sync.Mutex
	twilio  *sender
	carrier *sender
	email   *sender
	logs    *bytes.Buffer
	tenant  *gateway.Tenant
	dbPath  string
}

var operator = gateway.Actor{Kind: gateway.ActorAdmin, ID: "test"}

const original = "original-crew-password-7"

// newEnv builds the gateway on a fresh store; opts may change its Config
// (another hasher, limits, a wrapped store) before it is made.
func newEnv(t *testing.T, twilio bool, opts ...func(*gateway.Config)) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		twilio: &sender{}, carrier: &sender{}, email: &sender{}, logs: &bytes.Buffer{}}
	keys := gatewaytest.Keys(t)
	e.store, e.dbPath = gatewaytest.Store(t, keys)
	cfg := gateway.Config{
		Store: e.store, Renderer: gatewaytest.Renderer{}, Keys: keys, Hasher: gatewaytest.Hasher(),
		Clock: e.clock, Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Limits: gateway.DefaultLimits(), DefaultTwilio: twilio,
	}
	for _, o := range opts {
		o(&cfg)
	}
	var err error
	e.svc, err = gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteTwilio: e.twilio, gateway.RouteCarrier: e.carrier, gateway.RouteEmail: e.email,
	}, BackoffBase: time.Second, RetryFor: 10 * time.Minute})
	if e.tenant, err = e.svc.EnsureTenant(e.ctx, gateway.DefaultSlug, "Acme Movers"); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// drain runs worker passes until there is nothing left to do now.
func (e *env) drain() {
	e.t.Helper()
	for range 50 {
		busy, err := e.worker.Pass(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if !busy {
			return
		}
	}
	e.t.Fatal("worker still busy after 50 passes")
}

type personOpt func(*gateway.PersonInput)

func (e *env) person(email, phone, carrier string, opts ...personOpt) *gateway.Person {
	e.t.Helper()
	in := gateway.PersonInput{Name: "Crew " + email, Email: email, Password: original}
	if phone != "" {
		in.Phones = []gateway.PhoneInput{{Number: phone, Type: "sms", Carrier: carrier}}
	}
	for _, o := range opts {
		o(&in)
	}
	p, err := e.svc.CreatePerson(e.ctx, operator, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) reset(email, phone string) string {
	e.t.Helper()
	id, err := e.svc.RequestReset(e.ctx, gateway.ResetInput{Email: email, Phone: phone, IP: "192.0.2.1"})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) request(id string) *gateway.ResetRequest {
	e.t.Helper()
	r, err := e.svc.Reset(e.ctx, operator, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) login(email, pw string) error {
	_, err := e.svc.Login(e.ctx, gateway.LoginInput{Email: email, Password: pw, IP: "192.0.2.9"})
	return err
}

func (e *env) mustLogin(email, pw string) {
	e.t.Helper()
	if err := e.login(email, pw); err != nil {
		e.t.Fatalf("login %s: %v", email, err)
	}
}

func (e *env) mustFail(email, pw string) {
	e.t.Helper()
	if err := e.login(email, pw); gateway.ErrorKind(err) != gateway.KindUnauthorized {
		e.t.Fatalf("login %s: want unauthorized, got %v", email, err)
	}
}

func (e *env) patchTenant(p gateway.SettingsPatch) {
	e.t.Helper()
	if _, err := e.svc.UpdateSettings(e.ctx, operator, "", p); err != nil {
		e.t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
