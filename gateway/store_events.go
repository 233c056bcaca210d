package gateway

import (
	"context"
	"time"
)

// EventStore keeps the event log: what happened to requests, people and
// settings, and who did it, for the console's logs and the audit trail.
type EventStore interface {
	AppendEvent(ctx context.Context, e *Event) error
	ListEvents(ctx context.Context, f EventFilter) ([]*Event, error)
	// CountEvents counts the events f matches, ignoring its paging
	// (AfterID, BeforeID, Offset, Limit).
	CountEvents(ctx context.Context, f EventFilter) (int, error)
}

// EventFilter narrows ListEvents. Zero fields do not filter.
type EventFilter struct {
	TenantID  int64
	Types     []string
	PersonID  int64
	RequestID string
	Actor     string
	Since     time.Time
	Until     time.Time
	AfterID   int64 // for paging through any size
	Limit     int
	// Desc lists newest first (a log page); BeforeID or Offset pages it.
	Desc     bool
	BeforeID int64
	Offset   int
}
