package smtp_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/carriers/smtp"
	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/gateway"
)

const (
	fromAddr = "Reset Desk <reset@movers.example>"
	to       = "crew@movers.example"
	// body carries what a real message carries: a password.
	body     = "Your new password: Tq7hWz3kPa. It works once you log in."
	password = "s3cretSMTPpass"
)

var fixedNow = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newSender(t testing.TB, srv *smtptest.Server, opts ...func(*smtp.Config)) *smtp.Sender {
	cfg := smtp.Config{
		Default:  gateway.SMTPProfile{URL: srv.URL(), From: fromAddr},
		Hostname: "gw.movers.example",
		Timeout:  5 * time.Second,
		Clock:    func() time.Time { return fixedNow },
	}
	cfg.TLSConfig = srv.ClientTLS()
	for _, o := range opts {
		o(&cfg)
	}
	s := smtp.New(cfg)
	t.Cleanup(func() { s.Close() })
	return s
}

// withURL sets the default profile's URL.
func withURL(u string) func(*smtp.Config) {
	return func(c *smtp.Config) { c.Default.URL = u }
}

// allowLoopback lets tenant profiles use relays on this machine, as an
// operator's RESETGW_SMTP_ALLOW_HOSTS would.
func allowLoopback(c *smtp.Config) { c.AllowHosts = []string{"127.0.0.1", "localhost"} }

func emailMsg() *gateway.Message {
	return &gateway.Message{
		DeliveryID: 42,
		RequestID:  "req-1",
		Channel:    gateway.ChannelEmail,
		Route:      gateway.RouteEmail,
		To:         to,
		Subject:    "Tu contraseña nueva – Ñandú Mudanzas",
		Text:       body + "\nSaludos\n",
		HTML:       "<p>" + body + "</p><p>Saludos — ñ</p>",
	}
}

type part struct {
	typ, charset, body string
}

// readMail parses a received message back with go-message.
func readMail(t *testing.T, data []byte) (mail.Header, []part) {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse mail: %v\n%s", err, data)
	}
	var parts []part
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		h, ok := p.Header.(*mail.InlineHeader)
		if !ok {
			t.Fatalf("part header %T, want inline", p.Header)
		}
		typ, params, _ := h.ContentType()
		b, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, part{typ, params["charset"], normalize(string(b))})
	}
	return r.Header, parts
}

// normalize undoes what the trip through SMTP does to a text: CRLF line
// ends, and a final line end when the text had none.
func normalize(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

func TestSendEmail(t *testing.T) {
	tests := []struct {
		name  string
		opts  smtptest.Options
		query string
		tls   bool
	}{
		{"plain", smtptest.Options{}, "", false},
		{"plain with auth on loopback, tls=none", smtptest.Options{Username: "relay", Password: password}, "?tls=none", false},
		{"starttls and auth", smtptest.Options{TLS: true, Username: "relay", Password: password}, "", true},
		{"starttls without auth", smtptest.Options{TLS: true}, "", true},
		{"starttls verified", smtptest.Options{TLS: true}, "?tls=verify", true},
		{"starttls and auth verified", smtptest.Options{TLS: true, Username: "relay", Password: password}, "?tls=verify", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, tt.opts)
			s := newSender(t, srv, withURL(srv.URL()+tt.query))
			m := emailMsg()
			id, err := s.Send(testCtx(t), m)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs, err := srv.Wait(testCtx(t), 1)
			if err != nil {
				t.Fatal(err)
			}
			got := msgs[0]
			if got.From != "reset@movers.example" || len(got.To) != 1 || got.To[0] != to {
				t.Errorf("envelope = %q -> %q", got.From, got.To)
			}
			if got.TLS != tt.tls {
				t.Errorf("TLS = %v, want %v", got.TLS, tt.tls)
			}
			if got.AuthUser != tt.opts.Username {
				t.Errorf("AuthUser = %q, want %q", got.AuthUser, tt.opts.Username)
			}

			h, parts := readMail(t, got.Data)
			if mid, _ := h.MessageID(); mid != id || id == "" {
				t.Errorf("Message-ID = %q, Send returned %q", mid, id)
			}
			if !strings.HasSuffix(id, "@movers.example") {
				t.Errorf("Message-ID %q is not under the sender's domain", id)
			}
			if subj, err := h.Subject(); err != nil || subj != m.Subject {
				t.Errorf("Subject = %q, %v; want %q", subj, err, m.Subject)
			}
			if raw := h.Get("Subject"); !strings.HasPrefix(raw, "=?") {
				t.Errorf("raw Subject %q is not encoded", raw)
			}
			if d, err := h.Date(); err != nil || !d.Equal(fixedNow) {
				t.Errorf("Date = %v, %v", d, err)
			}
			if v := h.Get("X-Resetgw-Delivery"); v != "42" {
				t.Errorf("X-Resetgw-Delivery = %q", v)
			}
			if from, _ := h.AddressList("From"); len(from) != 1 || from[0].Address != "reset@movers.example" || from[0].Name != "Reset Desk" {
				t.Errorf("From = %v", from)
			}
			if rcpt, _ := h.AddressList("To"); len(rcpt) != 1 || rcpt[0].Address != to {
				t.Errorf("To = %v", rcpt)
			}
			if typ, _, _ := h.ContentType(); typ != "multipart/alternative" {
				t.Errorf("Content-Type = %q", typ)
			}
			want := []part{{"text/plain", "utf-8", normalize(m.Text)}, {"text/html", "utf-8", normalize(m.HTML)}}
			if len(parts) != len(want) {
				t.Fatalf("parts = %+v", parts)
			}
			for i := range want {
				if parts[i] != want[i] {
					t.Errorf("part %d = %+v, want %+v", i, parts[i], want[i])
				}
			}
		})
	}
}

