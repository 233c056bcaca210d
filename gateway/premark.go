package gateway

import "context"

// Marking ahead. Each mail waits at its final dot for its hand-over mark
// to be durable, and on a store with one writer that mark waits for the
// engine's next transaction: measured, the wait was most of a mail's time
// on its connection, so the four connections of a mail lane, not the
// CPU, bounded throughput. A lane with a backlog therefore asks for the
// marks of the messages next in line while they still wait, and they
// reach their dot with the mark already written: marks cost one commit
// per many mails instead of one wait per mail.
//
// The price, after a crash: a message marked ahead but not yet sent ends
// answer_lost ("may have been sent") instead of going out. That is
// bounded: at most premarkPerConn messages per connection of the lane are
// ever marked and unsent at once, and only while messages wait for a
// connection. A message marked ahead and then given back
// unsent (paused lane, open circuit, lease nearly out, shutdown) never
// ends answer_lost: either its mark is withdrawn before it is written, or
// the transaction that records the give-back takes the mark back.

// premarkPerConn bounds, per connection of a lane, the messages marked
// ahead and not yet sent: the most a crash can leave answer_lost beyond
// the messages in flight.
const premarkPerConn = 7

// premarkLocked marks ahead the waiting claims next in line while the
// lane has a backlog (more waiting than connections, or every connection
// busy), up to its bound. It
// returns the hand-overs to begin once the lane's lock is let go. l.mu is
// held.
func (l *lane) premarkLocked() []*HandOver {
	w := l.w
	// Only what will wait for a connection anyway: more waiting than
	// connections, or every connection busy. A lane carries one route:
	// its first waiting claim says whether that route marks its
	// hand-overs.
	if w.marks == nil || len(l.queue) == 0 || (len(l.queue) <= l.conc && l.inFlight < l.conc) ||
		!w.handsOver(l.queue[0].d.Route) {
		return nil
	}
	room := min(len(l.queue), premarkPerConn*l.conc) - l.premarked
	var out []*HandOver
	for ; room > 0; room-- {
		// The next in line not yet marked: highest priority, then oldest
		// (popLocked's order).
		var next *claim
		for _, q := range l.queue {
			if q.ho != nil || !w.handsOver(q.d.Route) {
				continue
			}
			if next == nil || q.d.Priority > next.d.Priority || (q.d.Priority == next.d.Priority && q.d.ID < next.d.ID) {
				next = q
			}
		}
		if next == nil {
			break
		}
		next.ho = w.marks.handOver(next)
		next.ho.ahead, next.ho.queued = true, true
		l.premarked++
		out = append(out, next.ho)
	}
	return out
}

// leftQueueLocked counts c out of the lane's marked-ahead messages: it
// was taken to be sent, or given back. l.mu is held.
func (l *lane) leftQueueLocked(c *claim) {
	if c.ho != nil && c.ho.queued {
		c.ho.queued = false
		l.premarked--
	}
}

// recordUnsent records a claim given back unsent. One marked ahead has
// its mark withdrawn if it is not written yet; otherwise the give-back is
// recorded once the mark's transaction is known, so that the transaction
// taking the mark back comes after the one that wrote it.
func (w *Worker) recordUnsent(o *outcome) {
	h := o.c.ho
	if h == nil || !h.ahead || w.marks.withdraw(h) {
		w.record(o)
		return
	}
	go func() {
		<-h.done
		w.record(o)
	}()
}

// unmarkUnsent takes back, in the transaction that records it, the mark
// of a message marked ahead and given back without being sent: the
// message was never handed over, and a later claim must send it rather
// than end it answer_lost.
func unmarkUnsent(ctx context.Context, st Store, o *outcome) error {
	h := o.c.ho
	if h == nil || !h.ahead || h.sending.Load() || o.deferTo.IsZero() || !h.marked() {
		return nil
	}
	mk, ok := st.(HandOverMarker)
	if !ok {
		mk = h.m.st
	}
	return mk.UnmarkHandedOver(ctx, []HandOverMark{h.mark})
}
