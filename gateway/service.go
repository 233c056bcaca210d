// Package gateway is the domain of resetgw: tenants, personnel, reset
// requests and their outbox, the rules of the reset flow (DESIGN.md), and
// the small interfaces it needs from the outside (Store, Sender, Renderer).
// It imports no adapter: SQL, HTTP, SMTP and Twilio live in subpackages and
// under carriers/, and cmd/resetgw wires them together.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/resetgw/resetgw/gateway/secret"
)

// Config builds a Service. Store, Renderer, Keys and Hasher are required.
type Config struct {
	Store    Store
	Renderer Renderer
	Keys     *secret.Keys
	// Ring, when set, seals the outbox bodies that carry a secret (a reset's
	// password or link, a verification link) under this instance's
	// in-memory keys instead of the master key (instancekeys.go): for
	// instances sharing a PostgreSQL store, whose old row versions the
	// gateway cannot wipe.
	Ring   *secret.KeyRing
	Hasher PasswordHasher   // a *secret.Hasher
	Clock  func() time.Time // time.Now by default
	Rand   io.Reader        // crypto/rand by default
	Logger *slog.Logger
	Limits Limits
	// DefaultTwilio says the operator configured a Twilio account that
	// tenants without their own use; else their texts go by carrier
	// gateway.
	DefaultTwilio bool
	// TwilioUnshared keeps the operator's Twilio to the default tenant
	// (RESETGW_TWILIO_SHARED=false): other tenants without their own
	// account text by their chain's other routes.
	TwilioUnshared bool
	// AWSDefaultCredentials lets an aws route that gives no access key
	// send with the operator's default AWS credential chain (environment,
	// shared config, instance or task role): RESETGW_AWS_DEFAULT_CREDENTIALS.
	// Off, every aws route must carry its own key pair.
	AWSDefaultCredentials bool
	// DefaultTwilioFrom is the operator's shared sender (RESETGW_TWILIO_FROM:
	// a number or an MG… Messaging Service SID): only an operator may give
	// it to a tenant.
	DefaultTwilioFrom string
	// SMSCountries are the regions the operator lets texts go to (US and
	// CA by default); a tenant's own list only narrows it.
	SMSCountries []string
	// DefaultRegion is the region for numbers given without a country code.
	DefaultRegion string
	// Kick, when set, is called after a request was stored, to wake the
	// outbox worker at once instead of at its next poll.
	Kick func()
	// Tester sends the admin's test messages (Test Provider, test email);
	// nil answers every test with "no sender" (see SetTester).
	Tester ProviderTester
	// CheckSMTPURL checks a tenant's SMTP URL as it is saved (the SMTP
	// carrier's parser: its query parameters, hosts a tenant may not use);
	// its error text is shown to the admin. When nil, a URL with a query
	// is refused.
	CheckSMTPURL func(rawURL string) error
	// PublicURL is where people reach the gateway's pages
	// (RESETGW_PUBLIC_URL); reset links start with it, and link mode
	// needs it.
	PublicURL string
	// Observer is told what happens, for metrics; nil tells nobody.
	Observer Observer
}

// Limits are the rate limits of the public endpoints. A zero count turns
// that limit off.
type Limits struct {
	Window time.Duration // reset request window, 1 hour by default
	// PerIP caps the requests of one client as they arrive, matched or
	// not: the flood ceiling. The client is the IP, or the sender's
	// number for a text (which has no IP of its own).
	PerIP int
	// PerPersonIP and PerPerson count only requests that matched the
	// person, when they are resolved, so that naming someone's phone or
	// email in requests that match nobody uses up nothing of theirs.
	PerPersonIP int // resets of one person asked from one client
	PerPerson   int // resets of one person from anywhere
	PerTenant   int // matched resets of one tenant

	LoginWindow       time.Duration // 15 minutes by default
	LoginPerAccountIP int           // failed logins per (account, client IP)
	LoginPerIP        int           // failed logins per client IP
	// LoginDelay is the pause asked for after the first few failures of
	// an (account, IP) pair, doubling with each more.
	LoginDelay time.Duration
	// LoginCeiling caps an account's failures from everywhere in
	// LoginCeilingWindow (a day by default). Past it, only addresses that
	// have not failed for the account may still try; an admin sees the
	// lock and clears it.
	LoginCeiling       int
	LoginCeilingWindow time.Duration
}

// DefaultLimits are sane limits for a crew of hundreds behind one office IP.
func DefaultLimits() Limits {
	return Limits{
		Window: time.Hour, PerIP: 30, PerPersonIP: 3, PerPerson: 10, PerTenant: 2000,
		LoginWindow: 15 * time.Minute, LoginPerAccountIP: 10, LoginPerIP: 100, LoginDelay: time.Second,
		LoginCeiling: 100, LoginCeilingWindow: 24 * time.Hour,
	}
}

