package inbound_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/inbound"
	"github.com/resetgw/resetgw/gateway/secret"
	"github.com/resetgw/resetgw/gateway/sqlite"
)

const (
	resetAddr  = "reset@resetgw.example.com"
	bounceAddr = "bounces@resetgw.example.com"
	phone      = "+12015550123"
	original   = "original-crew-password-7"
)

// world is a real gateway (SQLite file, worker with recording senders)
// with the listener on loopback in front of it.
type world struct {
	t       *testing.T
	ctx     context.Context
	keys    *secret.Keys
	store   *sqlite.Store
	svc     *gateway.Service
	worker  *gateway.Worker
	carrier *gatewaytest.Sender
	email   *gatewaytest.Sender
	ln      *inbound.Listener
	addr    string
	served  chan error
}

func newWorld(t *testing.T, cfg inbound.ListenerConfig) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), carrier: &gatewaytest.Sender{}, email: &gatewaytest.Sender{}}
	w.keys = gatewaytest.Keys(t)
	w.store, _ = gatewaytest.Store(t, w.keys)
	var err error
	w.svc, err = gateway.New(gateway.Config{Store: w.store, Renderer: gatewaytest.Renderer{}, Keys: w.keys,
		Hasher: gatewaytest.Hasher(), Limits: gateway.DefaultLimits(),
		Clock: func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	w.worker = gateway.NewWorker(gateway.WorkerConfig{Service: w.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteCarrier: w.carrier, gateway.RouteEmail: w.email}})
	if _, err := w.svc.EnsureTenant(w.ctx, gateway.DefaultSlug, "Acme Movers"); err != nil {
		t.Fatal(err)
	}
	if cfg.Handler == nil {
		cfg.Handler = w.svc
	}
	if cfg.Keys == nil {
		cfg.Keys = w.keys
	}
	if cfg.ResetAddress == "" {
		cfg.ResetAddress = resetAddr
	}
	if cfg.BounceAddress == "" {
		cfg.BounceAddress = bounceAddr
	}
	if cfg.HandleTimeout == 0 {
		cfg.HandleTimeout = 5 * time.Second
	}
	if w.ln, err = inbound.NewListener(cfg); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w.addr = l.Addr().String()
	w.served = make(chan error, 1)
	go func() { w.served <- w.ln.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := w.ln.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-w.served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return w
}

func (w *world) drain() {
	w.t.Helper()
	for range 20 {
		busy, err := w.worker.Pass(w.ctx)
		if err != nil {
			w.t.Fatal(err)
		}
		if !busy {
			return
		}
	}
	w.t.Fatal("worker still busy")
}

// resetOut creates a person and a delivered reset (SMS by carrier gateway
// and email) and returns the reset.
func (w *world) resetOut() *gateway.ResetRequest {
	w.t.Helper()
	if _, err := w.svc.CreatePerson(w.ctx, gateway.Actor{Kind: gateway.ActorAdmin, ID: "test"}, gateway.PersonInput{
		Name: "Ana", Email: "ana@acme.example", Password: original,
		Phones: []gateway.PhoneInput{{Number: phone, Type: "sms", Carrier: "verizon"}},
	}); err != nil {
		w.t.Fatal(err)
	}
	id, err := w.svc.RequestReset(w.ctx, gateway.ResetInput{Email: "ana@acme.example", Phone: phone, IP: "192.0.2.1"})
	if err != nil {
		w.t.Fatal(err)
	}
	w.drain()
	return w.reset(id)
}

func (w *world) reset(id string) *gateway.ResetRequest {
	w.t.Helper()
	r, err := w.store.Reset(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

func (w *world) verp(id int64) string {
	return inbound.VERPAddress(bounceAddr, id, w.keys.VERPTag(id))
}

// client dials the listener with short timeouts.
func (w *world) client() *smtp.Client {
	w.t.Helper()
	c, err := smtp.Dial(w.addr)
	if err != nil {
		w.t.Fatal(err)
	}
	c.CommandTimeout, c.SubmissionTimeout = 5*time.Second, 5*time.Second
	w.t.Cleanup(func() { c.Close() })
	return c
}

// send delivers one message with a real go-smtp client and returns the
// server's error, nil for 250.
func (w *world) send(from string, to []string, data []byte) error {
	w.t.Helper()
	c := w.client()
	err := c.SendMail(from, to, bytes.NewReader(data))
	if err == nil {
		err = c.Quit()
	}
	return err
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func smtpCode(err error) (int, smtp.EnhancedCode) {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code, se.EnhancedCode
	}
	return 0, smtp.EnhancedCode{}
}

func deliveryOn(t *testing.T, r *gateway.ResetRequest, ch gateway.Channel) *gateway.Delivery {
	t.Helper()
	for _, d := range r.Deliveries {
		if d.Channel == ch {
			return d
		}
	}
	t.Fatalf("no %s delivery", ch)
	return nil
}

// DSNs in the formats Postfix, Exchange Online and Gmail write, delivered
// to the VERP address of the reset's email by a real SMTP client. The
// fixtures quote other delivery ids (or none): the VERP address alone
// decides which delivery a bounce is about.
func TestBounces(t *testing.T) {
	cases := []struct {
		fixture, code string
		status        gateway.DeliveryStatus
	}{
		{"postfix_rfc822_headers.eml", "550 5.1.1", gateway.DeliveryFailedLate},
		{"postfix_rfc822.eml", "552 5.2.2", gateway.DeliveryFailedLate},
		{"exchange_o365.eml", "550 5.1.10", gateway.DeliveryFailedLate},
		{"gmail.eml", "550 5.1.1", gateway.DeliveryFailedLate},
		{"exchange_delayed.eml", "", gateway.DeliverySent},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			w := newWorld(t, inbound.ListenerConfig{})
			r := w.resetOut()
			mail := deliveryOn(t, r, gateway.ChannelEmail)
			if err := w.send("", []string{w.verp(mail.ID)}, fixture(t, tc.fixture)); err != nil {
				t.Fatalf("send: %v", err)
			}
			r = w.reset(r.ID)
			mail = deliveryOn(t, r, gateway.ChannelEmail)
			if mail.Status != tc.status || mail.ErrorCode != tc.code {
				t.Fatalf("email delivery %s %q", mail.Status, mail.ErrorCode)
			}
			// The text is still out: the reset stands.
			if r.State != gateway.StateDelivered {
				t.Fatalf("state %s", r.State)
			}
			if tc.status == gateway.DeliverySent {
				evs, _ := w.store.ListEvents(w.ctx, gateway.EventFilter{Types: []string{"delivery_delayed"}})
				if len(evs) != 1 || evs[0].Code != "400 4.4.7" {
					t.Fatalf("delayed events %+v", evs)
				}
			}
		})
	}
}

// Both the carrier text and the email bounce: rolled back, and the
// original password works.
func TestBouncesRollBack(t *testing.T) {
	w := newWorld(t, inbound.ListenerConfig{})
	r := w.resetOut()
	sms, mail := deliveryOn(t, r, gateway.ChannelSMS), deliveryOn(t, r, gateway.ChannelEmail)
	if sms.Route != gateway.RouteCarrier {
		t.Fatalf("sms route %s", sms.Route)
	}
	// One connection, two messages, as an MTA batches them.
	c := w.client()
	for _, m := range []struct {
		id      int64
		fixture string
	}{{sms.ID, "postfix_rfc822.eml"}, {mail.ID, "gmail.eml"}} {
		if err := c.SendMail("", []string{w.verp(m.id)}, bytes.NewReader(fixture(t, m.fixture))); err != nil {
			t.Fatal(err)
		}
	}
	c.Quit()
	r = w.reset(r.ID)
	if r.State != gateway.StateRolledBack || r.Reason != gateway.ReasonFailedLate {
		t.Fatalf("state %s reason %s", r.State, r.Reason)
	}
	if _, err := w.svc.Login(w.ctx, gateway.LoginInput{Email: "ana@acme.example", Password: original}); err != nil {
		t.Fatalf("original password: %v", err)
	}
}

func TestRecipientsRefused(t *testing.T) {
	w := newWorld(t, inbound.ListenerConfig{})
	r := w.resetOut()
	id := deliveryOn(t, r, gateway.ChannelEmail).ID
	good := w.verp(id)
	for _, rcpt := range []string{
		"someone@resetgw.example.com",
		bounceAddr,                                              // no delivery named
		strings.Replace(good, "+d", "+d1", 1),                   // another delivery, this one's tag
		inbound.VERPAddress(bounceAddr, id, "00112233aabbccdd"), // forged tag
		strings.Replace(good, "resetgw.example.com", "other.example.com", 1),
		"reset@other.example.com",
	} {
		t.Run(rcpt, func(t *testing.T) {
			c := w.client()
			if err := c.Mail("", nil); err != nil {
				t.Fatal(err)
			}
			code, enh := smtpCode(c.Rcpt(rcpt, nil))
			if code != 550 || enh != (smtp.EnhancedCode{5, 1, 1}) {
				t.Fatalf("got %d %v", code, enh)
			}
		})
	}
	// Upper case, as some MTAs write it, still matches.
	if err := w.send("", []string{strings.ToUpper(good)}, fixture(t, "gmail.eml")); err != nil {
		t.Fatal(err)
	}
	if d := deliveryOn(t, w.reset(r.ID), gateway.ChannelEmail); d.Status != gateway.DeliveryFailedLate {
		t.Fatalf("upper-case VERP: %s", d.Status)
	}
}

func TestNotABounce(t *testing.T) {
	w := newWorld(t, inbound.ListenerConfig{})
	r := w.resetOut()
	rcpt := w.verp(deliveryOn(t, r, gateway.ChannelEmail).ID)
	// An auto-reply and a spam complaint are taken and dropped.
	for _, f := range []string{"out_of_office.eml", "feedback_report.eml"} {
		if err := w.send("", []string{rcpt}, fixture(t, f)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	// A broken report is refused.
	broken := "From: MAILER-DAEMON@x.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x.example\r\n\r\n--b--\r\n"
	if code, _ := smtpCode(w.send("", []string{rcpt}, []byte(broken))); code != 550 {
		t.Fatalf("broken report: %d", code)
	}
	if d := deliveryOn(t, w.reset(r.ID), gateway.ChannelEmail); d.Status != gateway.DeliverySent {
		t.Fatalf("status %s", d.Status)
	}
}

// Texts by mail, as carriers deliver them: plain from the SMS gateway,
// multipart with a text attachment from the MMS gateway.
func TestTexts(t *testing.T) {
	cases := []struct {
		fixture, from, replyLocale string
	}{
		{"vtext.eml", "2015550123@vtext.com", "en"},
		{"vzwpix.eml", "2015550187@vzwpix.com", "es"}, // "¡Ayuda!"
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			w := newWorld(t, inbound.ListenerConfig{})
			if err := w.send(tc.from, []string{resetAddr}, fixture(t, tc.fixture)); err != nil {
				t.Fatal(err)
			}
			evs, _ := w.store.ListEvents(w.ctx, gateway.EventFilter{Types: []string{"inbound_text"}})
			if len(evs) != 1 || evs[0].Detail == "" || evs[0].IP != "127.0.0.1" {
				t.Fatalf("events %+v", evs)
			}
			w.drain()
			msgs := w.carrier.Messages()
			if len(msgs) != 1 || msgs[0].To != strings.Split(tc.from, "@")[0]+"@vtext.com" ||
				!strings.HasPrefix(msgs[0].Text, "["+tc.replyLocale+"/") {
				t.Fatalf("answers %+v", msgs)
			}
		})
	}
}

func TestTextResetGoesToRecord(t *testing.T) {
	w := newWorld(t, inbound.ListenerConfig{})
	w.resetOut()
	before := len(w.carrier.Messages())
	if err := w.send("2015550123@vtext.com", []string{resetAddr}, fixture(t, "vtext.eml")); err != nil {
		t.Fatal(err)
	}
	rs, _ := w.store.ListResets(w.ctx, gateway.ResetFilter{})
	var texted *gateway.ResetRequest
	for _, r := range rs {
		if r.Source == gateway.SourceEmailText {
			texted = r
		}
	}
	if len(rs) != 2 || texted == nil || texted.Phone != phone {
		t.Fatalf("resets %+v", rs)
	}
	w.drain()
	for _, m := range w.carrier.Messages()[before:] {
		if m.To != "2015550123@vtext.com" {
			t.Fatalf("text to %s", m.To)
		}
	}
}

func TestTextsRefused(t *testing.T) {
	w := newWorld(t, inbound.ListenerConfig{MaxMessageBytes: 64 << 10})
	notCarrier := "From: someone@example.com\r\nTo: " + resetAddr + "\r\nSubject: hi\r\n\r\nRESET\r\n"
	if code, enh := smtpCode(w.send("someone@example.com", []string{resetAddr}, []byte(notCarrier))); code != 550 || enh != (smtp.EnhancedCode{5, 7, 1}) {
		t.Fatalf("not a carrier: %d %v", code, enh)
	}
	noFrom := "To: " + resetAddr + "\r\n\r\nRESET\r\n"
	if code, _ := smtpCode(w.send("x@vtext.com", []string{resetAddr}, []byte(noFrom))); code != 550 {
		t.Fatalf("no From: %d", code)
	}
	big := "From: 2015550123@vtext.com\r\n\r\nRESET\r\n" + strings.Repeat(strings.Repeat("x", 76)+"\r\n", 1000)
	if code, enh := smtpCode(w.send("2015550123@vtext.com", []string{resetAddr}, []byte(big))); code != 552 {
		t.Fatalf("too big: %d %v", code, enh)
	}
	// Robots are taken and dropped: a bounce (null sender), an auto-reply.
	if err := w.send("", []string{resetAddr}, fixture(t, "vtext.eml")); err != nil {
		t.Fatal(err)
	}
	auto := strings.Replace(string(fixture(t, "vtext.eml")), "MIME-Version", "Auto-Submitted: auto-replied\r\nMIME-Version", 1)
	if err := w.send("2015550123@vtext.com", []string{resetAddr}, []byte(auto)); err != nil {
		t.Fatal(err)
	}
	if evs, _ := w.store.ListEvents(w.ctx, gateway.EventFilter{Types: []string{"inbound_text"}}); len(evs) != 0 {
		t.Fatalf("events %+v", evs)
	}
}

// failing fails every call, as a store that is down would.
type failing struct{}

func (failing) InboundText(context.Context, gateway.InboundTextInput) (string, error) {
	return "", gateway.Internal(errors.New("store down"))
}

func (failing) DeliveryOutcome(context.Context, gateway.OutcomeInput) error {
	return &gateway.Error{Kind: gateway.KindUnavailable, Code: "store_busy", Message: "busy"}
}

func TestOurFailureIsTemporary(t *testing.T) {
	w := newWorld(t, inbound.ListenerConfig{Handler: failing{}})
	for _, m := range []struct {
		from, to, fixture string
	}{
		{"2015550123@vtext.com", resetAddr, "vtext.eml"},
		{"", w.verp(7), "gmail.eml"},
	} {
		code, enh := smtpCode(w.send(m.from, []string{m.to}, fixture(t, m.fixture)))
		if code != 451 || enh != (smtp.EnhancedCode{4, 3, 0}) {
			t.Fatalf("%s: %d %v", m.fixture, code, enh)
		}
	}
}

func TestTooManyConnections(t *testing.T) {
	w := newWorld(t, inbound.ListenerConfig{MaxConnections: 1})
	w.client()
	conn, err := net.DialTimeout("tcp", w.addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := io.ReadAll(conn)
	if !strings.HasPrefix(string(line), "421 4.7.0") {
		t.Fatalf("got %q", line)
	}
}

// Shutdown does not wait for an idle client to hang up.
func TestShutdownEndsIdleConnections(t *testing.T) {
	w := newWorld(t, inbound.ListenerConfig{ReadTimeout: time.Minute})
	c := w.client()
	if err := c.Hello("mx.example.net"); err != nil {
		t.Fatal(err)
	}
	// A Shutdown that waited for the client (it stays a minute) would
	// end with the context's error: that is the check, not the time it
	// took, which a loaded machine stretches.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.ln.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-w.served; err != nil {
		t.Fatal(err)
	}
	w.served <- nil // for the cleanup
	if err := c.Noop(); err == nil {
		t.Fatal("the connection is still open")
	}
	if _, err := net.DialTimeout("tcp", w.addr, time.Second); err == nil {
		t.Fatal("still accepting")
	}
}

func TestSessionTimeout(t *testing.T) {
	w := newWorld(t, inbound.ListenerConfig{SessionTimeout: 300 * time.Millisecond})
	c := w.client()
	// A client that keeps talking is cut off at the session's end; a
	// loaded machine may run the cut a little late, so it is waited for,
	// within a bound far past the session's time.
	deadline := time.Now().Add(10 * time.Second)
	for c.Noop() == nil {
		if time.Now().After(deadline) {
			t.Fatal("a session of 300 ms still answered after 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStartTLS(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	w := newWorld(t, inbound.ListenerConfig{TLSConfig: serverTLS})
	plain := w.client()
	if err := plain.Hello("mx.example.net"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := plain.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not offered")
	}
	c, err := smtp.DialStartTLS(w.addr, clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = 5*time.Second, 5*time.Second
	if _, ok := c.TLSConnectionState(); !ok {
		t.Fatal("not encrypted")
	}
	if err := c.SendMail("2015550123@vtext.com", []string{resetAddr}, bytes.NewReader(fixture(t, "vtext.eml"))); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	if evs, _ := w.store.ListEvents(w.ctx, gateway.EventFilter{Types: []string{"inbound_text"}}); len(evs) != 1 {
		t.Fatalf("events %+v", evs)
	}
}

func TestListenerConfigChecked(t *testing.T) {
	keys := gatewaytest.Keys(t)
	for _, cfg := range []inbound.ListenerConfig{
		{},
		{Handler: failing{}},
		{Handler: failing{}, ResetAddress: "not an address"},
		{Handler: failing{}, BounceAddress: bounceAddr}, // no keys
		{Handler: failing{}, BounceAddress: "bounces+x@example.com\r\n", Keys: keys},
	} {
		if _, err := inbound.NewListener(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.resetgw.example.com"},
		DNSNames: []string{"mx.resetgw.example.com"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12},
		&tls.Config{RootCAs: pool, ServerName: "mx.resetgw.example.com", MinVersion: tls.VersionTLS12}
}
