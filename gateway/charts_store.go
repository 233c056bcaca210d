package gateway

import "time"

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
