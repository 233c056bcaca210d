package gateway

import (
	"context"
	"strings"
	"unicode"
)

// OutcomeStatus is what a provider says, after accepting a message, about
// where it went.
type OutcomeStatus string

const (
	OutcomeDelivered OutcomeStatus = "delivered" // it reached the phone or mailbox
	OutcomeFailed    OutcomeStatus = "failed"    // it never will
	OutcomeDelayed   OutcomeStatus = "delayed"   // still trying (a 4.x.x bounce)
)

// OutcomeInput is a late delivery outcome: a Twilio status callback or a
// bounce. It names the delivery by id (a bounce, from its VERP address)
// or by the provider's message id (a Twilio MessageSid).
type OutcomeInput struct {
	DeliveryID int64
	ProviderID string
	Status     OutcomeStatus
	// ErrorCode is the provider's: Twilio's ErrorCode ("30003"), or the
	// SMTP reply and status of a bounce ("550 5.1.1").
	ErrorCode string
	// Detail is the provider's text (a bounce's diagnostic), free of
	// secrets.
	Detail string
	// Source says who reported it, for the log: "twilio", "bounce".
	Source string
	IP     string
}

// OutcomeSourceTwilio is the Source of outcomes Twilio reported, by status
// callback or when polled.
const OutcomeSourceTwilio = "twilio"

// maxOutcomeCode bounds a provider's error code as stored.
const maxOutcomeCode = 64

