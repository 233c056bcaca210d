package postgres

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/sqlstore"
)

const resetCols = `id, tenant_id, tenant_slug, email, phone, source, ip, state, reason, person_id,
	temp_hash, expires_at, used_at, created_at, updated_at, link_hash`

// CreateReset implements gateway.Store.
func (s *Store) CreateReset(ctx context.Context, r *gateway.ResetRequest) error {
	insert := `INSERT INTO reset_requests (` + resetCols + `)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	args := []any{r.ID, nullInt(r.TenantID), r.TenantSlug, r.Email, r.Phone, string(r.Source), r.IP, string(r.State),
		r.Reason, nullInt(r.PersonID), r.TempHash, ts(r.ExpiresAt), ts(r.UsedAt), ts(r.CreatedAt), ts(r.UpdatedAt), nullBytes(r.LinkHash)}
	if r.State != gateway.StateReceived || s.channel == "" {
		_, err := s.q.ExecContext(ctx, insert, args...)
		return wrap(err)
	}
	if s.tx != nil {
		if _, err := s.q.ExecContext(ctx, insert, args...); err != nil {
			return wrap(err)
		}
		return s.noteWork(ctx, r.CreatedAt)
	}
	// A request taken in: any instance's worker may resolve it. The
	// insert and the notification go in one round trip.
	return s.batch(ctx, func(b *pgx.Batch) {
		b.Queue(rebind(insert), args...)
		b.Queue(`SELECT pg_notify($1, $2)`, s.channel, s.wakePayload([]int64{roundWake(r.CreatedAt)}))
	}, func(br pgx.BatchResults) error {
		if _, err := br.Exec(); err != nil {
			return wrap(err)
		}
		_, err := br.Exec()
		return wrap(err)
	})
}

// UpdateReset implements gateway.Store.
func (s *Store) UpdateReset(ctx context.Context, r *gateway.ResetRequest) error {
	return s.queue(ctx, `UPDATE reset_requests SET tenant_id=?, state=?, reason=?, person_id=?,
		temp_hash=?, expires_at=?, used_at=?, updated_at=?, link_hash=? WHERE id=?`, execDone(true),
		nullInt(r.TenantID), string(r.State), r.Reason, nullInt(r.PersonID), r.TempHash, ts(r.ExpiresAt),
		ts(r.UsedAt), ts(r.UpdatedAt), nullBytes(r.LinkHash), r.ID)
}

// Reset implements gateway.Store: the request and its deliveries in one
// round trip, or none when the lock just taken read them (resetread.go).
func (s *Store) Reset(ctx context.Context, id string) (*gateway.ResetRequest, error) {
	if s.tx != nil && s.tx.ahead != nil && s.tx.ahead.ID == id {
		r := s.tx.ahead
		s.tx.ahead = nil
		return r, nil
	}
	var r *gateway.ResetRequest
	err := s.batch(ctx, func(b *pgx.Batch) { queueResetRead(b, id) },
		func(br pgx.BatchResults) (err error) { r, err = readReset(br); return err })
	return r, err
}

// ResetByLinkHash implements gateway.Store.
func (s *Store) ResetByLinkHash(ctx context.Context, hash []byte) (*gateway.ResetRequest, error) {
	if len(hash) == 0 {
		return nil, gateway.ErrNotFound
	}
	r, err := scanReset(s.q.QueryRowContext(ctx, `SELECT `+resetCols+` FROM reset_requests WHERE link_hash = ?`, hash))
	if err != nil {
		return nil, err
	}
	r.Deliveries, err = s.deliveries(ctx, `WHERE request_id = ? ORDER BY id`, r.ID)
	return r, err
}

// nullBytes stores an empty hash as NULL, which the unique index skips.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// ResetsInState implements gateway.Store.
func (s *Store) ResetsInState(ctx context.Context, state gateway.ResetState, limit int) ([]*gateway.ResetRequest, error) {
	return s.resets(ctx, `WHERE state = ? ORDER BY created_at, id LIMIT ?`, string(state), limit)
}

// ListResets implements gateway.Store.
func (s *Store) ListResets(ctx context.Context, f gateway.ResetFilter) ([]*gateway.ResetRequest, error) {
	var where []string
	var args []any
	if f.TenantID != 0 {
		where = append(where, "tenant_id = ?")
		args = append(args, f.TenantID)
	}
	if f.State != "" {
		where = append(where, "state = ?")
		args = append(args, string(f.State))
	}
	if f.PersonID != 0 {
		where = append(where, "person_id = ?")
		args = append(args, f.PersonID)
	}
	q := ""
	if len(where) > 0 {
		q = "WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	// A negative offset is the first page, as in the personnel list
	// (PostgreSQL refuses OFFSET -1).
	args = append(args, limit, max(f.Offset, 0))
	out, err := s.resets(ctx, q+` ORDER BY created_at DESC, id LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, err
	}
	for _, r := range out {
		if r.Deliveries, err = s.deliveries(ctx, `WHERE request_id = ? ORDER BY id`, r.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) resets(ctx context.Context, tail string, args ...any) ([]*gateway.ResetRequest, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+resetCols+` FROM reset_requests `+tail, args...)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []*gateway.ResetRequest
	for rows.Next() {
		r, err := scanReset(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, wrap(rows.Err())
}

func scanReset(row scanner) (*gateway.ResetRequest, error) {
	var (
		r                                  gateway.ResetRequest
		tenantID, personID                 sql.NullInt64
		source, state                      string
		expires, used, created, updatedNow int64
	)
	err := row.Scan(&r.ID, &tenantID, &r.TenantSlug, &r.Email, &r.Phone, &source, &r.IP, &state, &r.Reason,
		&personID, &r.TempHash, &expires, &used, &created, &updatedNow, &r.LinkHash)
	if err != nil {
		return nil, wrap(err)
	}
	r.TenantID, r.PersonID = tenantID.Int64, personID.Int64
	r.Source, r.State = gateway.Source(source), gateway.ResetState(state)
	r.ExpiresAt, r.UsedAt, r.CreatedAt, r.UpdatedAt = fromTS(expires), fromTS(used), fromTS(created), fromTS(updatedNow)
	return &r, nil
}

const deliveryCols = `id, request_id, tenant_id, channel, route, recipient, body, body_key, locale, status, attempts,
	next_attempt_at, provider_id, error_code, error_detail, created_at, updated_at, priority, claimed,
	first_attempt_at, route_index, sealed_by, sealed_epoch`

// CreateDelivery implements gateway.Store.
func (s *Store) CreateDelivery(ctx context.Context, d *gateway.Delivery) error {
	err := s.q.QueryRowContext(ctx, `INSERT INTO deliveries (request_id, tenant_id, channel, route, recipient,
		body, body_key, locale, status, attempts, next_attempt_at, provider_id, error_code, error_detail, created_at, updated_at,
		priority, route_index, sealed_by, sealed_epoch) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		nullStr(d.RequestID), d.TenantID, string(d.Channel), string(d.Route), d.To, d.Body, bodyKey(d), d.Locale,
		string(d.Status), d.Attempts, ts(d.NextAttemptAt), d.ProviderID, d.ErrorCode, d.ErrorDetail,
		ts(d.CreatedAt), ts(d.UpdatedAt), priority(d.Priority), d.RouteIndex, sqlstore.SealedBy(d), int64(d.SealedEpoch)).Scan(&d.ID)
	if err != nil || d.Status != gateway.DeliveryPending {
		return wrap(err)
	}
	return s.noteWork(ctx, d.NextAttemptAt)
}

// UpdateDelivery implements gateway.Store. Saving a delivery records its
// outcome, so the claim on it is over. A nil Body wipes the row's body and
// its data key together, whatever d.BodyKey says.
func (s *Store) UpdateDelivery(ctx context.Context, d *gateway.Delivery) error {
	err := s.queue(ctx, `UPDATE deliveries SET body=?, body_key=?, status=?, attempts=?, next_attempt_at=?,
		provider_id=?, error_code=?, error_detail=?, updated_at=?, claimed=0, route=COALESCE(NULLIF(?, ''), route),
		sealed_by=?, sealed_epoch=? WHERE id=?`,
		execDone(true), d.Body, bodyKey(d), string(d.Status), d.Attempts, ts(d.NextAttemptAt), d.ProviderID, d.ErrorCode,
		d.ErrorDetail, ts(d.UpdatedAt), string(d.Route), sqlstore.SealedBy(d), int64(d.SealedEpoch), d.ID)
	if err != nil || d.Status != gateway.DeliveryPending {
		return err
	}
	// A retry: due again at its next attempt.
	return s.noteWork(ctx, d.NextAttemptAt)
}

// bodyKey is the data key column's value: NULL whenever the body is.
func bodyKey(d *gateway.Delivery) any {
	if d.Body == nil || d.BodyKey == nil {
		return nil
	}
	return d.BodyKey
}

// ClaimDeliveries implements gateway.Store. The select locks the rows it
// takes and skips those another instance is claiming at this moment, so
// concurrent claims split the due rows between them instead of queueing on
// one another or sharing one; the lease update commits with the locks. A
// row claimed a moment ago by another instance is no longer due (its lease
// moved next_attempt_at), and PostgreSQL rechecks the condition on the
// newest version of a row it locks.
func (s *Store) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*gateway.Delivery, error) {
	var out []*gateway.Delivery
	err := s.WithTx(ctx, func(st gateway.Store) error {
		tx := st.(*Store)
		var err error
		out, err = tx.deliveries(ctx, `WHERE status = 'pending' AND next_attempt_at <= ? AND `+sqlstore.Claimable+`
			ORDER BY priority DESC, next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED`, ts(now), tx.instance, ts(now), limit)
		if err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		args := []any{ts(leaseUntil), ts(now)}
		for _, d := range out {
			args = append(args, d.ID)
			if d.FirstAttemptAt.IsZero() {
				d.FirstAttemptAt = now
			}
		}
		_, err = tx.q.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = ?, claimed = 1,
			first_attempt_at = CASE WHEN first_attempt_at = 0 THEN ? ELSE first_attempt_at END
			WHERE id IN (`+marks(len(out))+`)`, args...)
		if err != nil {
			return wrap(err)
		}
		// Should this instance die holding them, another takes them
		// over when the lease runs out.
		return tx.noteWork(ctx, leaseUntil)
	})
	return out, err
}

