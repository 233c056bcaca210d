package gateway

import (
	"context"
	"encoding/json"
	"time"
)

// EventDeliveryFailover is a text moved to the next route of its chain.
const EventDeliveryFailover = "delivery_failover"

// The first-attempt window: how long a text keeps trying its route through
// temporary failures before it moves to the next route of its chain. A crew
// member is waiting: seconds, not the minutes a route's own retries take.
const (
	DefaultFailoverAfter = 20 * time.Second
	MinFailoverAfter     = time.Second
	MaxFailoverAfter     = 5 * time.Minute
)

// Attempt statuses beyond sent, failed and retry: the text left the
// route (moved), or the route may have taken it though no answer said so
// (unanswered: a lost answer, or a claim that ended without an outcome).
const (
	AttemptMoved      = "moved"
	AttemptUnanswered = "unanswered"
)

// Twilio codes that are the route's trouble, not the recipient's: the
// destination's region is not enabled on the account, and carrier
// filtering of the sender.
const (
	twilioRegionNotEnabled = "21408"
	twilioCarrierFiltered  = "30007"
)

// clampFailoverAfter keeps the window within its bounds (zero: the
// default).
func clampFailoverAfter(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultFailoverAfter
	}
	return min(max(d, MinFailoverAfter), MaxFailoverAfter)
}

// SetFailoverAfter sets the first-attempt window (the worker's).
func (s *Service) SetFailoverAfter(d time.Duration) { s.failoverAfter = clampFailoverAfter(d) }

// routeOwned reports whether a failure belongs to the route (its setup,
// its pace, its paused circuit), so that another route may do better at
// once. The recipient's failures (invalid number, not a mobile, opted out)
// never move.
func routeOwned(se *SendError) bool {
	switch {
	case se == nil:
		return false
	case se.Class == FailConfig, se.Class == FailRate:
		return true
	}
	return se.Code == "lane_open" || se.Code == twilioRegionNotEnabled || se.Code == twilioCarrierFiltered
}

// link is a route of a tenant's chain a text may move to, with the
// address it takes there (the carrier gateway takes a mail address).
type link struct {
	idx   int
	route SMSRoute
	to    string
}

// routeAt is where d stands in chain: its index when that link is still
// of d's kind (the chain may have been edited), else the first link of
// that kind; -1 when the chain has none.
func routeAt(chain []SMSRoute, d *Delivery) int {
	if d.RouteIndex >= 0 && d.RouteIndex < len(chain) && chain[d.RouteIndex].Kind == d.Route {
		return d.RouteIndex
	}
	for i, r := range chain {
		if r.Kind == d.Route {
			return i
		}
	}
	return -1
}

// nextLink is the first route after d's in t's chain that can take d's
// recipient now: a twilio link with an account, any webhook, and the
// carrier gateway while the phone's carrier still runs it.
func (s *Service) nextLink(ctx context.Context, st Store, t *Tenant, d *Delivery) (*link, error) {
	if t == nil {
		return nil, nil
	}
	chain := s.SMSChain(t)
	at := routeAt(chain, d)
	if at < 0 {
		return nil, nil
	}
	var phone *Phone
	for i := at + 1; i < len(chain); i++ {
		if phone == nil {
			var err error
			if phone, err = s.deliveryPhone(ctx, st, d); err != nil || phone == nil {
				return nil, err
			}
		}
		to, why, err := s.routeTo(ctx, st, t, chain[i], phone)
		if err != nil {
			return nil, err
		}
		if why == "" {
			return &link{idx: i, route: chain[i], to: to}, nil
		}
	}
	return nil, nil
}

// deliveryPhone is the phone a text is for: the person's phone with that
// number (which names its carrier), else the bare number; nil when the
// text is addressed to a carrier mailbox it cannot be traced back from.
func (s *Service) deliveryPhone(ctx context.Context, st Store, d *Delivery) (*Phone, error) {
	if d.RequestID != "" {
		r, err := st.Reset(ctx, d.RequestID)
		if err != nil && !IsNotFound(err) {
			return nil, err
		}
		if r != nil && r.PersonID != 0 {
			p, err := st.Person(ctx, d.TenantID, r.PersonID)
			if err != nil && !IsNotFound(err) {
				return nil, err
			}
			if p != nil {
				for i := range p.Phones {
					if p.Phones[i].Number == d.To {
						return &p.Phones[i], nil
					}
				}
			}
		}
	}
	if len(d.To) > 1 && d.To[0] == '+' {
		return &Phone{Number: d.To}, nil
	}
	return nil, nil
}

