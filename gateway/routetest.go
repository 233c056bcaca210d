package gateway

import (
	"cmp"
	"context"
	"net/url"
	"strconv"
	"strings"
)

// RouteTester is implemented by testers that can also send a test text
// through a tenant's aws or webhook route, with that route's own sender.
type RouteTester interface {
	TestRoute(ctx context.Context, m *Message) (providerID string, err error)
}

// routeTestSlug reports whether slug names a route kind Test Provider
// tests by the tenant's own route settings rather than a carrier.
func routeTestSlug(slug string) (Route, bool) {
	switch r := Route(slug); r {
	case RouteAWS, RouteWebhook:
		return r, true
	}
	return "", false
}

// testRoute is TestProvider for the tenant's aws or webhook route: the
// same checks (country, opt-out, note, hourly bounds), then one text
// through the route's sender, with its answer.
func (s *Service) testRoute(ctx context.Context, a Actor, t *Tenant, route Route, in ProviderTestInput) (*ProviderTestResult, error) {
	r, idx, err := s.routeForTest(t, route, in.Link)
	if err != nil {
		return nil, err
	}
	e164, _, err := ParsePhone(in.Phone, s.region)
	if err != nil {
		return nil, err
	}
	if region := PhoneRegion(e164); !s.smsCountryAllowed(t, region) {
		return nil, Errorf(KindInvalid, "country_not_allowed", "texts to %s are not allowed for this company (allowed: %s)",
			cmp.Or(region, "this number's country"), strings.Join(s.allowedCountries(t), ", "))
	}
	optedOut, err := s.store.OptedOut(ctx, t.ID, s.smsChannel(t, route), e164)
	if err != nil {
		return nil, err
	}
	text, err := s.testText(t, in.Message)
	if err != nil {
		return nil, err
	}
	if err := s.testAllowed(ctx, a, t); err != nil {
		return nil, err
	}
	// A test has no delivery; its own id keeps a webhook receiver from
	// taking it for a repeat of another.
	id, err := s.newID("pt_")
	if err != nil {
		return nil, err
	}
	res := &ProviderTestResult{To: e164, Route: route, Link: idx + 1, Target: routeTarget(r)}
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	tester, _ := s.tester.(RouteTester)
	switch {
	case optedOut:
		res.Code, res.Detail = "opted_out", "not sent: this number texted STOP; it gets no texts until it texts START"
	case tester == nil:
		res.Code, res.Detail = "no_tester", "this gateway has no sender for tests of this route"
	default:
		// RouteIndex picks the link: a chain may hold several webhooks,
		// and each is tested with its own URL and secret.
		m := &Message{RequestID: id, Channel: ChannelSMS, Route: route, To: e164, Text: text, Tenant: t, RouteIndex: idx}
		if pid, err := tester.TestRoute(ctx, m); err != nil {
			res.refused(err)
		} else {
			res.OK, res.SID, res.Detail = true, pid, "accepted, message id "+pid
		}
	}
	res.Summary = routeWords(res)
	ev := Event{TenantID: t.ID, Type: string(route) + "_tested", Channel: string(ChannelSMS), ProviderID: res.SID,
		Code: res.code(), Detail: truncate(string(route)+" #"+strconv.Itoa(res.Link)+" to "+maskAddress(res.To)+": "+res.Detail, 300)}
	if err := s.adminEvent(ctx, s.store, a, ev); err != nil {
		return nil, err
	}
	return res, nil
}

// routeForTest is the link of t's chain a test of kind goes through: the
// one the admin named (link counts from 1, as the console shows the
// chain), else the first of that kind. It returns the link's index.
func (s *Service) routeForTest(t *Tenant, kind Route, link int) (*SMSRoute, int, error) {
	chain := s.SMSChain(t)
	if link == 0 {
		for i := range t.SMSRoutes {
			if t.SMSRoutes[i].Kind == kind {
				return &t.SMSRoutes[i], i, nil
			}
		}
		return nil, 0, Errorf(KindInvalid, "route_not_set", "this company has no %s route in its SMS routes", kind)
	}
	if link < 0 || link > len(chain) {
		return nil, 0, Errorf(KindInvalid, "link_invalid", "link must be 1 to %d: the place of a route in this company's SMS routes", len(chain))
	}
	if chain[link-1].Kind != kind {
		return nil, 0, Errorf(KindInvalid, "link_invalid", "link %d is the %s route, not %s", link, chain[link-1].Kind, kind)
	}
	return &chain[link-1], link - 1, nil
}

// routeTarget names a link without its secrets: a webhook's URL (its
// query hidden: it may carry the provider's key), an aws route's region
// and origination identity.
func routeTarget(r *SMSRoute) string {
	switch r.Kind {
	case RouteWebhook:
		if u, err := url.Parse(r.URL); err == nil && u.RawQuery != "" {
			u.RawQuery = "…"
			return u.String()
		}
		return r.URL
	case RouteAWS:
		return r.Region + " " + r.OriginationIdentity
	}
	return ""
}

// routeWords says a route test's result in plain words.
func routeWords(r *ProviderTestResult) string {
	who := "The webhook provider"
	if r.Route == RouteAWS {
		who = "AWS"
	}
	switch {
	case r.OK:
		return who + " accepted the test text. It should reach the phone within a minute."
	case r.Code == "opted_out", r.Class == FailOptedOut:
		return "Not sent: this number opted out of texts, so it gets none until it opts in again."
	case r.Code == "no_tester":
		return "Not sent: this gateway has no sender for tests of this route."
	case r.Class == FailConfig:
		return "The " + string(r.Route) + " route is not set up right for this company: " + sentence(orThat(r.Fix, "check the settings, then test again."))
	case r.Class == FailRecipient:
		return who + " cannot text this number: check that it is a mobile number and typed right."
	case r.Class == FailRate:
		return who + " is limiting how fast this company can send: wait a few minutes and test again."
	case r.Class == FailTransient:
		return who + " did not answer in time or could not be reached: the text may or may not have gone; check the phone before testing again."
	}
	return who + " refused this test message. What it said is below."
}
