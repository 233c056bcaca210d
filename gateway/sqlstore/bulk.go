package sqlstore

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// SetLastLogin implements gateway.Store.
func (s *Store) SetLastLogin(ctx context.Context, personID int64, at time.Time) error {
	_, err := s.q.ExecContext(ctx, `UPDATE personnel SET last_login_at = ? WHERE id = ?`, Nanos(at), personID)
	return s.wrap(err)
}

// BulkTargets implements gateway.Store.
func (s *Store) BulkTargets(ctx context.Context, q gateway.TargetQuery, limit int) ([]gateway.BulkTarget, error) {
	query := `SELECT p.id, p.name, p.email, p.status, p.mobile_access, p.last_login_at FROM personnel p
		WHERE p.tenant_id = ?`
	args := []any{q.TenantID}
	if q.Status != "" {
		query += ` AND p.status = ?`
		args = append(args, string(q.Status))
	}
	if q.Tag != "" {
		query += ` AND EXISTS (SELECT 1 FROM person_tags t WHERE t.person_id = p.id AND t.tag = ?)`
		args = append(args, q.Tag)
	}
	if !q.LoginBefore.IsZero() {
		query += ` AND p.last_login_at < ?`
		args = append(args, Nanos(q.LoginBefore))
	}
	query += ` ORDER BY p.id LIMIT ?`
	args = append(args, limit)
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []gateway.BulkTarget
	for rows.Next() {
		var t gateway.BulkTarget
		var status string
		var mobile int
		var at int64
		if err := rows.Scan(&t.ID, &t.Name, &t.Email, &status, &mobile, &at); err != nil {
			return nil, s.wrap(err)
		}
		t.Status, t.MobileAccess = gateway.PersonStatus(status), mobile == 1
		if at != 0 {
			t.LastLoginAt = FromNanos(at)
		}
		out = append(out, t)
	}
	return out, s.wrap(rows.Err())
}

// CreateBulkJob implements gateway.Store.
func (s *Store) CreateBulkJob(ctx context.Context, j *gateway.BulkJob, personIDs []int64) error {
	filter, err := json.Marshal(j.Filter)
	if err != nil {
		return s.wrap(err)
	}
	return s.withTx(ctx, func(tx *Store) error {
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO bulk_jobs (id, tenant_id, action, filter, state, total,
			actor_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)`, j.ID, j.TenantID, string(j.Action),
			string(filter), string(j.State), j.Total, j.ActorID, Nanos(j.CreatedAt), Nanos(j.UpdatedAt)); err != nil {
			return s.wrap(err)
		}
		// Many rows to a statement: a crew of thousands is one commit.
		const per = 400
		for start := 0; start < len(personIDs); start += per {
			chunk := personIDs[start:min(start+per, len(personIDs))]
			marks := make([]string, len(chunk))
			args := make([]any, 0, 3*len(chunk))
			for i, id := range chunk {
				marks[i] = "(?,?,?,'waiting')"
				args = append(args, j.ID, start+i, id)
			}
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO bulk_items (job_id, seq, person_id, state) VALUES `+
				strings.Join(marks, ","), args...); err != nil {
				return s.wrap(err)
			}
		}
		return nil
	})
}

const bulkJobCols = `id, tenant_id, action, filter, state, total, actor_id, created_at, updated_at`

func (s *Store) scanBulkJob(row Scanner) (*gateway.BulkJob, error) {
	var j gateway.BulkJob
	var action, filter, state string
	var created, updated int64
	if err := row.Scan(&j.ID, &j.TenantID, &action, &filter, &state, &j.Total, &j.ActorID, &created, &updated); err != nil {
		return nil, s.wrap(err)
	}
	j.Action, j.State = gateway.BulkAction(action), gateway.BulkState(state)
	j.CreatedAt, j.UpdatedAt = FromNanos(created), FromNanos(updated)
	if err := json.Unmarshal([]byte(filter), &j.Filter); err != nil {
		return nil, s.wrap(err)
	}
	return &j, nil
}

// BulkJob implements gateway.Store.
func (s *Store) BulkJob(ctx context.Context, id string) (*gateway.BulkJob, error) {
	return s.scanBulkJob(s.q.QueryRowContext(ctx, `SELECT `+bulkJobCols+` FROM bulk_jobs WHERE id = ?`, id))
}

