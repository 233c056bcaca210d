package httpapi

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// defaultRequestTimeout bounds a request's work: under the server's
// write timeout (15 s), and under the 15 s Twilio waits for a webhook.
const defaultRequestTimeout = 10 * time.Second

// peerCheckEvery is how often a request still running looks whether its
// client has closed the connection. Most requests end before the first
// look and cost nothing.
const peerCheckEvery = 200 * time.Millisecond

// requestContext gives every handler a context that ends after the bound,
// or when the client closes the connection (where the platform lets us
// see it). Fiber's UserContext is Background otherwise: a login queued
// for a hashing slot would wait however long the queue is, for a client
// long gone. The parent is Background, not fasthttp's RequestCtx, which
// is recycled for the next request while a context derived from it
// might still be asked for a value.
func (s *Server) requestContext(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.reqTimeout)
	defer cancel()
	stop := watchPeer(c, cancel)
	defer stop()
	c.SetUserContext(ctx)
	return c.Next()
}
