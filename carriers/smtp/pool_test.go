package smtp_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/carriers/smtp"
	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/gateway"
)

func sendN(t *testing.T, s *smtp.Sender, n int) {
	t.Helper()
	for i := range n {
		m := emailMsg()
		m.DeliveryID = int64(i + 1)
		if _, err := s.Send(testCtx(t), m); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
}

// waitOpen waits (boundedly) until the server has n connections open.
func waitOpen(t *testing.T, srv *smtptest.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		open, _ := srv.OpenConnections()
		if open == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open, want %d", open, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConnectionReuse(t *testing.T) {
	tests := []struct {
		name    string
		opts    smtptest.Options
		perConn int
		n       int
		want    int // connections the server saw
	}{
		{"plain: one connection for a burst", smtptest.Options{}, 0, 20, 1},
		{"STARTTLS: the first asks, the second carries all", smtptest.Options{TLS: true}, 0, 20, 2},
		{"STARTTLS and AUTH: TLS required, one connection", smtptest.Options{TLS: true, Username: "relay", Password: password}, 0, 20, 1},
		{"a fresh connection every 3 messages", smtptest.Options{}, 3, 10, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, tt.opts)
			s := newSender(t, srv, func(c *smtp.Config) { c.MessagesPerConn = tt.perConn })
			sendN(t, s, tt.n)
			msgs, err := srv.Wait(testCtx(t), tt.n)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				if m.TLS != tt.opts.TLS || m.AuthUser != tt.opts.Username {
					t.Fatalf("message TLS=%v auth=%q", m.TLS, m.AuthUser)
				}
			}
			if got := srv.Connections(); got != tt.want {
				t.Fatalf("%d connections for %d messages, want %d", got, tt.n, tt.want)
			}
		})
	}
}

func TestConnectionsBoundedPerEndpoint(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv, func(c *smtp.Config) { c.Connections = 2 })
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := emailMsg()
			m.DeliveryID = int64(i + 1)
			if _, err := s.Send(testCtx(t), m); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, max := srv.OpenConnections(); max > 2 {
		t.Fatalf("%d connections open at once, want at most 2", max)
	}
	if got := s.Lane(emailMsg()).Concurrency; got != 2 {
		t.Fatalf("lane concurrency %d, want 2", got)
	}
}

func TestFreshConnectionAfterError(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv)
	sendN(t, s, 1)
	srv.Reject(to, &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "No such user"})
	if _, err := s.Send(testCtx(t), emailMsg()); err == nil {
		t.Fatal("rejected recipient accepted")
	}
	srv.Reject(to, nil)
	sendN(t, s, 1)
	if got := srv.Connections(); got != 2 {
		t.Fatalf("%d connections, want 2: the failed one is not reused", got)
	}
}

// A connection the server dropped while idle is found out by RSET and
// replaced before the message is sent: no attempt is lost to it.
func TestDroppedIdleConnectionCostsNoAttempt(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv)
	sendN(t, s, 1)
	srv.DropConnections()
	sendN(t, s, 1)
	if got := srv.Connections(); got != 2 {
		t.Fatalf("%d connections, want 2", got)
	}
}

func TestIdleConnectionsClosed(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv, func(c *smtp.Config) { c.IdleTimeout = 50 * time.Millisecond })
	sendN(t, s, 3)
	waitOpen(t, srv, 0)

	// Close ends kept connections at once.
	s2 := newSender(t, srv)
	sendN(t, s2, 1)
	waitOpen(t, srv, 1)
	s2.Close()
	waitOpen(t, srv, 0)
}

