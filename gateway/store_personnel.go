package gateway

import (
	"context"
	"time"
)

// PersonnelStore keeps a tenant's people and their phones: who may ask
// for a reset, and where their messages go.
type PersonnelStore interface {
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
	// TagCounts is the tags people of one tenant carry (every tenant's for
	// tenantID 0), by tag, each with how many people carry it.
	TagCounts(ctx context.Context, tenantID int64) ([]TagCount, error)
	// PhoneByNumber finds a number in any tenant.
	PhoneByNumber(ctx context.Context, e164 string) (*Phone, error)
}

// OptOutStore keeps what inbound texts and provider callbacks leave
// behind: the numbers that must not be texted, and the provider message
// ids already handled (so a retried webhook is not acted on twice).
type OptOutStore interface {
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
}

// TagCount is a tag and how many people carry it.
type TagCount struct {
	Tag    string
	People int
}

// MaxTagCounts bounds TagCounts: a filter list longer than this is not
// one an office picks from.
const MaxTagCounts = 500

// PersonFilter narrows ListPersonnel. TenantID 0 means all tenants.
type PersonFilter struct {
	TenantID int64
	Query    string // matches name or email (accents and case aside) or phone digits
	Tag      string // only people with this tag
	Limit    int
	Offset   int
}