// ListBulkJobs implements gateway.Store.
func (s *Store) ListBulkJobs(ctx context.Context, tenantID int64, state gateway.BulkState, limit int) ([]*gateway.BulkJob, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+bulkJobCols+` FROM bulk_jobs
		WHERE (CAST(? AS BIGINT) = 0 OR tenant_id = ?) AND (CAST(? AS TEXT) = '' OR state = ?) ORDER BY created_at DESC, id DESC LIMIT ?`,
		tenantID, tenantID, string(state), string(state), limit)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*gateway.BulkJob
	for rows.Next() {
		j, err := s.scanBulkJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, s.wrap(rows.Err())
}

// SetBulkJobState implements gateway.Store.
func (s *Store) SetBulkJobState(ctx context.Context, id string, from, to gateway.BulkState, at time.Time) (bool, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE bulk_jobs SET state = ?, updated_at = ? WHERE id = ? AND state = ?`,
		string(to), Nanos(at), id, string(from))
	if err != nil {
		return false, s.wrap(err)
	}
	n, err := res.RowsAffected()
	return n == 1, s.wrap(err)
}

// BulkItems implements gateway.Store.
func (s *Store) BulkItems(ctx context.Context, jobID string, state gateway.BulkItemState, limit int) ([]gateway.BulkItem, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT job_id, seq, person_id, state, request_id FROM bulk_items
		WHERE job_id = ? AND state = ? ORDER BY seq LIMIT ?`, jobID, string(state), limit)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []gateway.BulkItem
	for rows.Next() {
		var it gateway.BulkItem
		var st string
		if err := rows.Scan(&it.JobID, &it.Seq, &it.PersonID, &st, &it.RequestID); err != nil {
			return nil, s.wrap(err)
		}
		it.State = gateway.BulkItemState(st)
		out = append(out, it)
	}
	return out, s.wrap(rows.Err())
}

// MoveBulkItem implements gateway.Store.
func (s *Store) MoveBulkItem(ctx context.Context, it gateway.BulkItem, from gateway.BulkItemState) (bool, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE bulk_items SET state = ?, request_id = ? WHERE job_id = ? AND seq = ? AND state = ?`,
		string(it.State), it.RequestID, it.JobID, it.Seq, string(from))
	if err != nil {
		return false, s.wrap(err)
	}
	n, err := res.RowsAffected()
	return n == 1, s.wrap(err)
}

// BulkCounts implements gateway.Store.
func (s *Store) BulkCounts(ctx context.Context, jobID string) (gateway.BulkCounts, error) {
	c := gateway.BulkCounts{Pending: map[gateway.Route]int{}}
	rows, err := s.q.QueryContext(ctx, `SELECT i.state, COALESCE(r.state, ''),
		EXISTS (SELECT 1 FROM deliveries d WHERE d.request_id = i.request_id AND d.status IN ('sent', 'delivered')),
		EXISTS (SELECT 1 FROM deliveries d WHERE d.request_id = i.request_id AND d.status = 'delivered'),
		COUNT(*)
		FROM bulk_items i LEFT JOIN reset_requests r ON r.id = i.request_id AND i.request_id <> ''
		WHERE i.job_id = ? GROUP BY 1, 2, 3, 4`, jobID)
	if err != nil {
		return c, s.wrap(err)
	}
	for rows.Next() {
		var item, req string
		var sent, delivered bool // EXISTS: a boolean on PostgreSQL, 0 or 1 on SQLite
		var n int
		if err := rows.Scan(&item, &req, &sent, &delivered, &n); err != nil {
			rows.Close()
			return c, s.wrap(err)
		}
		gateway.CountBulkItem(&c, gateway.BulkItemState(item), gateway.ResetState(req), sent, delivered, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, s.wrap(err)
	}
	rows, err = s.q.QueryContext(ctx, `SELECT d.route, COUNT(*) FROM bulk_items i
		JOIN deliveries d ON d.request_id = i.request_id
		WHERE i.job_id = ? AND i.state = 'queued' AND d.status = 'pending' GROUP BY d.route`, jobID)
	if err != nil {
		return c, s.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var route string
		var n int
		if err := rows.Scan(&route, &n); err != nil {
			return c, s.wrap(err)
		}
		c.Pending[gateway.Route(route)] = n
	}
	return c, s.wrap(rows.Err())
}

// ReceivedBulkResets implements gateway.Store.
func (s *Store) ReceivedBulkResets(ctx context.Context) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM reset_requests WHERE state = 'received' AND source = 'bulk'`).Scan(&n)
	return n, s.wrap(err)
}
