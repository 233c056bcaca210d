package gateway

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"unicode/utf8"
)

// Kind says what sort of failure an Error is. Exactly one place (the HTTP
// adapter) turns a Kind into a status code; everything else only sets it.
type Kind int

const (
	KindInternal      Kind = iota // a bug or a broken dependency: 500
	KindInvalid                   // the input is malformed: 400
	KindUnauthorized              // no or wrong credentials: 401
	KindForbidden                 // credentials fine, action not allowed: 403
	KindNotFound                  // no such thing (or not yours): 404
	KindConflict                  // it exists already / state does not allow it: 409
	KindUnprocessable             // well-formed but breaks a rule (password policy): 422
	KindRateLimited               // too many attempts: 429
	KindUnavailable               // the store or a dependency is down: 503
)

// Error is the error value of the domain: a kind, a stable machine code and
// a message safe to show to the caller. Err, when set, is the cause; it is
// for logs and never reaches a client.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an *Error with a formatted message.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure; the caller sees only a generic text.
func Internal(err error) *Error {
	return &Error{Kind: KindInternal, Code: "internal", Message: "internal error", Err: err}
}

// ErrorKind returns the kind of err, KindInternal for foreign errors.
func ErrorKind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// ErrorCode returns the stable code of err, "internal" for foreign errors.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "internal"
}

// ErrNotFound is what stores return when a row does not exist.
var ErrNotFound = &Error{Kind: KindNotFound, Code: "not_found", Message: "not found"}

// IsNotFound reports whether err means "no such row".
func IsNotFound(err error) bool { return ErrorKind(err) == KindNotFound }

// FailureClass says whose fault a failed send is, which decides what the
// delivery engine does next. Channels classify; only the engine acts.
type FailureClass string

const (
	// FailTransient is the network's or the provider's passing trouble
	// (5xx, timeouts, connection refused): retry with backoff.
	FailTransient FailureClass = "transient"
	// FailRate means the provider wants us slower (429, queue overflow,
	// pumping protection): slow the lane, retry later.
	FailRate FailureClass = "rate"
	// FailConfig is the sender's setup (bad credentials, unregistered
	// number, certificate): only an admin can fix it; the lane pauses.
	FailConfig FailureClass = "configuration"
	// FailRecipient is this person's number or address: no retry, no
	// other route.
	FailRecipient FailureClass = "recipient"
	// FailOptedOut means the recipient texted STOP.
	FailOptedOut FailureClass = "opted_out"
)

// SendError is how a channel reports a failed send. The channel classifies
// it; only the delivery engine decides to retry, pause or fail over.
type SendError struct {
	// Class is whose fault it is; the zero value is a permanent failure of
	// this message that no class describes better.
	Class FailureClass
	// Code keeps the provider's own code: "21211" for Twilio, "550 5.1.1"
	// for SMTP, "timeout", "connect" for the network.
	Code string
	// Detail is the provider's text, free of secrets.
	Detail string
	// Fix is, for a configuration failure, what the admin should do, in
	// plain language.
	Fix string
	// MayHaveSent says the provider may have taken the text (its answer
	// was lost) and the route has no way to look it up: sending it again,
	// on this route or another, could text the person twice, so the
	// engine ends the delivery on it instead.
	MayHaveSent bool
	// Unsure says the provider may have taken the message although no
	// answer said so (a timeout or a broken connection after the request
	// was written, a gateway timeout): the text may leave this route only
	// after the route is looked up, or it could go out twice.
	Unsure bool
}

// Temporary reports whether trying the same route again later can help.
func (e *SendError) Temporary() bool { return e.Class == FailTransient || e.Class == FailRate }

func (e *SendError) Error() string {
	kind := string(e.Class)
	if kind == "" {
		kind = "permanent"
	}
	return fmt.Sprintf("%s send failure %s: %s", kind, e.Code, e.Detail)
}

// AsSendError returns err as a *SendError; an unclassified error counts as
// transient, since a retry costs less than a lost password.
func AsSendError(err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	return &SendError{Class: FailTransient, Code: "unknown", Detail: err.Error()}
}

// Clip folds s onto one line and cuts it to at most n bytes on a rune
// boundary, marking the cut: provider replies go into rows, events and
// admin pages, where a multi-line or huge text does not belong.
func Clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// MayHaveArrived reports whether a call that failed without an answer may
// still have reached the provider: false only when the connection was
// never made (refused, unreachable, a name that does not resolve), which
// no request can have passed through.
func MayHaveArrived(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return false
	case errors.As(err, &op) && op.Op == "dial":
		return false
	}
	return true
}
