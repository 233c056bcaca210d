// Package webhooktest is a loopback SMS webhook receiver for tests: it
// checks each POST's Standard Webhooks signature and records the texts,
// once per webhook-id, as a well-behaved receiver does.
package webhooktest

import (
	"crypto/hmac"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/resetgw/resetgw/carriers/webhook"
)

// Text is one text the receiver took.
type Text struct {
	ID, To, Body string
}

// Server is the receiver. Status, when set, answers every POST with it
// (after checking the signature); DropAnswer takes the text and then
// breaks the connection, so the sender never learns it was taken.
type Server struct {
	*httptest.Server
	Secret string

	mu         sync.Mutex
	texts      []Text
	seen       map[string]bool
	posts      int
	badSig     int
	status     int
	dropAnswer int
}

// New starts a receiver on 127.0.0.1 with TLS.
func New(t testing.TB, secret string) *Server {
	s := &Server{Secret: secret, seen: map[string]bool{}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

// TLS trusts the receiver's certificate.
func (s *Server) TLS() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return &tls.Config{RootCAs: pool}
}

// SetStatus makes every POST answer status (0: accept).
func (s *Server) SetStatus(status int) { s.mu.Lock(); s.status = status; s.mu.Unlock() }

// DropAnswers takes the next n texts and breaks the connection instead of
// answering.
func (s *Server) DropAnswers(n int) { s.mu.Lock(); s.dropAnswer = n; s.mu.Unlock() }

// Texts are the texts taken, one per webhook-id.
func (s *Server) Texts() []Text {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Text(nil), s.texts...)
}

// Posts counts the POSTs that arrived; BadSignatures those refused.
func (s *Server) Posts() (posts, badSignatures int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts, s.badSig
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	id, tsText := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	ts, err := strconv.ParseInt(tsText, 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts++
	want := webhook.Sign(s.Secret, id, ts, body)
	if err != nil || r.Method != http.MethodPost || id == "" ||
		!hmac.Equal([]byte(strings.TrimSpace(r.Header.Get("webhook-signature"))), []byte(want)) {
		s.badSig++
		http.Error(w, `{"error":"bad signature"}`, http.StatusUnauthorized)
		return
	}
	if s.status != 0 {
		w.WriteHeader(s.status)
		return
	}
	var p struct{ To, Body, ID string }
	if json.Unmarshal(body, &p) != nil || p.ID != id {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if !s.seen[id] {
		s.seen[id] = true
		s.texts = append(s.texts, Text{ID: id, To: p.To, Body: p.Body})
	}
	if s.dropAnswer > 0 {
		s.dropAnswer--
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"id":"prov-` + id + `"}`))
}
