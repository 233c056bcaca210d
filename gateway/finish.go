package gateway

import (
	"context"
	"time"
)

// Event types the delivery engine writes.
const (
	EventDeliveryResend     = "delivery_resend"
	EventLaneNeedsAttention = "lane_needs_attention"
	EventLaneRecovered      = "lane_recovered"
	EventLaneOpen           = "lane_open"
	EventLaneHalfOpen       = "lane_half_open"
	EventLaneClosed         = "lane_closed"
	EventLaneSlowed         = "lane_slowed"
)

// outcome is what became of one claim, waiting for the committer: a send
// that finished, or a delivery given back unsent.
type outcome struct {
	c          *claim
	providerID string
	err        error // nil: the provider took it
	// retryAt, for a failed send, is when to try again; zero: failed for
	// good.
	retryAt time.Time
	// deferTo, when set, gives the delivery back unsent: due again then,
	// no attempt spent.
	deferTo time.Time
	// blocked, with deferTo, is why the lane gave it back (needs
	// attention, open circuit): a chain with another route moves it there.
	blocked *SendError
	// looked says the route was looked up after this failure and does not
	// hold the text, so it may move even after a lost answer.
	looked bool
	// void says the claim turned out not to be this worker's to record
	// (another claim holds the hand-over mark): nothing is written.
	void bool
}

// recordIn writes an outcome and what it means for the request. reads,
// when not nil, keeps the requests this transaction read and saved.
func (s *Service) recordIn(ctx context.Context, st Store, o *outcome, reads *txReads) error {
	d := o.c.d
	if o.void {
		return nil
	}
	if err := unmarkUnsent(ctx, st, o); err != nil {
		return err
	}
	why := o.blocked
	if o.err != nil {
		why = AsSendError(o.err)
	}
	if why != nil && why.MayHaveSent {
		if o.c.maybeSent || o.c.ho.marked() {
			if err := s.maybeSentEvent(ctx, st, o.c); err != nil {
				return err
			}
		}
		// At most once: a text whose fate is unknown on a route without a
		// lookup is neither resent nor moved (see SendError.MayHaveSent).
		return s.finishIn(ctx, st, d, "", o.err, time.Time{}, reads)
	}
	if o.c.resumed {
		if err := s.event(ctx, st, Event{TenantID: d.TenantID, RequestID: d.RequestID, Channel: string(d.Channel),
			Type: EventDeliveryResumed, Detail: string(d.Route) + ": an interrupted attempt had not handed it to the relay, so it went once, now"}); err != nil {
			return err
		}
	}
	if moved, err := s.failoverIn(ctx, st, d, why, o.looked); moved || err != nil {
		reads.drop(d.RequestID)
		return err
	}
	if !o.deferTo.IsZero() {
		reads.drop(d.RequestID)
		return st.DeferDelivery(ctx, d.ID, o.deferTo, d.Unrecorded)
	}
	retryAt := o.retryAt
	if o.err != nil {
		var err error
		if retryAt, err = s.retryWithinWindow(ctx, st, d, why, retryAt); err != nil {
			return err
		}
	}
	if d.Unrecorded {
		// Kept among the route's attempts: a later move must look the
		// route up first.
		if err := st.AddDeliveryAttempt(ctx, DeliveryAttempt{DeliveryID: d.ID, Route: d.Route, Status: AttemptUnanswered,
			Error: "unrecorded", At: s.clock()}); err != nil {
			return err
		}
		// An earlier claim ended without an outcome (a crash, a lost
		// commit): its send may have gone out, so this one may be a second.
		if err := s.event(ctx, st, Event{TenantID: d.TenantID, RequestID: d.RequestID, Channel: string(d.Channel),
			Type: EventDeliveryResend, Detail: string(d.Route) + ": an earlier attempt left no outcome"}); err != nil {
			return err
		}
	}
	return s.finishIn(ctx, st, d, o.providerID, o.err, retryAt, reads)
}

