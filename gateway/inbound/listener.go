package inbound

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/secret"
)

// Handler is what the listener hands mail to; *gateway.Service is one.
type Handler interface {
	InboundText(ctx context.Context, in gateway.InboundTextInput) (string, error)
	DeliveryOutcome(ctx context.Context, in gateway.OutcomeInput) error
}

// ListenerConfig sets up the SMTP listener: the gateway's MX for texts
// that phones send to ResetAddress, and for bounces of the mail it sent,
// which come back to VERP addresses on BounceAddress.
type ListenerConfig struct {
	Handler Handler
	// Keys checks the tag of a VERP address, so that nobody can make up a
	// bounce for a delivery they never received.
	Keys *secret.Keys
	// ResetAddress takes texts from phones (RESETGW_RESET_ADDRESS); ""
	// takes none.
	ResetAddress string
	// BounceAddress is the base of the VERP envelope senders
	// (RESETGW_BOUNCE_ADDRESS); "" takes no bounces.
	BounceAddress string
	// Domain is the name in the greeting; the domain of ResetAddress (or
	// BounceAddress) when empty.
	Domain string
	// TLSConfig, when set, offers STARTTLS.
	TLSConfig *tls.Config
	// MaxMessageBytes bounds one message (1 MiB): a bounce or a text is a
	// few kilobytes, an MMS with a photo some hundreds.
	MaxMessageBytes int64
	// MaxRecipients bounds RCPT TO per message (10).
	MaxRecipients int
	// ReadTimeout and WriteTimeout bound each command and reply (1 minute).
	ReadTimeout, WriteTimeout time.Duration
	// SessionTimeout bounds a whole connection (10 minutes), so that a
	// client trickling a byte now and then cannot hold one for ever.
	SessionTimeout time.Duration
	// MaxConnections bounds connections at once (100); more are told to
	// come back later.
	MaxConnections int
	// HandleTimeout bounds the work on one message (30 s).
	HandleTimeout time.Duration
	Logger        *slog.Logger
}

// Listener is the SMTP listener. Run it with Serve and stop it with
// Shutdown, like an http.Server.
type Listener struct {
	cfg  ListenerConfig
	srv  *smtp.Server
	log  *slog.Logger
	done atomic.Bool // Shutdown was called

	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

// NewListener checks cfg and makes a Listener.
func NewListener(cfg ListenerConfig) (*Listener, error) {
	if cfg.Handler == nil {
		return nil, errors.New("inbound: a Handler is required")
	}
	if cfg.ResetAddress == "" && cfg.BounceAddress == "" {
		return nil, errors.New("inbound: the listener needs a reset address, a bounce address or both")
	}
	for _, a := range []string{cfg.ResetAddress, cfg.BounceAddress} {
		if a != "" && !plainAddress(a) {
			return nil, fmt.Errorf("inbound: %q is not a plain address like reset@example.com", a)
		}
	}
	if cfg.BounceAddress != "" && cfg.Keys == nil {
		return nil, errors.New("inbound: Keys are required to take bounces")
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 1 << 20
	}
	if cfg.MaxRecipients <= 0 {
		cfg.MaxRecipients = 10
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = time.Minute
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = time.Minute
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 10 * time.Minute
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 100
	}
	if cfg.HandleTimeout <= 0 {
		cfg.HandleTimeout = 30 * time.Second
	}
	if cfg.Domain == "" {
		a := cfg.ResetAddress
		if a == "" {
			a = cfg.BounceAddress
		}
		cfg.Domain = a[strings.LastIndexByte(a, '@')+1:]
	}
	l := &Listener{cfg: cfg, log: cfg.Logger, conns: map[*trackedConn]struct{}{}}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	srv := smtp.NewServer(backend{l})
	srv.Domain = cfg.Domain
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = cfg.MaxRecipients
	srv.ReadTimeout = cfg.ReadTimeout
	srv.WriteTimeout = cfg.WriteTimeout
	srv.TLSConfig = cfg.TLSConfig
	srv.ErrorLog = smtpLog{l.log}
	l.srv = srv
	return l, nil
}

var plainAddressRE = regexp.MustCompile(`^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$`)

func plainAddress(a string) bool { return plainAddressRE.MatchString(a) }

// Serve takes connections on ln until Shutdown; then it returns nil.
func (l *Listener) Serve(ln net.Listener) error {
	err := l.srv.Serve(&trackingListener{Listener: ln, l: l})
	if l.done.Load() {
		return nil
	}
	return err
}

// Shutdown stops taking connections and ends the open ones: at once when
// idle, right after the reply when a message is being handled, so that no
// message is answered 250 without having been acted on. When ctx ends
// first, the rest are cut (their senders retry later).
func (l *Listener) Shutdown(ctx context.Context) error {
	l.done.Store(true)
	for _, c := range l.openConns() {
		if !c.busy.Load() {
			c.Close()
		}
	}
	err := l.srv.Shutdown(ctx)
	if err != nil {
		for _, c := range l.openConns() {
			c.Close()
		}
	}
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

func (l *Listener) openConns() []*trackedConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*trackedConn, 0, len(l.conns))
	for c := range l.conns {
		out = append(out, c)
	}
	return out
}

