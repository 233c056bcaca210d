package gateway

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The accept path: every "forgot password" is written to the store before
// it is answered. Writing each in its own transaction costs a commit (an
// fsync) per request, which is what a burst waits on; the committer
// writes the requests that arrive together in one transaction instead.
// Each caller still waits for the commit that holds its request, and a
// batch that fails is tried again one request at a time, so one bad
// request costs the others nothing and no caller hears 202 for a request
// that was not stored.

// maxAcceptBatch bounds one transaction, so that a long queue is written
// in several commits rather than one that holds the writer for long.
const maxAcceptBatch = 256

// acceptTimeout bounds a commit. A batch holds other callers' requests, so
// it does not end when the caller that happens to write it goes away.
const acceptTimeout = 15 * time.Second

// Event types of the accept path.
const (
	// EventResetFlood is written once per client and window when its
	// requests go over the flood ceiling; later ones are only counted.
	EventResetFlood = "reset_flood"
	// EventResetTargeted is written once per person and window when
	// requests that matched them go over a per-person limit.
	EventResetTargeted = "reset_targeted"
	// EventResetBudget is written once per tenant and window when its
	// budget of matched resets is used up.
	EventResetBudget = "reset_budget_reached"
)

// acceptJob is one request waiting for its commit.
type acceptJob struct {
	r     *ResetRequest
	flood Limit
	// wake says true when the job is to write the next batch, false when
	// its batch was written (or failed): then id and err hold the answer.
	wake   chan bool
	id     string
	queued bool
	err    error
}

// acceptCommitter is the group commit of accepted requests. There is no
// goroutine of its own: the first caller to find it idle writes a batch
// of everything queued, and hands the turn to a waiting caller if more
// arrived meanwhile.
type acceptCommitter struct {
	mu    sync.Mutex
	queue []*acceptJob
	busy  bool
	// active mirrors busy for the engine's quick look (writerfirst.go);
	// committed, when set, is closed when a batch is written.
	active    atomic.Bool
	committed chan struct{}
}

func (s *Service) accept(ctx context.Context, j *acceptJob) error {
	c := &s.accepts
	j.wake = make(chan bool, 1)
	c.mu.Lock()
	c.queue = append(c.queue, j)
	lead := !c.busy
	c.busy = true
	c.active.Store(true)
	c.mu.Unlock()
	if !lead {
		// A job that is handed the turn is first in the queue, so the
		// batch it writes holds it.
		// Not on ctx: the request may be in a commit under way, and the
		// answer must say whether it was stored.
		if !<-j.wake {
			return j.err
		}
	}
	c.mu.Lock()
	n := min(len(c.queue), maxAcceptBatch)
	batch := c.queue[:n:n]
	c.queue = c.queue[n:]
	c.mu.Unlock()

	s.commitAccepts(context.WithoutCancel(ctx), batch)
	kick := false
	for _, b := range batch {
		kick = kick || b.queued
		if b != j {
			b.wake <- false
		}
	}
	if kick {
		s.kick()
	}

	c.mu.Lock()
	c.acceptCommitted()
	if len(c.queue) > 0 {
		c.queue[0].wake <- true
	} else {
		c.busy = false
		c.active.Store(false)
	}
	c.mu.Unlock()
	return j.err
}

// commitAccepts writes a batch in one transaction, else each job alone.
func (s *Service) commitAccepts(ctx context.Context, batch []*acceptJob) {
	ctx, cancel := context.WithTimeout(ctx, acceptTimeout)
	defer cancel()
	err := s.store.WithTx(ctx, func(st Store) error { return s.acceptIn(ctx, st, batch) })
	if err == nil {
		return
	}
	if len(batch) == 1 {
		batch[0].fail(err)
		return
	}
	s.log.Warn("accept batch failed, writing its requests one by one", "requests", len(batch), "err", err)
	for _, j := range batch {
		one := []*acceptJob{j}
		if err := s.store.WithTx(ctx, func(st Store) error { return s.acceptIn(ctx, st, one) }); err != nil {
			j.fail(err)
		}
	}
}

// fail records that the job's request was not stored: the caller hears
// 503, never 202.
func (j *acceptJob) fail(err error) {
	j.id, j.queued = "", false
	j.err = &Error{Kind: KindUnavailable, Code: "store_unavailable",
		Message: "the request could not be stored, please try again", Err: err}
}

// acceptIn stores the batch's requests, or, for one over its client's
// flood ceiling, counts it in the one row kept for that client and window
// (no row and no event of its own: a flood must not grow the log) and
// answers an id that names that row. The requests are written together
// (one statement for many on a store that batches them), and the events
// follow in the batch's order, as if each job had been written alone.
func (s *Service) acceptIn(ctx context.Context, st Store, batch []*acceptJob) error {
	stored := make([]*ResetRequest, 0, len(batch))
	floods := make([]bool, len(batch))
	for i, j := range batch {
		r := j.r
		j.id, j.queued, j.err = "", false, nil
		if j.flood.Key != "" {
			over, err := st.Reserve(ctx, r.CreatedAt, []Limit{j.flood})
			if err != nil {
				return err
			}
			if over != nil {
				g := &RejectGroup{Key: over.Scope + ":" + over.Key, WindowStart: r.CreatedAt.Truncate(over.Window),
					Reason: ReasonRateLimited, IP: r.IP, LastAt: r.CreatedAt}
				if err := st.RecordReject(ctx, g); err != nil {
					return err
				}
				floods[i] = g.Count == 1
				j.id = s.rejectID(g.ID, g.Count)
				continue
			}
		}
		stored = append(stored, r)
	}
	if err := createResets(ctx, st, stored); err != nil {
		return err
	}
	for i, j := range batch {
		r := j.r
		e := Event{Type: "reset_requested", Actor: actorFor(r.Source), IP: r.IP, RequestID: r.ID, Detail: string(r.Source)}
		switch {
		case floods[i]:
			e = Event{Type: EventResetFlood, Actor: actorFor(r.Source), IP: r.IP,
				Code: ReasonRateLimited, Detail: "limit " + j.flood.Scope}
		case j.id != "":
			continue // refused, counted in its group
		}
		if err := s.event(ctx, st, e); err != nil {
			return err
		}
		if !floods[i] {
			j.id, j.queued = r.ID, true
		}
	}
	return nil
}

