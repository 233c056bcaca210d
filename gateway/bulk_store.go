package gateway

import (
	"context"
	"time"
)

// BulkAction is what a bulk job does to each person it selected.
type BulkAction string

const (
	BulkReset      BulkAction = "reset"
	BulkActivate   BulkAction = "activate"
	BulkDeactivate BulkAction = "deactivate"
	BulkMobileOn   BulkAction = "mobile_on"
	BulkMobileOff  BulkAction = "mobile_off"
)

// BulkState is where a bulk job stands.
type BulkState string

const (
	BulkRunning   BulkState = "running"
	BulkDone      BulkState = "done"
	BulkCancelled BulkState = "cancelled"
)

// BulkItemState is where one person of a job stands.
type BulkItemState string

const (
	// ItemWaiting: not started yet (no reset request, no change made).
	ItemWaiting BulkItemState = "waiting"
	// ItemQueued: a reset request was made for the person (RequestID);
	// how it went is the request's own state.
	ItemQueued BulkItemState = "queued"
	// ItemDone: the change was made (actions other than reset).
	ItemDone BulkItemState = "done"
	// ItemSkipped: nothing to do when its turn came (the record was gone
	// or already as asked).
	ItemSkipped BulkItemState = "skipped"
	// ItemCancelled: the job was cancelled before anything reached them.
	ItemCancelled BulkItemState = "cancelled"
)

// BulkFilter selects a tenant's people; every field given must hold.
type BulkFilter struct {
	Status string `json:"status,omitempty"`
	Tag    string `json:"tag,omitempty"`
	// LastLoginBefore is a date (2006-01-02) or an RFC 3339 time: people
	// who last logged in before it, or never.
	LastLoginBefore string   `json:"last_login_before,omitempty"`
	Emails          []string `json:"emails,omitempty"`
}

// BulkJob is a bulk action over a selection of one tenant's people. Its
// items are stored with it, so a restart picks it up where it was.
type BulkJob struct {
	ID        string
	TenantID  int64
	Action    BulkAction
	Filter    BulkFilter
	State     BulkState
	Total     int
	ActorID   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// BulkItem is one person of a job, in the job's order (Seq).
type BulkItem struct {
	JobID     string
	Seq       int
	PersonID  int64
	State     BulkItemState
	RequestID string
}

// BulkTarget is a person as a bulk selection lists them.
type BulkTarget struct {
	ID           int64
	Name         string
	Email        string
	Status       PersonStatus
	MobileAccess bool
	LastLoginAt  time.Time
}

// TargetQuery is what the store can select by; emails are matched by the
// domain.
type TargetQuery struct {
	TenantID int64
	Status   PersonStatus // "" any
	Tag      string       // "" any
	// LoginBefore, when not zero, keeps people whose last login is
	// before it (or who never logged in).
	LoginBefore time.Time
}

// BulkCounts is a job's progress, person by person.
type BulkCounts struct {
	Total int
	// Waiting: items not started, and resets not yet resolved.
	Waiting int
	// Sent: people a message was handed to a provider for (or, for
	// other actions, people changed); Delivered: of those, the provider
	// reported delivered.
	Sent      int
	Delivered int
	// Failed: resets that ended with no message out (refused, every
	// channel failed) and skipped items; Cancelled: items the job's
	// cancellation stopped.
	Failed    int
	Cancelled int
	// Skipped: nothing to do when their turn came (record gone, or
	// already as asked).
	Skipped int
	// Pending counts the job's messages still in the outbox, by route.
	Pending map[Route]int
}

// BulkStore keeps bulk jobs (their items, so a restart resumes them),
// the selection of their targets by tag and last login, and last logins.
type BulkStore interface {
	// BulkTargets lists a tenant's people matching q, by id, at most limit.
	BulkTargets(ctx context.Context, q TargetQuery, limit int) ([]BulkTarget, error)
	// CreateBulkJob stores j and one waiting item per person, in order.
	CreateBulkJob(ctx context.Context, j *BulkJob, personIDs []int64) error
	BulkJob(ctx context.Context, id string) (*BulkJob, error)
	// ListBulkJobs lists jobs, newest first; tenantID 0 and state ""
	// do not filter.
	ListBulkJobs(ctx context.Context, tenantID int64, state BulkState, limit int) ([]*BulkJob, error)
	// SetBulkJobState moves a job from one state to another and reports
	// whether it was in from.
	SetBulkJobState(ctx context.Context, id string, from, to BulkState, at time.Time) (bool, error)
	// BulkItems lists up to limit items of a job in state, in order.
	BulkItems(ctx context.Context, jobID string, state BulkItemState, limit int) ([]BulkItem, error)
	// MoveBulkItem sets an item's state and request id if it is still in
	// state from, and reports whether it was: two feeders never both
	// start the same person.
	MoveBulkItem(ctx context.Context, it BulkItem, from BulkItemState) (bool, error)
	// BulkCounts reads a job's progress.
	BulkCounts(ctx context.Context, jobID string) (BulkCounts, error)
	// ReceivedBulkResets counts bulk resets not yet resolved.
	ReceivedBulkResets(ctx context.Context) (int, error)
	// SetLastLogin records a person's successful login.
	SetLastLogin(ctx context.Context, personID int64, at time.Time) error
}
