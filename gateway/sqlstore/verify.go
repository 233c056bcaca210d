package sqlstore

import (
	"context"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// SaveEmailVerification implements gateway.Store.
func (s *Store) SaveEmailVerification(ctx context.Context, v *gateway.EmailVerification) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO email_verifications (person_id, tenant_id, email, token_hash,
		created_at, expires_at, used_at) VALUES (?,?,?,?,?,?,0)
		ON CONFLICT (person_id) DO UPDATE SET tenant_id=excluded.tenant_id, email=excluded.email,
		token_hash=excluded.token_hash, created_at=excluded.created_at, expires_at=excluded.expires_at, used_at=0`,
		v.PersonID, v.TenantID, v.Email, v.TokenHash, Nanos(v.CreatedAt), Nanos(v.ExpiresAt))
	return s.wrap(err)
}

// EmailVerificationByHash implements gateway.Store.
func (s *Store) EmailVerificationByHash(ctx context.Context, hash []byte) (*gateway.EmailVerification, error) {
	var (
		v                      gateway.EmailVerification
		created, expires, used int64
	)
	err := s.q.QueryRowContext(ctx, `SELECT person_id, tenant_id, email, token_hash, created_at, expires_at, used_at
		FROM email_verifications WHERE token_hash = ?`, hash).
		Scan(&v.PersonID, &v.TenantID, &v.Email, &v.TokenHash, &created, &expires, &used)
	if err != nil {
		return nil, s.wrap(err)
	}
	v.CreatedAt, v.ExpiresAt, v.UsedAt = FromNanos(created), FromNanos(expires), FromNanos(used)
	return &v, nil
}

// UseEmailVerification implements gateway.Store.
func (s *Store) UseEmailVerification(ctx context.Context, v *gateway.EmailVerification, at time.Time) error {
	return s.withTx(ctx, func(tx *Store) error {
		res, err := tx.q.ExecContext(ctx, `UPDATE email_verifications SET used_at=?
			WHERE person_id=? AND tenant_id=? AND token_hash=? AND email=? AND used_at=0`,
			Nanos(at), v.PersonID, v.TenantID, v.TokenHash, v.Email)
		if err := s.mustAffect(res, err); err != nil {
			return err
		}
		res, err = tx.q.ExecContext(ctx, `UPDATE personnel SET verified_email=?, email_verified_at=?
			WHERE id=? AND tenant_id=? AND email=?`, v.Email, Nanos(at), v.PersonID, v.TenantID, v.Email)
		return s.mustAffect(res, err)
	})
}

// ClearEmailVerified implements gateway.Store.
func (s *Store) ClearEmailVerified(ctx context.Context, tenantID, personID int64) error {
	return s.withTx(ctx, func(tx *Store) error {
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM email_verifications WHERE person_id=? AND tenant_id=?`,
			personID, tenantID); err != nil {
			return s.wrap(err)
		}
		_, err := tx.q.ExecContext(ctx, `UPDATE personnel SET verified_email='', email_verified_at=0
			WHERE id=? AND tenant_id=?`, personID, tenantID)
		return s.wrap(err)
	})
}

// PasswordRemindersDue implements gateway.Store.
func (s *Store) PasswordRemindersDue(ctx context.Context, tenantID int64, setAfter, setBefore time.Time, limit int) ([]*gateway.Person, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	out, err := s.queryPeople(ctx, `SELECT `+PersonCols+` FROM personnel
		WHERE tenant_id=? AND status='active' AND mobile_access=1 AND password_hash<>''
		AND password_set_at>? AND password_set_at<=? AND password_reminded_for<>password_set_at
		ORDER BY password_set_at, id LIMIT ?`, tenantID, Nanos(setAfter), Nanos(setBefore), limit)
	if err != nil {
		return nil, err
	}
	return out, s.loadPhones(ctx, out)
}

// ClaimPasswordReminder implements gateway.Store.
func (s *Store) ClaimPasswordReminder(ctx context.Context, tenantID, personID int64, setAt time.Time) (bool, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE personnel SET password_reminded_for=password_set_at
		WHERE id=? AND tenant_id=? AND password_set_at=? AND password_reminded_for<>password_set_at`,
		personID, tenantID, Nanos(setAt))
	if err != nil {
		return false, s.wrap(err)
	}
	n, err := res.RowsAffected()
	return n == 1, s.wrap(err)
}
