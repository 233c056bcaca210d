package smtp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/carriers/smtp"
	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/gateway"
)

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentServer accepts connections and never says a word, as a firewall
// black hole or a wedged server does.
func silentServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

func TestSendFailures(t *testing.T) {
	type setup struct {
		srv     *smtptest.Server
		profile gateway.SMTPProfile
		cfg     smtp.Config
		m       *gateway.Message
	}
	tests := []struct {
		name      string
		opts      smtptest.Options
		prepare   func(t *testing.T, s *setup)
		temporary bool
		code      string
		class     gateway.FailureClass
	}{
		{
			name: "550 unknown mailbox",
			prepare: func(t *testing.T, s *setup) {
				s.srv.Reject(to, &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "No such user here"})
			},
			code: "550 5.1.1", class: gateway.FailRecipient,
		},
		{
			name: "421 at RCPT",
			prepare: func(t *testing.T, s *setup) {
				s.srv.Reject(to, &gosmtp.SMTPError{Code: 421, EnhancedCode: gosmtp.EnhancedCode{4, 3, 2}, Message: "Try again later"})
			},
			temporary: true, code: "421 4.3.2",
		},
		{
			name:      "server down",
			prepare:   func(t *testing.T, s *setup) { s.srv.SetDown(true) },
			temporary: true, code: "421 4.3.2",
		},
		{
			name: "nothing listening",
			prepare: func(t *testing.T, s *setup) {
				s.cfg.Default.URL = "smtp://" + closedAddr(t)
			},
			temporary: true, code: "connect",
		},
		{
			name: "wrong password",
			opts: smtptest.Options{TLS: true, Username: "relay", Password: "right" + password},
			prepare: func(t *testing.T, s *setup) {
				s.cfg.Default.URL = "smtp://relay:" + password + "@" + s.srv.Addr()
			},
			code: "535 5.7.8", class: gateway.FailConfig,
		},
		{
			name: "credentials but server has no AUTH",
			prepare: func(t *testing.T, s *setup) {
				s.cfg.Default.URL = "smtp://relay:" + password + "@" + s.srv.Addr() + "?tls=none"
			},
			code: "auth_unsupported", class: gateway.FailConfig,
		},
		{
			name: "untrusted certificate on STARTTLS under tls=verify",
			opts: smtptest.Options{TLS: true},
			prepare: func(t *testing.T, s *setup) {
				s.cfg.Default.URL += "?tls=verify"
				s.cfg.TLSConfig = &tls.Config{RootCAs: nil, ServerName: "127.0.0.1"}
			},
			code: "tls_certificate", class: gateway.FailConfig,
		},
		{
			name: "smtps to a plain server",
			prepare: func(t *testing.T, s *setup) {
				s.cfg.Default.URL = "smtps://" + s.srv.Addr()
			},
			temporary: true, code: "tls",
		},
		{
			name:    "no profile",
			prepare: func(t *testing.T, s *setup) { s.cfg.Default = gateway.SMTPProfile{} },
			code:    "smtp_not_configured", class: gateway.FailConfig,
		},
		{
			name:    "bad URL",
			prepare: func(t *testing.T, s *setup) { s.cfg.Default.URL = "smtp://relay:" + password + "@host:99999" },
			code:    "smtp_config", class: gateway.FailConfig,
		},
		{
			name:    "no From",
			prepare: func(t *testing.T, s *setup) { s.cfg.Default.From = "" },
			code:    "smtp_config", class: gateway.FailConfig,
		},
		{
			name:    "bad recipient",
			prepare: func(t *testing.T, s *setup) { s.m.To = "not an address" },
			code:    "invalid_address", class: gateway.FailRecipient,
		},
		{
			name:    "route twilio",
			prepare: func(t *testing.T, s *setup) { s.m.Route = gateway.RouteTwilio },
			code:    "unsupported_route",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &setup{srv: smtptest.Start(t, tt.opts), m: emailMsg()}
			st.cfg = smtp.Config{
				Default: gateway.SMTPProfile{URL: st.srv.URL(), From: fromAddr},
				Timeout: 5 * time.Second,
			}
			st.cfg.TLSConfig = st.srv.ClientTLS()
			tt.prepare(t, st)
			_, err := smtp.New(st.cfg).Send(testCtx(t), st.m)
			var se *gateway.SendError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want *gateway.SendError", err, err)
			}
			if se.Temporary() != tt.temporary || se.Code != tt.code {
				t.Errorf("got %+v, want temporary=%v code=%q", se, tt.temporary, tt.code)
			}
			if !tt.temporary && se.Class != tt.class {
				t.Errorf("class = %q, want %q", se.Class, tt.class)
			}
			if se.Class == gateway.FailConfig && se.Fix == "" {
				t.Errorf("configuration failure %+v has no Fix", se)
			}
			assertClean(t, err)
			if n := len(st.srv.Messages()); n != 0 {
				t.Errorf("server kept %d messages", n)
			}
		})
	}
}

// assertClean checks that an error says nothing secret.
func assertClean(t *testing.T, err error) {
	t.Helper()
	for _, secret := range []string{password, "Tq7hWz3kPa", body} {
		if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
			t.Errorf("error %q reveals %q", err, secret)
		}
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	addr := silentServer(t)
	tests := []struct {
		name   string
		cancel bool // cancel the context instead of relying on Timeout
		code   string
	}{
		{"command timeout", false, "timeout"},
		{"context canceled", true, "canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smtp.Config{Default: gateway.SMTPProfile{URL: "smtp://" + addr, From: fromAddr}, Timeout: 200 * time.Millisecond}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cfg.Timeout = time.Minute
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			start := time.Now()
			_, err := smtp.New(cfg).Send(ctx, emailMsg())
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Send took %v", took)
			}
			se := gateway.AsSendError(err)
			if err == nil || !se.Temporary() || se.Code != tt.code {
				t.Fatalf("err = %v, want temporary %s", err, tt.code)
			}
		})
	}
}

// starttlsThenSilent offers STARTTLS on the first connection and says
// nothing at all on the next ones: the second connection is opened by
// go-smtp's NewClientStartTLS, which runs before its timeouts can be set.
func starttlsThenSilent(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if i > 0 {
				continue // silent
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				tc := textproto.NewConn(c)
				tc.PrintfLine("220 probe ESMTP")
				for {
					line, err := tc.ReadLine()
					if err != nil {
						return
					}
					switch strings.Fields(strings.ToUpper(line + " x"))[0] {
					case "EHLO":
						tc.PrintfLine("250-probe")
						tc.PrintfLine("250 STARTTLS")
					case "QUIT":
						tc.PrintfLine("221 bye")
						c.Close()
						return
					default:
						tc.PrintfLine("502 no")
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestSilentAfterSTARTTLSOffer(t *testing.T) {
	addr := starttlsThenSilent(t)
	s := smtp.New(smtp.Config{Default: gateway.SMTPProfile{URL: "smtp://" + addr, From: fromAddr}, Timeout: 300 * time.Millisecond})
	start := time.Now()
	_, err := s.Send(context.Background(), emailMsg())
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Send took %v: the Timeout did not bound the STARTTLS connection", took)
	}
	if se := gateway.AsSendError(err); err == nil || !se.Temporary() || se.Code != "timeout" {
		t.Fatalf("err = %v, want temporary timeout", err)
	}
}
