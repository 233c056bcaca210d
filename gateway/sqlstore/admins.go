package sqlstore

import (
	"context"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

const adminCols = `id, tenant_id, email, password_hash, disabled, last_login_at, created_at, updated_at, must_change`

// CreateAdmin implements gateway.Store.
func (s *Store) CreateAdmin(ctx context.Context, a *gateway.Admin) error {
	id, err := s.d.Insert(ctx, `INSERT INTO admins (tenant_id, email, password_hash, disabled,
		last_login_at, created_at, updated_at, must_change) VALUES (?,?,?,?,?,?,?,?)`,
		a.TenantID, a.Email, a.PasswordHash, b2i(a.Disabled), Nanos(a.LastLoginAt), Nanos(a.CreatedAt), Nanos(a.UpdatedAt), b2i(a.MustChange))
	if err != nil {
		return s.conflict(err, "admin_exists", "an admin with this email exists already")
	}
	a.ID = id
	return nil
}

// UpdateAdmin implements gateway.Store.
func (s *Store) UpdateAdmin(ctx context.Context, a *gateway.Admin) error {
	res, err := s.q.ExecContext(ctx, `UPDATE admins SET password_hash=?, disabled=?, last_login_at=?,
		updated_at=?, must_change=? WHERE id=?`, a.PasswordHash, b2i(a.Disabled), Nanos(a.LastLoginAt), Nanos(a.UpdatedAt),
		b2i(a.MustChange), a.ID)
	return s.mustAffect(res, err)
}

// AdminByEmail implements gateway.Store.
func (s *Store) AdminByEmail(ctx context.Context, email string) (*gateway.Admin, error) {
	return s.scanAdmin(s.q.QueryRowContext(ctx, `SELECT `+adminCols+` FROM admins WHERE email = ?`, email))
}

// AdminByID implements gateway.Store.
func (s *Store) AdminByID(ctx context.Context, id int64) (*gateway.Admin, error) {
	return s.scanAdmin(s.q.QueryRowContext(ctx, `SELECT `+adminCols+` FROM admins WHERE id = ?`, id))
}

// ListAdmins implements gateway.Store.
func (s *Store) ListAdmins(ctx context.Context) ([]*gateway.Admin, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+adminCols+` FROM admins ORDER BY tenant_id, email`)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*gateway.Admin
	for rows.Next() {
		a, err := s.scanAdmin(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, s.wrap(rows.Err())
}

func (s *Store) scanAdmin(row Scanner) (*gateway.Admin, error) {
	var (
		a                        gateway.Admin
		disabled, mustChange     int
		last, created, updatedAt int64
	)
	if err := row.Scan(&a.ID, &a.TenantID, &a.Email, &a.PasswordHash, &disabled, &last, &created, &updatedAt, &mustChange); err != nil {
		return nil, s.wrap(err)
	}
	a.Disabled, a.MustChange = disabled == 1, mustChange == 1
	a.LastLoginAt, a.CreatedAt, a.UpdatedAt = FromNanos(last), FromNanos(created), FromNanos(updatedAt)
	return &a, nil
}

// CreateAdminSession implements gateway.Store.
func (s *Store) CreateAdminSession(ctx context.Context, as *gateway.AdminSession) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO admin_sessions (hash, admin_id, ip, created_at, seen_at, expires_at)
		VALUES (?,?,?,?,?,?)`, as.Hash, as.AdminID, as.IP, Nanos(as.CreatedAt), Nanos(as.SeenAt), Nanos(as.ExpiresAt))
	return s.wrap(err)
}

// AdminSession implements gateway.Store.
func (s *Store) AdminSession(ctx context.Context, hash []byte) (*gateway.AdminSession, error) {
	var (
		as                     gateway.AdminSession
		created, seen, expires int64
	)
	err := s.q.QueryRowContext(ctx, `SELECT hash, admin_id, ip, created_at, seen_at, expires_at
		FROM admin_sessions WHERE hash = ?`, hash).Scan(&as.Hash, &as.AdminID, &as.IP, &created, &seen, &expires)
	if err != nil {
		return nil, s.wrap(err)
	}
	as.CreatedAt, as.SeenAt, as.ExpiresAt = FromNanos(created), FromNanos(seen), FromNanos(expires)
	return &as, nil
}

// TouchAdminSession implements gateway.Store.
func (s *Store) TouchAdminSession(ctx context.Context, hash []byte, seen time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE admin_sessions SET seen_at = ? WHERE hash = ?`, Nanos(seen), hash)
	return s.mustAffect(res, err)
}

