package gateway

import (
	"context"
	"sync"
	"sync/atomic"
)

// SMTP cannot be asked afterwards whether it took a message: once the
// final dot of DATA has gone, the relay may have the mail whatever
// happens to this process. So before that point the engine commits a
// mark, "this attempt was handed over". A later claim of a delivery whose
// earlier claim left no outcome reads it: no mark, the relay never had
// the message and it is sent as if for the first time; a mark, the relay
// may have it, and it is never sent again (the delivery ends answer_lost,
// as a lost AWS answer does). Marks of sends starting together share one
// statement, and a mark is asked for when the sender has its connection,
// so its commit overlaps the MAIL, RCPT and DATA round trips.

// Event types of the hand-over marks.
const (
	// EventDeliveryMaybeSent: an interrupted attempt had handed the
	// message to the relay, so it is not sent again.
	EventDeliveryMaybeSent = "delivery_maybe_sent"
	// EventDeliveryResumed: an interrupted attempt had not handed the
	// message over, so it is sent now, once.
	EventDeliveryResumed = "delivery_resumed"
)

// CodeAnswerLost is the error code of a delivery that may have reached
// its provider although no answer said so, and that is therefore not sent
// again (the AWS route uses the same code).
const CodeAnswerLost = "answer_lost"

// HandOverSender is a Sender that calls Message.HandOver before the point
// after which the provider may hold the message (for SMTP, the final dot),
// and sends nothing past it when Wait fails. For its routes the engine
// trusts the absence of a mark: the message was not handed over.
type HandOverSender interface {
	HandsOver(r Route) bool
}

// HandOverMark names one attempt of a delivery: Attempt is the delivery's
// recorded attempts when it was claimed.
type HandOverMark struct {
	DeliveryID int64
	Attempt    int
}

// HandOverMarker is a store that keeps the marks.
type HandOverMarker interface {
	// MarkHandedOver marks each attempt in one statement and returns the
	// ids it marked: a delivery is marked only while it is pending, its
	// recorded attempts still equal Attempt (no outcome came meanwhile)
	// and that attempt is not marked already (no other claim handed it
	// over). A marked delivery counts as claimed, so that a claim after a
	// crash is told its attempt left no outcome.
	MarkHandedOver(ctx context.Context, marks []HandOverMark) ([]int64, error)
	// HandedOver returns those of ids whose current attempt is marked:
	// handed over, and no outcome recorded since.
	HandedOver(ctx context.Context, ids []int64) ([]int64, error)
	// UnmarkHandedOver takes back the marks of attempts that were marked
	// ahead (premark.go) but never sent: a mark that names another
	// attempt, or none, is left as it is.
	UnmarkHandedOver(ctx context.Context, marks []HandOverMark) error
}

// HandOver is a message's way to its mark; a nil HandOver asks nothing
// and lets everything through.
type HandOver struct {
	m    *marker
	mark HandOverMark
	once sync.Once
	done chan struct{}
	err  error // set before done closes
	// refused says the store refused the mark: another claim handed the
	// attempt over, or an outcome came meanwhile. This claim is void.
	refused bool
	// ahead says the lane asked for the mark while the message still
	// waited in its queue (premark.go); queued says it still waits there
	// (both guarded by the lane's lock). sending says the message went to
	// its sender: from then on only its outcome ends the mark.
	ahead, queued bool
	sending       atomic.Bool
}

// Begin asks for the mark without waiting for it (a sender calls it when
// its connection is ready).
func (h *HandOver) Begin() {
	if h == nil {
		return
	}
	h.once.Do(func() { h.m.add(h) })
}

// Wait asks for the mark if Begin did not and waits for its commit. Nil:
// the mark is durable, the message may be handed over. Otherwise the
// sender must stop before the point of no return and return the error.
func (h *HandOver) Wait(ctx context.Context) error {
	if h == nil {
		return nil
	}
	h.Begin()
	select {
	case <-h.done:
		return h.err
	case <-ctx.Done():
		return &SendError{Class: FailTransient, Code: "store", Detail: "the hand-over mark was not recorded in time; nothing was handed over"}
	}
}