// trackingListener counts and times connections: go-smtp's Shutdown waits
// for clients to hang up and its Close cuts everything, so the listener
// keeps its own list to end connections one by one.
type trackingListener struct {
	net.Listener
	l *Listener
}

func (tl *trackingListener) Accept() (net.Conn, error) {
	for {
		c, err := tl.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if tc := tl.l.track(c); tc != nil {
			return tc, nil
		}
		// Full: a 421 makes the sender try again later, as RFC 5321 asks.
		c.SetWriteDeadline(time.Now().Add(time.Second))
		io.WriteString(c, "421 4.7.0 Too many connections, try again later\r\n")
		c.Close()
	}
}

func (l *Listener) track(c net.Conn) *trackedConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.conns) >= l.cfg.MaxConnections {
		return nil
	}
	tc := &trackedConn{Conn: c, l: l}
	tc.timer = time.AfterFunc(l.cfg.SessionTimeout, func() { tc.Close() })
	l.conns[tc] = struct{}{}
	return tc
}

type trackedConn struct {
	net.Conn
	l     *Listener
	timer *time.Timer
	busy  atomic.Bool // a message is being handled
	once  sync.Once
}

// Write closes the connection after a reply once the listener is shutting
// down and no message is in hand: that reply was the last.
func (c *trackedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.l.done.Load() && !c.busy.Load() {
		c.Close()
	}
	return n, err
}

func (c *trackedConn) Close() error {
	var err error
	c.once.Do(func() {
		c.l.mu.Lock() // track set the timer under it
		c.timer.Stop()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		err = c.Conn.Close()
	})
	return err
}

// trackedOf finds our connection under go-smtp's (and TLS's) wrapping.
func trackedOf(nc net.Conn) *trackedConn {
	if t, ok := nc.(*tls.Conn); ok {
		nc = t.NetConn()
	}
	tc, _ := nc.(*trackedConn)
	return tc
}

type backend struct{ l *Listener }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s := &session{l: b.l, conn: trackedOf(c.Conn())}
	if addr, ok := c.Conn().RemoteAddr().(*net.TCPAddr); ok {
		s.ip = addr.IP.String()
	}
	return s, nil
}

// session is one SMTP transaction at a time on one connection.
type session struct {
	l    *Listener
	conn *trackedConn
	ip   string

	from    string
	text    bool    // the reset address is a recipient
	bounces []int64 // deliveries whose VERP addresses are recipients
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.Reset()
	s.from = from
	return nil
}

var errNoRecipient = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such recipient here"}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	to = strings.TrimSpace(to)
	l := s.l
	if l.cfg.ResetAddress != "" && strings.EqualFold(to, l.cfg.ResetAddress) {
		s.text = true
		return nil
	}
	if l.cfg.BounceAddress != "" {
		if id, tag, ok := ParseVERP(to, l.cfg.BounceAddress); ok && l.cfg.Keys.CheckVERPTag(id, tag) {
			if !slices.Contains(s.bounces, id) {
				s.bounces = append(s.bounces, id)
			}
			return nil
		}
	}
	return errNoRecipient
}

var (
	errTemporary = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later"}
	errTooBig    = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big"}
	errMalformed = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Malformed message"}
	errNotText   = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
		Message: "This address takes texts from phones only, sent through a mobile carrier's gateway"}
	errNotReport = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
		Message: "Not a delivery status notification this server can read"}
)