// DeleteAdminSession implements gateway.Store.
func (s *Store) DeleteAdminSession(ctx context.Context, hash []byte) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM admin_sessions WHERE hash = ?`, hash)
	return s.mustAffect(res, err)
}

// DeleteAdminSessions implements gateway.Store.
func (s *Store) DeleteAdminSessions(ctx context.Context, adminID int64) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM admin_sessions WHERE admin_id = ?`, adminID)
	return s.wrap(err)
}

// PruneAdminSessions implements gateway.Store: it drops sessions past
// their lifetime or idle too long.
func (s *Store) PruneAdminSessions(ctx context.Context, now time.Time) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM admin_sessions WHERE expires_at <= ? OR seen_at <= ?`,
		Nanos(now), Nanos(now.Add(-gateway.SessionIdle)))
	return s.wrap(err)
}

// CountResets implements gateway.Store.
func (s *Store) CountResets(ctx context.Context, tenantID int64, since time.Time) (map[gateway.ResetState]int, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT state, count(*) FROM reset_requests
		WHERE created_at >= ? AND (CAST(? AS BIGINT) = 0 OR tenant_id = ?) GROUP BY state`, Nanos(since), tenantID, tenantID)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := map[gateway.ResetState]int{}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, s.wrap(err)
		}
		out[gateway.ResetState(state)] = n
	}
	return out, s.wrap(rows.Err())
}

// RouteStats implements gateway.Store.
func (s *Store) RouteStats(ctx context.Context, tenantID int64, since time.Time) ([]gateway.RouteStat, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT route,
		count(*) FILTER (WHERE status IN ('sent', 'delivered')),
		count(*) FILTER (WHERE status IN ('failed', 'failed_late')),
		count(*) FILTER (WHERE status = 'pending' AND attempts > 0),
		max(CASE WHEN status IN ('sent', 'delivered') THEN updated_at ELSE 0 END),
		max(CASE WHEN status IN ('failed', 'failed_late') OR (status = 'pending' AND attempts > 0) THEN updated_at ELSE 0 END)
		FROM deliveries WHERE updated_at >= ? AND (CAST(? AS BIGINT) = 0 OR tenant_id = ?) GROUP BY route ORDER BY route`,
		Nanos(since), tenantID, tenantID)
	if err != nil {
		return nil, s.wrap(err)
	}
	var out []gateway.RouteStat
	for rows.Next() {
		var r gateway.RouteStat
		var route string
		var sent, failed int64
		if err := rows.Scan(&route, &r.Sent, &r.Failed, &r.Retrying, &sent, &failed); err != nil {
			rows.Close()
			return nil, s.wrap(err)
		}
		r.Route, r.LastSentAt, r.LastErrorAt = gateway.Route(route), FromNanos(sent), FromNanos(failed)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err)
	}
	for i := range out {
		if out[i].LastErrorAt.IsZero() {
			continue
		}
		var code, detail string
		err := s.q.QueryRowContext(ctx, `SELECT error_code, error_detail FROM deliveries
			WHERE route = ? AND updated_at >= ? AND (CAST(? AS BIGINT) = 0 OR tenant_id = ?) AND error_code <> ''
			AND status IN ('failed', 'failed_late', 'pending') ORDER BY updated_at DESC, id DESC LIMIT 1`,
			string(out[i].Route), Nanos(since), tenantID, tenantID).Scan(&code, &detail)
		if err != nil && !gateway.IsNotFound(s.wrap(err)) {
			return nil, s.wrap(err)
		}
		out[i].LastError = code + " " + detail
	}
	return out, nil
}
