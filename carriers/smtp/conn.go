package smtp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// conn is one SMTP connection, greeted, encrypted and logged in as the
// profile asks. nc is the TCP connection under any TLS: closing it
// unblocks whatever is waiting on the connection.
type conn struct {
	*gosmtp.Client
	nc        net.Conn
	sent      int
	idleSince time.Time
}

func (c *conn) close() {
	_ = c.Client.Close()
	_ = c.nc.Close()
}

// quit says goodbye and closes; a failing QUIT changes nothing.
func (c *conn) quit() {
	_ = c.Client.Quit()
	c.close()
}

// watch closes nc when ctx ends, which unblocks any read or write on it:
// go-smtp's calls take no context. The returned stop reports false when
// it was too late and the connection is closed.
func watch(ctx context.Context, nc net.Conn) func() bool {
	return context.AfterFunc(ctx, func() { _ = nc.Close() })
}

// mustTLS says a connection must be encrypted: the profile says verify,
// it carries credentials, or the relay is not on this machine. A server
// that does not offer STARTTLS then gets nothing, as its offer may have
// been stripped on the way.
func (p *pool) mustTLS() bool {
	ep := p.ep
	return ep.TLS == TLSVerify || ep.Username != "" || !ep.Loopback()
}

// dial opens a connection: TCP, then TLS as the endpoint's mode says,
// EHLO, and AUTH when the profile has credentials.
func (p *pool) dial(ctx context.Context) (*conn, error) {
	c, err := p.connect(ctx)
	if err != nil {
		return nil, err
	}
	if p.ep.Username != "" {
		if err := p.auth(c); err != nil {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

func (p *pool) connect(ctx context.Context) (*conn, error) {
	ep := p.ep
	switch {
	case ep.ImplicitTLS:
		return p.open(ctx, func(nc net.Conn) (*gosmtp.Client, error) {
			cfg, err := p.tlsConfig()
			if err != nil {
				return nil, err
			}
			tc := tls.Client(nc, cfg)
			hctx, cancel := context.WithTimeout(ctx, p.s.cfg.Timeout)
			defer cancel()
			if err := tc.HandshakeContext(hctx); err != nil {
				return nil, &stagedError{stageTLS, err}
			}
			return p.hello(gosmtp.NewClient(tc))
		})
	case ep.TLS == TLSNone:
		return p.open(ctx, func(nc net.Conn) (*gosmtp.Client, error) { return p.hello(gosmtp.NewClient(nc)) })
	case p.mustTLS() || p.offersTLS.Load():
		return p.open(ctx, p.startTLS)
	}
	// Opportunistic, to this machine, without credentials: plain text is
	// acceptable, so ask once whether the server offers STARTTLS.
	c, err := p.open(ctx, func(nc net.Conn) (*gosmtp.Client, error) { return p.hello(gosmtp.NewClient(nc)) })
	if err != nil {
		return nil, err
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return c, nil
	}
	// go-smtp has no STARTTLS on a client that has said EHLO: start again
	// with it, and remember the offer for the next connections.
	c.quit()
	p.offersTLS.Store(true)
	return p.open(ctx, p.startTLS)
}

// open dials TCP and runs setup on it, bounded by ctx.
func (p *pool) open(ctx context.Context, setup func(net.Conn) (*gosmtp.Client, error)) (*conn, error) {
	raw, err := p.s.dialTCP(ctx, p.ep, p.tenant)
	if err != nil {
		return nil, &stagedError{stageConnect, err}
	}
	nc := &boundedConn{Conn: raw, max: p.s.cfg.Timeout}
	stop := watch(ctx, nc)
	c, err := setup(nc)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		if c != nil {
			_ = c.Close()
		}
		_ = nc.Close()
		return nil, err
	}
	return &conn{Client: c, nc: nc}, nil
}

func (p *pool) hello(c *gosmtp.Client) (*gosmtp.Client, error) {
	c.CommandTimeout = p.s.cfg.Timeout
	c.SubmissionTimeout = p.s.cfg.Timeout
	if err := c.Hello(p.s.cfg.Hostname); err != nil {
		return c, &stagedError{stageHello, err}
	}
	return c, nil
}

// errNoSTARTTLS is a server that offers no STARTTLS where TLS is required.
var errNoSTARTTLS = errors.New("the server does not offer STARTTLS")

// startTLS greets, upgrades with STARTTLS and greets again. The handshake
// runs at the first command after STARTTLS, so the EHLO that follows is
// where a certificate problem shows.
func (p *pool) startTLS(nc net.Conn) (*gosmtp.Client, error) {
	cfg, err := p.tlsConfig()
	if err != nil {
		return nil, err
	}
	// NewClientStartTLS greets the server itself (as "localhost"); the EHLO
	// with our name comes after the upgrade, which is the one that counts.
	c, err := gosmtp.NewClientStartTLS(nc, cfg)
	if err != nil {
		// go-smtp v0.25.1 says so in words only.
		if strings.Contains(err.Error(), "support STARTTLS") {
			return nil, &stagedError{stageTLS, errNoSTARTTLS}
		}
		var se *gosmtp.SMTPError
		if errors.As(err, &se) {
			return nil, &stagedError{stageHello, err}
		}
		return nil, &stagedError{stageTLS, err}
	}
	c.CommandTimeout = p.s.cfg.Timeout
	c.SubmissionTimeout = p.s.cfg.Timeout
	if err := c.Hello(p.s.cfg.Hostname); err != nil {
		var se *gosmtp.SMTPError
		if errors.As(err, &se) {
			return c, &stagedError{stageHello, err}
		}
		return c, &stagedError{stageTLS, err}
	}
	if _, ok := c.TLSConnectionState(); !ok {
		return c, &stagedError{stageTLS, errors.New("STARTTLS did not start TLS")}
	}
	return c, nil
}

// tlsConfig is the base configuration with the endpoint's host, its mode
// (opportunistic checks no certificate) and its private CA.
func (p *pool) tlsConfig() (*tls.Config, error) {
	var cfg *tls.Config
	if p.s.cfg.TLSConfig != nil {
		cfg = p.s.cfg.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = p.ep.Host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	switch {
	case p.ep.TLS == TLSOpportunistic:
		// As Postfix's "may": encrypted against a passive listener; a
		// self-signed certificate is what a local relay has.
		cfg.InsecureSkipVerify = true
	case p.ep.CAFile != "":
		pool, err := p.s.caPool(p.ep.CAFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// caEntry caches a CA file's pool, or why it could not be read.
type caEntry struct {
	pool *x509.CertPool
	err  error
}

// errCAFile is a ?ca= file that cannot be read or holds no certificate.
var errCAFile = errors.New("the ca= file cannot be read or holds no PEM certificate")

// LoadCA reads a PEM file of CA certificates, as ?ca= names it.
func LoadCA(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errCAFile
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errCAFile
	}
	return pool, nil
}

func (s *Sender) caPool(path string) (*x509.CertPool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.cas[path]
	if !ok {
		e = &caEntry{}
		e.pool, e.err = LoadCA(path)
		s.cas[path] = e
	}
	return e.pool, e.err
}

// errPlainAuth is credentials about to go in clear to another machine.
var errPlainAuth = errors.New("the connection is not encrypted: credentials are only sent over TLS, or to this machine")

// errNoAuth is a server that offers no AUTH to a profile with credentials.
var errNoAuth = errors.New("the server offers no AUTH PLAIN or LOGIN but the profile has credentials")

// auth logs in with PLAIN (LOGIN when the server offers only that). A
// password goes in clear to nothing but this machine, as net/smtp's
// PlainAuth does.
func (p *pool) auth(c *conn) error {
	if _, isTLS := c.TLSConnectionState(); !isTLS && !p.ep.Loopback() {
		return &stagedError{stageAuth, errPlainAuth}
	}
	var a sasl.Client
	switch {
	case c.SupportsAuth(sasl.Plain):
		a = sasl.NewPlainClient("", p.ep.Username, p.ep.Password)
	case c.SupportsAuth(sasl.Login):
		a = sasl.NewLoginClient(p.ep.Username, p.ep.Password)
	default:
		return &stagedError{stageAuth, errNoAuth}
	}
	if err := c.Auth(a); err != nil {
		return &stagedError{stageAuth, err}
	}
	return nil
}

// deliver runs MAIL, RCPT and DATA and returns the final answer, e.g.
// "250 2.0.0 Ok: queued as 4F2A". A server that offers DSN is asked to
// report only failures, with headers, under the delivery's envelope id.
func (t *transaction) deliver(ctx context.Context, c *gosmtp.Client) (string, error) {
	mo := &gosmtp.MailOptions{Size: int64(len(t.data)), Return: gosmtp.DSNReturnHeaders, EnvelopeID: t.envID}
	if !isASCII(t.envFrom) || !isASCII(t.rcpt) {
		if ok, _ := c.Extension("SMTPUTF8"); !ok {
			return "", permanent("smtputf8_unsupported", "the address is not ASCII and the server does not offer SMTPUTF8")
		}
		mo.UTF8 = true
	}
	if err := c.Mail(t.envFrom, mo); err != nil {
		return "", &stagedError{stageMail, err}
	}
	if err := c.Rcpt(t.rcpt, &gosmtp.RcptOptions{Notify: []gosmtp.DSNNotify{gosmtp.DSNNotifyFailure}}); err != nil {
		return "", &stagedError{stageRcpt, err}
	}
	w, err := c.Data()
	if err != nil {
		return "", &stagedError{stageData, err}
	}
	if _, err := w.Write(t.data); err != nil {
		return "", &stagedError{stageData, err}
	}
	// Past the dot the relay may hold the mail whatever happens here:
	// the engine's mark must be durable first. Without it the connection
	// is closed mid-DATA, and the relay drops what it has.
	if err := t.ho.Wait(ctx); err != nil {
		return "", err
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return "", &stagedError{stageDot, err}
	}
	return "250 " + resp.StatusText, nil
}

// afterDot says err came after the final dot was on its way, and is not
// the relay's reply: the relay may have taken the message.
func afterDot(err error) bool {
	var staged *stagedError
	var reply *gosmtp.SMTPError
	return errors.As(err, &staged) && staged.stage == stageDot && !errors.As(err, &reply)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
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