// planMove says whether d, which just failed with se (or was given back
// blocked), should leave its route and for which link, and whether the
// route may hold the text already (unsure), so that it must be looked up
// before the text moves. A failure of the route moves at once; a
// temporary one once the first-attempt window on this route has passed.
func (s *Service) planMove(ctx context.Context, st Store, t *Tenant, d *Delivery, se *SendError) (mv *link, unsure bool, err error) {
	if d.Channel != ChannelSMS || se == nil || se.Class == FailRecipient || se.Class == FailOptedOut {
		return nil, false, nil
	}
	late := se.Class == FailTransient && !d.FirstAttemptAt.IsZero() &&
		!s.clock().Before(d.FirstAttemptAt.Add(clampFailoverAfter(s.failoverAfter)))
	if !routeOwned(se) && !late {
		return nil, false, nil
	}
	if mv, err = s.nextLink(ctx, st, t, d); mv == nil || err != nil {
		return nil, false, err
	}
	unsure = se.Unsure || d.Unrecorded
	if !unsure {
		if unsure, err = s.unansweredOnRoute(ctx, st, d.ID); err != nil {
			return nil, false, err
		}
	}
	return mv, unsure, nil
}

// unansweredOnRoute reports whether an attempt on the delivery's current
// route (those since its last move) may have reached the provider.
func (s *Service) unansweredOnRoute(ctx context.Context, st Store, id int64) (bool, error) {
	tries, err := st.DeliveryAttempts(ctx, id)
	if err != nil {
		return false, err
	}
	for i := len(tries) - 1; i >= 0 && tries[i].Status != AttemptMoved; i-- {
		if tries[i].Status == AttemptUnanswered {
			return true, nil
		}
	}
	return false, nil
}

// failoverIn moves a text whose route failed it (or is paused, or kept
// failing past the window) to the next route of its chain, due now, and
// reports whether it did. A route that may hold the text already is left
// only when looked says it was looked up and found without it: otherwise
// the text stays, and its route's own retries (with their lookup before a
// resend, or the receiver's dedupe by id) keep it to one text.
func (s *Service) failoverIn(ctx context.Context, st Store, d *Delivery, se *SendError, looked bool) (bool, error) {
	if d.Channel != ChannelSMS || se == nil {
		return false, nil
	}
	cur, err := st.Delivery(ctx, d.ID)
	if err != nil || cur.Status != DeliveryPending {
		return false, err
	}
	t, err := st.TenantByID(ctx, cur.TenantID)
	if err != nil {
		return false, err
	}
	// The claim's view: whether this claim followed one that left no
	// outcome, and when the route was first tried.
	cur.Unrecorded, cur.FirstAttemptAt = d.Unrecorded, d.FirstAttemptAt
	mv, unsure, err := s.planMove(ctx, st, t, cur, se)
	if mv == nil || err != nil || (unsure && !looked) {
		return false, err
	}
	now := s.clock()
	from := cur.Route
	if mv.to != cur.To {
		// The body is bound to its recipient: the carrier gateway's
		// mailbox needs it sealed again.
		body, err := s.open(cur)
		if err != nil {
			return false, err
		}
		plain, err := json.Marshal(body)
		if err != nil {
			return false, err
		}
		cur.To, cur.Body = mv.to, plain
		if err := s.seal(cur); err != nil {
			return false, err
		}
	}
	cur.Route, cur.RouteIndex, cur.NextAttemptAt, cur.UpdatedAt = mv.route.Kind, mv.idx, now, now
	cur.ErrorCode, cur.ErrorDetail = se.Code, truncate(se.Detail, 500)
	if err := st.MoveDelivery(ctx, cur); err != nil {
		return false, err
	}
	if err := st.AddDeliveryAttempt(ctx, DeliveryAttempt{DeliveryID: cur.ID, Route: from, Status: AttemptMoved,
		Error: se.Code, At: now}); err != nil {
		return false, err
	}
	s.log.Info("delivery moved to the next route", "delivery_id", cur.ID, "request_id", cur.RequestID,
		"from", from, "to", cur.Route, "code", se.Code, "looked_up", looked)
	return true, s.event(ctx, st, Event{TenantID: cur.TenantID, RequestID: cur.RequestID, Channel: string(cur.Channel),
		Type: EventDeliveryFailover, Code: se.Code, Detail: string(from) + " -> " + string(cur.Route)})
}

// retryWithinWindow brings a temporary failure's retry forward to the end
// of the first-attempt window when another route waits, so that the text
// moves when the window ends rather than at the next backoff step.
func (s *Service) retryWithinWindow(ctx context.Context, st Store, d *Delivery, se *SendError, retryAt time.Time) (time.Time, error) {
	if d.Channel != ChannelSMS || retryAt.IsZero() || se == nil || se.Class != FailTransient || d.FirstAttemptAt.IsZero() {
		return retryAt, nil
	}
	end := d.FirstAttemptAt.Add(clampFailoverAfter(s.failoverAfter))
	if !retryAt.After(end) || !s.clock().Before(end) {
		return retryAt, nil
	}
	t, err := st.TenantByID(ctx, d.TenantID)
	if err != nil {
		return retryAt, err
	}
	if mv, err := s.nextLink(ctx, st, t, d); mv == nil || err != nil {
		return retryAt, err
	}
	return end, nil
}
