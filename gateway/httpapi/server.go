// Package httpapi is the gateway's HTTP face (Fiber): the public API the
// crew app calls, the admin API, and the demo's dev inbox page. It maps
// domain errors to HTTP in exactly one place (errors.go).
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/templates"
)

// Inbox is the demo's dev inbox, shown at /dev/inbox when set.
type Inbox interface {
	Entries() []InboxEntry
}

// InboxEntry is one message caught by the dev inbox.
type InboxEntry struct {
	At      time.Time `json:"at"`
	Route   string    `json:"route"`
	Channel string    `json:"channel"`
	To      string    `json:"to"`
	Subject string    `json:"subject,omitempty"`
	Text    string    `json:"text"`
}

// Config builds the HTTP app.
type Config struct {
	Service *gateway.Service
	Logger  *slog.Logger
	// AdminToken is the bearer token of /admin/api; empty answers 401 to
	// every admin call.
	AdminToken string
	// Ready reports whether the store is open and migrated (for /healthz).
	Ready func(ctx context.Context) error
	// Inbox, when set, serves /dev/inbox (demo mode only).
	Inbox Inbox
	// ProxyHeader (e.g. X-Forwarded-For) is believed for the client IP
	// only from TrustedProxies (see ParseTrustedProxies); else every
	// client would share the proxy's rate limit, or could forge its own
	// IP. With no trusted proxies the header is ignored.
	ProxyHeader    string
	TrustedProxies []netip.Prefix
	// Console renders the admin console at /admin; nil serves the
	// embedded pages.
	Console *templates.Console
	// PublicURL is RESETGW_PUBLIC_URL: Twilio signs its webhooks over
	// this URL plus the path, not over what the proxy in front forwards.
	PublicURL string
	// TokenFailures wrong admin tokens from one client address (an IPv6
	// client's /64) in TokenWindow answer 429 until the window ends;
	// defaults 10 and 15 minutes, a negative TokenFailures turns it off.
	TokenFailures int
	TokenWindow   time.Duration
	// RequestTimeout bounds every request's work (its UserContext);
	// default 10 s. AdminRequestTimeout replaces it once an admin is
	// authenticated (tests of a slow relay, imports); default 2 minutes.
	RequestTimeout      time.Duration
	AdminRequestTimeout time.Duration
	// Clock is the time for the token throttle; default time.Now.
	Clock func() time.Time
	// DefaultTwilio is the operator's Twilio account (RESETGW_TWILIO_*),
	// whose number and auth token serve tenants without their own.
	DefaultTwilio *gateway.TwilioSettings
	// AccessLog gets one line per request (JSON in production); nil
	// uses Logger.
	AccessLog *slog.Logger
	// ObserveRequest, when set, counts each request by method, route
	// pattern and status (the metrics adapter).
	ObserveRequest func(method, route string, status int, d time.Duration)
	// Metrics, when set, is served at GET /metrics to the admin token.
	Metrics http.Handler
	// Pages renders the public pages; nil serves the embedded ones.
	Pages *templates.Pages
}

// Server holds the Fiber app and what its handlers need.
type Server struct {
	app   *fiber.App
	svc   *gateway.Service
	log   *slog.Logger
	token string
	ready func(ctx context.Context) error
	inbox Inbox
	tw    twilioHooks
	ips   ipResolver
	// secure is whether PublicURL is https (cookies, HSTS).
	secure       bool
	tokenFails   *failureThrottle
	pages        *templates.Pages
	reqTimeout   time.Duration
	adminTimeout time.Duration
	// consoleErr shows an error of a console page as a page (nil without
	// the console).
	consoleErr func(c *fiber.Ctx, err error) error
	access     *slog.Logger
	observe    func(method, route string, status int, d time.Duration)
}

// New builds the app with every route.
func New(cfg Config) *Server {
	s := &Server{svc: cfg.Service, log: cfg.Logger, token: cfg.AdminToken, ready: cfg.Ready, inbox: cfg.Inbox,
		tw:     twilioHooks{publicURL: strings.TrimRight(cfg.PublicURL, "/"), def: cfg.DefaultTwilio},
		ips:    ipResolver{header: strings.TrimSpace(cfg.ProxyHeader), trusted: cfg.TrustedProxies},
		secure: strings.HasPrefix(strings.ToLower(strings.TrimSpace(cfg.PublicURL)), "https://")}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.access = cfg.AccessLog; s.access == nil {
		s.access = s.log
	}
	s.observe = cfg.ObserveRequest
	if cfg.TokenFailures == 0 {
		cfg.TokenFailures = 10
	}
	if cfg.TokenWindow <= 0 {
		cfg.TokenWindow = 15 * time.Minute
	}
	s.tokenFails = newFailureThrottle(cfg.TokenFailures, cfg.TokenWindow, cfg.Clock)
	if s.reqTimeout = cfg.RequestTimeout; s.reqTimeout <= 0 {
		s.reqTimeout = defaultRequestTimeout
	}
	if s.adminTimeout = cfg.AdminRequestTimeout; s.adminTimeout <= 0 {
		s.adminTimeout = defaultAdminRequestTimeout
	}
	if s.pages = cfg.Pages; s.pages == nil {
		s.pages = mustPages()
	}
	if err := CheckProxyConfig(cfg.ProxyHeader, cfg.TrustedProxies); err != nil {
		s.log.Error("proxy header ignored", "err", err)
	}
	s.app = fiber.New(fiber.Config{
		// Handlers copy nothing by hand: values outlive the request in
		// the store and in goroutines (see NOTES.md).
		Immutable:             true,
		BodyLimit:             appBodyLimit, // bodyCap keeps the rest to 256 KiB
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          15 * time.Second,
		IdleTimeout:           60 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
		// No ProxyHeader here: the client address is clientIP's job.
	})
	s.app.Use(s.accessLog)
	s.app.Use(recover.New())
	s.app.Use(s.clientIPMiddleware)
	s.app.Use(s.requestContext)
	s.app.Use(s.securityHeaders)
	s.app.Use(bodyCap)
	s.app.Get("/healthz", s.healthz)
	s.routesOps(cfg.Metrics)
	s.routesPublic()
	s.routesPages()
	s.routesTwilio()
	s.routesRouteStatus()
	s.routesAdmin()
	s.routesConsole(cfg.Console)
	if s.inbox != nil {
		s.app.Get("/dev/inbox", s.devInbox)
		s.app.Get("/dev/inbox.json", s.devInboxJSON)
	}
	s.app.Use(func(c *fiber.Ctx) error {
		c.Locals(unmatchedKey, true)
		return gateway.Errorf(gateway.KindNotFound, "route_not_found", "no such endpoint")
	})
	return s
}

// App returns the Fiber app (for Listener and Test).
func (s *Server) App() *fiber.App { return s.app }

// hstsMaxAge is a year, what browsers' preload rules ask for; no
// includeSubDomains, as the gateway cannot speak for its sibling hosts.
const hstsMaxAge = "max-age=31536000"

// securityHeaders sets the headers every answer carries. HSTS follows
// RESETGW_PUBLIC_URL's scheme, never X-Forwarded-Proto or another header
// a client could send.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	if s.secure {
		c.Set(fiber.HeaderStrictTransportSecurity, hstsMaxAge)
	}
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Cache-Control", "no-store")
	return c.Next()
}

func (s *Server) healthz(c *fiber.Ctx) error {
	if s.ready != nil {
		if err := s.ready(c.UserContext()); err != nil {
			return gateway.Errorf(gateway.KindUnavailable, "not_ready", "the store is not ready")
		}
	}
	return c.JSON(fiber.Map{"status": "ok"})
}
