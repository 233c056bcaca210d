package gateway

import "context"

// SetLateFailure sets the function told of a failure a provider reported
// after it had accepted a message, when the failure is the sender's setup
// (see Worker.LateFailure); nil tells nobody.
func (s *Service) SetLateFailure(f func(*Delivery, *SendError)) { s.lateFailure = f }

// LateFailure is told of a failure a provider reported after accepting a
// message (a status callback, a poll). One that only an admin can fix (a
// Twilio 30034 or 30032, which arrive there rather than in the answer to
// the create) puts the lane the message went through in "needs attention"
// as if the send had failed so: what waits in it waits, the routes show
// the fix, and one message probes every ProbeEvery. A probe the provider
// accepts clears it; when that one fails late too, it is set again. A lane
// this worker has not opened is left alone: the failure is in the log.
func (w *Worker) LateFailure(d *Delivery, se *SendError) {
	if d == nil || se == nil || se.Class != FailConfig {
		return
	}
	sender, ok := w.cfg.Senders[d.Route]
	if !ok {
		return
	}
	t, err := w.s.store.TenantByID(context.Background(), d.TenantID)
	if err != nil {
		w.s.log.Warn("late failure: reading the tenant failed", "tenant_id", d.TenantID, "err", err)
		return
	}
	spec := w.laneSpec(&claim{d: d, t: t}, sender)
	w.lmu.Lock()
	l := w.lanes[spec.Key]
	w.lmu.Unlock()
	if l == nil {
		return
	}
	now := w.s.clock()
	l.mu.Lock()
	first := l.attn == nil
	if first {
		l.attn = &attention{since: now}
	}
	l.attn.code, l.attn.detail, l.attn.fix = se.Code, Clip(se.Detail, 300), se.Fix
	l.attn.nextProbe = now.Add(w.cfg.ProbeEvery)
	l.lastErr = Clip(se.Code+" "+se.Detail, 200)
	waiting := l.queue
	l.queue = nil
	why, until := l.attn.err(), l.attn.nextProbe
	l.mu.Unlock()
	if first {
		w.s.log.Warn("lane needs attention after a late failure", "lane", l.key, "code", se.Code, "fix", se.Fix)
		if w.commits != nil {
			w.commits.event(Event{TenantID: d.TenantID, Actor: ActorSystem, Channel: string(d.Channel),
				Type: EventLaneNeedsAttention, Code: se.Code, Detail: Clip(l.key+": "+se.Fix, 300)})
		}
	}
	for _, c := range waiting {
		l.giveBack(c, until, why)
	}
}
