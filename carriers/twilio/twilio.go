// Package twilio sends texts through Twilio's Messages API (Route
// "twilio"), with each tenant's own account when it has one.
//
// It imports only twilio-go's client and rest/api/v2010 packages: the
// root package pulls in every Twilio API and costs over a minute of
// compile time for nothing.
package twilio

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/resetgw/resetgw/gateway"
)

// DefaultTimeout bounds one API call when Config.Timeout is zero; it is
// twilio-go's own default.
const DefaultTimeout = 10 * time.Second

// maxDetail caps the provider text kept in a SendError.
const maxDetail = 300

// Config sets up a Sender.
type Config struct {
	// Default is the operator's account, used when the tenant has none
	// (nil or not Configured). Nil: such tenants cannot use Twilio.
	Default *gateway.TwilioSettings
	// APIURL replaces https://api.twilio.com (RESETGW_TWILIO_API_URL): a
	// proxy, or a local test server such as http://127.0.0.1:1234. Empty
	// means the real API.
	APIURL string
	// StatusCallback is the full URL Twilio posts delivery updates to;
	// empty asks for none.
	StatusCallback string
	// Timeout bounds one API call; DefaultTimeout when zero.
	Timeout time.Duration
	// ServiceRate is the pace, in messages per second, of a lane that
	// sends through a Messaging Service without a From: about the number
	// of senders in the service times each one's rate.
	// DefaultServiceRate when zero.
	ServiceRate float64
	// Clock tells the time for lookups (time.Now when nil).
	Clock func() time.Time
	// HTTPClient supplies the transport (proxies, TLS roots); its Timeout
	// is used when Timeout is zero. Nil: a transport of the Sender's own.
	HTTPClient *http.Client
}

// Sender sends texts through Twilio. It is safe for concurrent use and
// implements gateway.Sender.
type Sender struct {
	cfg       Config
	base      *url.URL // nil: the real API
	configErr error    // a bad APIURL, reported by every send
	transport http.RoundTripper
	timeout   time.Duration
}

var _ gateway.Sender = (*Sender)(nil)