// Data reads the message and acts on it before answering, so that a 250
// means it was acted on and a failure of ours is a 451 the sender retries.
func (s *session) Data(r io.Reader) error {
	if s.conn != nil {
		s.conn.busy.Store(true)
		defer s.conn.busy.Store(false)
	}
	l := s.l
	data, err := io.ReadAll(io.LimitReader(r, l.cfg.MaxMessageBytes+1))
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se // go-smtp's own: too large, and the like
		}
		return errTemporary
	}
	if int64(len(data)) > l.cfg.MaxMessageBytes {
		return errTooBig
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.HandleTimeout)
	defer cancel()
	var firstErr error
	if len(s.bounces) > 0 {
		firstErr = l.handleBounce(ctx, s.ip, s.bounces, data)
	}
	if s.text {
		if err := l.handleText(ctx, s.ip, s.from, data); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func (s *session) Reset() {
	s.from, s.text, s.bounces = "", false, nil
}

func (s *session) Logout() error { return nil }

// handleBounce reads a DSN sent to the VERP addresses of deliveries and
// reports its outcome for each.
func (l *Listener) handleBounce(ctx context.Context, ip string, ids []int64, data []byte) error {
	dsn, err := ParseDSN(bytes.NewReader(data))
	if errors.Is(err, ErrNotDSN) {
		// An auto-reply or a complaint to a bounce address: nothing to
		// act on, and refusing it would only send more mail around.
		l.log.Debug("mail to a bounce address is no delivery report; dropped", "ip", ip, "deliveries", ids)
		return nil
	}
	if err != nil {
		l.log.Info("unreadable delivery report refused", "ip", ip, "deliveries", ids, "code", gateway.ErrorCode(err))
		return errNotReport
	}
	rcpt, ok := reportedRecipient(dsn)
	if !ok {
		return nil
	}
	in := gateway.OutcomeInput{Source: "bounce", IP: ip, ErrorCode: bounceCode(rcpt), Detail: rcpt.DiagnosticCode}
	switch {
	case rcpt.Permanent():
		in.Status = gateway.OutcomeFailed
	case rcpt.Transient():
		in.Status = gateway.OutcomeDelayed
	case rcpt.Action == "delivered":
		in.Status = gateway.OutcomeDelivered
	default:
		return nil // relayed, expanded: says nothing about the phone or mailbox
	}
	for _, id := range ids {
		in.DeliveryID = id
		err := l.cfg.Handler.DeliveryOutcome(ctx, in)
		switch {
		case err == nil:
			l.log.Info("delivery report", "delivery_id", id, "outcome", in.Status, "code", in.ErrorCode, "reporting_mta", dsn.ReportingMTA)
		case gateway.IsNotFound(err):
			l.log.Info("delivery report for an unknown delivery dropped", "delivery_id", id)
		default:
			l.log.Error("recording a delivery report failed", "delivery_id", id, "err", err)
			return errTemporary
		}
	}
	return nil
}

// reportedRecipient picks the block that matters: the gateway sends every
// message to one recipient, so a report names one; were there several,
// the worst counts.
func reportedRecipient(d *DSN) (DSNRecipient, bool) {
	for _, pick := range []func(DSNRecipient) bool{
		DSNRecipient.Permanent,
		DSNRecipient.Transient,
		func(r DSNRecipient) bool { return r.Action == "delivered" },
	} {
		for _, r := range d.Recipients {
			if pick(r) {
				return r, true
			}
		}
	}
	return DSNRecipient{}, false
}

var smtpReplyRE = regexp.MustCompile(`^([245][0-9]{2})(?:[ -]([245]\.[0-9]{1,3}\.[0-9]{1,3}))?(?:\s|$)`)

// bounceCode is a bounce's error code as the admin reads it: the reply
// code and status of the remote server ("550 5.1.1"), or the status alone
// when the report quotes no reply.
func bounceCode(r DSNRecipient) string {
	if m := smtpReplyRE.FindStringSubmatch(r.DiagnosticCode); m != nil {
		status := m[2]
		if status == "" {
			status = r.Status
		}
		return strings.TrimSpace(m[1] + " " + status)
	}
	if r.Status != "" {
		return r.Status
	}
	return r.Action
}

// handleText reads a text a phone sent to the reset address.
func (l *Listener) handleText(ctx context.Context, ip, envFrom string, data []byte) error {
	if envFrom == "" {
		// A null sender is a bounce or another robot: never a phone.
		l.log.Debug("mail with a null sender to the reset address dropped", "ip", ip)
		return nil
	}
	tm, err := ParseTextMail(bytes.NewReader(data))
	if err != nil {
		switch gateway.ErrorCode(err) {
		case "auto_submitted", "not_text_mail":
			// A robot: answering could start a loop, refusing makes a
			// bounce. Taking it quietly does neither.
			l.log.Debug("automatic mail to the reset address dropped", "ip", ip, "code", gateway.ErrorCode(err))
			return nil
		case "no_sender":
			return errNotText
		}
		return errMalformed
	}
	_, err = l.cfg.Handler.InboundText(ctx, gateway.InboundTextInput{
		Source: gateway.SourceEmailText, From: tm.From, EnvelopeFrom: envFrom, Body: tm.Body, IP: ip,
	})
	switch {
	case err == nil:
		return nil
	case gateway.ErrorCode(err) == "not_carrier_sender":
		// Also when the envelope sender is not the header's: a forger
		// sets the header, a carrier's gateway sets both alike.
		l.log.Info("mail to the reset address not from a carrier gateway refused", "ip", ip)
		return errNotText
	case gateway.ErrorKind(err) == gateway.KindInvalid:
		return errMalformed
	}
	l.log.Error("handling a text by mail failed", "err", err)
	return errTemporary
}

// smtpLog sends go-smtp's own complaints (broken connections, mostly) to
// the log.
type smtpLog struct{ log *slog.Logger }

func (s smtpLog) Printf(format string, v ...any) {
	s.log.Debug("smtp listener", "msg", fmt.Sprintf(format, v...))
}

func (s smtpLog) Println(v ...any) {
	s.log.Debug("smtp listener", "msg", strings.TrimSpace(fmt.Sprintln(v...)))
}
