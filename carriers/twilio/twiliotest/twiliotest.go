// Package twiliotest runs a local HTTP server on 127.0.0.1 that answers
// like Twilio's Messages API (POST /2010-04-01/Accounts/{Sid}/Messages.json):
// same authentication, same form fields, same JSON for the message and for
// errors. Tests drive the real twilio-go client against it.
package twiliotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
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
	Body                string
	StatusCallback      string
	DateCreated         time.Time
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

type rejection struct {
	code, status int
	message      string
}

// Server is a running fake of the Messages API. Its methods are safe for
// concurrent use.
type Server struct {
	accountSID, authToken string
	srv                   *httptest.Server

	mu      sync.Mutex
	msgs    []Message
	rejects map[string]rejection
	mode    Mode
	changed chan struct{} // closed and replaced whenever msgs grows
	clock   func() time.Time
}

var messagesPath = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)/Messages\.json$`)

// Start runs the server for one account; t.Cleanup stops it.
func Start(t testing.TB, accountSID, authToken string) *Server {
	t.Helper()
	s := &Server{
		accountSID: accountSID,
		authToken:  authToken,
		rejects:    map[string]rejection{},
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

// Messages returns the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait returns the messages once at least n have been accepted, or ctx's
// error (with what did arrive) when ctx ends first.
func (s *Server) Wait(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := append([]Message(nil), s.msgs...)
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
// A code of 0 accepts the number again.
func (s *Server) Reject(to string, code, status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		delete(s.rejects, to)
		return
	}
	s.rejects[to] = rejection{code: code, status: status, message: message}
}

// SetDown sets how the server answers every request.
func (s *Server) SetDown(mode Mode) {
	s.mu.Lock()
	s.mode = mode
	s.mu.Unlock()
}

// Reset forgets messages and rejections and brings the server up.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = nil
	s.rejects = map[string]rejection{}
	s.mode = Up
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

	m := messagesPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != s.accountSID || pass != s.authToken {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if m[1] != s.accountSID {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Could not parse the request body")
		return
	}
	msg := Message{
		AccountSID:          s.accountSID,
		To:                  r.PostForm.Get("To"),
		From:                r.PostForm.Get("From"),
		MessagingServiceSID: r.PostForm.Get("MessagingServiceSid"),
		Body:                r.PostForm.Get("Body"),
		StatusCallback:      r.PostForm.Get("StatusCallback"),
	}
	switch {
	case msg.To == "":
		writeError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case msg.From == "" && msg.MessagingServiceSID == "":
		writeError(w, http.StatusBadRequest, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.")
		return
	case msg.Body == "":
		writeError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	}
	s.mu.Lock()
	rej, rejected := s.rejects[msg.To]
	s.mu.Unlock()
	if rejected {
		writeError(w, rej.status, rej.code, rej.message)
		return
	}

	msg.SID = newSID()
	msg.DateCreated = s.clock().UTC().Truncate(time.Second)
	s.mu.Lock()
	s.msgs = append(s.msgs, msg)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(resource(msg))
}

// resource is the JSON Twilio answers a created message with.
func resource(m Message) map[string]any {
	date := m.DateCreated.Format(time.RFC1123Z)
	uri := "/2010-04-01/Accounts/" + m.AccountSID + "/Messages/" + m.SID
	status := "queued"
	var from any = m.From
	var mss any = nil
	if m.MessagingServiceSID != "" {
		mss = m.MessagingServiceSID
		if m.From == "" {
			// Twilio picks the sender later from the service's pool.
			status, from = "accepted", nil
		}
	}
	return map[string]any{
		"account_sid":           m.AccountSID,
		"api_version":           "2010-04-01",
		"body":                  m.Body,
		"date_created":          date,
		"date_sent":             nil,
		"date_updated":          date,
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  from,
		"messaging_service_sid": mss,
		"num_media":             "0",
		"num_segments":          fmt.Sprint(Segments(m.Body)),
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   m.SID,
		"status":                status,
		"subresource_uris":      map[string]string{"media": uri + "/Media.json"},
		"to":                    m.To,
		"uri":                   uri + ".json",
	}
}

func writeError(w http.ResponseWriter, status, code int, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code":      code,
		"message":   message,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		"status":    status,
	})
}

func newSID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "SM" + hex.EncodeToString(b)
}

// gsm7 is the GSM 03.38 basic character set; gsm7Ext the extension table,
// whose characters take two septets.
const (
	gsm7    = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext = "^{}\\[~]|€\f"
)

// Segments counts the SMS segments Twilio would bill for body: 160 GSM-7
// septets (153 each when split), or 70 UCS-2 characters (67 when split).
func Segments(body string) int {
	septets, gsm := 0, true
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsm7, r):
			septets++
		case strings.ContainsRune(gsm7Ext, r):
			septets += 2
		default:
			gsm = false
		}
	}
	if gsm {
		return split(septets, 160, 153)
	}
	// UCS-2 counts UTF-16 code units: a character outside the BMP takes two.
	units := 0
	for _, r := range body {
		units++
		if r > 0xFFFF {
			units++
		}
	}
	return split(units, 70, 67)
}

func split(n, single, multi int) int {
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}
