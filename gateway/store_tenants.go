package gateway

import "context"

// TenantStore keeps the tenants: the field-crew organisations the gateway
// serves, each with its own settings and sender numbers.
type TenantStore interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	UpdateTenant(ctx context.Context, t *Tenant) error
	TenantBySlug(ctx context.Context, slug string) (*Tenant, error)
	TenantByID(ctx context.Context, id int64) (*Tenant, error)
	ListTenants(ctx context.Context) ([]*Tenant, error)
	// TenantByTwilioNumber finds the tenant whose Twilio From is e164.
	TenantByTwilioNumber(ctx context.Context, e164 string) (*Tenant, error)
}

// CarrierStore keeps the mobile carriers (their email-to-SMS gateways)
// that email routes can reach a phone through.
type CarrierStore interface {
	UpsertCarrier(ctx context.Context, c *Carrier) error
	Carrier(ctx context.Context, slug string) (*Carrier, error)
	ListCarriers(ctx context.Context) ([]*Carrier, error)
}