// New returns a Sender for cfg. A malformed APIURL does not fail here (the
// constructor has no error); every send then fails permanently saying so.
func New(cfg Config) *Sender {
	s := &Sender{cfg: cfg, timeout: cfg.Timeout}
	if cfg.APIURL != "" {
		u, err := url.Parse(cfg.APIURL)
		switch {
		case err != nil:
			s.configErr = errors.New("the Twilio API URL does not parse")
		case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
			s.configErr = errors.New("the Twilio API URL must be http(s)://host[:port][/path]")
		default:
			s.base = u
		}
	}
	if cfg.HTTPClient != nil {
		s.transport = cfg.HTTPClient.Transport
		if s.timeout == 0 {
			s.timeout = cfg.HTTPClient.Timeout
		}
	}
	if s.transport == nil {
		// A transport of our own: a pool that only Twilio calls use.
		s.transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.cfg.Clock == nil {
		s.cfg.Clock = time.Now
	}
	return s
}

// Send texts m.Text to m.To (E.164) with the tenant's Twilio account, or the
// default one, and returns the message SID. A reset text (one with a
// RequestID) carries the tenant's validity period, so that Twilio drops
// it rather than deliver a stale password. A later attempt (m.Attempt > 0)
// first looks for the message an earlier attempt may have left at Twilio
// with its answer lost, and adopts it instead of sending the password
// twice. Failures are *gateway.SendError whose texts never hold the auth
// token or the body.
func (s *Sender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	if m == nil {
		return "", &gateway.SendError{Code: "invalid_message", Detail: "no message"}
	}
	if m.Route != gateway.RouteTwilio {
		return "", &gateway.SendError{Code: "unsupported_route", Detail: "the Twilio sender does not carry route " + strconv.Quote(string(m.Route))}
	}
	settings := s.settingsFor(m.Tenant)
	if err := s.usable(settings); err != nil {
		return "", err
	}
	if m.Attempt > 0 {
		sid, err := s.lookup(ctx, settings, m)
		if err != nil || sid != "" {
			return sid, err
		}
	}
	validity := 0
	if m.RequestID != "" {
		validity = Validity(m.Tenant)
	}
	return s.create(ctx, settings, m.To, m.Text, s.cfg.StatusCallback, validity)
}

// Validity is the ValidityPeriod in seconds a tenant's reset texts carry:
// its setting, else gateway.DefaultSMSValidity, within Twilio's 1–36,000.
func Validity(t *gateway.Tenant) int {
	v := gateway.DefaultSMSValidity
	if t != nil && t.SMSValiditySeconds > 0 {
		v = t.SMSValiditySeconds
	}
	return min(max(v, 1), 36000)
}

// settingsFor picks the account a tenant's texts go out with: its own when
// it has one, else the operator's.
func (s *Sender) settingsFor(t *gateway.Tenant) *gateway.TwilioSettings {
	if t != nil && t.Twilio.Configured() {
		return t.Twilio
	}
	return s.cfg.Default
}

// Test sends body to `to` with settings (the default account when nil) for
// the admin's "Test Provider", and returns the SID Twilio gave it. No status
// callback is asked for: no delivery waits for its outcome.
func (s *Sender) Test(ctx context.Context, settings *gateway.TwilioSettings, to, body string) (string, error) {
	if settings == nil {
		settings = s.cfg.Default
	}
	if err := s.usable(settings); err != nil {
		return "", err
	}
	return s.create(ctx, settings, to, body, "", 0)
}

// usable says why settings cannot send, or nil.
func (s *Sender) usable(settings *gateway.TwilioSettings) error {
	if s.configErr != nil {
		return &gateway.SendError{Class: gateway.FailConfig, Code: "twilio_config", Detail: s.configErr.Error(),
			Fix: "Correct the Twilio API URL (RESETGW_TWILIO_API_URL) or leave it empty"}
	}
	// Checked here and never left to twilio-go: with empty credentials it
	// quietly uses TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN from the
	// environment, which would send a tenant's texts on another account.
	if !settings.Configured() {
		return &gateway.SendError{Class: gateway.FailConfig, Code: "twilio_not_configured",
			Detail: "no Twilio account SID, auth token and sender (From or Messaging Service) are set",
			Fix:    "Enter the Twilio account SID, auth token and a From number or Messaging Service in the Twilio settings"}
	}
	return nil
}

func (s *Sender) create(ctx context.Context, settings *gateway.TwilioSettings, to, body, callback string, validity int) (string, error) {
	params := &openapi.CreateMessageParams{}
	params.SetTo(to)
	params.SetBody(body)
	if settings.MessagingServiceSID != "" {
		// The service picks the number (and handles opt-outs and
		// geographic matching); From narrows it to one when also set.
		params.SetMessagingServiceSid(settings.MessagingServiceSID)
	}
	if settings.From != "" {
		params.SetFrom(settings.From)
	}
	if callback != "" {
		params.SetStatusCallback(callback)
	}
	if validity > 0 {
		params.SetValidityPeriod(validity)
	}
	var msg *openapi.ApiV2010Message
	if err := s.call(ctx, settings, body, func(api *openapi.ApiService) (err error) {
		msg, err = api.CreateMessage(params)
		return err
	}); err != nil {
		return "", err
	}
	if msg == nil || msg.Sid == nil || *msg.Sid == "" {
		return "", &gateway.SendError{Class: gateway.FailTransient, Code: "twilio_unavailable", Detail: "Twilio answered without a message SID"}
	}
	return *msg.Sid, nil
}

// call runs one API call for an account, bounded by ctx and the Sender's
// timeout, and classifies its failure; secret is text (a body) that must
// not reach the error. twilio-go takes no context: the call runs aside so
// that the caller is answered when ctx ends, and the transport carries ctx
// too, so the request itself is aborted and the goroutine does not linger.
// fn's results may be read only when call returns nil.
func (s *Sender) call(ctx context.Context, settings *gateway.TwilioSettings, secret string, fn func(*openapi.ApiService) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	api := openapi.NewApiServiceWithClient(s.restClient(ctx, settings))
	done := make(chan error, 1)
	go func() { done <- fn(api) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err == nil {
		return nil
	}
	return s.classify(ctx, err, settings.AuthToken, secret)
}

// restClient builds a client for one account and one call. Its credentials
// are always explicit (see create), and its transport sends the request to
// APIURL and under ctx.
func (s *Sender) restClient(ctx context.Context, settings *gateway.TwilioSettings) *client.Client {
	c := &client.Client{
		Credentials: client.NewCredentials(settings.AccountSID, settings.AuthToken),
		HTTPClient: &http.Client{
			Transport: &rewriter{base: s.base, next: s.transport, ctx: ctx},
			Timeout:   s.timeout,
			// As twilio-go's own default: a redirect is an answer, not a
			// place to resend the credentials to.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(settings.AccountSID)
	return c
}

// rewriter points twilio-go's requests (fixed to https://api.twilio.com)
// at the configured base URL, and ties them to the caller's context, since
// twilio-go builds them with context.Background().
type rewriter struct {
	base *url.URL
	next http.RoundTripper
	ctx  context.Context
}

func (rw *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(rw.ctx)
	if rw.base != nil {
		out.URL.Scheme = rw.base.Scheme
		out.URL.Host = rw.base.Host
		out.URL.Path = strings.TrimSuffix(rw.base.Path, "/") + req.URL.Path
		out.URL.RawPath = ""
		out.Host = ""
	}
	return rw.next.RoundTrip(out)
}

// classify turns a failed call into a SendError. Twilio's own errors go
// through the gateway's table of codes (gateway.TwilioFailure), shared
// with the status callbacks. Anything else (an HTML 503 from a proxy, a
// reset connection, a refused connection, a timeout) is transient: a
// retry costs less than a lost password, and a retry looks the message up
// first in case the lost answer was a success.
func (s *Sender) classify(ctx context.Context, err error, token, body string) *gateway.SendError {
	var (
		restErr *client.TwilioRestError
		v1Err   *client.RestErrorV1
		se      *gateway.SendError
	)
	switch {
	case errors.As(err, &restErr):
		se = apiError(restErr.Status, restErr.Code, restErr.Message)
		se.Unsure = lostStatus(restErr.Status)
	case errors.As(err, &v1Err):
		se = apiError(v1Err.HttpStatusCode, v1Err.Code, v1Err.Message)
		se.Unsure = lostStatus(v1Err.HttpStatusCode)
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		se = &gateway.SendError{Class: gateway.FailTransient, Code: "twilio_unavailable", Detail: "no answer from Twilio in time",
			Unsure: true}
	case ctx.Err() != nil:
		se = &gateway.SendError{Class: gateway.FailTransient, Code: "canceled", Detail: "the send was canceled", Unsure: true}
	default:
		se = &gateway.SendError{Class: gateway.FailTransient, Code: "twilio_unavailable", Detail: clip(describe(err))}
		status, answered := answerStatus(err)
		se.Unsure = (answered && lostStatus(status)) || (!answered && gateway.MayHaveArrived(err))
	}
	se.Detail = redact(se.Detail, token, body)
	return se
}

// lostStatus says an error status leaves open whether Twilio took the
// message: a server error or a gateway's timeout may follow a create that
// went through. A 503 (the API or its balancer turned the call away) and
// every 4xx say it did not.
func lostStatus(status int) bool {
	return status >= 500 && status != http.StatusServiceUnavailable
}

// answerStatus is the HTTP status of an error answer twilio-go could not
// decode (a proxy's or an outage page), when err is one.
func answerStatus(err error) (int, bool) {
	msg := err.Error()
	if !strings.Contains(msg, "error decoding the response for an HTTP error code") {
		return 0, false
	}
	i := strings.Index(msg, "code: ")
	if i < 0 {
		return 0, true
	}
	msg = msg[i+len("code: "):]
	if j := strings.IndexByte(msg, ':'); j >= 0 {
		msg = msg[:j]
	}
	n, err := strconv.Atoi(strings.TrimSpace(msg))
	return n, err == nil
}

func apiError(status, code int, message string) *gateway.SendError {
	return gateway.TwilioFailure(status, code, clip(message))
}

// describe says what went wrong without the request URL and the library's
// wrapping, which tell an operator nothing.
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "no answer from Twilio in time"
		}
		return "cannot reach Twilio: " + ue.Err.Error()
	}
	if strings.Contains(err.Error(), "error decoding the response for an HTTP error code") {
		// An error status without Twilio's JSON: a proxy or an outage page.
		msg := err.Error()
		if i := strings.Index(msg, "code: "); i >= 0 {
			msg = msg[i+len("code: "):]
			if j := strings.IndexByte(msg, ':'); j >= 0 {
				msg = msg[:j]
			}
			return "Twilio answered HTTP " + msg + " without a Twilio error"
		}
		return "Twilio answered an error without a Twilio error body"
	}
	return err.Error()
}

// redact removes the auth token and the message body from a text. The API
// has no reason to repeat either, but a body holds a password, and this
// makes sure no provider text can carry one into a log.
func redact(s, token, body string) string {
	if token != "" {
		s = strings.ReplaceAll(s, token, "[redacted]")
	}
	if len(body) >= 6 {
		s = strings.ReplaceAll(s, body, "[redacted]")
	}
	return s
}

// clip keeps provider text short and on one line.
func clip(s string) string { return gateway.Clip(s, maxDetail) }
