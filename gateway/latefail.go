package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// A late failure fails over. A provider may take a text (Twilio answers
// 201) and say minutes later that it never arrived (a status callback
// "undelivered", 30008). When the failure is the route's and not the
// number's, and the reset can still be used, the same text goes once to
// the next route of the tenant's chain, as a first-attempt failure would
// move it. To have the text to send, a reset's text keeps its sealed body
// after its provider took it, until the provider's final report or the end
// of the late-failover window, whichever comes first; then it is wiped.

// Events of a late failover.
const (
	// EventDeliveryLateFailover: a text that failed late goes again on
	// the next route, as a new delivery of the request.
	EventDeliveryLateFailover = "delivery_late_failover"
	// EventLateFailoverSkipped: a text that failed late had a next route
	// but does not go there; the detail says why.
	EventLateFailoverSkipped = "delivery_late_failover_skipped"
	// EventResetDeliveringAgain: the only message of a delivered reset
	// that had been accepted failed late while another is on its way, so
	// the reset is delivering again.
	EventResetDeliveringAgain = "reset_delivering_again"
)

// The late-failover window: how long after its provider took a reset's
// text its body is kept for a late failover. It covers a text's validity
// period at Twilio (600 s by default, whose expiry arrives as 30036) and
// the poll of a text without a final report (10 minutes).
const (
	DefaultLateFailoverWindow = 15 * time.Minute
	MinLateFailoverWindow     = time.Minute
	MaxLateFailoverWindow     = 2 * time.Hour
)

// keptSweepEvery is how often the worker wipes the bodies whose window has
// ended, and keptSweepBatch how many it wipes at most at once.
const (
	keptSweepEvery = 30 * time.Second
	keptSweepBatch = 500
)

// KeptBodyWiper is a store that wipes the kept bodies of texts sent before
// a time and still without a final report. Both stores implement it.
type KeptBodyWiper interface {
	WipeKeptBodies(ctx context.Context, sentBefore time.Time, limit int) (int, error)
}

// SetLateFailoverWindow sets the late-failover window (clamped; zero: the
// default).
func (s *Service) SetLateFailoverWindow(d time.Duration) {
	if d <= 0 {
		d = DefaultLateFailoverWindow
	}
	s.lateWindow = min(max(d, MinLateFailoverWindow), MaxLateFailoverWindow)
}

func (s *Service) lateFailoverWindow() time.Duration {
	if s.lateWindow <= 0 {
		return DefaultLateFailoverWindow
	}
	return s.lateWindow
}

// keepsBodyWhenSent says whether d's body stays sealed in the outbox once
// its provider took it: a reset's text, which may have to go again on the
// next route.
func keepsBodyWhenSent(d *Delivery) bool {
	return d.Channel == ChannelSMS && d.RequestID != ""
}

// lateFailover sends again, on the next route of its chain, a text that was
// sent and has just failed late with code of class. d is the text as it
// was before the failure was recorded (sent, its body kept), r its reset.
// It writes the new delivery and its events in st and returns it, or nil
// when the text does not go again.
func (s *Service) lateFailover(ctx context.Context, st Store, d *Delivery, r *ResetRequest, class FailureClass, code string) (*Delivery, error) {
	if d.Channel != ChannelSMS || r == nil || !r.UsedAt.IsZero() {
		// A used password reached someone; the log says so already.
		return nil, nil
	}
	t, err := st.TenantByID(ctx, d.TenantID)
	if IsNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	mv, err := s.nextLink(ctx, st, t, d)
	if mv == nil || err != nil {
		return nil, err // no other route: nothing to say
	}
	now := s.clock()
	why, err := s.lateFailoverBlocked(ctx, st, d, r, class, code, now)
	if err != nil {
		return nil, err
	}
	nd := &Delivery{RequestID: d.RequestID, TenantID: d.TenantID, Channel: d.Channel, Route: mv.route.Kind,
		RouteIndex: mv.idx, To: mv.to, Locale: d.Locale, Status: DeliveryPending, NextAttemptAt: now,
		Priority: d.Priority, CreatedAt: now, UpdatedAt: now}
	if why == "" {
		body, err := s.open(d)
		switch {
		case err == nil:
			plain, err := json.Marshal(body)
			if err != nil {
				return nil, err
			}
			nd.Body = plain
			if err := s.seal(nd); err != nil {
				return nil, err
			}
		case errors.Is(err, errKeyGone) && mv.to == d.To:
			// Sealed by another instance, which keeps the key: the body
			// binds the same request and number there, so it moves as it
			// is, and that instance sends it.
			nd.Body, nd.BodyKey, nd.SealedBy, nd.SealedEpoch = d.Body, d.BodyKey, d.SealedBy, d.SealedEpoch
		case errors.Is(err, errKeyGone):
			why = "its body is sealed under a key this instance does not hold, and " + string(mv.route.Kind) +
				" needs it addressed anew"
		default:
			return nil, err
		}
	}
	ev := Event{TenantID: d.TenantID, RequestID: d.RequestID, PersonID: r.PersonID, Channel: string(d.Channel),
		ProviderID: d.ProviderID, Code: code}
	if why != "" {
		ev.Type = EventLateFailoverSkipped
		ev.Detail = Clip(string(d.Route)+" failed late; not sent again by "+string(mv.route.Kind)+": "+why, 300)
		s.log.Info("late failure not failed over", "delivery_id", d.ID, "request_id", d.RequestID, "code", code, "why", why)
		return nil, s.event(ctx, st, ev)
	}
	if err := st.CreateDelivery(ctx, nd); err != nil {
		return nil, err
	}
	if err := st.AddDeliveryAttempt(ctx, DeliveryAttempt{DeliveryID: d.ID, Route: d.Route, Status: AttemptMoved,
		ProviderID: d.ProviderID, Error: code, At: now}); err != nil {
		return nil, err
	}
	ev.Type = EventDeliveryLateFailover
	ev.Detail = Clip(string(d.Route)+" took the text, then reported it failed ("+lateWords(class, code)+
		"); sending it again by "+string(mv.route.Kind), 300)
	s.log.Info("late failure failed over", "delivery_id", d.ID, "new_delivery_id", nd.ID, "request_id", d.RequestID,
		"from", d.Route, "to", nd.Route, "code", code)
	return nd, s.event(ctx, st, ev)
}

