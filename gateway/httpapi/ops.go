package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
)

// openAPI is the OpenAPI 3.1 document of the public and admin API. A test
// holds it to the routes the app registers and runs its examples.
//
//go:embed openapi.json
var openAPI []byte

// routesOps adds GET /metrics, behind the admin token: the series name
// tenants, lanes and volumes, which are the operator's business. An
// operator who wants an unauthenticated scrape sets
// RESETGW_METRICS_LISTEN to a private address instead. GET /openapi.json
// is public: it says nothing the API does not answer anyway.
func (s *Server) routesOps(metrics http.Handler) {
	if metrics != nil {
		s.app.Get("/metrics", s.adminAuth, adaptor.HTTPHandler(metrics))
	}
	s.app.Get("/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Send(openAPI)
	})
}
