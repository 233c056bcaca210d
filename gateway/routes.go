package gateway

import (
	"net/url"
	"strings"

	"github.com/resetgw/resetgw/gateway/netguard"
)

// SMSRoute is one link of a tenant's SMS chain. URL and Secret belong to
// the webhook kind; Secret is sealed with the tenant's settings and never
// shown back.
type SMSRoute struct {
	Kind   Route  `json:"kind"`
	URL    string `json:"url,omitempty"`
	Secret string `json:"secret,omitempty"`
	// ID names a webhook route in its status callback URL
	// (RouteStatusName): random, made when the route is first saved and
	// kept while its URL stays.
	ID string `json:"id,omitempty"`
	// The aws kind's fields (see awsroute.go). SecretAccessKey is sealed
	// with the chain and never shown back; no key pair means the
	// operator's default credentials, where the operator allows them.
	Region              string `json:"region,omitempty"`
	OriginationIdentity string `json:"origination_identity,omitempty"`
	ConfigurationSet    string `json:"configuration_set,omitempty"`
	AccessKeyID         string `json:"access_key_id,omitempty"`
	SecretAccessKey     string `json:"secret_access_key,omitempty"`
	// Endpoint replaces the SDK's endpoint (a VPC endpoint, a proxy).
	Endpoint string `json:"endpoint,omitempty"`
	// OperatorSet says the operator saved this route, so its URL may be an
	// internal address (a tenant's may not: it would point the gateway at
	// the operator's own network).
	OperatorSet bool `json:"operator_set,omitempty"`
}

// MaxSMSRoutes bounds a chain: each link is a provider a text may wait on.
const MaxSMSRoutes = 6

// SMSChain is the tenant's routes in the order they are tried: its own
// chain, else its own Twilio if it has one, else the operator's Twilio if
// the operator shares it, then the carrier gateway.
func (s *Service) SMSChain(t *Tenant) []SMSRoute {
	if len(t.SMSRoutes) > 0 {
		return t.SMSRoutes
	}
	var c []SMSRoute
	if s.twilioFor(t) {
		c = append(c, SMSRoute{Kind: RouteTwilio})
	}
	return append(c, SMSRoute{Kind: RouteCarrier})
}

// twilioFor reports whether a twilio route of t has an account to send
// with: its own, or the operator's when shared (the default tenant is the
// operator's own and always may).
func (s *Service) twilioFor(t *Tenant) bool {
	return t.Twilio.Configured() || (s.twilio && (s.twilioShared || t.Slug == DefaultSlug))
}

// SMSRouteAt is the link idx of the tenant's own chain when it is of kind,
// else its first link of that kind (the chain was edited since); nil when
// it has none.
func (t *Tenant) SMSRouteAt(kind Route, idx int) *SMSRoute {
	if idx >= 0 && idx < len(t.SMSRoutes) && t.SMSRoutes[idx].Kind == kind {
		return &t.SMSRoutes[idx]
	}
	for i := range t.SMSRoutes {
		if t.SMSRoutes[i].Kind == kind {
			return &t.SMSRoutes[i]
		}
	}
	return nil
}

// WebhookRoute is the tenant's first webhook route, the one its webhook
// texts go through; nil when it has none.
func (t *Tenant) WebhookRoute() *SMSRoute {
	for i := range t.SMSRoutes {
		if t.SMSRoutes[i].Kind == RouteWebhook {
			return &t.SMSRoutes[i]
		}
	}
	return nil
}

// normalizeRoutes checks a chain as an admin saves it. A webhook secret
// left empty keeps the one saved for the same URL, as secrets are never
// shown back.
func (s *Service) normalizeRoutes(a Actor, old, in []SMSRoute) ([]SMSRoute, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > MaxSMSRoutes {
		return nil, Errorf(KindInvalid, "sms_routes_invalid", "at most %d SMS routes", MaxSMSRoutes)
	}
	out := make([]SMSRoute, 0, len(in))
	seen := map[string]bool{}
	for i, r := range in {
		key := string(r.Kind)
		switch r.Kind {
		case RouteTwilio, RouteCarrier:
			if r.URL != "" || r.Secret != "" || r.hasAWSFields() {
				return nil, Errorf(KindInvalid, "sms_route_field", "sms_routes[%d]: a %s route takes no url or secret", i, r.Kind)
			}
			r = SMSRoute{Kind: r.Kind}
		case RouteWebhook:
			if r.hasAWSFields() {
				return nil, Errorf(KindInvalid, "sms_route_field", "sms_routes[%d]: region, origination_identity, configuration_set, access_key_id, secret_access_key and endpoint belong to an aws route", i)
			}
			nr, err := s.checkWebhookRoute(a, old, r)
			if err != nil {
				return nil, Errorf(KindInvalid, "sms_route_webhook_invalid", "sms_routes[%d]: %s", i, err.Error())
			}
			r, key = nr, key+" "+nr.URL
		case RouteAWS:
			nr, err := s.checkAWSRoute(a, old, r)
			if err != nil {
				return nil, Errorf(KindInvalid, "sms_route_aws_invalid", "sms_routes[%d]: %s", i, err.Error())
			}
			if seen[key] {
				// A text names its route by kind, so a chain has one.
				return nil, Errorf(KindInvalid, "sms_routes_invalid", "sms_routes[%d]: a chain takes one aws route", i)
			}
			r = nr
		default:
			return nil, Errorf(KindInvalid, "sms_route_kind", "sms_routes[%d]: kind must be twilio, aws, webhook or carrier", i)
		}
		if seen[key] {
			return nil, Errorf(KindInvalid, "sms_routes_invalid", "sms_routes[%d]: the same route twice", i)
		}
		seen[key] = true
		out = append(out, r)
	}
	return out, nil
}

type routeError string

func (e routeError) Error() string { return string(e) }

func (s *Service) checkWebhookRoute(a Actor, old []SMSRoute, r SMSRoute) (SMSRoute, error) {
	u, err := url.Parse(r.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" || len(r.URL) > 2000 {
		return r, routeError("url must be an https:// URL without credentials")
	}
	var was *SMSRoute
	for i := range old {
		if old[i].Kind == RouteWebhook && old[i].URL == r.URL {
			was = &old[i]
		}
	}
	// An internal URL the operator set stays the operator's when a tenant
	// admin saves the chain again.
	r.OperatorSet = a.TenantID == 0 || (was != nil && was.OperatorSet)
	if !r.OperatorSet && netguard.CheckHost(u.Hostname()) != nil {
		return r, routeError("host is not a public address; only the operator may use internal ones")
	}
	if r.Secret == "" && was != nil {
		r.Secret = was.Secret
	}
	if was != nil && was.ID != "" {
		r.ID = was.ID
	} else {
		id, err := s.newID("wr")
		if err != nil {
			return r, err
		}
		r.ID = id
	}
	if len(r.Secret) < 24 || len(r.Secret) > 256 || strings.ContainsAny(r.Secret, " \t\r\n") {
		return r, routeError("secret must be 24 to 256 characters without spaces")
	}
	return r, nil
}