func TestSendEmailWithoutHTML(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	m := emailMsg()
	m.HTML = ""
	if _, err := newSender(t, srv).Send(testCtx(t), m); err != nil {
		t.Fatal(err)
	}
	msgs, _ := srv.Wait(testCtx(t), 1)
	h, parts := readMail(t, msgs[0].Data)
	if typ, _, _ := h.ContentType(); typ != "text/plain" || len(parts) != 1 || parts[0].body != normalize(m.Text) {
		t.Fatalf("type %q parts %+v", typ, parts)
	}
}

func TestSendCarrierRoute(t *testing.T) {
	tests := []struct {
		name, text, subject, cte string
	}{
		{"ascii", "Acme: your new password is Tq7hWz3kPa", "", "7bit"},
		{"spanish", "Acme: tu contraseña nueva es Tq7hWz3kPa", "", "8bit"},
		{"with subject", "Acme: your new password is Tq7hWz3kPa", "Reset", "7bit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Options{})
			m := &gateway.Message{
				DeliveryID: 7, Channel: gateway.ChannelSMS, Route: gateway.RouteCarrier,
				To: "2015550123@vtext.com", Subject: tt.subject, Text: tt.text,
				HTML: "<p>must not be sent</p>",
			}
			id, err := newSender(t, srv).Send(testCtx(t), m)
			if err != nil {
				t.Fatal(err)
			}
			msgs, _ := srv.Wait(testCtx(t), 1)
			got := msgs[0]
			if got.To[0] != "2015550123@vtext.com" {
				t.Errorf("rcpt = %v", got.To)
			}
			h, parts := readMail(t, got.Data)
			typ, params, _ := h.ContentType()
			if typ != "text/plain" || params["charset"] != "utf-8" {
				t.Errorf("Content-Type = %q %v", typ, params)
			}
			if cte := h.Get("Content-Transfer-Encoding"); cte != tt.cte {
				t.Errorf("Content-Transfer-Encoding = %q, want %q", cte, tt.cte)
			}
			if len(parts) != 1 || parts[0].body != tt.text {
				t.Errorf("parts = %+v", parts)
			}
			if bytes.Contains(got.Data, []byte("must not be sent")) {
				t.Error("HTML went to a carrier gateway")
			}
			if subj, _ := h.Subject(); subj != tt.subject || (tt.subject == "" && h.Has("Subject")) {
				t.Errorf("Subject = %q (present %v), want %q", subj, h.Has("Subject"), tt.subject)
			}
			if mid, _ := h.MessageID(); mid != id {
				t.Errorf("Message-ID = %q, want %q", mid, id)
			}
		})
	}
}

