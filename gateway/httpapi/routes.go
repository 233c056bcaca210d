package httpapi

import (
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
	return m
}

func (s *Server) listRoutes(c *fiber.Ctx) error {
	ls, err := s.svc.Routes(c.UserContext(), actor(c), c.Query("tenant"))
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(ls))
	for _, l := range ls {
		out = append(out, laneJSON(l))
	}
	return c.JSON(out)
}
