// Package smtp sends the gateway's mail over SMTP: the reset email itself
// (Route "email") and the text that goes through a carrier's email-to-SMS
// gateway (Route "carrier", To already number@carrier-domain).
//
// One connection carries one message. Resets are rare and a pooled
// connection that a server has silently dropped costs a failed attempt,
// which is worse than a TCP and TLS handshake.
package smtp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/gateway"
)

// DefaultTimeout bounds the dial, the TLS handshake and each SMTP command
// when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxDetail caps the server text kept in a SendError.
const maxDetail = 300

// Config sets up a Sender.
type Config struct {
	// Default is the profile for tenants without their own.
	Default gateway.SMTPProfile
	// Hostname is the name given in EHLO; "localhost" when empty. Real
	// relays may want the gateway's public name here.
	Hostname string
	// Timeout bounds the dial, the TLS handshake and each command
	// (including the answer to the final dot); DefaultTimeout when zero.
	Timeout time.Duration
	// TLSConfig is the base for STARTTLS and implicit TLS; ServerName is
	// filled from the profile's host. Tests pass one trusting their cert.
	TLSConfig *tls.Config
	// Clock gives the Date header; time.Now when nil.
	Clock func() time.Time
	// EnvelopeFrom, when set and not returning "", gives the envelope
	// sender (MAIL FROM) of a delivery, e.g. a VERP address so that a
	// bounce names the delivery it belongs to. Otherwise the From address.
	EnvelopeFrom func(m *gateway.Message) string
}

// Sender delivers gateway messages over SMTP. It is safe for concurrent
// use and implements gateway.Sender.
type Sender struct {
	cfg Config
}

var _ gateway.Sender = (*Sender)(nil)

// New returns a Sender for cfg.
func New(cfg Config) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Sender{cfg: cfg}
}

// Send delivers m, a Route "email" or "carrier" message, through the
// tenant's SMTP profile (or the default one). The provider id is the
// Message-ID it generated, without angle brackets: a bounce quotes it.
// Failures are *gateway.SendError; their texts never hold the message body
// or the profile's password.
func (s *Sender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	if m == nil {
		return "", permanent("invalid_message", "no message")
	}
	if m.Route != gateway.RouteEmail && m.Route != gateway.RouteCarrier {
		return "", permanent("unsupported_route", fmt.Sprintf("the SMTP sender does not carry route %q", m.Route))
	}
	profile := s.profileFor(m.Tenant)
	id, _, err := s.send(ctx, profile, m)
	return id, err
}

// Test sends a plain text message through profile (the default profile when
// nil) for the admin's "send test email" and "Test Provider", and returns
// the server's answer to the message, e.g. "250 2.0.0 OK: queued as 4F2A".
// A refusal is a *gateway.SendError with the server's code and text.
func (s *Sender) Test(ctx context.Context, profile *gateway.SMTPProfile, to, subject, text string) (string, error) {
	if profile == nil {
		profile = &s.cfg.Default
	}
	m := &gateway.Message{Channel: gateway.ChannelEmail, Route: gateway.RouteCarrier, To: to, Subject: subject, Text: text}
	_, reply, err := s.send(ctx, *profile, m)
	return reply, err
}

func (s *Sender) profileFor(t *gateway.Tenant) gateway.SMTPProfile {
	if t != nil && t.SMTP != nil && t.SMTP.URL != "" {
		return *t.SMTP
	}
	return s.cfg.Default
}