// DeferDelivery implements gateway.Store.
func (s *Store) DeferDelivery(ctx context.Context, id int64, at time.Time, unrecorded bool) error {
	_, err := s.q.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = ?, claimed = ?
		WHERE id = ? AND status = 'pending'`, ts(at), b2i(unrecorded), id)
	if err != nil {
		return wrap(err)
	}
	return s.noteWork(ctx, at)
}

// RenewLeases implements gateway.Store.
func (s *Store) RenewLeases(ctx context.Context, ids []int64, leaseUntil time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{ts(leaseUntil)}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := s.q.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = ?
		WHERE status = 'pending' AND id IN (`+marks(len(ids))+`)`, args...)
	if err != nil {
		return wrap(err)
	}
	return s.noteWork(ctx, leaseUntil)
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// priority stores an unset priority as a reset's: most rows are.
func priority(p gateway.Priority) int {
	if p == 0 {
		return int(gateway.PriorityReset)
	}
	return int(p)
}

// DeliveryByProviderID implements gateway.Store.
func (s *Store) DeliveryByProviderID(ctx context.Context, providerID string) (*gateway.Delivery, error) {
	return s.oneDelivery(ctx, `WHERE provider_id = ? ORDER BY id DESC LIMIT 1`, providerID)
}

// Delivery implements gateway.Store.
func (s *Store) Delivery(ctx context.Context, id int64) (*gateway.Delivery, error) {
	return s.oneDelivery(ctx, `WHERE id = ?`, id)
}

