package httpapi_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/httpapi"
	"github.com/resetgw/resetgw/gateway/secret"
)

// slowPHC is a stored hash whose check takes a couple of seconds (64
// passes over 16 MiB, within the bounds a stored hash may ask for): the
// slot it holds stays taken while queued logins run out their 100 ms
// bound, even on a loaded machine.
func slowPHC() string { return phc(16384, 64) }

func phc(m, t int) string {
	enc := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=1$%s$%s", m, t, enc([]byte("0123456789abcdef")), enc(make([]byte, 32)))
}

// TestHardening12_LoginQueuedBehindFullHasherEndsAtDeadline: with every
// hashing slot taken, a login waits for one only as long as its
// request's bound, then answers 503 request_timeout, while the hash that
// holds the slot is still running.
func TestHardening12_LoginQueuedBehindFullHasherEndsAtDeadline(t *testing.T) {
	hasher := secret.NewHasher(secret.HasherConfig{Memory: 64, Time: 1, MaxConcurrent: 1})
	h := newHarnessHasher(t, token, hasher, func(c *httpapi.Config) { c.RequestTimeout = 100 * time.Millisecond })
	h.personID(`{"name":"Ana Ruiz","email":"ana@acme.example","status":"active","mobile_access":true,
		"password":"original-crew-password-7"}`)

	holderDone := make(chan struct{})
	go func() {
		defer close(holderDone)
		hasher.Verify(context.Background(), "anything", slowPHC())
	}()
	// Wait until the slot is taken: a check that cannot get a slot
	// within a short wait says so.
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, err := hasher.Verify(ctx, "probe", phc(64, 1))
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if i == 200 {
			t.Fatal("the slot never looked taken")
		}
	}
	// An unknown account first, while the hasher has not yet made the
	// fixed hash it checks unknown accounts against: that wait too ends at
	// the deadline, with the same answer as a known account's (no oracle).
	code, m, _ := h.do("POST", "/v1/login", `{"email":"nobody@acme.example","password":"original-crew-password-7"}`, false)
	select {
	case <-holderDone:
		t.Fatal("the unknown account's login answered only after the slot was free again")
	default:
	}
	if code != 503 || errCode(m) != "request_timeout" {
		t.Fatalf("queued login, unknown account: %d %v", code, m)
	}
	code, m, _ = h.do("POST", "/v1/login", `{"email":"ana@acme.example","password":"original-crew-password-7"}`, false)
	select {
	case <-holderDone:
		t.Fatal("the login answered only after the slot was free again")
	default:
	}
	if code != 503 || errCode(m) != "request_timeout" {
		t.Fatalf("queued login: %d %v", code, m)
	}
	<-holderDone
	// With the slot free, the same login goes through.
	if code, m, _ := h.do("POST", "/v1/login", `{"email":"ana@acme.example","password":"original-crew-password-7"}`, false); code != 200 {
		t.Fatalf("login after: %d %v", code, m)
	}
}

// TestHardening12_BoundDefaultsAndApplies: the context a handler gets
// has a deadline, by default no later than 10 s on.
func TestHardening12_BoundDefaultsAndApplies(t *testing.T) {
	var deadline time.Time
	var ok bool
	h := newHarnessWith(t, token, func(c *httpapi.Config) {
		c.Ready = func(ctx context.Context) error { deadline, ok = ctx.Deadline(); return ctx.Err() }
	})
	before := time.Now()
	if code, _, _ := h.do("GET", "/healthz", "", false); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
	if !ok || deadline.Before(before) || deadline.After(before.Add(11*time.Second)) {
		t.Fatalf("handler context deadline %v (set %v)", deadline, ok)
	}
}

// TestHardening12_AdminCallsGetTheLongerBound: once the admin token is
// checked, a test of a slow relay keeps its own 30 s rather than being
// cut at the public bound.
func TestHardening12_AdminCallsGetTheLongerBound(t *testing.T) {
	var deadlines []time.Time
	h := newHarnessWith(t, token, func(c *httpapi.Config) {
		c.RequestTimeout, c.AdminRequestTimeout = time.Second, time.Hour
	})
	h.svc.SetTester(testerFunc(func(ctx context.Context) {
		d, _ := ctx.Deadline()
		deadlines = append(deadlines, d)
	}))
	before := time.Now()
	code, m, _ := h.do("POST", "/admin/api/settings/test-email", `{"to":"office@acme.example"}`, true)
	if code != 200 || len(deadlines) != 1 || deadlines[0].Before(before.Add(20*time.Second)) {
		t.Fatalf("admin call: %d %v, deadline %v", code, m, deadlines)
	}
}

// testerFunc is a ProviderTester that reports the context it was given.
type testerFunc func(ctx context.Context)

func (f testerFunc) TestSMTP(ctx context.Context, p *gateway.SMTPProfile, to, subject, text string) (string, error) {
	f(ctx)
	return "250 ok", nil
}

func (f testerFunc) TestTwilio(ctx context.Context, s *gateway.TwilioSettings, to, body string) (string, error) {
	f(ctx)
	return "SM0123456789abcdef0123456789abcdef", nil
}
