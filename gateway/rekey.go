package gateway

import (
	"context"
	"fmt"
)

// Taking over rows whose key is gone. A body sealed under a ring key that
// no process holds any more (its instance died or shut down, or dropped
// the epoch) opens for nobody. What the claimer does with it:
//   - a reset none of whose messages went out, or may have (none sent,
//     none left unrecorded by a claim that may have sent it): a new
//     password (or link) is made for the request under its row lock, every
//     pending message of it is rendered and sealed again under this
//     instance's ring, and sent as usual. The old password's hash is
//     replaced, so nothing the dead instance sealed would log in.
//   - a reset some message of which went out or may have: the person may
//     hold that password, so no new one replaces it; the messages nobody
//     can open end failed with the reason, and the request settles
//     (delivered if one was, else rolled back).
//   - a verification link (the only other body sealed under a ring) ends
//     failed with the reason: an admin sends a new link. Notices,
//     reminders and replies carry no secret and stay under the master key,
//     so any instance sends them.

// Codes and events of a takeover.
const (
	CodeKeyGone = "outbox_key_gone"
	// CodeKeyGoneMaybeSent: the claim before left no outcome, so the
	// message may have reached its provider; nobody can send it again.
	CodeKeyGoneMaybeSent  = "outbox_key_gone_maybe_sent"
	ReasonKeyGone         = "outbox_key_gone"
	EventResetRegenerated = "reset_regenerated"
)

// rekey takes over the claimed deliveries this instance cannot open and
// returns the rest, to send. A delivery of a request that was regenerated
// is left out too: it goes again, as sealed now, at the next claim.
func (w *Worker) rekey(ctx context.Context, ds []*Delivery) []*Delivery {
	var gone []*Delivery
	for _, d := range ds {
		if w.s.keyGone(d) {
			gone = append(gone, d)
		}
	}
	if len(gone) == 0 {
		return ds
	}
	// What each claimed row said before this claim marked it claimed.
	before := make(map[int64]bool, len(ds))
	for _, d := range ds {
		before[d.ID] = d.Unrecorded
	}
	w.unmarkedNeverWent(ctx, ds, before)
	done := map[string]bool{}
	skip := map[int64]bool{}
	resealed := false
	for _, d := range gone {
		skip[d.ID] = true
		if d.RequestID != "" && done[d.RequestID] {
			continue
		}
		done[d.RequestID] = true
		var again bool
		w.lockTurn()
		err := w.s.store.WithTx(ctx, func(st Store) error {
			var err error
			if d.RequestID == "" {
				return w.s.failKeyGone(ctx, st, d, CodeKeyGone,
					"the instance that sealed this verification link is gone, and its key with it: send the person a new link")
			}
			again, err = w.s.rekeyRequest(ctx, st, d.RequestID, before)
			return err
		})
		w.unlockTurn()
		if err != nil {
			// Left claimed: it comes back when its lease runs out.
			w.s.log.Error("taking over a message whose key is gone failed", "delivery_id", d.ID,
				"request_id", d.RequestID, "err", err)
			continue
		}
		resealed = resealed || again
	}
	out := ds[:0]
	for _, d := range ds {
		if skip[d.ID] || (d.RequestID != "" && done[d.RequestID]) {
			if !skip[d.ID] {
				// Ours to open, but its request was just settled or sealed
				// again: what it holds is not what goes now.
				w.giveBackNow(ctx, d)
			}
			continue
		}
		out = append(out, d)
	}
	if resealed {
		w.Kick()
	}
	return out
}

// unmarkedNeverWent clears, in before, the rows left without an outcome
// on a route that marks its hand-overs but that carry no mark: the claim
// before never handed them to the relay, so they did not go out, and a
// reset whose only such messages are these can still be made again
// instead of failing. This claim holds the rows, so no mark can appear
// meanwhile. Marks that cannot be read leave before as it is (may have
// gone: the safe answer).
func (w *Worker) unmarkedNeverWent(ctx context.Context, ds []*Delivery, before map[int64]bool) {
	asked, marked, err := w.handedOver(ctx, ds)
	if err != nil {
		w.s.log.Warn("reading hand-over marks for a takeover failed", "n", len(asked), "err", err)
		return
	}
	for id := range asked {
		before[id] = marked[id]
	}
}

// giveBackNow ends this claim on d without an attempt.
func (w *Worker) giveBackNow(ctx context.Context, d *Delivery) {
	if err := w.s.store.DeferDelivery(ctx, d.ID, w.s.clock(), d.Unrecorded); err != nil {
		w.s.log.Warn("giving back a delivery failed", "delivery_id", d.ID, "err", err)
	}
}

