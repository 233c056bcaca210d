package gateway

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// EventRouteStatusRefused is a status callback refused for its signature,
// timestamp or route.
const EventRouteStatusRefused = "route_status_refused"

// RouteStatusTolerance is how far a callback's webhook-timestamp may be
// from our clock: older ones are replays, as Standard Webhooks says.
const RouteStatusTolerance = 5 * time.Minute

// routeStatusKeep is how long a callback's webhook-id is remembered; a
// repeat older than the tolerance is refused for its timestamp anyway.
const routeStatusKeep = time.Hour

// maxRouteStatusBody bounds a callback's body.
const maxRouteStatusBody = 16 << 10

// SignWebhook is the Standard Webhooks signature of a payload: "v1," and
// the base64 HMAC-SHA256 of "id.timestamp.body" under WebhookKey(secret).
func SignWebhook(secret, id string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, WebhookKey(secret))
	mac.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// WebhookKey is the HMAC key a webhook secret stands for: a "whsec_…"
// secret is the base64 of the key, as Standard Webhooks libraries take it.
func WebhookKey(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if k, err := base64.StdEncoding.DecodeString(rest); err == nil && len(k) > 0 {
			return k
		}
	}
	return []byte(secret)
}

// RouteStatusPath is where a webhook route's provider posts statuses;
// route is RouteStatusName's.
func RouteStatusPath(route string) string { return "/v1/routes/" + route + "/status" }

// RouteStatusName names a tenant's webhook route in its callback URL: the
// slug and the route's random id, so nobody can guess their way to
// another tenant's route (and the signature is checked besides).
func RouteStatusName(t *Tenant, r *SMSRoute) string {
	if r == nil || r.ID == "" {
		return ""
	}
	return t.Slug + "." + r.ID
}