// Service runs the reset flow and the operations on its data. It is safe
// for concurrent use.
type Service struct {
	store    Store
	renderer Renderer
	keys     *secret.Keys
	ring     *secret.KeyRing
	hasher   hasher
	now      func() time.Time
	rand     io.Reader
	log      *slog.Logger
	limits   Limits
	twilio   bool
	// twilioShared lets tenants without their own account use the
	// operator's.
	twilioShared bool
	// awsDefault lets aws routes without keys use the operator's chain.
	awsDefault bool
	region     string
	kick       func()
	// followUp wakes the provider follow-up (poll.go) when a delivery
	// reached a final status; nil when there is none.
	followUp func()

	// lateFailure is told of late failures of the sender's setup
	// (lateattention.go); nil when nobody listens.
	lateFailure func(*Delivery, *SendError)

	tester ProviderTester
	lanes  func() []LaneStatus
	// failoverAfter is the first-attempt window (the worker sets it).
	failoverAfter time.Duration
	accepts       acceptCommitter
	checkURL      func(string) error
	// twilioFrom is the operator's shared Twilio sender, normalized.
	twilioFrom string
	countries  []string
	publicURL  string
	obs        Observer
	// bulk feeds running bulk jobs to the worker (bulkfeed.go).
	bulk bulkFeed

	// lateWindow is how long a sent text's body is kept for a late
	// failover (latefail.go).
	lateWindow time.Duration
}

// New checks cfg and makes a Service.
func New(cfg Config) (*Service, error) {
	var err error
	if cfg.Store == nil || cfg.Renderer == nil || cfg.Keys == nil || cfg.Hasher == nil {
		return nil, Errorf(KindInternal, "config", "gateway: Store, Renderer, Keys and Hasher are required")
	}
	s := &Service{
		store: cfg.Store, renderer: cfg.Renderer, keys: cfg.Keys, ring: cfg.Ring, hasher: hasher{cfg.Hasher},
		now: cfg.Clock, rand: cfg.Rand, log: cfg.Logger, limits: cfg.Limits,
		twilio: cfg.DefaultTwilio, region: cfg.DefaultRegion, kick: cfg.Kick, tester: cfg.Tester,
		checkURL: cfg.CheckSMTPURL, publicURL: strings.TrimRight(strings.TrimSpace(cfg.PublicURL), "/"),
		twilioShared: !cfg.TwilioUnshared, awsDefault: cfg.AWSDefaultCredentials,
		obs: cfg.Observer,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.limits.Window <= 0 {
		s.limits.Window = time.Hour
	}
	if s.limits.LoginWindow <= 0 {
		s.limits.LoginWindow = 15 * time.Minute
	}
	if s.limits.LoginCeilingWindow <= 0 {
		s.limits.LoginCeilingWindow = 24 * time.Hour
	}
	if s.region == "" {
		s.region = "US"
	}
	if s.kick == nil {
		s.kick = func() {}
	}
	if from := strings.TrimSpace(cfg.DefaultTwilioFrom); from != "" {
		s.twilioFrom = from
		if !strings.HasPrefix(from, "MG") {
			e, _, err := ParsePhone(from, s.region)
			if err != nil {
				return nil, Errorf(KindInternal, "config", "gateway: the default Twilio From is no phone number")
			}
			s.twilioFrom = e
		}
	}
	s.countries = []string{"US", "CA"}
	if len(cfg.SMSCountries) > 0 {
		if s.countries, err = normalizeCountries(cfg.SMSCountries); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Store returns the service's store, for adapters that only read.
func (s *Service) Store() Store { return s.store }

// SetKick sets the function that wakes the outbox worker.
func (s *Service) SetKick(kick func()) { s.kick = kick }

func (s *Service) clock() time.Time { return s.now().UTC() }

var idEncoding = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// newID makes an unguessable id: a public request id must not let anyone
// walk through other people's requests.
func (s *Service) newID(prefix string) (string, error) {
	b := make([]byte, 15)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", Internal(err)
	}
	return prefix + idEncoding.EncodeToString(b), nil
}

// event appends an event, stamping time; a failed append fails the
// surrounding transaction, because an action that cannot be logged must
// not happen.
func (s *Service) event(ctx context.Context, st EventStore, e Event) error {
	if e.At.IsZero() {
		e.At = s.clock()
	}
	if e.Actor == "" {
		e.Actor = ActorSystem
	}
	return st.AppendEvent(ctx, &e)
}

// tenant finds a tenant by slug; "" is the default tenant.
func (s *Service) tenant(ctx context.Context, st TenantStore, slug string) (*Tenant, error) {
	slug = strings.TrimSpace(strings.ToLower(slug))
	if slug == "" {
		slug = DefaultSlug
	}
	t, err := st.TenantBySlug(ctx, slug)
	if IsNotFound(err) {
		return nil, Errorf(KindNotFound, "tenant_not_found", "no tenant %q", slug)
	}
	return t, err
}

// Tenant returns a tenant by slug ("" is the default tenant).
func (s *Service) Tenant(ctx context.Context, slug string) (*Tenant, error) {
	return s.tenant(ctx, s.store, slug)
}

// expiresIn says a duration the way a crew member reads it.
func expiresIn(locale string, d time.Duration) string {
	es := strings.HasPrefix(strings.ToLower(locale), "es")
	h := int(d.Round(time.Hour) / time.Hour)
	switch {
	case d < time.Hour:
		m := int(d.Round(time.Minute) / time.Minute)
		if es {
			return strconv.Itoa(m) + " minutos"
		}
		return strconv.Itoa(m) + " minutes"
	case h == 1:
		if es {
			return "1 hora"
		}
		return "1 hour"
	}
	if es {
		return strconv.Itoa(h) + " horas"
	}
	return strconv.Itoa(h) + " hours"
}
