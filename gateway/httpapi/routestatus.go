package httpapi

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/resetgw/resetgw/gateway"
)

// RouteStatusRoute is the path webhook providers post delivery statuses
// to; {route} is the name the settings show in the route's status_url.
const RouteStatusRoute = "/v1/routes/:route/status"

func (s *Server) routesRouteStatus() {
	s.app.Post(RouteStatusRoute, s.routeStatus)
}

// routeStatus takes a webhook provider's status callback, signed the
// Standard Webhooks way with the route's secret (see
// gateway.Service.RouteStatusCallback).
func (s *Server) routeStatus(c *fiber.Ctx) error {
	err := s.svc.RouteStatusCallback(c.UserContext(), gateway.RouteStatusInput{
		Route:     utils.CopyString(c.Params("route")),
		WebhookID: c.Get("webhook-id"), Timestamp: c.Get("webhook-timestamp"), Signature: c.Get("webhook-signature"),
		Body: append([]byte(nil), c.Body()...), IP: clientIP(c),
	})
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