func (s *Sender) send(ctx context.Context, profile gateway.SMTPProfile, m *gateway.Message) (id, reply string, err error) {
	if strings.TrimSpace(profile.URL) == "" {
		return "", "", permanent("smtp_not_configured", "no SMTP profile URL is set")
	}
	ep, err := ParseURL(profile.URL)
	if err != nil {
		return "", "", permanent("smtp_config", err.Error())
	}
	from, err := mail.ParseAddress(profile.From)
	if err != nil || profile.From == "" {
		return "", "", permanent("smtp_config", "the profile's From address is missing or does not parse")
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return "", "", permanent("invalid_address", "the recipient address does not parse")
	}
	id = s.messageID(from.Address, m.DeliveryID)
	data, err := s.compose(m, from, to, id)
	if err != nil {
		return "", "", permanent("compose", "the message could not be written: "+err.Error())
	}
	envFrom := from.Address
	if s.cfg.EnvelopeFrom != nil {
		if v := s.cfg.EnvelopeFrom(m); v != "" {
			envFrom = v
		}
	}
	t := &transaction{
		s: s, ep: ep, envFrom: envFrom, rcpt: to.Address, data: data,
		envID: "resetgw-" + strconv.FormatInt(m.DeliveryID, 10),
	}
	reply, err = t.run(ctx)
	if err != nil {
		return "", "", t.redact(err)
	}
	return id, reply, nil
}

// messageID makes a globally unique id under the sender's domain, the
// domain a bounce comes back to. The delivery id is in it so a human
// reading a bounce can find the delivery.
func (s *Sender) messageID(fromAddr string, deliveryID int64) string {
	domain := fromAddr[strings.LastIndexByte(fromAddr, '@')+1:]
	if !isDotAtom(domain) {
		domain = s.cfg.Hostname
		if !isDotAtom(domain) {
			domain = "resetgw.invalid"
		}
	}
	return fmt.Sprintf("resetgw.%d.%s.%s@%s", deliveryID,
		strings.ToUpper(strconv.FormatInt(s.cfg.Clock().UnixNano(), 36)), rand.Text(), domain)
}

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// compose writes the message. An email is multipart/alternative (text and
// HTML) when there is HTML; a carrier text is one text/plain part without
// HTML, because the gateway turns the whole body into the SMS.
func (s *Sender) compose(m *gateway.Message, from, to *mail.Address, id string) ([]byte, error) {
	var h mail.Header
	h.SetDate(s.cfg.Clock())
	h.SetAddressList("From", []*mail.Address{from})
	h.SetAddressList("To", []*mail.Address{to})
	h.SetMessageID(id)
	if subj := oneLine(m.Subject); subj != "" || m.Route == gateway.RouteEmail {
		h.SetSubject(subj)
	}
	if m.DeliveryID != 0 {
		h.Set("X-Resetgw-Delivery", strconv.FormatInt(m.DeliveryID, 10))
	}
	// RFC 3834: keeps vacation responders from answering a reset mail.
	h.Set("Auto-Submitted", "auto-generated")

	var buf bytes.Buffer
	if m.Route == gateway.RouteEmail && m.HTML != "" {
		w, err := mail.CreateInlineWriter(&buf, h)
		if err != nil {
			return nil, err
		}
		for _, p := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
			var ph mail.InlineHeader
			ph.SetContentType(p.typ, map[string]string{"charset": "utf-8"})
			pw, err := w.CreatePart(ph)
			if err != nil {
				return nil, err
			}
			if _, err := io.WriteString(pw, p.body); err != nil {
				return nil, err
			}
			if err := pw.Close(); err != nil {
				return nil, err
			}
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}

	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	if m.Route == gateway.RouteCarrier {
		// Quoted-printable breaks lines at 76 columns with a trailing "=";
		// gateways that pass the raw body on would put those into the
		// text. Texts are short: send them as they are.
		h.Set("Content-Transfer-Encoding", plainEncoding(m.Text))
	}
	w, err := mail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, m.Text); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// plainEncoding picks 7bit for ASCII text, 8bit for other UTF-8 with sane
// line lengths (go-smtp asks for BODY=8BITMIME when the server offers it),
// and quoted-printable only when nothing else is safe.
func plainEncoding(text string) string {
	if !utf8.ValidString(text) {
		return "quoted-printable"
	}
	ascii := true
	for _, line := range strings.Split(text, "\n") {
		if len(line) > 900 {
			return "quoted-printable"
		}
		for i := 0; i < len(line); i++ {
			if c := line[i]; c >= 0x80 {
				ascii = false
			} else if c == 0 || (c < 0x20 && c != '\t' && c != '\r') {
				return "quoted-printable"
			}
		}
	}
	if ascii {
		return "7bit"
	}
	return "8bit"
}

