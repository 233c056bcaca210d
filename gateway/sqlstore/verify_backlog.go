package sqlstore

import (
	"context"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// unverifiedWhere: active people of one tenant with an email neither
// proved nor carrying a link that still works (unused, for this address,
// not expired).
const unverifiedWhere = ` WHERE p.tenant_id = ? AND p.status = 'active' AND p.email <> '' AND p.verified_email <> p.email
	AND NOT EXISTS (SELECT 1 FROM email_verifications v WHERE v.person_id = p.id AND v.email = p.email
		AND v.used_at = 0 AND v.expires_at > ?)`

// UnverifiedPeople implements gateway.Store.
func (s *Store) UnverifiedPeople(ctx context.Context, tenantID int64, now time.Time, afterID int64, limit int) ([]*gateway.Person, error) {
	out, err := s.queryPeople(ctx, `SELECT `+PersonCols+` FROM personnel p`+unverifiedWhere+
		` AND p.id > ? ORDER BY p.id LIMIT ?`, tenantID, Nanos(now), afterID, limit)
	return out, err
}

// CountUnverifiedPeople implements gateway.Store.
func (s *Store) CountUnverifiedPeople(ctx context.Context, tenantID int64, now time.Time) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM personnel p`+unverifiedWhere, tenantID, Nanos(now)).Scan(&n)
	return n, s.wrap(err)
}
