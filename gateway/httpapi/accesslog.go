package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
)

// requestIDKey holds the request's id for handlers and the access log.
const requestIDKey = "request_id"

// unmatchedKey marks a request no route answered: its access line names
// no pattern, as the raw path may carry a token a client mistyped.
const unmatchedKey = "route_unmatched"

// maxRequestIDLen bounds an id a proxy sends; a longer or odd one is
// replaced, so the log never carries whatever a client wrote.
const maxRequestIDLen = 64

// accessLog writes one line per request: method, route pattern, status,
// duration, bytes, client address and request id. Never the raw path
// (ids and tokens live in it), the query string or a body. It runs
// outside every other middleware and maps a returned error to its answer
// itself, so the status logged is the one the client gets.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	id := s.requestID(c)
	c.Locals(requestIDKey, id)
	c.Set(fiber.HeaderXRequestID, id)
	if err := c.Next(); err != nil {
		if herr := s.errorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	route := routeOf(c)
	status := c.Response().StatusCode()
	d := time.Since(start)
	if s.observe != nil {
		s.observe(c.Method(), route, status, d)
	}
	s.access.LogAttrs(c.UserContext(), slog.LevelInfo, "http request",
		slog.String("method", c.Method()),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.Int("bytes", len(c.Response().Body())),
		slog.String("client_ip", clientIP(c)),
		slog.String("request_id", id),
	)
	return nil
}

// requestID is the id a trusted proxy sent in X-Request-Id, when it is
// short and plain, else a new random one. Any other peer's id is ignored:
// a client could otherwise make its lines look like another's.
func (s *Server) requestID(c *fiber.Ctx) string {
	if v := c.Get(fiber.HeaderXRequestID); v != "" && s.ips.isTrusted(peerAddr(c)) && plainID(v) {
		return v
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func plainID(v string) bool {
	if len(v) > maxRequestIDLen {
		return false
	}
	for _, r := range v {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return false
		}
	}
	return true
}
