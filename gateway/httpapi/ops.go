package httpapi

import (
	"net/http"

	"github.com/gofiber/fiber/v2/middleware/adaptor"
)

// routesOps adds GET /metrics, behind the admin token: the series name
// tenants, lanes and volumes, which are the operator's business. An
// operator who wants an unauthenticated scrape sets
// RESETGW_METRICS_LISTEN to a private address instead.
func (s *Server) routesOps(metrics http.Handler) {
	if metrics != nil {
		s.app.Get("/metrics", s.adminAuth, adaptor.HTTPHandler(metrics))
	}
}
