package gateway

import "context"

// Store is everything the gateway keeps. Adapters (gateway/sqlite,
// gateway/postgres) implement it; the domain only sees this interface.
// It is composed of role interfaces, one per kind of record, so that a
// component that needs only a few roles can ask for just those.
// Methods that find nothing return an error for which IsNotFound is true.
type Store interface {
	// WithTx runs fn with a Store whose calls all belong to one
	// transaction; fn's error rolls it back. Nested calls join the outer one.
	WithTx(ctx context.Context, fn func(Store) error) error

	TenantStore    // tenants (store_tenants.go)
	CarrierStore   // carriers (store_tenants.go)
	PersonnelStore // people and phones (store_personnel.go)
	OptOutStore    // opt-outs and seen provider messages (store_personnel.go)
	ResetStore     // reset requests (store_outbox.go)
	OutboxStore    // deliveries, claims, leases, attempts (store_outbox.go)
	EventStore     // the event log (store_events.go)
	RateStore      // rate limits and refused requests (store_rates.go)
	AdminStore     // console admins and sessions (store_admins.go)
	StatsStore     // counts and buckets (charts_store.go)
	BulkStore      // bulk jobs, tags, last logins (bulk_store.go)
	LifecycleStore // email verification, password age (verify_store.go)
}