func (s *Store) oneDelivery(ctx context.Context, tail string, args ...any) (*gateway.Delivery, error) {
	ds, err := s.deliveries(ctx, tail, args...)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, gateway.ErrNotFound
	}
	return ds[0], nil
}

func (s *Store) deliveries(ctx context.Context, tail string, args ...any) ([]*gateway.Delivery, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries `+tail, args...)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	return scanDeliveries(rows)
}

// rowsScanner is what *sql.Rows and pgx.Rows have in common.
type rowsScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

func scanDeliveries(rows rowsScanner) ([]*gateway.Delivery, error) {
	var out []*gateway.Delivery
	for rows.Next() {
		var (
			d                      gateway.Delivery
			requestID              sql.NullString
			channel, route, status string
			next, created, updated int64
			prio, claimed          int
			first                  int64
			sealer                 sql.NullString
			epoch                  int64
		)
		if err := rows.Scan(&d.ID, &requestID, &d.TenantID, &channel, &route, &d.To, &d.Body, &d.BodyKey, &d.Locale, &status,
			&d.Attempts, &next, &d.ProviderID, &d.ErrorCode, &d.ErrorDetail, &created, &updated, &prio, &claimed,
			&first, &d.RouteIndex, &sealer, &epoch); err != nil {
			return nil, wrap(err)
		}
		d.Priority, d.Unrecorded, d.FirstAttemptAt = gateway.Priority(prio), claimed == 1, fromTS(first)
		d.RequestID, d.SealedBy, d.SealedEpoch = requestID.String, sealer.String, uint64(epoch)
		d.Channel, d.Route, d.Status = gateway.Channel(channel), gateway.Route(route), gateway.DeliveryStatus(status)
		d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromTS(next), fromTS(created), fromTS(updated)
		out = append(out, &d)
	}
	return out, wrap(rows.Err())
}
