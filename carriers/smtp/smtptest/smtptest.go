// Package smtptest runs a real SMTP server (go-smtp) on 127.0.0.1 for tests:
// it keeps what it receives, can require STARTTLS and AUTH, and can be told
// to refuse a recipient or to act as if it were down, so that senders are
// tested against the protocol rather than against a mock of it.
package smtptest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options shape the server. The zero value is a plain server without AUTH.
type Options struct {
	// TLS offers STARTTLS with a self-signed certificate made in memory;
	// ClientTLS returns a client configuration that trusts it.
	TLS bool
	// Username and Password, when Username is set, make AUTH PLAIN required
	// before MAIL. Insecure auth is allowed so plain loopback tests work.
	Username, Password string
	// Domain is the name in the greeting; "smtptest.local" when empty.
	Domain string
	// MaxMessageBytes bounds a message; 1 MiB when zero.
	MaxMessageBytes int64
}

// Message is one message the server accepted.
type Message struct {
	From     string   // envelope sender (MAIL FROM); "" for a bounce
	To       []string // envelope recipients (RCPT TO)
	Data     []byte   // the message as received, CRLF line ends
	Header   textproto.Header
	TLS      bool   // the session was encrypted
	AuthUser string // who authenticated, "" if nobody
}

func (m Message) clone() Message {
	m.To = append([]string(nil), m.To...)
	m.Data = bytes.Clone(m.Data)
	m.Header = m.Header.Copy()
	return m
}

// Server is a running test SMTP server. Its methods are safe for
// concurrent use.
type Server struct {
	opts      Options
	srv       *smtp.Server
	ln        *trackingListener
	clientTLS *tls.Config
	certPEM   []byte

	mu       sync.Mutex
	msgs     []Message
	rejects  map[string]*smtp.SMTPError
	down     bool
	changed  chan struct{} // closed and replaced whenever msgs grows
	logClose bool
	t        testing.TB
}

// Start runs a server on 127.0.0.1 with a free port; t.Cleanup stops it.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Domain == "" {
		opts.Domain = "smtptest.local"
	}
	if opts.MaxMessageBytes == 0 {
		opts.MaxMessageBytes = 1 << 20
	}
	s := &Server{
		opts:    opts,
		rejects: map[string]*smtp.SMTPError{},
		changed: make(chan struct{}),
		t:       t,
	}

	srv := smtp.NewServer(s)
	srv.Domain = opts.Domain
	srv.MaxMessageBytes = opts.MaxMessageBytes
	srv.MaxRecipients = 10
	// Timeouts bound a test that forgets a connection; they are far above
	// anything a passing test needs.
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = true
	srv.ErrorLog = testLogger{s}
	if opts.TLS {
		serverTLS, clientTLS, err := selfSigned()
		if err != nil {
			t.Fatalf("smtptest: certificate: %v", err)
		}
		srv.TLSConfig = serverTLS
		s.clientTLS = clientTLS
		s.certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: serverTLS.Certificates[0].Certificate[0]})
	}
	s.srv = srv

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s.ln = &trackingListener{Listener: ln, conns: map[net.Conn]struct{}{}}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(s.ln) // returns once the listener is closed
	}()

	t.Cleanup(func() {
		// go-smtp's Shutdown waits for clients to hang up and Close does not
		// wait at all, so: stop accepting, cut every connection ourselves,
		// then wait for the connection goroutines to end.
		s.ln.closeAll()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-served
		s.mu.Lock()
		s.logClose = true // nothing may log into a finished test
		s.mu.Unlock()
	})
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the smtp:// URL of the server, with the credentials when AUTH is
// required.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr()}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	return u.String()
}

// ClientTLS returns a TLS configuration trusting the server's certificate,
// nil when the server has no TLS. Each call returns a fresh copy.
func (s *Server) ClientTLS() *tls.Config {
	if s.clientTLS == nil {
		return nil
	}
	return s.clientTLS.Clone()
}

