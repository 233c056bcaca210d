// Package smtp sends the gateway's mail over SMTP: the reset email itself
// (Route "email") and the text that goes through a carrier's email-to-SMS
// gateway (Route "carrier", To already number@carrier-domain).
//
// Connections are kept per relay endpoint while there is work: a burst of
// resets pays one TCP, EHLO, STARTTLS and AUTH per connection, not per
// message. A kept connection is checked with RSET before it carries the
// next message, so a connection the server has dropped costs a fresh
// dial, not a failed attempt.
package smtp

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/resetgw/resetgw/gateway"
)

// Defaults of the Config fields left zero.
const (
	// DefaultTimeout bounds the dial, the TLS handshake and each command.
	DefaultTimeout = 10 * time.Second
	// DefaultConnections is how many connections a relay endpoint gets at
	// most, which is also its lane's concurrency.
	DefaultConnections = 4
	// DefaultMessagesPerConn is how many messages one connection carries
	// before a fresh one is opened.
	DefaultMessagesPerConn = 100
	// DefaultIdleTimeout is how long an unused connection stays open.
	DefaultIdleTimeout = 5 * time.Second
)

// maxDetail caps the server text kept in a SendError.
const maxDetail = 300

// Config sets up a Sender.
type Config struct {
	// Default is the operator's profile, for tenants without their own.
	// Only it may use ?tls=none to another host and ?ca=.
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
	// AllowHosts are relay hosts a tenant's profile may use although they
	// are internal (RESETGW_SMTP_ALLOW_HOSTS): compared with the URL's
	// host, case-insensitively. Other tenant hosts must resolve to public
	// addresses only.
	AllowHosts []string
	// Resolver resolves tenant relay hosts; net.DefaultResolver when nil.
	Resolver Resolver
	// Connections, MessagesPerConn and IdleTimeout shape the kept
	// connections (see the Default... constants).
	Connections     int
	MessagesPerConn int
	IdleTimeout     time.Duration
}

// Sender delivers gateway messages over SMTP. It is safe for concurrent
// use and implements gateway.Sender and gateway.Laner. Close ends its kept
// connections.
type Sender struct {
	cfg Config

	mu    sync.Mutex
	pools map[poolKey]*pool
	cas   map[string]*caEntry
	done  bool
}

var (
	_ gateway.Sender         = (*Sender)(nil)
	_ gateway.Laner          = (*Sender)(nil)
	_ gateway.HandOverSender = (*Sender)(nil)
)

// HandsOver implements gateway.HandOverSender: a message's HandOver is
// waited for before the final dot of DATA, after which the relay may
// hold the mail, and nothing is sent past it when the wait fails.
func (s *Sender) HandsOver(r gateway.Route) bool {
	return r == gateway.RouteEmail || r == gateway.RouteCarrier
}

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
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Connections <= 0 {
		cfg.Connections = DefaultConnections
	}
	if cfg.MessagesPerConn <= 0 {
		cfg.MessagesPerConn = DefaultMessagesPerConn
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	return &Sender{cfg: cfg, pools: map[poolKey]*pool{}, cas: map[string]*caEntry{}}
}

// Close quits the kept connections. Sends after Close still work, on
// connections that are closed after each message.
func (s *Sender) Close() error {
	s.mu.Lock()
	s.done = true
	pools := make([]*pool, 0, len(s.pools))
	for _, p := range s.pools {
		pools = append(pools, p)
	}
	s.mu.Unlock()
	for _, p := range pools {
		p.closeIdle()
	}
	return nil
}

// Lane names the lane of m: one per relay endpoint, "smtp:host:port" for
// email and "carrier:host:port" for texts through a carrier's gateway,
// with the endpoint's connection count as its concurrency. A tenant's own
// profile is its own endpoint, "smtp:host:port/tenant": its account at
// the relay is not another tenant's, so its wrong password or refused
// From address pauses only its own mail.
func (s *Sender) Lane(m *gateway.Message) gateway.LaneSpec {
	kind := "smtp"
	if m != nil && m.Route == gateway.RouteCarrier {
		kind = "carrier"
	}
	spec := gateway.LaneSpec{Kind: kind, Concurrency: s.cfg.Connections}
	var t *gateway.Tenant
	if m != nil {
		t = m.Tenant
	}
	profile, tenant := s.profileFor(t)
	spec.Key = kind + ":unconfigured"
	if ep, err := ParseURL(profile.URL); err == nil {
		spec.Key = kind + ":" + net.JoinHostPort(strings.ToLower(ep.Host), strconv.Itoa(ep.Port))
	}
	if tenant {
		spec.Key += "/" + t.Slug
	}
	return spec
}