func (s *Service) finishIn(ctx context.Context, st Store, d *Delivery, providerID string, sendErr error, retryAt time.Time, reads *txReads) (err error) {
	// Another instance may be recording the request's other delivery:
	// without the hold each would see the other still pending, and a
	// request whose every delivery failed would never roll back.
	if l, ok := st.(ResetLocker); ok && d.RequestID != "" {
		if err := l.LockReset(ctx, d.RequestID); err != nil {
			return err
		}
	}
	// The request holds this delivery too: one read gives both (the
	// committer's transactions are the engine's largest share of the
	// writer).
	r, cur, err := s.deliveryAndRequest(ctx, st, d, reads)
	if err != nil {
		return err
	}
	defer func() {
		if err == nil {
			reads.keep(r) // as saved
		}
	}()
	if cur.Status != DeliveryPending {
		return nil // cancelled (superseded) while we were sending
	}
	now := s.clock()
	cur.Attempts++
	cur.UpdatedAt = now
	ev := Event{TenantID: cur.TenantID, RequestID: cur.RequestID, Channel: string(cur.Channel)}
	if sendErr == nil {
		cur.Status, cur.ProviderID = DeliverySent, providerID
		if !keepsBodyWhenSent(cur) {
			cur.Body = nil
		}
		cur.ErrorCode, cur.ErrorDetail = "", ""
		ev.Type, ev.ProviderID, ev.Detail = "delivery_sent", providerID, string(cur.Route)
	} else {
		se := AsSendError(sendErr)
		if se.Code == twilioUnsubscribed && cur.Route == RouteTwilio {
			// Twilio refuses numbers that texted STOP to it: record the
			// opt-out so that every other path honours it too.
			if err := s.recordTwilioOptOut(ctx, st, cur); err != nil {
				return err
			}
			reads.forget()
			if r != nil {
				// The opt-out may have ended the request's other texts.
				if r, err = st.Reset(ctx, r.ID); err != nil {
					return err
				}
			}
		}
		cur.ErrorCode, cur.ErrorDetail = se.Code, truncate(se.Detail, 500)
		ev.Code, ev.Detail = se.Code, string(cur.Route)+": "+truncate(se.Detail, 200)
		if !retryAt.IsZero() {
			cur.NextAttemptAt = retryAt
			ev.Type = "delivery_retry"
		} else {
			cur.Status, cur.Body = DeliveryFailed, nil
			ev.Type = "delivery_failed"
		}
		s.log.Warn("delivery failed", "delivery_id", cur.ID, "request_id", cur.RequestID,
			"route", cur.Route, "code", se.Code, "class", se.Class, "attempt", cur.Attempts)
	}
	if err := st.UpdateDelivery(ctx, cur); err != nil {
		return err
	}
	try := DeliveryAttempt{DeliveryID: cur.ID, Route: cur.Route, Status: string(cur.Status), At: now}
	if sendErr == nil {
		try.ProviderID = providerID
	} else {
		try.Error = cur.ErrorCode
		switch {
		case cur.Status != DeliveryPending:
		case AsSendError(sendErr).Unsure:
			try.Status = AttemptUnanswered
		default:
			try.Status = "retry"
		}
	}
	if err := st.AddDeliveryAttempt(ctx, try); err != nil {
		return err
	}
	if r != nil {
		for i, x := range r.Deliveries {
			if x.ID == cur.ID {
				r.Deliveries[i] = cur // as saved: settling reads it
			}
		}
		ev.PersonID = r.PersonID
	}
	if err := s.event(ctx, st, ev); err != nil {
		return err
	}
	if r == nil || !cur.Status.Final() {
		return nil
	}
	return s.settleLoaded(ctx, st, r, ReasonAllFailed)
}

// deliveryAndRequest reads d as stored and, when it belongs to a request,
// that request with its deliveries (d among them).
func (s *Service) deliveryAndRequest(ctx context.Context, st Store, d *Delivery, reads *txReads) (*ResetRequest, *Delivery, error) {
	if r := reads.get(d.RequestID); r != nil {
		for _, x := range r.Deliveries {
			if x.ID == d.ID {
				return r, x, nil
			}
		}
	}
	if d.RequestID != "" {
		r, err := st.Reset(ctx, d.RequestID)
		if err != nil {
			return nil, nil, err
		}
		for _, x := range r.Deliveries {
			if x.ID == d.ID {
				return r, x, nil
			}
		}
	}
	cur, err := st.Delivery(ctx, d.ID)
	if err != nil || cur.RequestID == "" {
		return nil, cur, err
	}
	r, err := st.Reset(ctx, cur.RequestID)
	return r, cur, err
}

// settleRequest moves a request to the state its deliveries say. A
// request whose password was used is settled for good.
func (s *Service) settleRequest(ctx context.Context, st Store, id, rollbackReason string) error {
	if l, ok := st.(ResetLocker); ok {
		if err := l.LockReset(ctx, id); err != nil {
			return err
		}
	}
	r, err := st.Reset(ctx, id)
	if err != nil {
		return err
	}
	return s.settleLoaded(ctx, st, r, rollbackReason)
}

// settleLoaded is settleRequest for a request read in this transaction,
// after its deliveries were saved.
func (s *Service) settleLoaded(ctx context.Context, st Store, r *ResetRequest, rollbackReason string) error {
	if !r.UsedAt.IsZero() || (r.State != StateDelivering && r.State != StateDelivered) {
		return nil
	}
	next := settle(r)
	if next == r.State {
		return nil
	}
	now := s.clock()
	r.State, r.UpdatedAt = next, now
	ev := Event{TenantID: r.TenantID, RequestID: r.ID, PersonID: r.PersonID}
	finished := true
	switch next {
	case StateDelivered:
		ev.Type = "reset_delivered"
	case StateDelivering:
		// Its one accepted message failed late and another is on its
		// way: until that one is accepted the new password reached nobody
		// known, so it does not log in and the original one does.
		finished = false
		ev.Type = EventResetDeliveringAgain
		ev.Detail = "the message that had been accepted failed late; another is on its way"
	case StateRolledBack:
		r.Reason = rollbackReason
		ev.Type, ev.Code = "reset_rolled_back", rollbackReason
		// The original password was never touched: clearing the pending
		// reset is all a rollback needs.
		if p, err := st.Person(ctx, r.TenantID, r.PersonID); err == nil && p.PendingRequest == r.ID {
			p.PendingRequest, p.UpdatedAt = "", now
			if err := st.SavePersonAuth(ctx, p); err != nil {
				return err
			}
		} else if err != nil && !IsNotFound(err) {
			return err
		}
	default:
		return nil
	}
	if err := st.UpdateReset(ctx, r); err != nil {
		return err
	}
	if finished {
		s.observer().ResetFinished(r.State, r.Reason)
	} else {
		s.observer().ResetReopened()
	}
	if next == StateRolledBack {
		s.log.Info("reset rolled back", "request_id", r.ID, "reason", rollbackReason)
	}
	return s.event(ctx, st, ev)
}

// twilioUnsubscribed is Twilio's error for a number that texted STOP.
const twilioUnsubscribed = "21610"

// truncate keeps provider text short for a row or an event.
func truncate(s string, n int) string { return Clip(s, n) }
