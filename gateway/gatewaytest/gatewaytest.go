// Package gatewaytest builds a real gateway.Service for tests of the
// adapters: a SQLite file in a temp dir, cheap argon2id parameters, and a
// renderer that writes the password where a test can read it exactly.
package gatewaytest

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/resetgw/resetgw/carriers/registry"
	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/secret"
	"github.com/resetgw/resetgw/gateway/sqlite"
)

// Renderer renders "[locale/name] PW=<password>" so tests can read it.
type Renderer struct{}

// SMS implements gateway.Renderer.
func (Renderer) SMS(locale, name string, data any) (string, error) {
	d, _ := data.(gateway.MessageData)
	return fmt.Sprintf("[%s/%s] %sPW=%s", locale, name, link(d), d.Password), nil
}

// Email implements gateway.Renderer.
func (Renderer) Email(locale, name string, data any) (string, string, string, error) {
	d, _ := data.(gateway.MessageData)
	return "Subject " + name, fmt.Sprintf("[%s/%s] %sPW=%s", locale, name, link(d), d.Password), "<p>" + d.Password + "</p>", nil
}

func link(d gateway.MessageData) string {
	if d.Link == "" {
		return ""
	}
	return "LINK=" + d.Link + " "
}

// Link reads the reset link a Renderer put in a text.
func Link(text string) (string, bool) {
	_, rest, ok := strings.Cut(text, "LINK=")
	if !ok {
		return "", false
	}
	l, _, _ := strings.Cut(rest, " ")
	return l, true
}

// Password reads the password a Renderer put in a text.
func Password(text string) (string, bool) {
	_, pw, ok := strings.Cut(text, "PW=")
	return pw, ok && len(pw) == secret.PasswordLength
}

// Sender records messages, or fails them with Fail.
type Sender struct {
	mu   sync.Mutex
	msgs []*gateway.Message
	fail error
}

// Send implements gateway.Sender.
func (s *Sender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return "", s.fail
	}
	s.msgs = append(s.msgs, m)
	return fmt.Sprintf("%s-%d", m.Route, len(s.msgs)), nil
}

// Fail makes every later Send return err (nil heals it).
func (s *Sender) Fail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

// Messages returns what was sent so far.
func (s *Sender) Messages() []*gateway.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*gateway.Message(nil), s.msgs...)
}

// Keys are fixed test keys.
func Keys(t testing.TB) *secret.Keys {
	k, err := secret.NewKeys(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Store opens a fresh SQLite file with the carriers seeded.
func Store(t testing.TB, keys *secret.Keys) (*sqlite.Store, string) {
	t.Helper()
	return CountedStore(t, keys, nil)
}

// CountedStore is Store counting its statements and commits into c (nil:
// not counted).
func CountedStore(t testing.TB, keys *secret.Keys, c *sqlite.Counts) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gw.db")
	cfg := sqlite.Config{Path: path, Sealer: keys}
	if c != nil {
		cfg.Driver = sqlite.CountingDriver(c)
	}
	st, err := sqlite.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cs, err := registry.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if err := st.UpsertCarrier(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	return st, path
}

// Hasher is argon2id with parameters cheap enough for tests.
func Hasher() *secret.Hasher {
	return secret.NewHasher(secret.HasherConfig{Memory: 64, Time: 1})
}