// Send delivers m, a Route "email" or "carrier" message, through the
// tenant's SMTP profile (or the default one). The provider id is the
// Message-ID, without angle brackets: a bounce quotes it, and it is the
// same on every attempt of the delivery. Failures are *gateway.SendError;
// their texts never hold the message body or the profile's password, and
// for a tenant's own profile never the server's raw words.
func (s *Sender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	if m == nil {
		return "", permanent("invalid_message", "no message")
	}
	if m.Route != gateway.RouteEmail && m.Route != gateway.RouteCarrier {
		return "", permanent("unsupported_route", fmt.Sprintf("the SMTP sender does not carry route %q", m.Route))
	}
	profile, tenant := s.profileFor(m.Tenant)
	id, _, err := s.send(ctx, profile, tenant, m)
	return id, err
}

// Test sends a plain text message through profile for the admin's "send
// test email" and "Test Provider", and returns the server's answer to the
// message, e.g. "250 2.0.0 OK: queued as 4F2A". A nil profile is the
// operator's default; any other is a tenant's, held to a tenant's limits.
// A refusal is a *gateway.SendError.
func (s *Sender) Test(ctx context.Context, profile *gateway.SMTPProfile, to, subject, text string) (string, error) {
	tenant := profile != nil
	if profile == nil {
		profile = &s.cfg.Default
	}
	m := &gateway.Message{Channel: gateway.ChannelEmail, Route: gateway.RouteCarrier, To: to, Subject: subject, Text: text}
	_, reply, err := s.send(ctx, *profile, tenant, m)
	return reply, err
}

// profileFor picks the tenant's own profile, or the operator's default;
// tenant says which, as a tenant's profile is held to tighter limits.
func (s *Sender) profileFor(t *gateway.Tenant) (p gateway.SMTPProfile, tenant bool) {
	if t != nil && t.SMTP != nil && t.SMTP.URL != "" {
		return *t.SMTP, true
	}
	return s.cfg.Default, false
}

func (s *Sender) send(ctx context.Context, profile gateway.SMTPProfile, tenant bool, m *gateway.Message) (id, reply string, err error) {
	if strings.TrimSpace(profile.URL) == "" {
		return "", "", configErr("smtp_not_configured", "no SMTP profile URL is set",
			"Set up the email profile in the settings (or RESETGW_SMTP_URL for the whole gateway).")
	}
	parse := ParseURL
	if tenant {
		parse = ParseTenantURL
	}
	ep, err := parse(profile.URL)
	if err != nil {
		return "", "", configErr("smtp_config", err.Error(), "Correct the SMTP URL of the email profile.")
	}
	from, err := mail.ParseAddress(profile.From)
	if err != nil || profile.From == "" {
		return "", "", configErr("smtp_config", "the profile's From address is missing or does not parse",
			"Set a From address in the email profile.")
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return "", "", &gateway.SendError{Class: gateway.FailRecipient, Code: "invalid_address", Detail: "the recipient address does not parse"}
	}
	id = s.messageID(from.Address, m)
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
		ep: ep, envFrom: envFrom, rcpt: to.Address, data: data,
		envID: "resetgw-" + strconv.FormatInt(m.DeliveryID, 10),
		ho:    m.HandOver,
	}
	reply, err = s.pool(ep, tenant).run(ctx, t)
	if err != nil {
		if t.ho != nil && afterDot(err) {
			// The relay has the whole message and may have taken it:
			// with a hand-over mark the engine sends it no more.
			return "", "", &gateway.SendError{Class: gateway.FailTransient, Code: gateway.CodeAnswerLost, MayHaveSent: true,
				Detail: "the relay had the whole message but its answer never came"}
		}
		return "", "", redact(ep, classify(ctx, err, tenant))
	}
	return id, reply, nil
}

// transaction is one message to deliver.
type transaction struct {
	ep      *Endpoint
	envFrom string
	rcpt    string
	envID   string
	data    []byte
	// ho is waited for before the final dot (nil: nothing to wait for).
	ho *gateway.HandOver
}
