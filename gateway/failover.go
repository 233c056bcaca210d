package gateway

import "context"

// EventDeliveryFailover is a text moved to the next route of its chain.
const EventDeliveryFailover = "delivery_failover"

// Twilio codes that are the route's trouble, not the recipient's: the
// destination's region is not enabled on the account, and carrier
// filtering of the sender.
const (
	twilioRegionNotEnabled = "21408"
	twilioCarrierFiltered  = "30007"
)

// routeOwned reports whether a failure belongs to the route (its setup,
// its pace, its paused circuit), so that another route may do better. The
// recipient's failures (invalid number, not a mobile, opted out) never
// move. Transient failures stay on their route, retried: the provider may
// have taken the text and only its answer was lost, and the route's own
// lookup before a resend is what keeps that to one text.
func routeOwned(se *SendError) bool {
	switch {
	case se == nil:
		return false
	case se.Class == FailConfig, se.Class == FailRate:
		return true
	}
	return se.Code == "lane_open" || se.Code == twilioRegionNotEnabled || se.Code == twilioCarrierFiltered
}

// nextRoute is the route after cur in t's chain that can take the same
// recipient address: twilio and webhook both text the E.164 number (the
// sealed body is bound to it). The carrier gateway takes a mail address,
// so a text does not move onto it once queued.
func (s *Service) nextRoute(t *Tenant, cur Route) (Route, bool) {
	chain := s.SMSChain(t)
	at := -1
	for i, r := range chain {
		if r.Kind == cur {
			at = i
			break
		}
	}
	if at < 0 {
		return "", false
	}
	for _, r := range chain[at+1:] {
		switch {
		case r.Kind == RouteWebhook && t.WebhookRoute() != nil:
			return r.Kind, true
		case r.Kind == RouteAWS && t.AWSRoute() != nil:
			return r.Kind, true
		case r.Kind == RouteTwilio && s.twilioFor(t):
			return r.Kind, true
		}
	}
	return "", false
}

// failoverIn moves a text whose route failed it (or is paused) to the
// next route of its chain, due now, and reports whether it did. A claim
// that may have been sent already (an earlier claim left no outcome) never
// moves: only its own route can look it up.
func (s *Service) failoverIn(ctx context.Context, st Store, d *Delivery, se *SendError) (bool, error) {
	if d.Channel != ChannelSMS || d.Unrecorded || !routeOwned(se) {
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
	next, ok := s.nextRoute(t, cur.Route)
	if !ok {
		return false, nil
	}
	now := s.clock()
	from := cur.Route
	cur.Route, cur.NextAttemptAt, cur.UpdatedAt = next, now, now
	cur.ErrorCode, cur.ErrorDetail = se.Code, truncate(se.Detail, 500)
	if err := st.UpdateDelivery(ctx, cur); err != nil {
		return false, err
	}
	if err := st.AddDeliveryAttempt(ctx, DeliveryAttempt{DeliveryID: cur.ID, Route: from, Status: "moved",
		Error: se.Code, At: now}); err != nil {
		return false, err
	}
	s.log.Info("delivery moved to the next route", "delivery_id", cur.ID, "request_id", cur.RequestID,
		"from", from, "to", next, "code", se.Code)
	return true, s.event(ctx, st, Event{TenantID: cur.TenantID, RequestID: cur.RequestID, Channel: string(cur.Channel),
		Type: EventDeliveryFailover, Code: se.Code, Detail: string(from) + " -> " + string(next)})
}
