package gateway

import (
	"context"
	"math"
	"sort"
	"time"
)

// US carriers are shutting their email-to-SMS gateways down (AT&T and
// T-Mobile have, Verizon's ends 2027-03-31). A tenant without Twilio texts
// through them, and when one stops its crew's texts stop without any error
// anyone would see: route health names those people ahead of time.

// RouteRisk is a crew member who can be texted only through a retired or
// retiring carrier gateway.
type RouteRisk struct {
	Tenant      string
	PersonID    int64
	Name        string
	Email       string
	Phone       string
	Carrier     string
	CarrierName string
	Status      CarrierStatus
	RetiredOn   time.Time // zero when unknown
	// DaysLeft counts the days until the gateway ends; 0 or less when it
	// has ended (texts to this person go nowhere now).
	DaysLeft int
}

// Ended reports whether the person's texts have stopped already.
func (r RouteRisk) Ended() bool { return r.Status == CarrierRetired || r.DaysLeft <= 0 }

// TenantRisk is a tenant whose SMS would silently stop: no Twilio, and
// crew on ending gateways.
type TenantRisk struct {
	Slug   string
	Name   string
	People int
	Ended  int // of People, those whose texts have stopped already
	// FirstEnd is the earliest end date ahead, zero when none is.
	FirstEnd time.Time
}

// RouteHealth is the route-health report.
type RouteHealth struct {
	At      time.Time
	People  []RouteRisk
	Tenants []TenantRisk
	// Lanes are the delivery lanes in scope and how each stands.
	Lanes []LaneStatus
	// Chains are the SMS routes of each tenant in scope, link by link.
	Chains []ChainRoute
}

// RouteHealth lists, for the tenants in the actor's scope that text
// through carrier gateways (no Twilio of their own nor the operator's),
// the active crew members whose SMS phone is on a retired or retiring
// gateway, soonest end first.
func (s *Service) RouteHealth(ctx context.Context, a Actor, tenant string) (*RouteHealth, error) {
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
	carriers, err := s.store.ListCarriers(ctx)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	ending := map[string]*Carrier{}
	for _, c := range carriers {
		if c.Status == CarrierRetired || c.Status == CarrierRetiring || !c.UsableOn(now) {
			ending[c.Slug] = c
		}
	}
	rh := &RouteHealth{At: now, People: []RouteRisk{}}
	for _, t := range tenants {
		if s.smsRoute(t) != RouteCarrier {
			continue
		}
		tr := TenantRisk{Slug: t.Slug, Name: t.Name}
		for offset := 0; ; offset += 1000 {
			ps, err := s.store.ListPersonnel(ctx, PersonFilter{TenantID: t.ID, Limit: 1000, Offset: offset})
			if err != nil {
				return nil, err
			}
			for _, p := range ps {
				if r, ok := atRisk(t, p, ending, now); ok {
					rh.People = append(rh.People, r)
					tr.People++
					if r.Ended() {
						tr.Ended++
					} else if tr.FirstEnd.IsZero() || r.RetiredOn.Before(tr.FirstEnd) {
						tr.FirstEnd = r.RetiredOn
					}
				}
			}
			if len(ps) < 1000 {
				break
			}
		}
		if tr.People > 0 {
			rh.Tenants = append(rh.Tenants, tr)
		}
	}
	sort.SliceStable(rh.People, func(i, j int) bool { return rh.People[i].DaysLeft < rh.People[j].DaysLeft })
	if rh.Lanes, err = s.Routes(ctx, a, tenant); err != nil {
		return nil, err
	}
	if rh.Chains, err = s.RouteChains(ctx, a, tenant); err != nil {
		return nil, err
	}
	return rh, nil
}

// atRisk says whether p's texts depend on an ending gateway: p is active
// with mobile access (else no reset reaches them anyway) and the phone
// texts go to (the first SMS-type one) is on such a carrier.
func atRisk(t *Tenant, p *Person, ending map[string]*Carrier, now time.Time) (RouteRisk, bool) {
	if p.Status != StatusActive || !p.MobileAccess {
		return RouteRisk{}, false
	}
	for _, ph := range p.Phones {
		if ph.Type != PhoneSMS {
			continue
		}
		c, ok := ending[ph.Carrier]
		if !ok {
			return RouteRisk{}, false
		}
		r := RouteRisk{Tenant: t.Slug, PersonID: p.ID, Name: p.Name, Email: p.Email, Phone: ph.Number,
			Carrier: c.Slug, CarrierName: c.Name, Status: c.Status, RetiredOn: c.RetiredOn}
		if !c.RetiredOn.IsZero() {
			r.DaysLeft = int(math.Ceil(c.RetiredOn.Sub(now).Hours() / 24))
		}
		if c.Status == CarrierRetired && r.DaysLeft > 0 {
			r.DaysLeft = 0
		}
		return r, true
	}
	return RouteRisk{}, false
}
