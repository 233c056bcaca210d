package gateway

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"
)

// LaneState is how a lane stands.
type LaneState string

const (
	LaneOK LaneState = "ok"
	// LaneSlow: the provider asked for fewer messages; the lane is paced
	// down for a while.
	LaneSlow LaneState = "slow"
	// LaneOpen: transient failures in a row opened the circuit; messages
	// wait without spending attempts until a probe gets through.
	LaneOpen LaneState = "open"
	// LaneNeedsAttention: a configuration failure only an admin can fix;
	// the lane probes once a minute.
	LaneNeedsAttention LaneState = "needs_attention"
)

// LaneStatus is one lane as route health and the admin API show it.
type LaneStatus struct {
	Lane          string
	Kind          string // smtp, twilio, carrier
	Tenants       []string
	State         LaneState
	Reason        string
	Fix           string
	InFlight      int
	Queued        int
	RatePerSecond float64 // 0: unpaced
	Since         time.Time
	// OldestQueued is when the oldest message waiting in the lane was
	// made (zero when none waits), for the metrics' oldest age.
	OldestQueued time.Time
	// LastFailure is the lane's last failed send (code and provider text)
	// and LastFailureAt when it happened; empty when none failed.
	LastFailure   string
	LastFailureAt time.Time
	// Links are the chain links ("tenant/index") whose texts it carried.
	Links []string
}

// PendingCount is how many deliveries of a route and tenant are pending
// in the store.
type PendingCount struct {
	Route    Route
	TenantID int64
	N        int
}

// laneSource is a route and tenant whose messages go through a lane.
type laneSource struct {
	route  Route
	tenant int64
}

func (l *lane) status(now time.Time) LaneStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := LaneStatus{Lane: l.key, Kind: l.kind, State: LaneOK, InFlight: l.inFlight, Queued: len(l.queue),
		RatePerSecond: l.rateLocked(now)}
	for t := range l.tenants {
		st.Tenants = append(st.Tenants, t)
	}
	st.LastFailure, st.LastFailureAt = l.lastErr, l.lastErrAt
	for k := range l.links {
		st.Links = append(st.Links, k)
	}
	sort.Strings(st.Links)
	for _, q := range l.queue {
		if st.OldestQueued.IsZero() || q.d.CreatedAt.Before(st.OldestQueued) {
			st.OldestQueued = q.d.CreatedAt
		}
	}
	sort.Strings(st.Tenants)
	switch bs := l.br.State(); {
	case l.attn != nil:
		st.State, st.Fix, st.Since = LaneNeedsAttention, l.attn.fix, l.attn.since
		st.Reason = strings.TrimSpace(l.attn.code + " " + l.attn.detail)
	case bs == gobreaker.StateOpen:
		st.State, st.Reason = LaneOpen, "repeated temporary failures; last: "+l.lastErr
	case bs == gobreaker.StateHalfOpen:
		st.State, st.Reason = LaneOpen, "probing after repeated temporary failures; last: "+l.lastErr
	case !l.slowUntil.IsZero() && now.Before(l.slowUntil):
		st.State, st.Reason = LaneSlow, "the provider asked for fewer messages: "+l.lastErr
	}
	if st.InFlight < 0 {
		st.InFlight = 0
	}
	return st
}

// Lanes reports every lane the worker has used, by key. A lane's Queued
// is what waits for it in the store (claimed by this worker or not, due
// now or later), less what it is sending: one grouped query. If the store
// cannot answer, it is what waits in the worker's memory.
func (w *Worker) Lanes() []LaneStatus {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := w.s.store.PendingDeliveries(ctx)
	if err != nil {
		w.s.log.Warn("counting queued deliveries failed", "err", err)
	}
	w.lmu.Lock()
	ls := make([]*lane, 0, len(w.lanes))
	for _, l := range w.lanes {
		ls = append(ls, l)
	}
	pending := map[*lane]int{}
	for _, c := range counts {
		if l := w.sources[laneSource{c.Route, c.TenantID}]; l != nil {
			pending[l] += c.N
		}
	}
	w.lmu.Unlock()
	now := w.s.clock()
	out := make([]LaneStatus, 0, len(ls))
	for _, l := range ls {
		st := l.status(now)
		if err == nil {
			st.Queued = max(pending[l]-st.InFlight, 0)
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Lane < out[j].Lane })
	return out
}

// SetLanes sets where the service reads the lanes' state (the worker).
func (s *Service) SetLanes(f func() []LaneStatus) { s.lanes = f }

// Routes lists the delivery lanes in the actor's scope: an operator sees
// all (or one tenant's, when named), a tenant admin only the lanes that
// carry their tenant's messages.
func (s *Service) Routes(ctx context.Context, a Actor, tenant string) ([]LaneStatus, error) {
	slug := ""
	if a.TenantID != 0 || tenant != "" {
		t, err := s.scope(ctx, a, tenant)
		if err != nil {
			return nil, err
		}
		slug = t.Slug
	}
	out := []LaneStatus{}
	if s.lanes == nil {
		return out, nil
	}
	for _, l := range s.lanes() {
		if slug != "" {
			if !slices.Contains(l.Tenants, slug) {
				continue
			}
			// Another tenant's name on a shared lane is not theirs to see,
			// nor the provider's words on another tenant's text.
			if len(l.Tenants) > 1 {
				l.LastFailure, _, _ = strings.Cut(l.LastFailure, " ")
			}
			l.Tenants = []string{slug}
			var own []string
			for _, k := range l.Links {
				if strings.HasPrefix(k, slug+"/") {
					own = append(own, k)
				}
			}
			l.Links = own
		}
		out = append(out, l)
	}
	return out, nil
}
