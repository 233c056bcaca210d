package gateway

import (
	"context"
	"time"
)

// ResetStore keeps the reset requests: one per ask for a new password,
// with its state and, when read back, its deliveries.
type ResetStore interface {
	CreateReset(ctx context.Context, r *ResetRequest) error
	// UpdateReset saves r's state, reason, person, hash and times (not its
	// deliveries).
	UpdateReset(ctx context.Context, r *ResetRequest) error
	// Reset returns a request with its deliveries.
	Reset(ctx context.Context, id string) (*ResetRequest, error)
	// ResetByLinkHash returns the request whose LinkHash is hash, with its
	// deliveries.
	ResetByLinkHash(ctx context.Context, hash []byte) (*ResetRequest, error)
	// ResetsInState lists up to limit requests in state, oldest first.
	ResetsInState(ctx context.Context, state ResetState, limit int) ([]*ResetRequest, error)
	ListResets(ctx context.Context, f ResetFilter) ([]*ResetRequest, error)
}

// OutboxStore is the delivery engine's outbox: the deliveries of reset
// requests, the claims and leases workers hold on them, the attempts made
// on each route, and the follow-up after a send (status polls and body
// redaction at the provider).
type OutboxStore interface {
	CreateDelivery(ctx context.Context, d *Delivery) error
	// UpdateDelivery saves status, attempts, schedule, provider id, error
	// and body (a nil body wipes it).
	UpdateDelivery(ctx context.Context, d *Delivery) error
	// MoveDelivery puts a pending delivery on another route of its chain:
	// route, route index, recipient and (re-sealed) body, due at
	// NextAttemptAt, with the first-attempt time cleared and the claim over.
	MoveDelivery(ctx context.Context, d *Delivery) error
	// ClaimDeliveries takes up to limit pending deliveries due at now,
	// highest priority first, and pushes their next attempt to leaseUntil,
	// so that a crashed worker's claim runs out and another instance (or a
	// restart) picks them up. It marks them claimed (returning Unrecorded
	// for those whose earlier claim never recorded an outcome) and sets
	// FirstAttemptAt on a first claim.
	ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*Delivery, error)
	// DeferDelivery gives back a claimed, still pending delivery unsent:
	// due again at at, its attempts unchanged, no longer claimed unless
	// unrecorded (an earlier claim's send may still have gone out).
	DeferDelivery(ctx context.Context, id int64, at time.Time, unrecorded bool) error
	// RenewLeases pushes the lease of claimed, still pending deliveries to
	// leaseUntil while they wait in a lane or are being sent.
	RenewLeases(ctx context.Context, ids []int64, leaseUntil time.Time) error
	// PendingDeliveries counts the pending deliveries (due or not, held
	// by a worker or not) by route and tenant, in one grouped query: what
	// waits in each lane, for the routes API.
	PendingDeliveries(ctx context.Context) ([]PendingCount, error)
	DeliveryByProviderID(ctx context.Context, providerID string) (*Delivery, error)
	Delivery(ctx context.Context, id int64) (*Delivery, error)
	// AddDeliveryAttempt records one attempt of a delivery on a route;
	// DeliveryAttempts lists a delivery's attempts, oldest first.
	AddDeliveryAttempt(ctx context.Context, a DeliveryAttempt) error
	DeliveryAttempts(ctx context.Context, deliveryID int64) ([]DeliveryAttempt, error)
	// UnconfirmedDeliveries lists up to limit deliveries of a route that
	// the provider accepted before sentBefore, that it never reported
	// final on, and that were never polled (poll.go).
	UnconfirmedDeliveries(ctx context.Context, route Route, sentBefore time.Time, limit int) ([]*Delivery, error)
	// MarkDeliveryPolled records that a delivery's status was asked for.
	MarkDeliveryPolled(ctx context.Context, id int64, at time.Time) error
	// DeliveriesToRedact lists up to limit deliveries of a route whose
	// body the provider still holds although it is done with them.
	DeliveriesToRedact(ctx context.Context, route Route, limit int) ([]*Delivery, error)
	// SetDeliveryRedaction records what became of a body at the provider.
	SetDeliveryRedaction(ctx context.Context, id int64, r Redaction) error
}

// ResetFilter narrows ListResets. TenantID 0 means all tenants.
type ResetFilter struct {
	TenantID int64
	State    ResetState
	PersonID int64 // 0: anyone's
	Limit    int
	Offset   int
}
