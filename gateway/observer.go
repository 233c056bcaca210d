package gateway

import (
	"errors"
	"time"
)

// Observer is told what the gateway does, for metrics. The domain knows
// no metrics library: an adapter implements this. Every method must be
// quick and safe from any goroutine. A count made inside a transaction
// that then fails to commit is counted anyway: the figures are for
// watching trends, the event log is the record.
type Observer interface {
	// ResetRequested is one reset request as it was answered: "accepted"
	// or the stable code of the error it got.
	ResetRequested(outcome string)
	// ResetFinished is a request reaching a final state, with its reason
	// ("" when there is none).
	ResetFinished(state ResetState, reason string)
	// ResetReopened is a delivered request going back to delivering: its
	// one accepted message failed late and another route is trying. It
	// is counted finished again when it settles, so finished less
	// reopened is the requests in final states.
	ResetReopened()
	// DeliveryAttempt is one send through a route: class "sent" when the
	// provider took it, else the failure class; d is how long the send
	// took.
	DeliveryAttempt(route Route, class string, d time.Duration)
}

// AttemptSent is DeliveryAttempt's class of a send the provider took.
const AttemptSent = "sent"

type nopObserver struct{}

func (nopObserver) ResetRequested(string)                        {}
func (nopObserver) ResetFinished(ResetState, string)             {}
func (nopObserver) ResetReopened()                               {}
func (nopObserver) DeliveryAttempt(Route, string, time.Duration) {}

// SetObserver sets who is told what the gateway does; nil tells nobody.
func (s *Service) SetObserver(o Observer) {
	if o == nil {
		o = nopObserver{}
	}
	s.obs = o
}

// observer is the Service's Observer, never nil.
func (s *Service) observer() Observer {
	if s.obs == nil {
		return nopObserver{}
	}
	return s.obs
}

// outcomeOf is an answer's outcome label: a stable code, never free text.
func outcomeOf(err error) string {
	if err == nil {
		return "accepted"
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return "error"
}