// TestMessageIDStableAcrossAttempts: a delivery sent again (its first
// answer lost) carries the same Message-ID, so the copy can be told.
func TestMessageIDStableAcrossAttempts(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv)
	m := emailMsg()
	m.Tenant = &gateway.Tenant{ID: 3}
	first, err := s.Send(testCtx(t), m)
	if err != nil {
		t.Fatal(err)
	}
	again := *m
	again.Attempt, again.FirstAttemptAt = 1, fixedNow
	second, err := newSender(t, srv).Send(testCtx(t), &again) // another process, later
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Fatalf("Message-ID %q then %q", first, second)
	}
	msgs, _ := srv.Wait(testCtx(t), 2)
	for _, got := range msgs {
		h, _ := readMail(t, got.Data)
		if id, _ := h.MessageID(); id != first {
			t.Fatalf("header Message-ID %q, want %q", id, first)
		}
	}
	for _, other := range []func(*gateway.Message){
		func(o *gateway.Message) { o.DeliveryID++ },
		func(o *gateway.Message) { o.RequestID = "req-2" },
		func(o *gateway.Message) { o.Tenant = &gateway.Tenant{ID: 4} },
	} {
		o := *m
		other(&o)
		id, err := s.Send(testCtx(t), &o)
		if err != nil || id == first {
			t.Fatalf("another delivery got %q, %v", id, err)
		}
	}
}

func TestLane(t *testing.T) {
	s := smtp.New(smtp.Config{Default: gateway.SMTPProfile{URL: "smtp://Relay.Example:587", From: fromAddr}})
	email := emailMsg()
	carrier := &gateway.Message{Route: gateway.RouteCarrier, To: "2015550123@vtext.com"}
	own := emailMsg()
	own.Tenant = &gateway.Tenant{Slug: "hvac", SMTP: &gateway.SMTPProfile{URL: "smtps://u:p@mail.hvac.example", From: "a@hvac.example"}}
	broken := emailMsg()
	broken.Tenant = &gateway.Tenant{Slug: "plumb", SMTP: &gateway.SMTPProfile{URL: "smtp://x:99999"}}
	shared := emailMsg()
	shared.Tenant = &gateway.Tenant{Slug: "clean"} // no profile of its own: the default lane
	for _, tt := range []struct {
		m    *gateway.Message
		want gateway.LaneSpec
	}{
		{email, gateway.LaneSpec{Key: "smtp:relay.example:587", Kind: "smtp", Concurrency: 4}},
		{carrier, gateway.LaneSpec{Key: "carrier:relay.example:587", Kind: "carrier", Concurrency: 4}},
		{shared, gateway.LaneSpec{Key: "smtp:relay.example:587", Kind: "smtp", Concurrency: 4}},
		{own, gateway.LaneSpec{Key: "smtp:mail.hvac.example:465/hvac", Kind: "smtp", Concurrency: 4}},
		{broken, gateway.LaneSpec{Key: "smtp:unconfigured/plumb", Kind: "smtp", Concurrency: 4}},
	} {
		if got := s.Lane(tt.m); got != tt.want {
			t.Errorf("Lane = %+v, want %+v", got, tt.want)
		}
	}
}

// BenchmarkTenThousandEmails sends 10,000 emails per iteration through one
// relay lane (four kept connections, as the engine's lane runs them) to a
// go-smtp server on loopback; "one per message" is the old way, a
// connection for each message, for comparison.
func BenchmarkTenThousandEmails(b *testing.B) {
	for _, bb := range []struct {
		name    string
		perConn int
	}{{"kept", 0}, {"one per message", 1}} {
		b.Run(bb.name, func(b *testing.B) { benchEmails(b, bb.perConn) })
	}
}

func benchEmails(b *testing.B, perConn int) {
	srv := smtptest.Start(b, smtptest.Options{MaxMessageBytes: 1 << 16})
	s := smtp.New(smtp.Config{Default: gateway.SMTPProfile{URL: srv.URL(), From: fromAddr}, Hostname: "gw.movers.example",
		MessagesPerConn: perConn})
	defer s.Close()
	const total, lanes = 10000, smtp.DefaultConnections
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		srv.Reset()
		var wg sync.WaitGroup
		for w := range lanes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < total; i += lanes {
					m := emailMsg()
					m.DeliveryID, m.RequestID = int64(i+1), "req-"+strconv.Itoa(i)
					if _, err := s.Send(ctx, m); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "emails/s")
	b.ReportMetric(float64(srv.Connections())/float64(b.N), "conns/op")
}
