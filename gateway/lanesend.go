package gateway

import (
	"context"
	"time"
)

// run starts the lane's sends: the highest-priority waiting claim, when a
// connection is free and the pace allows. It waits for the pace before it
// picks, so a reset that arrives meanwhile still goes first.
func (l *lane) run() {
	ctx := l.w.stopCtx
	for {
		l.mu.Lock()
		for len(l.queue) == 0 || l.inFlight >= l.conc {
			l.mu.Unlock()
			select {
			case <-l.wake:
			case <-ctx.Done():
				l.giveBackAll()
				return
			}
			l.mu.Lock()
		}
		now := l.w.s.clock()
		if !l.slowUntil.IsZero() && !now.Before(l.slowUntil) {
			l.slowUntil = time.Time{}
			l.applyRateLocked(now)
		}
		lim, r := l.lim, l.rateLocked(now)
		l.inFlight++ // the slot is ours while we wait for the pace
		l.mu.Unlock()
		if lim != nil {
			// Instances sharing the store share the lane's pace there;
			// alone, or when the store does not answer, the lane paces
			// itself.
			d, shared := l.sharedDelay(now, r)
			if !shared {
				d = lim.ReserveN(now, 1).DelayFrom(now)
			}
			if d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					l.mu.Lock()
					l.inFlight--
					l.mu.Unlock()
					l.giveBackAll()
					return
				}
			}
		}
		l.mu.Lock()
		c := l.popLocked()
		if c == nil {
			l.inFlight--
			l.mu.Unlock()
			continue
		}
		l.leftQueueLocked(c)
		ahead := l.premarkLocked()
		l.mu.Unlock()
		for _, h := range ahead {
			h.Begin()
		}
		l.start(c)
	}
}

// start sends c unless its lease is nearly out or the circuit refuses.
func (l *lane) start(c *claim) {
	w := l.w
	now := w.s.clock()
	if time.Unix(0, c.lease.Load()).Sub(now) < w.cfg.SendTimeout {
		// Sending now could outlast the claim: give it back to be claimed
		// afresh rather than risk another worker sending it too.
		l.unslot()
		l.giveBack(c, now, nil)
		return
	}
	done, err := l.br.Allow()
	if err != nil {
		l.unslot()
		until := time.Unix(0, l.openUntil.Load())
		if !until.After(now) {
			until = now.Add(time.Second) // half-open: its probe is out
		}
		l.mu.Lock()
		why := l.openErrorLocked()
		l.mu.Unlock()
		l.giveBack(c, until, why)
		return
	}
	l.lastTenant.Store(c.d.TenantID)
	go func() {
		began := time.Now()
		id, looked, err := w.send(c)
		class := AttemptSent
		if err != nil {
			if class = string(AsSendError(err).Class); class == "" {
				class = "unclassified"
			}
		}
		w.s.observer().DeliveryAttempt(c.d.Route, class, time.Since(began))
		l.finished(c, id, err, looked, done)
	}()
}

func (l *lane) unslot() {
	l.mu.Lock()
	l.inFlight--
	l.mu.Unlock()
	l.signal()
}

// finished decides what a send's result means for the message and for
// the lane, and hands the outcome to the committer.
func (l *lane) finished(c *claim, id string, err error, looked bool, done func(error)) {
	w := l.w
	now := w.s.clock()
	o := &outcome{c: c, providerID: id, err: err, looked: looked, void: c.ho.wasRefused()}
	var breakerErr error
	var events []Event
	var waiting []*claim
	var why *SendError
	var until time.Time
	ev := Event{TenantID: c.d.TenantID, Actor: ActorSystem, Channel: string(c.d.Channel)}
	l.mu.Lock()
	l.inFlight--
	if c.probe {
		l.probing, c.probe = false, false
	}
	var se *SendError
	if err != nil {
		se = AsSendError(err)
		l.lastErr, l.lastErrAt = Clip(se.Code+" "+se.Detail, 200), now
	}
	switch {
	case se == nil, se.Class == FailRecipient, se.Class == FailOptedOut:
		// The lane works: the provider took it, or refused only this
		// recipient.
		if l.attn != nil {
			ev.Type, ev.Detail = EventLaneRecovered, l.key
			events = append(events, ev)
			l.attn = nil
		}
	case se.Class == FailConfig:
		if l.attn == nil {
			l.attn = &attention{since: now}
			ev.Type, ev.Code, ev.Detail = EventLaneNeedsAttention, se.Code, Clip(l.key+": "+se.Fix, 300)
			events = append(events, ev)
			w.s.log.Warn("lane needs attention", "lane", l.key, "code", se.Code, "fix", se.Fix)
		}
		l.attn.code, l.attn.detail, l.attn.fix = se.Code, Clip(se.Detail, 300), se.Fix
		l.attn.nextProbe = now.Add(w.cfg.ProbeEvery)
		if at := now.Add(w.cfg.ProbeEvery); at.Before(w.deadline(c.d)) {
			o.retryAt = at
		}
		// What waits behind it waits for the next probe, unsent.
		waiting, l.queue = l.queue, nil
		why, until = l.attn.err(), l.attn.nextProbe
	case se.Class == FailRate:
		if l.slowDownLocked(now) {
			ev.Type, ev.Code, ev.Detail = EventLaneSlowed, se.Code, l.key
			events = append(events, ev)
		}
		o.retryAt = w.retryAt(c.d)
	case se.Class == FailTransient:
		if se.Code != "store" { // our store's trouble is not the route's
			breakerErr = err
		}
		o.retryAt = w.retryAt(c.d)
	}
	l.mu.Unlock()
	done(breakerErr)
	w.record(o)
	for _, q := range waiting {
		l.giveBack(q, until, why)
	}
	for _, e := range events {
		w.commits.event(e)
	}
	l.signal()
}

