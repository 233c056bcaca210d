package httpapi

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// status is the one mapping of domain error kinds to HTTP.
var status = map[gateway.Kind]int{
	gateway.KindInternal:      fiber.StatusInternalServerError,
	gateway.KindInvalid:       fiber.StatusBadRequest,
	gateway.KindUnauthorized:  fiber.StatusUnauthorized,
	gateway.KindForbidden:     fiber.StatusForbidden,
	gateway.KindNotFound:      fiber.StatusNotFound,
	gateway.KindConflict:      fiber.StatusConflict,
	gateway.KindUnprocessable: fiber.StatusUnprocessableEntity,
	gateway.KindRateLimited:   fiber.StatusTooManyRequests,
	gateway.KindUnavailable:   fiber.StatusServiceUnavailable,
}

// errorBody is the shape of every error answer.
type errorBody struct {
	Error struct {
		Code string `json:"code"`
		// Field names the body's field the error is about, when one is.
		Field   string `json:"field,omitempty"`
		Message string `json:"message"`
	} `json:"error"`
}

// errorHandler answers every error of every handler: a domain error with
// its code, a Fiber error (bad method, body too large) with its status,
// anything else as an internal error whose cause goes to the log only.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	if s.consoleErr != nil && consolePage(c.Path()) {
		return s.consoleErr(c, err)
	}
	var body errorBody
	code := fiber.StatusInternalServerError
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		code = fe.Code
		body.Error.Code, body.Error.Message = fiberCode(fe.Code), fe.Message
	default:
		ge := domainError(err)
		code = status[ge.Kind]
		body.Error.Code, body.Error.Message = ge.Code, ge.Message
		var fe *fieldError
		if errors.As(err, &fe) {
			body.Error.Field = fe.Field
		}
		// The route's pattern, not the path: a path may hold a token.
		if ge == errRequestEnded {
			s.log.Warn("request ended before its answer", "method", c.Method(), "route", routeOf(c), "request_id", requestIDOf(c), "ip", clientIP(c), "err", err)
		} else if ge.Kind == gateway.KindInternal || ge.Kind == gateway.KindUnavailable {
			s.log.Error("request failed", "method", c.Method(), "route", routeOf(c), "request_id", requestIDOf(c), "ip", clientIP(c), "err", err)
		}
	}
	if code == fiber.StatusTooManyRequests {
		c.Set(fiber.HeaderRetryAfter, "60")
	}
	return c.Status(code).JSON(body)
}

// errRequestEnded answers a request whose context ended (its time bound
// passed, or the client went away) before the work was done: waiting for
// a hashing slot, or for the store. It is the load, not a bug: 503.
var errRequestEnded = gateway.Errorf(gateway.KindUnavailable, "request_timeout",
	"the gateway is busy and this request ran out of time; try again")

// domainError is err as the domain error it answers with: itself, the
// request's end, or an internal error whose cause only the log sees.
func domainError(err error) *gateway.Error {
	var ge *gateway.Error
	if errors.As(err, &ge) && ge.Kind != gateway.KindInternal {
		return ge
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return errRequestEnded
	}
	if ge != nil {
		return ge
	}
	return gateway.Internal(err)
}

func fiberCode(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "route_not_found"
	case fiber.StatusMethodNotAllowed:
		return "method_not_allowed"
	case fiber.StatusRequestEntityTooLarge:
		return "body_too_large"
	case fiber.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case fiber.StatusRequestTimeout:
		return "timeout"
	}
	if status >= 500 {
		return "internal"
	}
	return "bad_request"
}
