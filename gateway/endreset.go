package gateway

import (
	"context"
	"strconv"
)

// StateCancelled is the final state of a reset ended before its temporary
// password was used, by something that made that password wrong to honour
// (see the Reason* below): its queued messages were cancelled and its
// password no longer logs in.
const StateCancelled ResetState = "cancelled"

// Reasons a pending reset is cancelled. ReasonPasswordSet (an admin's
// override), ReasonInactive and ReasonNoMobileAccess serve here too.
const (
	// ReasonPasswordChanged: the person chose a new password themselves.
	ReasonPasswordChanged = "password_changed"
	// ReasonContactChanged: the email or the phones the password was sent
	// to changed, so it may sit in a mailbox or phone no longer theirs.
	ReasonContactChanged = "contact_changed"
	// ReasonPersonDeleted: the record was deleted.
	ReasonPersonDeleted = "person_deleted"
)

// EventResetCancelled is logged when a pending reset is ended early.
const EventResetCancelled = "reset_cancelled"

// endPending ends p's pending reset for reason: the temporary password stops
// working at once (its hash is dropped, the request reaches a final state),
// its queued messages are cancelled with their bodies wiped, and the log
// says why. It clears p.PendingRequest; the caller saves p in the same
// transaction.
func (s *Service) endPending(ctx context.Context, st Store, p *Person, reason string) error {
	id := p.PendingRequest
	if id == "" {
		return nil
	}
	p.PendingRequest = ""
	r, err := st.Reset(ctx, id)
	if IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	if !r.UsedAt.IsZero() || (r.State != StateDelivering && r.State != StateDelivered) {
		return nil
	}
	now := s.clock()
	cancelled := 0
	for _, d := range r.Deliveries {
		if d.Status != DeliveryPending {
			continue
		}
		d.Status, d.Body, d.BodyKey, d.UpdatedAt, d.ErrorCode = DeliveryCanceled, nil, nil, now, reason
		if err := st.UpdateDelivery(ctx, d); err != nil {
			return err
		}
		cancelled++
	}
	r.State, r.Reason, r.TempHash, r.ExpiresAt, r.UpdatedAt = StateCancelled, reason, nil, now, now
	if err := st.UpdateReset(ctx, r); err != nil {
		return err
	}
	if err := s.dropKeptBodies(ctx, st, r); err != nil {
		return err
	}
	s.observer().ResetFinished(r.State, r.Reason)
	return s.event(ctx, st, Event{TenantID: r.TenantID, Type: EventResetCancelled, RequestID: r.ID,
		PersonID: p.ID, Code: reason, Detail: strconv.Itoa(cancelled) + " queued messages cancelled"})
}