// message is what the sender gets; body nil leaves the texts out (for
// Laner, which needs only the addressing).
func (w *Worker) message(c *claim, body *sealedBody) *Message {
	d := c.d
	m := &Message{DeliveryID: d.ID, RequestID: d.RequestID, Channel: d.Channel, Route: d.Route, To: d.To,
		Tenant: c.t, Attempt: d.Attempts, FirstAttemptAt: d.FirstAttemptAt, RouteIndex: d.RouteIndex}
	if d.Unrecorded {
		m.Attempt++ // the earlier claim may have sent it
		m.Unrecorded = true
	}
	if body != nil {
		m.Subject, m.Text, m.HTML = body.Subject, body.Text, body.HTML
	}
	return m
}

// send opens the message and hands it to the sender. Sends go on after
// the worker is told to stop (Shutdown lets them finish); their own
// timeout bounds them. looked says a failed text may leave its route
// although the route may have taken it: the route was looked up and does
// not hold it.
func (w *Worker) send(c *claim) (id string, looked bool, err error) {
	ctx := context.Background()
	d := c.d
	if out, err := w.s.optedOutDelivery(ctx, d, c.t); err != nil {
		return "", false, &SendError{Class: FailTransient, Code: "store", Detail: "opt-out status unavailable"}
	} else if out {
		return "", false, &SendError{Class: FailOptedOut, Code: "opted_out", Detail: "the number texted STOP"}
	}
	body, err := w.s.open(d)
	if err != nil {
		return "", false, &SendError{Code: "outbox_unreadable", Detail: "the message cannot be decrypted"}
	}
	m := w.message(c, body)
	if w.handsOver(d.Route) {
		// The sender begins the mark when its connection is ready (unless
		// the lane marked it ahead), and waits for it at the final dot.
		if c.ho == nil {
			c.ho = w.marks.handOver(c)
		}
		c.ho.sending.Store(true)
		m.HandOver = c.ho
	}
	sctx, cancel := context.WithTimeout(ctx, w.cfg.SendTimeout)
	id, err = c.sender.Send(sctx, m)
	cancel()
	if err == nil {
		return id, false, nil
	}
	if c.ho.wasRefused() {
		return "", false, errHandOverRefused
	}
	return w.lookBeforeMove(ctx, c, m, err)
}

// lookBeforeMove runs when a text that failed is about to leave a route
// that may hold it already: the route's lookup says whether it does. Found,
// the text was sent there after all (its id is adopted); not found, it may
// move; a lookup that fails keeps it on its route.
func (w *Worker) lookBeforeMove(ctx context.Context, c *claim, m *Message, sendErr error) (string, bool, error) {
	mv, unsure, err := w.s.planMove(ctx, w.s.store, c.t, c.d, AsSendError(sendErr))
	if err != nil || mv == nil || !unsure {
		return "", false, sendErr
	}
	lk, ok := c.sender.(Looker)
	if !ok {
		return "", false, sendErr
	}
	m.Attempt++ // this attempt is one the lookup must find
	ctx, cancel := context.WithTimeout(ctx, w.cfg.SendTimeout)
	defer cancel()
	id, err := lk.Lookup(ctx, m)
	switch {
	case err == nil && id != "":
		w.s.log.Info("a lost answer was a success: the text stays on its route", "delivery_id", c.d.ID,
			"route", c.d.Route, "provider_id", id)
		return id, false, nil
	case err == nil:
		return "", true, sendErr
	}
	if se := AsSendError(err); se.Class != FailTransient && se.Class != FailRate {
		// The provider recorded a failure for the earlier text: that is
		// the outcome, and no text is out there.
		return "", true, se
	}
	return "", false, sendErr
}
