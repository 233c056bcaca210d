// Package twiliotest runs a local HTTP server on 127.0.0.1 that answers
// like Twilio's Messages API: create (POST .../Messages.json), list (GET
// .../Messages.json with To, From, DateSent> and DateSent< filters), fetch
// (GET .../Messages/{Sid}.json) and update (POST .../Messages/{Sid}.json,
// an empty Body redacts). Same authentication, same form fields, same JSON
// for messages and for errors. Tests drive the real twilio-go client
// against it, make it fail with any Twilio code on demand (per To number
// or from a scripted queue), and read what it holds.
package twiliotest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Message is one message the server accepted.
type Message struct {
	SID                 string
	AccountSID          string
	To                  string
	From                string
	MessagingServiceSID string
	// Body is "" once the message was redacted.
	Body           string
	StatusCallback string
	// ValidityPeriod is the seconds asked for, 0 when none.
	ValidityPeriod int
	// Status is Twilio's: queued (accepted with a Messaging Service and no
	// From) until SetStatus moves it.
	Status    string
	ErrorCode int
	// DateSent is zero until the status reaches sent, as at Twilio: a
	// queued message has no date_sent.
	DateCreated time.Time
	DateSent    time.Time
	Redacted    bool
}

// Mode is how the server behaves as a whole.
type Mode int

const (
	// Up answers normally.
	Up Mode = iota
	// Unavailable answers 503 with an HTML page, as a load balancer in
	// front of the API does: no Twilio JSON to decode.
	Unavailable
	// RateLimited answers 429 with Twilio's JSON error 20429.
	RateLimited
)

// Answer is how the server answers one create call of a Script.
type Answer struct {
	// Code, when set, fails the call with this Twilio error code; Status
	// and Message default to Twilio's (see Canned).
	Code    int
	Status  int
	Message string
	// StoreThenFail, when set (e.g. 500), stores the message as accepted
	// and then answers this HTTP status with Twilio's error 20500, as when
	// the answer to a successful create is lost on the way back.
	StoreThenFail int
}

// Server is a running fake of the Messages API. Its methods are safe for
// concurrent use.
type Server struct {
	accountSID, authToken string
	srv                   *httptest.Server

	mu         sync.Mutex
	msgs       []*Message
	rejects    map[string]Answer
	script     []Answer
	mode       Mode
	redactions []string
	lists      int
	changed    chan struct{} // closed and replaced whenever msgs grows
	clock      func() time.Time
}

// Start runs the server for one account; t.Cleanup stops it.
func Start(t testing.TB, accountSID, authToken string) *Server {
	t.Helper()
	s := &Server{
		accountSID: accountSID,
		authToken:  authToken,
		rejects:    map[string]Answer{},
		changed:    make(chan struct{}),
		clock:      time.Now,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL replacing https://api.twilio.com, e.g.
// http://127.0.0.1:41234.
func (s *Server) URL() string { return s.srv.URL }

// SetClock sets the server's clock (time.Now by default), which stamps
// date_created and date_sent.
func (s *Server) SetClock(clock func() time.Time) {
	s.mu.Lock()
	s.clock = clock
	s.mu.Unlock()
}

// Messages returns copies of the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.copies()
}

func (s *Server) copies() []Message {
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = *m
	}
	return out
}

// Wait returns the messages once at least n have been accepted, or ctx's
// error (with what did arrive) when ctx ends first.
func (s *Server) Wait(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := s.copies()
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			out := s.Messages()
			return out, fmt.Errorf("twiliotest: %d of %d messages: %w", len(out), n, ctx.Err())
		}
	}
}

// Reject makes a message to `to` fail with Twilio error code and HTTP
// status, e.g. 21211, 400, "The 'To' number is not a valid phone number.".
// A zero status and an empty message take Twilio's (see Canned). A code
// of 0 accepts the number again.
func (s *Server) Reject(to string, code, status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		delete(s.rejects, to)
		return
	}
	s.rejects[to] = Answer{Code: code, Status: status, Message: message}
}

// Script queues answers for the next create calls, one each, before any
// per-number rejection applies; an empty Answer accepts.
func (s *Server) Script(answers ...Answer) {
	s.mu.Lock()
	s.script = append(s.script, answers...)
	s.mu.Unlock()
}

// SetDown sets how the server answers every request.
func (s *Server) SetDown(mode Mode) {
	s.mu.Lock()
	s.mode = mode
	s.mu.Unlock()
}

// SetStatus moves a message to a Twilio status ("sent", "delivered",
// "undelivered", "failed"...) with an error code (0 for none), as the
// carrier's reports would; a fetch or list then shows it. It reports
// whether the message exists.
func (s *Server) SetStatus(sid, status string, errorCode int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.find(sid)
	if m == nil {
		return false
	}
	m.Status, m.ErrorCode = status, errorCode
	if m.DateSent.IsZero() && status != "queued" && status != "accepted" && status != "sending" && status != "canceled" {
		m.DateSent = s.clock().UTC().Truncate(time.Second)
	}
	return true
}

// Redactions lists the SIDs of messages redacted (updated with an empty
// Body), in order; a message redacted twice shows twice.
func (s *Server) Redactions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.redactions...)
}

// ListCalls counts the list calls answered.
func (s *Server) ListCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists
}

// Reset forgets messages, rejections, the script and redactions, and
// brings the server up.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs, s.script, s.redactions, s.lists = nil, nil, nil, 0
	s.rejects = map[string]Answer{}
	s.mode = Up
}

func (s *Server) find(sid string) *Message {
	for _, m := range s.msgs {
		if m.SID == sid {
			return m
		}
	}
	return nil
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	mode := s.mode
	s.mu.Unlock()
	switch mode {
	case Unavailable:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "<html><head><title>503 Service Temporarily Unavailable</title></head><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n")
		return
	case RateLimited:
		writeError(w, http.StatusTooManyRequests, 20429, "Too Many Requests")
		return
	}

	account, sid, ok := parsePath(r.URL.Path)
	if !ok {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != s.accountSID || pass != s.authToken {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if account != s.accountSID {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	switch {
	case sid == "" && r.Method == http.MethodPost:
		s.create(w, r)
	case sid == "" && r.Method == http.MethodGet:
		s.list(w, r)
	case sid != "" && r.Method == http.MethodGet:
		s.fetch(w, sid)
	case sid != "" && r.Method == http.MethodPost:
		s.update(w, r, sid)
	default:
		writeError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
	}
}