// CertPEM is the server's self-signed certificate in PEM, to write where a
// client reads its CA file; nil when the server has no TLS.
func (s *Server) CertPEM() []byte { return bytes.Clone(s.certPEM) }

// Connections is how many connections the server has accepted so far.
func (s *Server) Connections() int {
	s.ln.mu.Lock()
	defer s.ln.mu.Unlock()
	return s.ln.accepted
}

// OpenConnections is how many connections are open now, and MaxOpen the
// most that were open at once.
func (s *Server) OpenConnections() (now, max int) {
	s.ln.mu.Lock()
	defer s.ln.mu.Unlock()
	return len(s.ln.conns), s.ln.maxOpen
}

// DropConnections cuts every open connection without a word, as a server
// that restarts or times out idle clients does.
func (s *Server) DropConnections() {
	s.ln.mu.Lock()
	conns := s.ln.conns
	s.ln.conns = map[net.Conn]struct{}{}
	s.ln.mu.Unlock()
	for c := range conns {
		c.Close()
	}
}

// Messages returns copies of the messages received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.copyLocked()
}

func (s *Server) copyLocked() []Message {
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = m.clone()
	}
	return out
}

// Wait returns the messages once at least n have arrived, or ctx's error
// (with what did arrive) when ctx ends first.
func (s *Server) Wait(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := s.copyLocked()
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			s.mu.Lock()
			out := s.copyLocked()
			s.mu.Unlock()
			return out, fmt.Errorf("smtptest: %d of %d messages: %w", len(out), n, ctx.Err())
		}
	}
}

// Reject makes RCPT TO:<rcpt> (case-insensitive) answer e, e.g.
// 550 5.1.1 or 421 4.3.2. A nil e accepts the address again.
func (s *Server) Reject(rcpt string, e *smtp.SMTPError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(rcpt)
	if e == nil {
		delete(s.rejects, key)
		return
	}
	cp := *e
	s.rejects[key] = &cp
}

// SetDown makes every MAIL FROM answer 421 4.3.2 while down is true, as a
// server that is shedding load or going for maintenance does.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// Reset forgets the messages, rejections and the down state.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = nil
	s.rejects = map[string]*smtp.SMTPError{}
	s.down = false
}

// NewSession implements smtp.Backend. go-smtp calls it at EHLO.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{s: s, tls: isTLS}, nil
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

type session struct {
	s        *Server
	tls      bool
	authUser string
	from     string
	to       []string
}

var errDown = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service not available, closing transmission channel"}

func (se *session) AuthMechanisms() []string {
	if se.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	if se.s.opts.Username == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if identity != "" && identity != username {
			return smtp.ErrAuthFailed
		}
		if username != se.s.opts.Username || password != se.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		se.authUser = username
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.s.mu.Lock()
	down := se.s.down
	se.s.mu.Unlock()
	if down {
		return errDown
	}
	if se.s.opts.Username != "" && se.authUser == "" {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.s.mu.Lock()
	e := se.s.rejects[strings.ToLower(to)]
	se.s.mu.Unlock()
	if e != nil {
		return e
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err // too large: go-smtp answers 552
	}
	m := Message{From: se.from, To: append([]string(nil), se.to...), Data: data, TLS: se.tls, AuthUser: se.authUser}
	if h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(data))); err == nil {
		m.Header = h
	}
	se.s.add(m)
	return nil
}

func (se *session) Reset() {
	se.from = ""
	se.to = nil
}

func (se *session) Logout() error { return nil }

// testLogger sends go-smtp's internal errors to the test log, and nowhere
// once the test has finished (logging then would panic).
type testLogger struct{ s *Server }

func (l testLogger) Printf(format string, v ...any) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if !l.s.logClose {
		l.s.t.Logf("smtptest: "+format, v...)
	}
}

func (l testLogger) Println(v ...any) { l.Printf("%s", fmt.Sprintln(v...)) }
