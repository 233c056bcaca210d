package gateway

import (
	"context"
	"time"
)

// Store is everything the gateway keeps. Adapters (gateway/sqlite, later
// gateway/postgres) implement it; the domain only sees this interface.
// Methods that find nothing return an error for which IsNotFound is true.
type Store interface {
	// WithTx runs fn with a Store whose calls all belong to one
	// transaction; fn's error rolls it back. Nested calls join the outer one.
	WithTx(ctx context.Context, fn func(Store) error) error
	// AddDeliveryAttempt records one attempt of a delivery on a route;
	// DeliveryAttempts lists a delivery's attempts, oldest first.
	AddDeliveryAttempt(ctx context.Context, a DeliveryAttempt) error
	DeliveryAttempts(ctx context.Context, deliveryID int64) ([]DeliveryAttempt, error)
	// Email verification links and password age (verify_store.go).
	LifecycleStore

	CreateTenant(ctx context.Context, t *Tenant) error
	UpdateTenant(ctx context.Context, t *Tenant) error
	TenantBySlug(ctx context.Context, slug string) (*Tenant, error)
	TenantByID(ctx context.Context, id int64) (*Tenant, error)
	ListTenants(ctx context.Context) ([]*Tenant, error)
	// TenantByTwilioNumber finds the tenant whose Twilio From is e164.
	TenantByTwilioNumber(ctx context.Context, e164 string) (*Tenant, error)

	// CreatePerson stores p and its phones; a taken email or number is a
	// KindConflict error.
	CreatePerson(ctx context.Context, p *Person) error
	// UpdatePerson saves p's fields and replaces its phones.
	UpdatePerson(ctx context.Context, p *Person) error
	// SavePersonAuth saves only p's password hash, must-change flag,
	// pending request and update time.
	SavePersonAuth(ctx context.Context, p *Person) error
	// DeletePerson and Person look in one tenant, or in all for tenantID 0.
	DeletePerson(ctx context.Context, tenantID, id int64) error
	Person(ctx context.Context, tenantID, id int64) (*Person, error)
	PersonByEmail(ctx context.Context, tenantID int64, email string) (*Person, error)
	ListPersonnel(ctx context.Context, f PersonFilter) ([]*Person, error)
	// CountPersonnel counts the records ListPersonnel would list without
	// its Limit and Offset (a pager's total).
	CountPersonnel(ctx context.Context, f PersonFilter) (int, error)
	// PhoneByNumber finds a number in any tenant.
	PhoneByNumber(ctx context.Context, e164 string) (*Phone, error)
	// SetOptOut records an opt-out (see OptOut); ClearOptOut ends the
	// number's opt-outs for that tenant and channel, its tenant-wide ones
	// and the ones for every tenant. OptedOut reports whether a text from
	// the tenant through channel to e164 must not go.
	SetOptOut(ctx context.Context, o OptOut) error
	ClearOptOut(ctx context.Context, tenantID int64, channel, e164 string) error
	OptedOut(ctx context.Context, tenantID int64, channel, e164 string) (bool, error)
	// SeenMessage records a provider's message id in scope and reports
	// whether it was seen already within keep before now.
	SeenMessage(ctx context.Context, scope, id string, now time.Time, keep time.Duration) (bool, error)

	UpsertCarrier(ctx context.Context, c *Carrier) error
	Carrier(ctx context.Context, slug string) (*Carrier, error)
	ListCarriers(ctx context.Context) ([]*Carrier, error)

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

	AppendEvent(ctx context.Context, e *Event) error
	ListEvents(ctx context.Context, f EventFilter) ([]*Event, error)
	// CountEvents counts the events f matches, ignoring its paging
	// (AfterID, BeforeID, Offset, Limit).
	CountEvents(ctx context.Context, f EventFilter) (int, error)

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

	// Console admins (admins.go). Emails are unique across tenants.
	CreateAdmin(ctx context.Context, a *Admin) error
	UpdateAdmin(ctx context.Context, a *Admin) error
	AdminByEmail(ctx context.Context, email string) (*Admin, error)
	AdminByID(ctx context.Context, id int64) (*Admin, error)
	ListAdmins(ctx context.Context) ([]*Admin, error)
	CreateAdminSession(ctx context.Context, s *AdminSession) error
	AdminSession(ctx context.Context, hash []byte) (*AdminSession, error)
	TouchAdminSession(ctx context.Context, hash []byte, seen time.Time) error
	DeleteAdminSession(ctx context.Context, hash []byte) error
	DeleteAdminSessions(ctx context.Context, adminID int64) error
	PruneAdminSessions(ctx context.Context, now time.Time) error

	// CountResets counts requests created since t by state (overview.go).
	CountResets(ctx context.Context, tenantID int64, since time.Time) (map[ResetState]int, error)
	// RouteStats sums the outcomes of deliveries updated since t, by route.
	RouteStats(ctx context.Context, tenantID int64, since time.Time) ([]RouteStat, error)
	// ResetBuckets counts the requests of q's window by time bucket and
	// state in one grouped query (charts.go).
	ResetBuckets(ctx context.Context, q BucketQuery) ([]ResetBucket, error)

	// Bulk jobs, tags and last logins (bulk_store.go).
	BulkStore
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

// PersonFilter narrows ListPersonnel. TenantID 0 means all tenants.
type PersonFilter struct {
	TenantID int64
	Query    string // matches name or email (accents and case aside) or phone digits
	Tag      string // only people with this tag
	Limit    int
	Offset   int
}

// ResetFilter narrows ListResets. TenantID 0 means all tenants.
type ResetFilter struct {
	TenantID int64
	State    ResetState
	PersonID int64 // 0: anyone's
	Limit    int
	Offset   int
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
