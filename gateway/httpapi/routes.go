package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// routesLanes adds GET /admin/api/routes: the delivery lanes and how each
// stands.
func (s *Server) routesLanes(a fiber.Router) {
	a.Get("/routes", s.listRoutes)
}

// laneJSON is one lane of the contract: lane, kind, tenant, state,
// reason and fix when there is one, in_flight, queued, rate_per_second.
func laneJSON(l gateway.LaneStatus) fiber.Map {
	tenant := ""
	if len(l.Tenants) > 0 {
		tenant = l.Tenants[0]
	}
	m := fiber.Map{"lane": l.Lane, "kind": l.Kind, "tenant": tenant, "state": string(l.State),
		"in_flight": l.InFlight, "queued": l.Queued, "rate_per_second": l.RatePerSecond}
	if len(l.Tenants) > 1 {
		// A sender shared by tenants (the operator's account) is one lane.
		m["tenants"] = l.Tenants
	}
	if l.Reason != "" {
		m["reason"] = l.Reason
	}
	if l.Fix != "" {
		m["fix"] = l.Fix
	}

	if l.LastFailure != "" {
		m["last_failure"] = l.LastFailure
		m["last_failure_at"] = l.LastFailureAt.UTC().Format(time.RFC3339)
	}
	return m
}

// chainJSON is one link of a tenant's SMS chain: its lane's fields (state
// ok and no lane before any text went), plus index, route, target and,
// for a link that is skipped, why.
func chainJSON(r gateway.ChainRoute) fiber.Map {
	var m fiber.Map
	if r.Lane != nil {
		m = laneJSON(*r.Lane)
	} else {
		m = fiber.Map{"lane": "", "kind": string(r.Kind), "state": string(gateway.LaneOK), "in_flight": 0, "queued": 0,
			"rate_per_second": 0}
	}
	m["tenant"], m["index"], m["route"], m["kind"] = r.Tenant, r.Index, string(r.Kind), string(r.Kind)
	delete(m, "tenants")
	if r.Target != "" {
		m["target"] = r.Target
	}
	if r.Why != "" {
		m["why"] = r.Why
	}
	return m
}

// listRoutes lists every link of each tenant's SMS chain, in order, with
// its lane's state and last failure, then the lanes no chain link names
// (mail relays).
func (s *Server) listRoutes(c *fiber.Ctx) error {
	ls, err := s.svc.Routes(c.UserContext(), actor(c), c.Query("tenant"))
	if err != nil {
		return err
	}
	chains, err := s.svc.RouteChains(c.UserContext(), actor(c), c.Query("tenant"))
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(ls)+len(chains))
	shown := map[string]bool{}
	for _, r := range chains {
		out = append(out, chainJSON(r))
		if r.Lane != nil {
			shown[r.Lane.Lane] = true
		}
	}
	for _, l := range ls {
		if !shown[l.Lane] {
			out = append(out, laneJSON(l))
		}
	}
	return c.JSON(out)
}
