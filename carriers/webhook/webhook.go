// Package webhook sends texts through a tenant's own SMS provider: a JSON
// POST {"to","body","id"} to the tenant's URL, signed the Standard
// Webhooks way so the receiver knows it came from this gateway and can
// drop a repeat by its id.
package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/netguard"
)

// DefaultTimeout bounds one POST: a crew member is waiting, and the
// engine tries the next route rather than wait long on this one.
const DefaultTimeout = 10 * time.Second

// Config builds a Sender.
type Config struct {
	// Timeout bounds one POST; DefaultTimeout when zero.
	Timeout time.Duration
	// Clock stamps webhook-timestamp (time.Now when nil).
	Clock func() time.Time
	// TLS is the client's TLS setup (tests give their own roots); nil is
	// the system's.
	TLS *tls.Config
}

// Sender posts texts to webhook routes. It is safe for concurrent use.
type Sender struct {
	cfg Config
	// public dials only public addresses, checked at each connect (a name
	// may resolve elsewhere by the time it is used); open is for routes
	// the operator set, which may be internal.
	public, open *http.Client
}

// New makes a Sender.
func New(cfg Config) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	client := func(control bool) *http.Client {
		d := &net.Dialer{Timeout: cfg.Timeout}
		if control {
			d.Control = netguard.CheckDial
		}
		tr := &http.Transport{DialContext: d.DialContext, TLSClientConfig: cfg.TLS, ForceAttemptHTTP2: true,
			TLSHandshakeTimeout: cfg.Timeout, ResponseHeaderTimeout: cfg.Timeout, MaxIdleConnsPerHost: 8,
			IdleConnTimeout: 90 * time.Second}
		if cfg.TLS != nil {
			tr.TLSClientConfig = cfg.TLS.Clone()
		}
		return &http.Client{Transport: tr, Timeout: cfg.Timeout,
			// A redirect would carry the signed text somewhere the admin
			// did not name.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Sender{cfg: cfg, public: client(true), open: client(false)}
}

// route is the tenant's webhook route a message goes by: the link of the
// chain the engine put it on (a chain may hold several webhooks).
func route(m *gateway.Message) *gateway.SMSRoute {
	if m == nil || m.Tenant == nil {
		return nil
	}
	return m.Tenant.SMSRouteAt(gateway.RouteWebhook, m.RouteIndex)
}

// Lane gives each webhook URL its own lane: one provider's slowness holds
// up only its own texts.
func (s *Sender) Lane(m *gateway.Message) gateway.LaneSpec {
	spec := gateway.LaneSpec{Kind: "webhook", Key: "webhook:unconfigured"}
	if r := route(m); r != nil {
		spec.Key = "webhook:" + r.URL
	}
	if m != nil && m.Tenant != nil && m.Tenant.SMSRatePerSecond > 0 {
		spec.RatePerSecond = m.Tenant.SMSRatePerSecond
	}
	return spec
}

// MessageID is the webhook-id of a delivery: the same on every attempt,
// so a receiver that saw it already (an answer lost on the way back)
// drops the repeat instead of texting twice.
func MessageID(m *gateway.Message) string {
	return "msg_" + m.RequestID + "_" + strconv.FormatInt(m.DeliveryID, 10)
}

// Sign is the Standard Webhooks signature of a payload: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body". A secret written "whsec_…"
// is the base64 of the key, as Standard Webhooks libraries take it.
func Sign(secret, id string, ts int64, body []byte) string {
	return gateway.SignWebhook(secret, id, ts, body)
}

// Key is the HMAC key a route's secret stands for.
func Key(secret string) []byte { return gateway.WebhookKey(secret) }

type payload struct {
	To   string `json:"to"`
	Body string `json:"body"`
	ID   string `json:"id"`
}

// Send posts the text. A 2xx is accepted, with the provider's {"id"} when
// it gives one (else the webhook-id); the failure classes are in
// classify.go.
func (s *Sender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	r := route(m)
	if r == nil || r.URL == "" || r.Secret == "" {
		return "", &gateway.SendError{Class: gateway.FailConfig, Code: "webhook_unconfigured",
			Detail: "the tenant has no webhook route", Fix: "add a webhook route with its URL and secret to the SMS routes"}
	}
	id := MessageID(m)
	body, err := json.Marshal(payload{To: m.To, Body: m.Text, ID: id})
	if err != nil {
		return "", &gateway.SendError{Code: "encode", Detail: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(body))
	if err != nil {
		return "", configError("url", "the webhook URL cannot be used", "check the webhook route's URL")
	}
	ts := s.cfg.Clock().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "resetgw")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Sign(r.Secret, id, ts, body))
	client := s.public
	if r.OperatorSet {
		client = s.open
	}
	if !r.OperatorSet {
		if u, err := url.Parse(r.URL); err != nil || netguard.CheckHost(u.Hostname()) != nil {
			return "", configError("webhook_host_not_allowed", "the webhook host is not a public address",
				"use a public https URL for the webhook route, or ask the operator to set an internal one")
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", networkError(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		var a struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(answer, &a) == nil && a.ID != "" && len(a.ID) <= 200 {
			return a.ID, nil
		}
		return id, nil
	}
	return "", statusError(resp.StatusCode, answer)
}

func configError(code, detail, fix string) *gateway.SendError {
	return &gateway.SendError{Class: gateway.FailConfig, Code: code, Detail: detail, Fix: fix}
}

// networkError classifies a POST that got no answer. Whether the text was
// sent is unknown, so a retry goes with the same webhook-id.
func networkError(err error) *gateway.SendError {
	var cert *tls.CertificateVerificationError
	switch {
	case errors.Is(err, netguard.ErrInternalHost):
		return configError("webhook_host_not_allowed", "the webhook host resolves to an address that is not public",
			"use a public https URL for the webhook route, or ask the operator to set an internal one")
	case errors.As(err, &cert):
		return configError("tls", "the webhook's certificate is not trusted", "give the webhook endpoint a certificate from a public authority")
	case !gateway.MayHaveArrived(err):
		return &gateway.SendError{Class: gateway.FailTransient, Code: "connect", Detail: "the webhook could not be reached"}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &gateway.SendError{Class: gateway.FailTransient, Code: "timeout", Detail: "the webhook did not answer in time",
			Unsure: true}
	}
	// The connection broke after the request went: the receiver may have
	// taken the text.
	return &gateway.SendError{Class: gateway.FailTransient, Code: "connect", Detail: "the webhook's answer was lost", Unsure: true}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