// oneLine keeps a header value on one line: a CR or LF in a subject would
// let a template add headers of its own.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// transaction is one SMTP conversation delivering one message.
type transaction struct {
	s       *Sender
	ep      *Endpoint
	envFrom string
	rcpt    string
	envID   string
	data    []byte
}

// stage names where a failure happened; it decides the error code of a
// failure that the server did not put in words.
type stage int

const (
	stageConnect stage = iota
	stageTLS
)

// stagedError carries the stage of a non-SMTP failure to classify.
type stagedError struct {
	stage stage
	err   error
}

func (e *stagedError) Error() string { return e.err.Error() }
func (e *stagedError) Unwrap() error { return e.err }

func (t *transaction) run(ctx context.Context) (reply string, err error) {
	if err := ctx.Err(); err != nil {
		return "", classify(ctx, err)
	}
	c, err := t.open(ctx)
	if err != nil {
		return "", classify(ctx, err)
	}
	defer c.close()

	reply, err = t.deliver(c.Client)
	if err != nil {
		return "", classify(ctx, err)
	}
	// The message is accepted: a failing QUIT changes nothing about that.
	_ = c.Quit()
	return reply, nil
}

// conn is a client with the hook that closes it when the context ends.
type conn struct {
	*gosmtp.Client
	stop func() bool
}

func (c *conn) close() {
	c.stop()
	_ = c.Close()
}