// lateFailoverBlocked says in words why a text that failed late must not go
// again, or "" when it may.
func (s *Service) lateFailoverBlocked(ctx context.Context, st Store, d *Delivery, r *ResetRequest, class FailureClass, code string, now time.Time) (string, error) {
	switch {
	case class == FailRecipient:
		return "the number itself failed (" + lateWords(class, code) + "), so no other route would reach it", nil
	case class == FailOptedOut:
		return "the number texted STOP, so it gets no texts by any route", nil
	case r.State != StateDelivering && r.State != StateDelivered:
		return "the reset is " + string(r.State), nil
	case !now.Before(r.ExpiresAt) || (len(r.TempHash) == 0 && len(r.LinkHash) == 0):
		return "the reset has expired or a newer one replaced it", nil
	case d.Body == nil || now.Sub(d.UpdatedAt) > s.lateFailoverWindow():
		return "the failure came after the late-failover window (" + s.lateFailoverWindow().String() +
			") and its body was wiped", nil
	}
	p, err := st.Person(ctx, r.TenantID, r.PersonID)
	if IsNotFound(err) {
		return "the person's record is gone", nil
	} else if err != nil {
		return "", err
	}
	if p.PendingRequest != r.ID {
		return "a newer reset or a change to the person's record ended this one", nil
	}
	return "", nil
}

// lateWords is a late failure's code with its meaning, for the log.
func lateWords(class FailureClass, code string) string {
	if _, what, _, ok := TwilioLateFailure(code); ok && what != "" {
		return code + ": " + what
	}
	return code
}

// wipeKept wipes the kept bodies of texts whose late-failover window has
// ended without a final report, at most every keptSweepEvery.
func (w *Worker) wipeKept(ctx context.Context) {
	kw, ok := w.s.store.(KeptBodyWiper)
	if !ok {
		return
	}
	now := w.s.clock()
	if last := w.lastWipe.Load(); last != 0 && now.Sub(time.Unix(0, last)) < keptSweepEvery && !now.Before(time.Unix(0, last)) {
		return
	}
	w.lastWipe.Store(now.UnixNano())
	w.lockTurn()
	n, err := kw.WipeKeptBodies(ctx, now.Add(-w.s.lateFailoverWindow()), keptSweepBatch)
	w.unlockTurn()
	if err != nil {
		w.s.log.Warn("wiping the bodies of texts past their late-failover window failed", "err", err)
	} else if n > 0 {
		w.s.log.Debug("wiped the bodies of texts past their late-failover window", "count", n)
	}
}

// dropKeptBodies wipes the bodies r's sent texts keep for a late failover,
// in st: r's password was used or r ended, so none of them goes again.
func (s *Service) dropKeptBodies(ctx context.Context, st Store, r *ResetRequest) error {
	for _, d := range r.Deliveries {
		if d.Status == DeliverySent && d.Body != nil {
			d.Body, d.BodyKey = nil, nil
			if err := st.UpdateDelivery(ctx, d); err != nil {
				return err
			}
		}
	}
	return nil
}