// marked reports that the mark was committed (the message may then be at
// the provider whatever the sender says).
func (h *HandOver) marked() bool {
	if h == nil {
		return false
	}
	select {
	case <-h.done:
		return h.err == nil
	default:
		return false
	}
}

func (h *HandOver) wasRefused() bool {
	if h == nil {
		return false
	}
	select {
	case <-h.done:
		return h.refused
	default:
		return false
	}
}

// errHandOverRefused is Wait's answer when another claim holds the mark.
var errHandOverRefused = &SendError{Class: FailTransient, Code: "store",
	Detail: "another claim of this message handed it over; this one sends nothing"}

// marker commits the marks that are waiting, all in one statement. With
// one writer (SQLite) they ride in the committer's next transaction, before
// its outcomes: a transaction of their own would cost a commit (an fsync)
// per few marks, and measured on the loaded 2-core machine that made the
// writer, and so the mail lane, the bottleneck (18 resets/s instead of
// 125). With many writers (PostgreSQL) a goroutine of its own writes them,
// beside the committer's transactions.
type marker struct {
	w      *Worker
	st     HandOverMarker
	mu     sync.Mutex
	queue  []*HandOver
	closed bool
	wake   chan struct{}
}

func newMarker(w *Worker) *marker {
	st, ok := w.s.store.(HandOverMarker)
	if !ok {
		return nil
	}
	m := &marker{w: w, st: st, wake: make(chan struct{}, 1)}
	if w.many {
		go m.run()
	}
	return m
}

// handOver is the HandOver of claim c's send, or nil when the store keeps
// no marks.
func (m *marker) handOver(c *claim) *HandOver {
	if m == nil {
		return nil
	}
	return &HandOver{m: m, mark: HandOverMark{DeliveryID: c.d.ID, Attempt: c.d.Attempts}, done: make(chan struct{})}
}

func (m *marker) add(h *HandOver) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		h.err = &SendError{Class: FailTransient, Code: "store", Detail: "the worker has stopped; nothing was handed over"}
		close(h.done)
		return
	}
	m.queue = append(m.queue, h)
	m.mu.Unlock()
	if m.w.many {
		select {
		case m.wake <- struct{}{}:
		default:
		}
	} else {
		m.w.commits.signal()
	}
}

// take is what waits, at most maxGroup.
func (m *marker) take() []*HandOver {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := min(len(m.queue), maxGroup)
	group := m.queue[:n:n]
	m.queue = m.queue[n:]
	return group
}

// close refuses marks from now on; the worker calls it when no send is
// left in flight.
func (m *marker) close() {
	if m == nil {
		return
	}
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.wake)
	}
	m.mu.Unlock()
}

// run writes marks until close (many writers only).
func (m *marker) run() {
	for range m.wake {
		for {
			group := m.take()
			if len(group) == 0 {
				break
			}
			ids, err := m.st.MarkHandedOver(context.Background(), marksOf(group))
			m.resolve(group, ids, err)
		}
	}
}

func marksOf(group []*HandOver) []HandOverMark {
	marks := make([]HandOverMark, len(group))
	for i, h := range group {
		marks[i] = h.mark
	}
	return marks
}

// resolve tells each waiting send what became of its mark. A mark is
// never retried: a send whose mark failed sends nothing and is tried again
// later, as after any transient failure.
func (m *marker) resolve(group []*HandOver, ids []int64, err error) {
	ok := make(map[int64]bool, len(ids))
	for _, id := range ids {
		ok[id] = true
	}
	for _, h := range group {
		switch {
		case err != nil:
			h.err = &SendError{Class: FailTransient, Code: "store", Detail: "the hand-over mark could not be recorded; nothing was handed over"}
		case !ok[h.mark.DeliveryID]:
			h.err, h.refused = errHandOverRefused, true
		}
		close(h.done)
	}
	if err != nil {
		m.w.s.log.Warn("recording hand-over marks failed; those messages wait for a retry", "n", len(group), "err", err)
	}
}

