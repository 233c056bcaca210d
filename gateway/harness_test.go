package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/carriers/registry"
	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/sqlite"
)

// fakeRenderer puts the password where a test can read it exactly.
type fakeRenderer struct{}

func (fakeRenderer) SMS(locale, name string, data any) (string, error) {
	d := data.(gateway.MessageData)
	return fmt.Sprintf("[%s/%s] PW=%s", locale, name, d.Password), nil
}

func (fakeRenderer) Email(locale, name string, data any) (string, string, string, error) {
	d := data.(gateway.MessageData)
	return "Subject " + name, fmt.Sprintf("[%s/%s] PW=%s", locale, name, d.Password), "<p>" + d.Password + "</p>", nil
}

// sender records messages and fails them as the test says. The channels
// themselves are tested against real SMTP and Twilio-shaped servers in
// their own packages and end to end in cmd/resetgw.
type sender struct {
	mu   sync.Mutex
	msgs []*gateway.Message
	fail error
}

func (s *sender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return "", s.fail
	}
	s.msgs = append(s.msgs, m)
	return fmt.Sprintf("%s-%d", m.Route, len(s.msgs)), nil
}

func (s *sender) set(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func (s *sender) all() []*gateway.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*gateway.Message(nil), s.msgs...)
}

// password reads the password out of the newest message.
func (s *sender) password(t *testing.T) string {
	t.Helper()
	msgs := s.all()
	if len(msgs) == 0 {
		t.Fatal("no message was sent")
	}
	_, pw, ok := strings.Cut(msgs[len(msgs)-1].Text, "PW=")
	if !ok || len(pw) != gateway.PasswordLength {
		t.Fatalf("no password in %q", msgs[len(msgs)-1].Text)
	}
	return pw
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

func newEnv(t *testing.T, twilio bool) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		twilio: &sender{}, carrier: &sender{}, email: &sender{}, logs: &bytes.Buffer{}}
	keys, err := gateway.NewKeys(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e.dbPath = filepath.Join(t.TempDir(), "gw.db")
	e.store, err = sqlite.Open(e.ctx, sqlite.Config{Path: e.dbPath, Sealer: keys})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	cs, err := registry.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if err := e.store.UpsertCarrier(e.ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	e.svc, err = gateway.New(gateway.Config{
		Store: e.store, Renderer: fakeRenderer{}, Keys: keys,
		Hasher: gateway.NewHasher(gateway.HasherConfig{Memory: 64, Time: 1}),
		Clock:  e.clock, Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Limits: gateway.DefaultLimits(), DefaultTwilio: twilio,
	})
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
