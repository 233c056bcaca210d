package smtptest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const msg = "From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n"

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// send talks to the server with go-smtp's client, as a sender would.
func send(s *Server, user, pass string, rcpt string) error {
	var (
		c   *smtp.Client
		err error
	)
	if s.ClientTLS() != nil {
		c, err = smtp.DialStartTLS(s.Addr(), s.ClientTLS())
	} else {
		c, err = smtp.Dial(s.Addr())
	}
	if err != nil {
		return err
	}
	defer c.Close()
	c.CommandTimeout = 5 * time.Second
	c.SubmissionTimeout = 5 * time.Second
	if user != "" {
		if err := c.Auth(sasl.NewPlainClient("", user, pass)); err != nil {
			return err
		}
	}
	if err := c.SendMail("a@example.com", []string{rcpt}, strings.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}

func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestServer(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		user, pass string
		prepare    func(s *Server)
		wantCode   int // 0: accepted
		wantTLS    bool
	}{
		{name: "plain", opts: Options{}},
		{name: "starttls", opts: Options{TLS: true}, wantTLS: true},
		{name: "auth", opts: Options{TLS: true, Username: "u", Password: "p"}, user: "u", pass: "p", wantTLS: true},
		{name: "auth over plain loopback", opts: Options{Username: "u", Password: "p"}, user: "u", pass: "p"},
		{name: "auth required", opts: Options{Username: "u", Password: "p"}, wantCode: 502},
		{name: "wrong password", opts: Options{Username: "u", Password: "p"}, user: "u", pass: "x", wantCode: 535},
		{
			name: "rejected rcpt", prepare: func(s *Server) {
				s.Reject("B@example.com", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no"})
			}, wantCode: 550,
		},
		{name: "down", prepare: func(s *Server) { s.SetDown(true) }, wantCode: 421},
		{
			name: "reset clears everything", prepare: func(s *Server) {
				s.SetDown(true)
				s.Reject("b@example.com", &smtp.SMTPError{Code: 550})
				s.Reset()
			},
		},
		{
			name: "reject then accept again", prepare: func(s *Server) {
				s.Reject("b@example.com", &smtp.SMTPError{Code: 550})
				s.Reject("b@example.com", nil)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t, tt.opts)
			if tt.prepare != nil {
				tt.prepare(s)
			}
			err := send(s, tt.user, tt.pass, "b@example.com")
			if got := smtpCode(err); got != tt.wantCode || (tt.wantCode == 0 && err != nil) {
				t.Fatalf("err = %v (code %d), want code %d", err, got, tt.wantCode)
			}
			if tt.wantCode != 0 {
				if n := len(s.Messages()); n != 0 {
					t.Fatalf("%d messages kept after a refusal", n)
				}
				return
			}
			msgs, err := s.Wait(ctxFor(t, 5*time.Second), 1)
			if err != nil {
				t.Fatal(err)
			}
			m := msgs[0]
			if m.From != "a@example.com" || len(m.To) != 1 || m.To[0] != "b@example.com" || m.Header.Get("Subject") != "hi" {
				t.Errorf("got %+v", m)
			}
			if m.TLS != tt.wantTLS || m.AuthUser != tt.user {
				t.Errorf("TLS %v auth %q, want %v %q", m.TLS, m.AuthUser, tt.wantTLS, tt.user)
			}
			if !strings.HasSuffix(string(m.Data), "hello\r\n") {
				t.Errorf("data %q", m.Data)
			}
		})
	}
}

func TestWaitBounded(t *testing.T) {
	s := Start(t, Options{})
	msgs, err := s.Wait(ctxFor(t, 50*time.Millisecond), 1)
	if !errors.Is(err, context.DeadlineExceeded) || len(msgs) != 0 {
		t.Fatalf("Wait = %v, %v", msgs, err)
	}

	// A waiter already blocked is woken by the arrival.
	got := make(chan error, 1)
	go func() {
		_, err := s.Wait(ctxFor(t, 5*time.Second), 2)
		got <- err
	}()
	for range 2 {
		if err := send(s, "", "", "b@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

func TestCopies(t *testing.T) {
	s := Start(t, Options{})
	if err := send(s, "", "", "b@example.com"); err != nil {
		t.Fatal(err)
	}
	m := s.Messages()[0]
	m.Data[0] = 'X'
	m.To[0] = "changed"
	m.Header.Set("Subject", "changed")
	again := s.Messages()[0]
	if again.Data[0] != 'F' || again.To[0] != "b@example.com" || again.Header.Get("Subject") != "hi" {
		t.Fatalf("Messages shares memory: %+v", again)
	}
}

func TestURL(t *testing.T) {
	tests := []struct {
		opts Options
		want string
	}{
		{Options{}, "smtp://127.0.0.1:"},
		{Options{Username: "u", Password: "p@ss"}, "smtp://u:p%40ss@127.0.0.1:"},
	}
	for _, tt := range tests {
		s := Start(t, tt.opts)
		if got := s.URL(); !strings.HasPrefix(got, tt.want) || !strings.HasSuffix(got, s.Addr()[strings.LastIndexByte(s.Addr(), ':')+1:]) {
			t.Errorf("URL = %q, want %s<port>", got, tt.want)
		}
		if (s.ClientTLS() != nil) != tt.opts.TLS {
			t.Errorf("ClientTLS presence wrong")
		}
	}
}