// handsOver says route's sender marks its hand-overs.
func (w *Worker) handsOver(r Route) bool {
	hs, ok := w.cfg.Senders[r].(HandOverSender)
	return ok && w.marks != nil && hs.HandsOver(r)
}

// readHandOvers tells each claim that follows one without an outcome, on
// a route that marks its hand-overs, whether that claim handed the
// message over: one read for the whole claim.
func (w *Worker) readHandOvers(ctx context.Context, cs []*claim) {
	ds := make([]*Delivery, len(cs))
	for i, c := range cs {
		ds[i] = c.d
	}
	asked, marked, err := w.handedOver(ctx, ds)
	if err != nil {
		// Not known: such a claim waits, unsent, for another read.
		w.s.log.Warn("reading hand-over marks failed", "n", len(asked), "err", err)
		for _, c := range cs {
			if asked[c.d.ID] {
				c.unknown = true
			}
		}
		return
	}
	for _, c := range cs {
		if !asked[c.d.ID] {
			continue
		}
		if marked[c.d.ID] {
			c.maybeSent = true
			continue
		}
		// Never handed over: the relay never had it, so this send is
		// no second one.
		c.d.Unrecorded, c.resumed = false, true
	}
}

// handedOver reads, in one query, the hand-over marks of those of ds that
// an earlier claim left without an outcome on a route that marks its
// hand-overs: asked holds those, marked those of them whose attempt was
// handed over.
func (w *Worker) handedOver(ctx context.Context, ds []*Delivery) (asked, marked map[int64]bool, err error) {
	var ids []int64
	asked = map[int64]bool{}
	for _, d := range ds {
		if d.Unrecorded && w.handsOver(d.Route) {
			ids = append(ids, d.ID)
			asked[d.ID] = true
		}
	}
	if len(ids) == 0 {
		return asked, nil, nil
	}
	got, err := w.marks.st.HandedOver(ctx, ids)
	if err != nil {
		return asked, nil, err
	}
	marked = make(map[int64]bool, len(got))
	for _, id := range got {
		marked[id] = true
	}
	return asked, marked, nil
}

// maybeSentEvent says, in words, why a handed-over message is not sent
// again.
func (s *Service) maybeSentEvent(ctx context.Context, st Store, c *claim) error {
	d := c.d
	why := ": handed to the relay, but the relay's answer never came"
	if c.maybeSent {
		why = ": handed to the relay, then interrupted before the relay's answer was recorded"
	}
	return s.event(ctx, st, Event{TenantID: d.TenantID, RequestID: d.RequestID, Channel: string(d.Channel),
		Type: EventDeliveryMaybeSent, Code: CodeAnswerLost,
		Detail: string(d.Route) + why + "; not sent again, so that nobody gets it twice"})
}

// pending says marks wait to be written.
func (m *marker) pending() bool {
	if m == nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.queue) > 0
}

// withdraw takes h out of the marks waiting to be written: true when it
// was still there, so that no mark of it will ever be written (it is
// resolved as refused by the worker). False: its mark is written or being
// written, and h resolves when that is known.
func (m *marker) withdraw(h *HandOver) bool {
	m.mu.Lock()
	i := -1
	for j, q := range m.queue {
		if q == h {
			i = j
			break
		}
	}
	if i >= 0 {
		m.queue = append(m.queue[:i:i], m.queue[i+1:]...)
	}
	m.mu.Unlock()
	if i < 0 {
		return false
	}
	h.err = &SendError{Class: FailTransient, Code: "store", Detail: "given back before it was sent; nothing was handed over"}
	close(h.done)
	return true
}
