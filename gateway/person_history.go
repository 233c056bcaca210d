package gateway

import (
	"context"
	"strings"
)

// PersonHistory is what a person page shows of their resets: the latest
// requests with each channel's outcome, and their failed-delivery item
// (open or resolved) when a reset of theirs was rolled back.
type PersonHistory struct {
	Resets []*ResetRequest // newest first, with their deliveries
	Failed *FailedItem
}

// personHistoryLen is how many requests a person page lists.
const personHistoryLen = 20

// PersonHistory reads a person's history in the actor's scope.
func (s *Service) PersonHistory(ctx context.Context, a Actor, personID int64) (*PersonHistory, error) {
	h := &PersonHistory{}
	var err error
	f := ResetFilter{TenantID: a.TenantID, PersonID: personID, Limit: personHistoryLen}
	if h.Resets, err = s.store.ListResets(ctx, f); err != nil {
		return nil, err
	}
	f.State, f.Limit = StateRolledBack, 100
	failed, err := s.store.ListResets(ctx, f)
	if err != nil || len(failed) == 0 {
		return h, err
	}
	fr, err := s.failedReset(ctx, failed[0]) // newest first
	if err != nil {
		return nil, err
	}
	it := FailedItem{FailedReset: fr, History: failed[1:]}
	if err := s.resolution(ctx, &it); err != nil {
		return nil, err
	}
	h.Failed = &it
	return h, nil
}

// ChannelWords names a channel as an office says it.
func ChannelWords(c Channel) string {
	switch c {
	case ChannelSMS:
		return "Text"
	case ChannelEmail:
		return "Email"
	}
	return string(c)
}

// RouteWords names the way a message went.
func RouteWords(r Route) string {
	switch r {
	case RouteTwilio:
		return "Twilio"
	case RouteCarrier:
		return "the carrier's email-to-text gateway"
	case RouteEmail:
		return "email"
	case RouteWebhook:
		return "the company's SMS webhook"
	}
	return string(r)
}

// OutcomeWords says in words how a delivery went, with the provider's
// reason when it failed.
func (d *Delivery) OutcomeWords() string {
	why := strings.TrimSpace(strings.TrimSpace(d.ErrorCode + " " + d.ErrorDetail))
	if KnownReason(d.ErrorCode) {
		why = lowerFirst(ReasonWords(d.ErrorCode))
	}
	switch d.Status {
	case DeliveryPending:
		if d.Attempts > 0 {
			return "Not through yet: being tried again"
		}
		return "On its way"
	case DeliverySent:
		return "Accepted by " + RouteWords(d.Route) + ", not yet confirmed delivered"
	case DeliveryDelivered:
		return "Delivered"
	case DeliveryFailed:
		if why != "" {
			return "Not delivered: " + why
		}
		return "Not delivered"
	case DeliveryFailedLate:
		if why != "" {
			return "Failed after it was sent: " + why
		}
		return "Failed after it was sent"
	case DeliveryCanceled:
		if KnownReason(d.ErrorCode) {
			return "Not sent: cancelled: " + why
		}
		return "Not sent: cancelled (another channel got through, or the reset ended)"
	}
	return string(d.Status)
}

// StateWords says in words where a reset request stands.
func (r *ResetRequest) StateWords() string {
	switch r.State {
	case StateReceived:
		return "Received"
	case StateRejected:
		return "Refused"
	case StateDelivering:
		return "On its way"
	case StateDelivered:
		if !r.UsedAt.IsZero() {
			return "Delivered and used"
		}
		return "Delivered"
	case StateRolledBack:
		return "Not delivered: the old password still works"
	}
	return string(r.State)
}

// lowerFirst starts a label with a small letter after a colon, unless its
// first word is a name in capitals (AWS) or a proper name the table starts
// with (Twilio).
func lowerFirst(s string) string {
	if len(s) < 2 || s[0] < 'A' || s[0] > 'Z' || (s[1] >= 'A' && s[1] <= 'Z') || strings.HasPrefix(s, "Twilio") {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
