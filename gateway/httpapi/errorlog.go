package httpapi

import "github.com/gofiber/fiber/v2"

// routeOf is the pattern of the route that answered c (e.g. "/r/:token"),
// never the path itself: a path can carry a reset link's token or a
// request id. It is "" when no route matched (the path may be anything
// the client typed, a token included).
func routeOf(c *fiber.Ctx) string {
	if unmatched, _ := c.Locals(unmatchedKey).(bool); unmatched {
		return ""
	}
	return c.Route().Path
}

// requestIDOf is the id the access log gives c, so an error line and its
// access line can be matched.
func requestIDOf(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDKey).(string)
	return id
}
