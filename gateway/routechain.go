package gateway

import (
	"context"
	"strconv"
)

// ChainRoute is one link of a tenant's SMS chain as route health shows
// it: what it is, whether it can send now, and the lane that carried its
// texts (nil before any went).
type ChainRoute struct {
	Tenant string
	Index  int
	Kind   Route
	// Target names the link without its secrets: a webhook's URL, an aws
	// route's region and origination identity.
	Target string
	// Why, when set, is why the link is skipped (no_twilio: no account to
	// send with).
	Why  string
	Lane *LaneStatus
}

// RouteChains lists every link of the SMS chain of each tenant in the
// actor's scope, in the order texts try them, each with its lane's state
// and last failure.
func (s *Service) RouteChains(ctx context.Context, a Actor, tenant string) ([]ChainRoute, error) {
	var tenants []*Tenant
	if a.TenantID != 0 || tenant != "" {
		t, err := s.scope(ctx, a, tenant)
		if err != nil {
			return nil, err
		}
		tenants = []*Tenant{t}
	} else {
		var err error
		if tenants, err = s.store.ListTenants(ctx); err != nil {
			return nil, err
		}
	}
	lanes, err := s.Routes(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	byLink := map[string]*LaneStatus{}
	for i := range lanes {
		for _, k := range lanes[i].Links {
			byLink[k] = &lanes[i]
		}
	}
	out := []ChainRoute{}
	for _, t := range tenants {
		for i, r := range s.SMSChain(t) {
			cr := ChainRoute{Tenant: t.Slug, Index: i, Kind: r.Kind, Lane: byLink[t.Slug+"/"+strconv.Itoa(i)]}
			cr.Target = routeTarget(&r)
			if r.Kind == RouteTwilio && !s.twilioFor(t) {
				cr.Why = SkipNoTwilio
			}
			out = append(out, cr)
		}
	}
	return out, nil
}