// open connects, says EHLO, upgrades to TLS and authenticates.
//
// go-smtp v0.25.1 has no exported STARTTLS for a Client that already said
// EHLO, and learning whether a server offers STARTTLS takes an EHLO. So
// the first connection asks; when STARTTLS is offered it is dropped and a
// second one starts with NewClientStartTLS. A reset costs an extra
// handshake; no code path sends credentials or mail in clear where TLS
// was on offer.
func (t *transaction) open(ctx context.Context) (*conn, error) {
	c, err := t.dial(ctx)
	if err != nil {
		return nil, err
	}
	if !t.ep.ImplicitTLS {
		if err := c.Hello(t.s.cfg.Hostname); err != nil {
			c.close()
			return nil, err
		}
		if ok, _ := c.Extension("STARTTLS"); ok {
			_ = c.Quit()
			c.close()
			if c, err = t.dialStartTLS(ctx); err != nil {
				return nil, err
			}
		}
	} else if err := c.Hello(t.s.cfg.Hostname); err != nil {
		c.close()
		return nil, err
	}

	if t.ep.Username != "" {
		if err := t.auth(c); err != nil {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

func (t *transaction) tlsConfig() *tls.Config {
	var cfg *tls.Config
	if t.s.cfg.TLSConfig != nil {
		cfg = t.s.cfg.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = t.ep.Host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

func (t *transaction) rawDial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: t.s.cfg.Timeout}
	nc, err := d.DialContext(ctx, "tcp", t.ep.Addr())
	if err != nil {
		return nil, &stagedError{stageConnect, err}
	}
	return &boundedConn{Conn: nc, max: t.s.cfg.Timeout}, nil
}

// boundedConn keeps every deadline go-smtp sets within max from now, and
// turns its "no deadline" into one. go-smtp sets CommandTimeout deadlines
// (five minutes by default) and clears them after each command, and
// NewClientStartTLS talks to the server before its CommandTimeout can be
// lowered: without this a silent server would hold a worker for minutes.
type boundedConn struct {
	net.Conn
	max time.Duration
}

func (c *boundedConn) clamp(t time.Time) time.Time {
	if limit := time.Now().Add(c.max); t.IsZero() || t.After(limit) {
		return limit
	}
	return t
}

func (c *boundedConn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(c.clamp(t)) }
func (c *boundedConn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.clamp(t)) }
func (c *boundedConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.clamp(t)) }

// watch closes nc when ctx ends, which unblocks any read or write on it:
// go-smtp's calls take no context.
func watch(ctx context.Context, nc net.Conn) func() bool {
	return context.AfterFunc(ctx, func() { _ = nc.Close() })
}

func (t *transaction) newClient(nc net.Conn) *gosmtp.Client {
	c := gosmtp.NewClient(nc)
	c.CommandTimeout = t.s.cfg.Timeout
	c.SubmissionTimeout = t.s.cfg.Timeout
	return c
}

// dial connects, with TLS from the start for smtps://.
func (t *transaction) dial(ctx context.Context) (*conn, error) {
	nc, err := t.rawDial(ctx)
	if err != nil {
		return nil, err
	}
	stop := watch(ctx, nc)
	if t.ep.ImplicitTLS {
		tc := tls.Client(nc, t.tlsConfig())
		hctx, cancel := context.WithTimeout(ctx, t.s.cfg.Timeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			stop()
			_ = nc.Close()
			return nil, &stagedError{stageTLS, err}
		}
		nc = tc
	}
	return &conn{Client: t.newClient(nc), stop: stop}, nil
}

// dialStartTLS connects and upgrades with STARTTLS before anything else.
// The handshake runs lazily at the first command after STARTTLS, so the
// EHLO that follows is where a certificate problem shows.
func (t *transaction) dialStartTLS(ctx context.Context) (*conn, error) {
	nc, err := t.rawDial(ctx)
	if err != nil {
		return nil, err
	}
	stop := watch(ctx, nc)
	fail := func(err error, st stage) (*conn, error) {
		stop()
		_ = nc.Close()
		var se *gosmtp.SMTPError
		if errors.As(err, &se) {
			return nil, err
		}
		return nil, &stagedError{st, err}
	}
	// NewClientStartTLS greets the server itself (as "localhost"); the EHLO
	// with our name comes after the upgrade, which is the one that counts.
	c, err := gosmtp.NewClientStartTLS(nc, t.tlsConfig())
	if err != nil {
		return fail(err, stageTLS)
	}
	c.CommandTimeout = t.s.cfg.Timeout
	c.SubmissionTimeout = t.s.cfg.Timeout
	if err := c.Hello(t.s.cfg.Hostname); err != nil {
		return fail(err, stageTLS)
	}
	if _, ok := c.TLSConnectionState(); !ok {
		return fail(errors.New("STARTTLS did not start TLS"), stageTLS)
	}
	return &conn{Client: c, stop: stop}, nil
}

// auth logs in with PLAIN (LOGIN when the server offers only that). It
// refuses to send a password in clear to anything but this machine, as
// net/smtp's PlainAuth does: a server that stops offering STARTTLS must not
// be handed the credentials.
func (t *transaction) auth(c *conn) error {
	_, isTLS := c.TLSConnectionState()
	if !isTLS && !isLoopback(t.ep.Host) {
		return permanent("tls_required", "the server offers no TLS; credentials are only sent over TLS (or to localhost)")
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		return permanent("auth_unsupported", "the server does not offer AUTH but the profile has credentials")
	}
	var a sasl.Client
	switch {
	case c.SupportsAuth(sasl.Plain):
		a = sasl.NewPlainClient("", t.ep.Username, t.ep.Password)
	case c.SupportsAuth(sasl.Login):
		a = sasl.NewLoginClient(t.ep.Username, t.ep.Password)
	default:
		return permanent("auth_unsupported", "the server offers neither AUTH PLAIN nor LOGIN")
	}
	return c.Auth(a)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// deliver runs MAIL, RCPT and DATA and returns the final answer, e.g.
// "250 2.0.0 Ok: queued as 4F2A". A server that offers DSN is asked to
// report only failures, with headers, under the delivery's envelope id.
func (t *transaction) deliver(c *gosmtp.Client) (string, error) {
	mo := &gosmtp.MailOptions{Size: int64(len(t.data)), Return: gosmtp.DSNReturnHeaders, EnvelopeID: t.envID}
	if !isASCII(t.envFrom) || !isASCII(t.rcpt) {
		if ok, _ := c.Extension("SMTPUTF8"); !ok {
			return "", permanent("smtputf8_unsupported", "the address is not ASCII and the server does not offer SMTPUTF8")
		}
		mo.UTF8 = true
	}
	if err := c.Mail(t.envFrom, mo); err != nil {
		return "", err
	}
	if err := c.Rcpt(t.rcpt, &gosmtp.RcptOptions{Notify: []gosmtp.DSNNotify{gosmtp.DSNNotifyFailure}}); err != nil {
		return "", err
	}
	w, err := c.Data()
	if err != nil {
		return "", err
	}
	if _, err := w.Write(t.data); err != nil {
		return "", err
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return "", err
	}
	return "250 " + resp.StatusText, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func permanent(code, detail string) *gateway.SendError {
	return &gateway.SendError{Code: code, Detail: detail}
}

func temporary(code, detail string) *gateway.SendError {
	return &gateway.SendError{Class: gateway.FailTransient, Code: code, Detail: detail}
}

// classify turns a failure into a SendError. The server's own words win:
// 4xx is worth another try, 5xx is not. Without them, a failure on the
// way (network, timeout, TLS) is temporary: a retry costs less than a lost
// password, and the outbox gives up after its last attempt anyway.
func classify(ctx context.Context, err error) error {
	var se *gateway.SendError
	if errors.As(err, &se) {
		return se
	}
	// The context closing the connection shows up as "use of closed
	// network connection"; say why it was closed instead.
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return temporary("timeout", "gave up waiting for the SMTP server: deadline reached")
		}
		return temporary("canceled", "the send was canceled")
	}
	var smtpErr *gosmtp.SMTPError
	if errors.As(err, &smtpErr) {
		return fromSMTPError(smtpErr)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return temporary("timeout", clip(err.Error()))
	}
	if isTLSError(err) {
		return temporary("tls", clip(err.Error()))
	}
	var st *stagedError
	if errors.As(err, &st) {
		switch st.stage {
		case stageConnect:
			return temporary("connect", clip(err.Error()))
		case stageTLS:
			return temporary("tls", clip(err.Error()))
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, new(*net.OpError)) {
		return temporary("connect", "connection lost: "+clip(err.Error()))
	}
	return temporary("smtp", clip(err.Error()))
}

func fromSMTPError(e *gosmtp.SMTPError) *gateway.SendError {
	code := strconv.Itoa(e.Code)
	if ec := e.EnhancedCode; ec != gosmtp.NoEnhancedCode && ec != gosmtp.EnhancedCodeNotSet {
		code += fmt.Sprintf(" %d.%d.%d", ec[0], ec[1], ec[2])
	}
	// Anything but a 5xx (4xx, or a reply out of protocol) may pass.
	class := gateway.FailTransient
	if e.Code/100 == 5 {
		class = gateway.FailRecipient
	}
	return &gateway.SendError{Class: class, Code: code, Detail: clip(e.Message)}
}

func isTLSError(err error) bool {
	var (
		recErr    tls.RecordHeaderError
		alertErr  tls.AlertError
		verifyErr *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	return errors.As(err, &recErr) || errors.As(err, &alertErr) || errors.As(err, &verifyErr) ||
		errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalid)
}

// clip keeps provider text short and on one line.
func clip(s string) string { return gateway.Clip(s, maxDetail) }

// redact removes the profile's password, in clear and as it travels in
// AUTH, from a failure's text. Nothing should put it there; this is the
// guarantee that nothing can.
func (t *transaction) redact(err error) error {
	se := gateway.AsSendError(err)
	if t.ep.Password == "" {
		return se
	}
	secrets := []string{
		t.ep.Password,
		base64.StdEncoding.EncodeToString([]byte("\x00" + t.ep.Username + "\x00" + t.ep.Password)),
		base64.StdEncoding.EncodeToString([]byte(t.ep.Password)),
	}
	out := *se
	for _, sec := range secrets {
		out.Detail = strings.ReplaceAll(out.Detail, sec, "[redacted]")
		out.Code = strings.ReplaceAll(out.Code, sec, "[redacted]")
	}
	return &out
}