// DeliveryOutcome records what a provider reported late about a message it
// had accepted. Delivered confirms the delivery; failed marks it
// failed_late, and when every channel of the reset that had accepted its
// message has failed that way and the new password was never used, the
// reset is rolled back: the original password is what works, and the
// request shows in the failed-delivery queue. A reset's text that failed
// late for a reason of its route, not of the number, goes once more on the
// next route of the chain while the reset can still be used (latefail.go);
// meanwhile the reset is delivering again unless another message of it was
// accepted. A final report wipes the body kept for that. A failure after
// the password was used changes nothing but is logged. Delayed is only
// logged. Reports
// that come again or out of order (a "delivered" after a failure) change
// nothing.
//
// Errors: delivery_not_found (KindNotFound), outcome_invalid, store
// failures.
func (s *Service) DeliveryOutcome(ctx context.Context, in OutcomeInput) error {
	switch in.Status {
	case OutcomeDelivered, OutcomeFailed, OutcomeDelayed:
	default:
		return Errorf(KindInvalid, "outcome_invalid", "unknown delivery outcome")
	}
	code := Clip(cleanProviderText(in.ErrorCode), maxOutcomeCode)
	detail := cleanProviderText(in.Detail)
	source := in.Source
	if source == "" {
		source = "provider"
	}
	var class FailureClass
	var fix string
	if source == OutcomeSourceTwilio && in.Status == OutcomeFailed {
		// A callback carries only the number: say what it means, and for
		// the sender's setup (30034, 30032 mostly arrive here) what the
		// admin should do, on the delivery and in the log.
		if c, what, f, ok := TwilioLateFailure(code); ok {
			class, fix = c, f
			if detail == "" {
				detail = what
			} else {
				detail += ": " + what
			}
			if fix != "" {
				detail += ". " + fix
			}
		}
	}
	final, moved := false, false
	var late *Delivery
	err := s.store.WithTx(ctx, func(st Store) error {
		final, moved, late = false, false, nil
		var d *Delivery
		var err error
		switch {
		case in.DeliveryID > 0:
			d, err = st.Delivery(ctx, in.DeliveryID)
		case in.ProviderID != "":
			d, err = st.DeliveryByProviderID(ctx, in.ProviderID)
		default:
			err = ErrNotFound
		}
		if IsNotFound(err) {
			return Errorf(KindNotFound, "delivery_not_found", "no such delivery")
		} else if err != nil {
			return err
		}
		if l, ok := st.(ResetLocker); ok && d.RequestID != "" {
			// The same report twice at once (Twilio retries, a poll
			// meets a callback) must move the text once: each waits for
			// the other, then reads the delivery as the other left it.
			if err := l.LockReset(ctx, d.RequestID); err != nil {
				return err
			}
			if d, err = st.Delivery(ctx, d.ID); err != nil {
				return err
			}
		}
		var r *ResetRequest
		if d.RequestID != "" {
			if r, err = st.Reset(ctx, d.RequestID); err != nil && !IsNotFound(err) {
				return err
			}
		}
		ev := Event{TenantID: d.TenantID, RequestID: d.RequestID, Channel: string(d.Channel),
			ProviderID: d.ProviderID, Code: code, IP: in.IP, Detail: Clip(source+": "+detail, 300)}
		if r != nil {
			ev.PersonID = r.PersonID
		}
		if source == OutcomeSourceTwilio && in.Status == OutcomeFailed && code == twilioUnsubscribed && d.Route == RouteTwilio {
			// A late 21610 says what a refused create says: this number
			// texted STOP to the sender.
			if err := s.recordTwilioOptOut(ctx, st, d); err != nil {
				return err
			}
		}
		switch {
		case in.Status == OutcomeDelayed:
			ev.Type = "delivery_delayed"
			return s.event(ctx, st, ev)
		case in.Status == OutcomeFailed && d.Status == DeliveryFailedLate,
			in.Status == OutcomeDelivered && d.Status == DeliveryDelivered:
			return nil // said before: Twilio retries, MTAs send a second bounce
		case d.Status != DeliverySent:
			// Delivered then failed, or failed then delivered: the first
			// word stands, as the later one is most likely a stray.
			ev.Type = "delivery_outcome_ignored"
			ev.Detail = source + ": " + string(in.Status) + " for a delivery that is " + string(d.Status)
			return s.event(ctx, st, ev)
		}

		sent := *d // as the provider took it, with its body kept
		d.UpdatedAt = s.clock()
		// The provider is done with the message: its body goes.
		d.Body, d.BodyKey = nil, nil
		if in.Status == OutcomeDelivered {
			d.Status = DeliveryDelivered
			ev.Type = "delivery_delivered"
		} else {
			d.Status, d.ErrorCode, d.ErrorDetail = DeliveryFailedLate, code, Clip(detail, 500)
			if d.ErrorCode == "" {
				d.ErrorCode = "failed_late"
			}
			ev.Type = "delivery_failed_late"
			ev.Detail = Clip(source+": "+detail, 300)
			s.log.Info("delivery failed late", "delivery_id", d.ID, "request_id", d.RequestID,
				"channel", d.Channel, "code", d.ErrorCode, "class", class, "source", source)
		}
		if err := st.UpdateDelivery(ctx, d); err != nil {
			return err
		}
		final = true
		if in.Status == OutcomeFailed && class == FailConfig {
			late = d
		}
		if err := s.event(ctx, st, ev); err != nil {
			return err
		}
		if r == nil {
			return nil // an answer to a text: no reset to settle
		}
		if in.Status == OutcomeFailed {
			nd, err := s.lateFailover(ctx, st, &sent, r, class, d.ErrorCode)
			if err != nil {
				return err
			}
			moved = nd != nil
		}
		if in.Status == OutcomeFailed && !r.UsedAt.IsZero() {
			// The password reached someone: it was used. Nothing to undo.
			s.log.Warn("late delivery failure after the new password was used", "request_id", r.ID,
				"delivery_id", d.ID, "code", d.ErrorCode)
			return s.event(ctx, st, Event{TenantID: r.TenantID, RequestID: r.ID, PersonID: r.PersonID,
				Type: "late_failure_after_use", Channel: string(d.Channel), Code: d.ErrorCode})
		}
		return s.settleRequest(ctx, st, r.ID, ReasonFailedLate)
	})
	if err == nil && final && s.followUp != nil {
		// The provider is done with the message: erase its body there.
		s.followUp()
	}
	if err == nil && moved {
		s.kick() // the text's next route
	}
	if err == nil && late != nil && s.lateFailure != nil {
		s.lateFailure(late, &SendError{Class: FailConfig, Code: late.ErrorCode, Detail: late.ErrorDetail, Fix: fix})
	}
	return err
}

// cleanProviderText makes a provider's text one line of printable text:
// it comes from outside (a bounce anyone with the address can write) and
// ends up in the log and the admin's views.
func cleanProviderText(v string) string {
	v = strings.ToValidUTF8(v, "?")
	v = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, v)
	return strings.Join(strings.Fields(v), " ")
}
