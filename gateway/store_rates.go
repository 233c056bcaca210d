package gateway

import (
	"context"
	"time"
)

// RateStore keeps the rate-limit counters (fixed windows, shared by every
// instance) and the groups of requests refused at the door.
type RateStore interface {
	// Hit counts one attempt against each limit in the window holding now
	// and returns the first limit that is now over, or nil.
	Hit(ctx context.Context, now time.Time, limits []Limit) (*Limit, error)
	// Reserve counts one attempt against every limit, or against none:
	// it returns the first limit that refuses (at Max already, or inside
	// the pause that Free and Delay ask for), having counted nothing. The
	// decision and the count are one step, so concurrent attempts cannot
	// all slip under a limit.
	Reserve(ctx context.Context, now time.Time, limits []Limit) (*Limit, error)
	// Release gives back one attempt counted by Reserve or Hit.
	Release(ctx context.Context, now time.Time, limits []Limit) error
	// Count returns a limit's count in the window holding now.
	Count(ctx context.Context, now time.Time, l Limit) (int, error)
	// Over returns the first limit already over without counting, or nil.
	Over(ctx context.Context, now time.Time, limits []Limit) (*Limit, error)
	// ClearHits forgets the counts of a limit's key (a successful login).
	ClearHits(ctx context.Context, l Limit) error
	// ClearHitsPrefix forgets the counts of every key of scope that starts
	// with keyPrefix (an admin clearing an account's throttles).
	ClearHitsPrefix(ctx context.Context, scope, keyPrefix string) error
	// RecordReject counts one request refused at the door in the group of
	// g.Key and g.WindowStart, making the group if it is new, and sets g's
	// ID, Count and FirstAt.
	RecordReject(ctx context.Context, g *RejectGroup) error
	// RejectGroup returns a group of refused requests by id.
	RejectGroup(ctx context.Context, id int64) (*RejectGroup, error)
	// PruneHits drops counters of windows that started before t.
	PruneHits(ctx context.Context, before time.Time) error
}

// Limit is one rate limit: at most Max hits of Key per Window (fixed
// windows). With Delay set, Reserve also asks for a pause after the first
// Free attempts of a window: Delay after attempt Free, doubling with each
// attempt after it, never longer than Window.
type Limit struct {
	Scope  string // e.g. ip, reset_person, tenant, login_pair, login_ip
	Key    string
	Max    int
	Window time.Duration
	Free   int
	Delay  time.Duration
}

// RejectGroup is the one row kept for a run of requests refused at the
// door for the same limit key in the same window.
type RejectGroup struct {
	ID          int64
	Key         string // the limit's scope and key
	WindowStart time.Time
	Reason      string
	IP          string
	Count       int
	FirstAt     time.Time
	LastAt      time.Time
}