func TestProfileChoice(t *testing.T) {
	def := smtptest.Start(t, smtptest.Options{})
	own := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, def, allowLoopback)
	tests := []struct {
		name   string
		tenant *gateway.Tenant
		want   *smtptest.Server
		from   string
	}{
		{"no tenant", nil, def, "reset@movers.example"},
		{"tenant without profile", &gateway.Tenant{Slug: "a"}, def, "reset@movers.example"},
		{"tenant with empty URL", &gateway.Tenant{Slug: "b", SMTP: &gateway.SMTPProfile{From: "x@y.example"}}, def, "reset@movers.example"},
		{"tenant profile", &gateway.Tenant{Slug: "c", SMTP: &gateway.SMTPProfile{URL: own.URL(), From: "hvac@own.example"}}, own, "hvac@own.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def.Reset()
			own.Reset()
			m := emailMsg()
			m.Tenant = tt.tenant
			if _, err := s.Send(testCtx(t), m); err != nil {
				t.Fatal(err)
			}
			msgs, _ := tt.want.Wait(testCtx(t), 1)
			if msgs[0].From != tt.from {
				t.Errorf("envelope from = %q, want %q", msgs[0].From, tt.from)
			}
			if n := len(def.Messages()) + len(own.Messages()); n != 1 {
				t.Errorf("%d messages in all, want 1", n)
			}
		})
	}
}

func TestEnvelopeFrom(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := smtp.New(smtp.Config{
		Default: gateway.SMTPProfile{URL: srv.URL(), From: fromAddr},
		EnvelopeFrom: func(m *gateway.Message) string {
			return fmt.Sprintf("bounce+%d@movers.example", m.DeliveryID)
		},
	})
	if _, err := s.Send(testCtx(t), emailMsg()); err != nil {
		t.Fatal(err)
	}
	msgs, _ := srv.Wait(testCtx(t), 1)
	if msgs[0].From != "bounce+42@movers.example" {
		t.Fatalf("envelope from = %q", msgs[0].From)
	}
	h, _ := readMail(t, msgs[0].Data)
	if from, _ := h.AddressList("From"); from[0].Address != "reset@movers.example" {
		t.Fatalf("header From = %v", from)
	}
}

func TestTestProvider(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: true, Username: "relay", Password: password})
	s := smtp.New(smtp.Config{TLSConfig: srv.ClientTLS(), AllowHosts: []string{"127.0.0.1"}})
	defer s.Close()
	profile := &gateway.SMTPProfile{URL: srv.URL(), From: fromAddr}

	reply, err := s.Test(testCtx(t), profile, "2015550123@vtext.com", "", "resetgw test message")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(reply, "250 ") || !strings.Contains(reply, "queued") {
		t.Errorf("reply = %q, want the server's 250 answer", reply)
	}
	msgs, _ := srv.Wait(testCtx(t), 1)
	h, parts := readMail(t, msgs[0].Data)
	if typ, _, _ := h.ContentType(); typ != "text/plain" || parts[0].body != "resetgw test message" {
		t.Errorf("type %q parts %+v", typ, parts)
	}

	srv.Reject("gone@movers.example", &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "User unknown"})
	_, err = s.Test(testCtx(t), profile, "gone@movers.example", "Test", "hello")
	se := gateway.AsSendError(err)
	// A tenant's profile: the refusal is classified, the server's words
	// are not shown.
	if err == nil || se.Class != gateway.FailRecipient || se.Code != "550 5.1.1" || se.Detail != "the server rejected the recipient" {
		t.Errorf("err = %#v", se)
	}

	// nil profile means the default one, which is empty here.
	if _, err := s.Test(testCtx(t), nil, to, "", "x"); gateway.AsSendError(err).Code != "smtp_not_configured" {
		t.Errorf("nil profile: err = %v", err)
	}
}

func TestConcurrentSends(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: true})
	s := newSender(t, srv)
	const n = 8
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := emailMsg()
			m.DeliveryID = int64(i + 1)
			id, err := s.Send(testCtx(t), m)
			if err != nil {
				t.Error(err)
			}
			ids <- id
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("Message-ID %q used twice", id)
		}
		seen[id] = true
	}
	if _, err := srv.Wait(testCtx(t), n); err != nil {
		t.Fatal(err)
	}
}
