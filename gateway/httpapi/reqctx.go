package httpapi

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// defaultRequestTimeout bounds a request's work: under the server's
// write timeout (15 s), and under the 15 s Twilio waits for a webhook.
const defaultRequestTimeout = 10 * time.Second

// defaultAdminRequestTimeout bounds the work of a signed-in admin's
// request instead: a Test Provider or test email waits for a relay whose
// every command may take the send timeout (30 s by default), and an
// import or bulk send does more than one thing. Only an authenticated,
// throttled caller gets it; a sign-in attempt has the short bound.
const defaultAdminRequestTimeout = 2 * time.Minute

// peerCheckEvery is how often a request still running looks whether its
// client has closed the connection. Most requests end before the first
// look and cost nothing.
const peerCheckEvery = 200 * time.Millisecond

const baseCtxKey = "request_base_ctx"

// requestContext gives every handler a context that ends after the bound,
// or when the client closes the connection (where the platform lets us
// see it). Fiber's UserContext is Background otherwise: a login queued
// for a hashing slot would wait however long the queue is, for a client
// long gone. The parent is Background, not fasthttp's RequestCtx, which
// is recycled for the next request while a context derived from it
// might still be asked for a value.
func (s *Server) requestContext(c *fiber.Ctx) error {
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	stop := watchPeer(c, cancelBase)
	defer stop()
	ctx, cancel := context.WithTimeout(base, s.reqTimeout)
	defer cancel()
	c.Locals(baseCtxKey, base)
	c.SetUserContext(ctx)
	return c.Next()
}

// adminBound gives the rest of an authenticated admin request the longer
// bound; the client going away still ends it.
func (s *Server) adminBound(c *fiber.Ctx) error {
	base, ok := c.Locals(baseCtxKey).(context.Context)
	if !ok {
		return c.Next()
	}
	ctx, cancel := context.WithTimeout(base, s.adminTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}