// RouteStatus is a parsed callback body.
type RouteStatus struct {
	// ID is our webhook-id of the text (msg_<request>_<delivery>) or the
	// provider's id that its answer gave.
	ID     string `json:"id"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// ParseRouteStatus reads a callback body {"id","status","error"?}.
// Unknown fields are ignored: providers add their own.
func ParseRouteStatus(body []byte) (*RouteStatus, error) {
	if len(body) > maxRouteStatusBody {
		return nil, Errorf(KindInvalid, "route_status_invalid", "the body is too large")
	}
	var st RouteStatus
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&st); err != nil || dec.More() {
		return nil, Errorf(KindInvalid, "route_status_invalid", `the body must be one JSON object {"id","status","error"?}`)
	}
	st.Status = strings.ToLower(strings.TrimSpace(st.Status))
	switch st.Status {
	case "delivered", "failed", "undelivered":
	default:
		return nil, Errorf(KindInvalid, "route_status_invalid", "status must be delivered, failed or undelivered")
	}
	if st.ID == "" || len(st.ID) > 200 || len(st.Error) > 200 {
		return nil, Errorf(KindInvalid, "route_status_invalid", "id is required (at most 200 characters), error at most 200")
	}
	return &st, nil
}

// RouteStatusInput is one callback as it arrived.
type RouteStatusInput struct {
	Route                           string // the {route} of the path
	WebhookID, Timestamp, Signature string // its Standard Webhooks headers
	Body                            []byte
	IP                              string
}

// errRouteStatusRefused answers every refused callback alike: the caller
// learns nothing about which tenants, routes or deliveries exist.
var errRouteStatusRefused = Errorf(KindUnauthorized, "signature_invalid", "the callback is not signed for this route")

// RouteStatusCallback takes a webhook provider's status callback: it must
// be signed with the route's secret within RouteStatusTolerance, it is
// acted on once per webhook-id, and it reaches only the route's tenant's
// webhook deliveries. "delivered" confirms a delivery; "failed" and
// "undelivered" fail it late, as a Twilio callback does.
//
// Errors: signature_invalid (KindUnauthorized), route_status_invalid,
// delivery_not_found.
func (s *Service) RouteStatusCallback(ctx context.Context, in RouteStatusInput) error {
	slug, id, ok := strings.Cut(in.Route, ".")
	if !ok || slug == "" || id == "" || len(in.Route) > 200 {
		return s.refuseRouteStatus(ctx, 0, in, "route_unknown")
	}
	t, err := s.store.TenantBySlug(ctx, slug)
	if IsNotFound(err) {
		return s.refuseRouteStatus(ctx, 0, in, "route_unknown")
	} else if err != nil {
		return err
	}
	var route *SMSRoute
	for i := range t.SMSRoutes {
		r := &t.SMSRoutes[i]
		if r.Kind == RouteWebhook && r.ID != "" && subtle.ConstantTimeCompare([]byte(r.ID), []byte(id)) == 1 {
			route = r
		}
	}
	if route == nil {
		return s.refuseRouteStatus(ctx, t.ID, in, "route_unknown")
	}
	if code := s.checkRouteSignature(route.Secret, in); code != "" {
		return s.refuseRouteStatus(ctx, t.ID, in, code)
	}
	st, err := ParseRouteStatus(in.Body)
	if err != nil {
		return err
	}
	// Found first: a callback that beat the send's commit is not marked
	// seen, so the provider's retry still counts.
	d, err := s.routeDelivery(ctx, t, st.ID)
	if err != nil {
		return err
	}
	seen, err := s.store.SeenMessage(ctx, "route_status:"+strconv.FormatInt(t.ID, 10), Clip(in.WebhookID, 64), s.clock(), routeStatusKeep)
	if err != nil {
		return err
	}
	if seen {
		return nil // the provider's retry of one we took
	}
	out := OutcomeInput{DeliveryID: d.ID, Source: "webhook", IP: in.IP, Status: OutcomeDelivered}
	if st.Status != "delivered" {
		out.Status, out.ErrorCode, out.Detail = OutcomeFailed, Clip(st.Error, 64), "webhook provider: "+st.Status
		if out.ErrorCode == "" {
			out.ErrorCode = st.Status
		}
	}
	return s.DeliveryOutcome(ctx, out)
}

// checkRouteSignature returns why a callback's signature does not hold,
// or "". webhook-signature may list several space-separated signatures
// (a secret being rotated); one v1 match is enough.
func (s *Service) checkRouteSignature(secret string, in RouteStatusInput) string {
	if in.WebhookID == "" || in.Timestamp == "" || in.Signature == "" || secret == "" || len(in.WebhookID) > 200 {
		return "route_status_unsigned"
	}
	ts, err := strconv.ParseInt(in.Timestamp, 10, 64)
	if err != nil {
		return "route_status_unsigned"
	}
	if d := s.clock().Sub(time.Unix(ts, 0)); d > RouteStatusTolerance || d < -RouteStatusTolerance {
		return "route_status_stale"
	}
	want := SignWebhook(secret, in.WebhookID, ts, in.Body)
	for _, sig := range strings.Fields(in.Signature) {
		if strings.HasPrefix(sig, "v1,") && hmac.Equal([]byte(sig), []byte(want)) {
			return ""
		}
	}
	return "route_status_signature"
}

func (s *Service) refuseRouteStatus(ctx context.Context, tenantID int64, in RouteStatusInput, code string) error {
	if err := s.SecurityEvent(ctx, SecurityEventInput{TenantID: tenantID, IP: in.IP, Code: code,
		Detail: "POST " + Clip(RouteStatusPath(in.Route), 120)}); err != nil {
		return err
	}
	return errRouteStatusRefused
}

// routeDelivery finds the webhook delivery of tenant t a callback names,
// by our webhook-id or by the provider's id. Another tenant's delivery, or
// one that went by another route, is not found.
func (s *Service) routeDelivery(ctx context.Context, t *Tenant, id string) (*Delivery, error) {
	var d *Delivery
	var err error
	if rest, ok := strings.CutPrefix(id, "msg_"); ok {
		if i := strings.LastIndexByte(rest, '_'); i > 0 {
			if n, perr := strconv.ParseInt(rest[i+1:], 10, 64); perr == nil && n > 0 {
				if d, err = s.store.Delivery(ctx, n); err == nil && d.RequestID != rest[:i] {
					d, err = nil, ErrNotFound
				}
			}
		}
	}
	if d == nil {
		d, err = s.store.DeliveryByProviderID(ctx, id)
	}
	if IsNotFound(err) || (err == nil && (d.TenantID != t.ID || d.Route != RouteWebhook)) {
		return nil, Errorf(KindNotFound, "delivery_not_found", "no such delivery")
	}
	return d, err
}
