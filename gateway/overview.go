package gateway

import (
	"context"
	"time"
)

// RouteStat sums the recent outcomes of one route's deliveries.
type RouteStat struct {
	Route    Route
	Sent     int // accepted by the provider
	Failed   int // given up on
	Retrying int // failed at least once, trying again
	// LastError is the newest failure's code and text.
	LastError   string
	LastErrorAt time.Time
	LastSentAt  time.Time
}

// Failing reports whether the route is failing now: it is retrying, or
// its newest outcome is a failure.
func (r RouteStat) Failing() bool {
	return r.Retrying > 0 || (!r.LastErrorAt.IsZero() && r.LastErrorAt.After(r.LastSentAt))
}

// Overview is the console's first page.
type Overview struct {
	Since      time.Time // start of today
	Requests   int
	Delivered  int
	RolledBack int
	Rejected   int
	InFlight   int // received or delivering
	Routes     []RouteStat
	Failing    []RouteStat
	// AtRisk counts crew members reachable by text only through a
	// retired or retiring carrier gateway (RouteHealth).
	AtRisk int
	// Lanes are the delivery lanes in scope and how each stands; Trouble
	// those that are not ok.
	Lanes   []LaneStatus
	Trouble []LaneStatus
}

// failingWindow is how far back "failing now" looks.
const failingWindow = time.Hour

// Overview counts today's requests by outcome (today in loc), the routes
// failing in the last hour, and the crew members at risk of losing texts.
func (s *Service) Overview(ctx context.Context, a Actor, tenant string, loc *time.Location) (*Overview, error) {
	tid, err := s.scopeID(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	y, m, d := now.In(loc).Date()
	o := &Overview{Since: time.Date(y, m, d, 0, 0, 0, 0, loc)}
	counts, err := s.store.CountResets(ctx, tid, o.Since)
	if err != nil {
		return nil, err
	}
	for state, n := range counts {
		o.Requests += n
		switch state {
		case StateDelivered:
			o.Delivered += n
		case StateRolledBack:
			o.RolledBack += n
		case StateRejected:
			o.Rejected += n
		default:
			o.InFlight += n
		}
	}
	if o.Routes, err = s.store.RouteStats(ctx, tid, now.Add(-failingWindow)); err != nil {
		return nil, err
	}
	for _, r := range o.Routes {
		if r.Failing() {
			o.Failing = append(o.Failing, r)
		}
	}
	rh, err := s.RouteHealth(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	o.AtRisk = len(rh.People)
	if o.Lanes, err = s.Routes(ctx, a, tenant); err != nil {
		return nil, err
	}
	for _, l := range o.Lanes {
		if l.State != LaneOK {
			o.Trouble = append(o.Trouble, l)
		}
	}
	return o, nil
}

// Tenants lists the tenants the actor may see.
func (s *Service) Tenants(ctx context.Context, a Actor) ([]*Tenant, error) {
	if a.TenantID != 0 {
		t, err := s.store.TenantByID(ctx, a.TenantID)
		if err != nil {
			return nil, err
		}
		return []*Tenant{t}, nil
	}
	return s.store.ListTenants(ctx)
}

// Settings returns a tenant's settings in the actor's scope. Its secrets
// are in it: adapters show them only as "set".
func (s *Service) Settings(ctx context.Context, a Actor, tenant string) (*Tenant, error) {
	return s.scope(ctx, a, tenant)
}