// rekeyRequest regenerates or settles request id (see above), under its
// row lock. before holds, for the rows this instance just claimed, whether
// an earlier claim left them without an outcome. again says messages were
// sealed again and are due.
func (s *Service) rekeyRequest(ctx context.Context, st Store, id string, before map[int64]bool) (bool, error) {
	if l, ok := st.(ResetLocker); ok {
		if err := l.LockReset(ctx, id); err != nil {
			return false, err
		}
	}
	r, err := st.Reset(ctx, id)
	if err != nil {
		return false, err
	}
	out, pending, gone := false, 0, 0
	maybe := map[int64]bool{}
	for _, x := range r.Deliveries {
		switch {
		case x.Status.Accepted(), x.Status == DeliveryFailedLate:
			out = true
		case x.Status == DeliveryPending:
			pending++
			unrecorded := x.Unrecorded
			if b, ok := before[x.ID]; ok {
				unrecorded = b
			}
			// A claim that left no outcome may have sent it, and a row
			// claimed by another live instance may be going out now.
			out = out || unrecorded
			maybe[x.ID] = unrecorded
			if s.keyGone(x) {
				gone++
			}
		}
	}
	if gone == 0 {
		// Taken over meanwhile by another instance: what this claim
		// holds goes back now rather than when its lease runs out.
		for _, x := range r.Deliveries {
			if b, ok := before[x.ID]; ok && x.Status == DeliveryPending {
				if err := st.DeferDelivery(ctx, x.ID, s.clock(), b); err != nil {
					return false, err
				}
			}
		}
		return false, nil
	}
	live := r.State == StateDelivering && r.UsedAt.IsZero()
	if live && !out {
		ok, err := s.regenerate(ctx, st, r)
		if ok || err != nil {
			return ok, err
		}
	}
	why := "the instance that sealed this message is gone, and its key with it; "
	switch {
	case !live:
		why += "the request had ended"
	case out:
		why += "another message of this reset went out or may have, so no new password replaces the one it carried"
	default:
		why += "no new password could be made for it"
	}
	for _, x := range r.Deliveries {
		if x.Status != DeliveryPending || !s.keyGone(x) {
			continue
		}
		code, why := CodeKeyGone, why
		if maybe[x.ID] {
			code = CodeKeyGoneMaybeSent
			why = "the instance that sealed this message stopped while sending it, and its key went with it: " +
				"it may have reached its provider, and nobody can send it again"
		}
		if err := s.failKeyGone(ctx, st, x, code, why); err != nil {
			return false, err
		}
	}
	return false, s.settleLoaded(ctx, st, r, ReasonKeyGone)
}

// failKeyGone ends d failed, wiped, with why in the log.
func (s *Service) failKeyGone(ctx context.Context, st Store, d *Delivery, code, why string) error {
	now := s.clock()
	d.Status, d.Body, d.BodyKey, d.UpdatedAt = DeliveryFailed, nil, nil, now
	d.ErrorCode, d.ErrorDetail = code, truncate(why, 500)
	if err := st.UpdateDelivery(ctx, d); err != nil {
		return err
	}
	if err := st.AddDeliveryAttempt(ctx, DeliveryAttempt{DeliveryID: d.ID, Route: d.Route, Status: string(DeliveryFailed),
		Error: code, At: now}); err != nil {
		return err
	}
	s.log.Warn("delivery failed: its key is gone", "delivery_id", d.ID, "request_id", d.RequestID)
	return s.event(ctx, st, Event{TenantID: d.TenantID, RequestID: d.RequestID, Channel: string(d.Channel),
		Type: "delivery_failed", Code: code, Detail: truncate(why, 300)})
}

// regenerate makes the request a new password (or link), renders its
// pending messages with it and seals them under this instance's ring. ok
// is false when the request cannot have one any more (its person moved
// on): the caller fails its messages.
func (s *Service) regenerate(ctx context.Context, st Store, r *ResetRequest) (bool, error) {
	if s.ring == nil {
		return false, nil
	}
	t, err := st.TenantByID(ctx, r.TenantID)
	if err != nil {
		return false, err
	}
	p, err := st.Person(ctx, r.TenantID, r.PersonID)
	if IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if p.PendingRequest != r.ID || p.Status != StatusActive {
		return false, nil
	}
	now := s.clock()
	data := MessageData{Name: p.Name, Company: t.Name, ExpiresIn: expiresIn(p.Locale, t.ResetTTL),
		MustChange: t.MustChange, KeepOriginal: t.KeepOriginal}
	kind := "password"
	if r.LinkHash != nil {
		if s.publicURL == "" {
			return false, nil
		}
		token, err := s.newLinkToken()
		if err != nil {
			return false, err
		}
		r.LinkHash = s.linkHash(token)
		r.ExpiresAt = now.Add(t.Lifecycle.LinkTTL())
		data.Link, data.ExpiresIn = s.publicURL+"/r/"+token, expiresIn(p.Locale, t.Lifecycle.LinkTTL())
		data.MustChange, data.KeepOriginal = false, true
		kind = "link"
	} else {
		password, err := s.generatePassword()
		if err != nil {
			return false, err
		}
		r.TempHash = s.keys.TempHash(password)
		r.ExpiresAt = now.Add(t.ResetTTL)
		data.Password = password
	}
	n := 0
	for _, x := range r.Deliveries {
		if x.Status != DeliveryPending {
			continue
		}
		switch x.Channel {
		case ChannelSMS:
			text, err := s.renderer.SMS(p.Locale, "reset", data)
			if err != nil {
				return false, Internal(err)
			}
			x.Body = textBody(text)
		default:
			subject, text, html, err := s.renderer.Email(p.Locale, "reset", data)
			if err != nil {
				return false, Internal(err)
			}
			x.Body = mailBody(subject, text, html)
		}
		x.SealedBy = s.ring.Instance()
		if err := s.seal(x); err != nil {
			return false, err
		}
		x.NextAttemptAt, x.UpdatedAt = now, now
		if err := st.UpdateDelivery(ctx, x); err != nil {
			return false, err
		}
		n++
	}
	r.UpdatedAt = now
	if err := st.UpdateReset(ctx, r); err != nil {
		return false, err
	}
	s.log.Info("reset regenerated: the key of its messages was gone", "request_id", r.ID, "messages", n)
	return true, s.event(ctx, st, Event{TenantID: r.TenantID, RequestID: r.ID, PersonID: r.PersonID,
		Type: EventResetRegenerated, Detail: fmt.Sprintf(
			"the instance that sealed its messages is gone, and their key with it: a new %s was made and %d messages sealed again", kind, n)})
}