// An id handed out for a request refused at the door names its group row
// and its place in it: tag(4) ‖ (group id(8) ‖ count(3)) masked, base32 like
// every request id and as long, so it looks like any other. The tag, a MAC,
// keeps made-up ids from naming a group.
const rejectPayload = 11

func (s *Service) rejectMAC(label string, data []byte) []byte {
	b, _ := base64.RawURLEncoding.DecodeString(s.keys.Sign(label + "\x00" + string(data)))
	return b
}

func (s *Service) rejectID(groupID int64, n int) string {
	var raw [4 + rejectPayload]byte
	binary.BigEndian.PutUint64(raw[4:12], uint64(groupID))
	raw[12], raw[13], raw[14] = byte(n>>16), byte(n>>8), byte(n)
	copy(raw[:4], s.rejectMAC("reset-reject-tag", raw[4:]))
	mask := s.rejectMAC("reset-reject-mask", raw[:4])
	for i := range rejectPayload {
		raw[4+i] ^= mask[i]
	}
	return "rr_" + idEncoding.EncodeToString(raw[:])
}

// parseRejectID returns the group a refused request's id names.
func (s *Service) parseRejectID(id string) (int64, bool) {
	enc, ok := strings.CutPrefix(id, "rr_")
	if !ok || len(enc) != idEncoding.EncodedLen(4+rejectPayload) {
		return 0, false
	}
	raw, err := idEncoding.DecodeString(enc)
	if err != nil || len(raw) != 4+rejectPayload {
		return 0, false
	}
	mask := s.rejectMAC("reset-reject-mask", raw[:4])
	for i := range rejectPayload {
		raw[4+i] ^= mask[i]
	}
	want := s.rejectMAC("reset-reject-tag", raw[4:])
	if subtle.ConstantTimeCompare(raw[:4], want[:4]) != 1 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(raw[4:12])), true
}

// compactReset answers for a request refused at the door: rejected,
// rate_limited, as its group says. Only operators see these, since the
// tenant of a refused request was never resolved.
func (s *Service) compactReset(ctx context.Context, a Actor, id string) (*ResetRequest, error) {
	gid, ok := s.parseRejectID(id)
	if !ok || a.TenantID != 0 {
		return nil, ErrNotFound
	}
	g, err := s.store.RejectGroup(ctx, gid)
	if err != nil {
		return nil, err
	}
	return &ResetRequest{ID: id, State: StateRejected, Reason: g.Reason, IP: g.IP,
		CreatedAt: g.FirstAt, UpdatedAt: g.LastAt}, nil
}

// matchedLimits are the limits a request counts against once it matched
// a person: nobody can use them up by naming that person's phone or email
// in requests that match someone else or no one.
func (s *Service) matchedLimits(t *Tenant, p *Person, r *ResetRequest) []Limit {
	tenant := Limit{Scope: "tenant", Key: t.Slug, Max: s.limits.PerTenant, Window: s.limits.Window}
	if r.Source == SourceAdmin {
		return []Limit{tenant} // an admin's retry, logged as theirs
	}
	person := strconv.FormatInt(p.ID, 10)
	if r.Source == SourceBulk {
		// An admin's job, logged as theirs and bounded by MaxBulkJob: a
		// returning crew must not use up the tenant's hourly budget for
		// the resets people ask for, yet nobody gets more than the
		// per-person limit of messages.
		return []Limit{{Scope: "reset_person", Key: person, Max: s.limits.PerPerson, Window: s.limits.Window}}
	}
	return []Limit{
		{Scope: "reset_person_ip", Key: person + " " + IPKey(r.IP), Max: s.limits.PerPersonIP, Window: s.limits.Window},
		{Scope: "reset_person", Key: person, Max: s.limits.PerPerson, Window: s.limits.Window},
		tenant,
	}
}

// limited rejects a matched request over a limit. The request keeps its
// row (its id was handed out already), but not an event of its own: the
// first one over a limit in a window says, in one event, that the person
// is being targeted (or the tenant's budget is used up).
func (s *Service) limited(ctx context.Context, st Store, r *ResetRequest, over *Limit) error {
	r.State, r.Reason = StateRejected, ReasonRateLimited
	if err := st.UpdateReset(ctx, r); err != nil {
		return err
	}
	s.observer().ResetFinished(r.State, r.Reason)
	first, err := st.Hit(ctx, r.UpdatedAt, []Limit{{Scope: "noted_" + over.Scope, Key: over.Key, Max: 1, Window: over.Window}})
	if err != nil || first != nil {
		return err
	}
	typ := EventResetTargeted
	if over.Scope == "tenant" {
		typ = EventResetBudget
	}
	return s.event(ctx, st, Event{TenantID: r.TenantID, Type: typ, RequestID: r.ID, PersonID: r.PersonID, IP: r.IP,
		Code: ReasonRateLimited, Detail: "limit " + over.Scope})
}
