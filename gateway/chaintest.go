package gateway

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// ChainTestInput is a test of a tenant's SMS chain: the phone and note of
// a Test Provider form, and which links to test.
type ChainTestInput struct {
	ProviderTestInput
	// Links are the places (from 1) of the routes to test; none means
	// every route of the chain. They are tested in the chain's order.
	Links []int
	// Carrier is the carrier whose email-to-SMS gateway the carrier link
	// is tested through; "" is the carrier on record for the phone.
	Carrier string
}

// TestChain sends one test text through each link the admin asked for,
// in the chain's order, each with that link's own settings (so every
// webhook of a chain is tried with its own URL and secret), and says how
// each went. A link that could not be tried (no Twilio account, no
// carrier known, the hourly bound of tests reached) is a result too, in
// words: the admin asked about every link.
func (s *Service) TestChain(ctx context.Context, a Actor, in ChainTestInput) ([]*ProviderTestResult, error) {
	t, err := s.scope(ctx, a, in.Tenant)
	if err != nil {
		return nil, err
	}
	chain := s.SMSChain(t)
	links, err := chainLinks(in.Links, len(chain))
	if err != nil {
		return nil, err
	}
	// The phone and the note are the same for every link: a mistake in
	// them is the form's, answered once rather than once per link.
	e164, _, err := ParsePhone(in.Phone, s.region)
	if err != nil {
		return nil, err
	}
	if _, err := s.testText(t, in.Message); err != nil {
		return nil, err
	}
	pt := in.ProviderTestInput
	pt.Tenant = t.Slug
	out := make([]*ProviderTestResult, 0, len(links))
	for _, link := range links {
		r := chain[link-1]
		pt.Link = link
		var res *ProviderTestResult
		switch r.Kind {
		case RouteTwilio:
			if !s.twilioFor(t) {
				res = &ProviderTestResult{Code: SkipNoTwilio, Detail: "not sent: no Twilio account for this company",
					Summary: "Not tested: Twilio is not set up for this company, so texts skip this route. Add the account SID, auth token and a sender in Settings, or remove the route."}
				break
			}
			res, err = s.TestProvider(ctx, a, TwilioSlug, pt)
		case RouteAWS, RouteWebhook:
			res, err = s.testRoute(ctx, a, t, r.Kind, pt)
		case RouteCarrier:
			slug := strings.TrimSpace(in.Carrier)
			if slug == "" {
				if slug, err = s.carrierOnRecord(ctx, t, e164); err != nil {
					return nil, err
				}
			}
			if slug == "" {
				res = &ProviderTestResult{Code: "carrier_unknown", Detail: "not sent: the phone's carrier is not known",
					Summary: "Not tested: the carrier gateway needs the phone's carrier, and this number is on nobody's record here. Name the carrier, or test it from the carrier's page."}
				break
			}
			res, err = s.TestProvider(ctx, a, slug, pt)
		}
		if err != nil {
			if res = linkRefused(err); res == nil {
				return nil, err
			}
			err = nil
		}
		res.Link, res.Route = link, r.Kind
		if res.To == "" {
			res.To = e164
		}
		if res.Target == "" {
			res.Target = routeTarget(&r)
		}
		out = append(out, res)
	}
	return out, nil
}

// chainLinks checks the links asked for and puts them in the chain's
// order; none is every link.
func chainLinks(in []int, n int) ([]int, error) {
	if len(in) == 0 {
		out := make([]int, n)
		for i := range out {
			out[i] = i + 1
		}
		return out, nil
	}
	out := slices.Clone(in)
	slices.Sort(out)
	for i, l := range out {
		if l < 1 || l > n {
			return nil, Errorf(KindInvalid, "link_invalid", "links must be 1 to %d: the places of routes in this company's SMS routes", n)
		}
		if i > 0 && out[i-1] == l {
			return nil, Errorf(KindInvalid, "link_invalid", "link %d is named twice", l)
		}
	}
	return out, nil
}

// carrierOnRecord is the carrier of e164 when it is the phone of someone
// of t, else "".
func (s *Service) carrierOnRecord(ctx context.Context, t *Tenant, e164 string) (string, error) {
	ph, err := s.store.PhoneByNumber(ctx, e164)
	if IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if ph.TenantID != t.ID {
		return "", nil
	}
	return ph.Carrier, nil
}

// linkRefused is the result of a link whose test the gateway refused
// before sending (too many tests this hour, a carrier unknown or
// retired...), in words; nil for a failure that is not about the link.
func linkRefused(err error) *ProviderTestResult {
	var e *Error
	if !errors.As(err, &e) {
		return nil
	}
	res := &ProviderTestResult{Code: e.Code, Detail: "not sent: " + e.Message}
	switch e.Kind {
	case KindRateLimited:
		res.Summary = "Not tested: " + sentence(e.Message) + " Each route tested sends one text and counts as one test."
	case KindInvalid, KindUnprocessable, KindConflict, KindNotFound:
		res.Summary = "Not tested: " + sentence(e.Message)
	default:
		return nil
	}
	return res
}

// RouteLabel names a kind of SMS route as the console's list of routes
// does.
func RouteLabel(k Route) string {
	switch k {
	case RouteTwilio:
		return "Twilio"
	case RouteAWS:
		return "AWS End User Messaging"
	case RouteWebhook:
		return "Webhook"
	case RouteCarrier:
		return "Carrier email-to-SMS gateway"
	}
	return string(k)
}

// ClassWords says whose fault a failure class is, in an office's words.
func ClassWords(c FailureClass) string {
	switch c {
	case FailConfig:
		return "setup (only an admin can fix it)"
	case FailRecipient:
		return "this number (another route would not help)"
	case FailOptedOut:
		return "this number opted out of texts"
	case FailRate:
		return "sending too fast for the provider (passes by itself)"
	case FailTransient:
		return "the provider or the network, for now (try again in a minute)"
	}
	return string(c)
}
