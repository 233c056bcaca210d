package gateway

import (
	"context"
	"time"
)

// StatsStore answers the overview and chart questions in grouped queries:
// requests by state, outcomes by route, requests by time bucket.
type StatsStore interface {
	// CountResets counts requests created since t by state (overview.go).
	CountResets(ctx context.Context, tenantID int64, since time.Time) (map[ResetState]int, error)
	// RouteStats sums the outcomes of deliveries updated since t, by route.
	RouteStats(ctx context.Context, tenantID int64, since time.Time) ([]RouteStat, error)
	// ResetBuckets counts the requests of q's window by time bucket and
	// state in one grouped query (charts.go).
	ResetBuckets(ctx context.Context, q BucketQuery) ([]ResetBucket, error)
}

// BucketQuery asks for reset requests counted by time bucket: Buckets
// buckets of Width from Since, for a tenant (0: every tenant) and, when
// PersonID is not 0, for one person.
type BucketQuery struct {
	TenantID int64
	PersonID int64
	Since    time.Time
	Width    time.Duration
	Buckets  int
}

// ResetBucket is how many requests of one state were created in bucket
// Index (0 is the one starting at Since).
type ResetBucket struct {
	Index int
	State ResetState
	Count int
}
