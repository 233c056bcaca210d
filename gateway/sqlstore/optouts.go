package sqlstore

import (
	"context"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// PhoneOptedOut is the SQL for "this phone said STOP to its tenant on any
// channel", for the personnel pages: a boolean on PostgreSQL, 0 or 1 on
// SQLite (database/sql scans either into a bool).
const PhoneOptedOut = `EXISTS (SELECT 1 FROM opt_outs o WHERE o.number = ph.number AND o.tenant_id IN (ph.tenant_id, 0))`

// SetOptOut implements gateway.Store.
func (s *Store) SetOptOut(ctx context.Context, o gateway.OptOut) error {
	if o.Channel == "" || o.Number == "" {
		return gateway.Errorf(gateway.KindInvalid, "opt_out_invalid", "an opt-out names a channel and a number")
	}
	at := o.At
	if at.IsZero() {
		at = time.Now()
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO opt_outs (tenant_id, channel, number, source, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, channel, number) DO NOTHING`,
		o.TenantID, o.Channel, o.Number, string(o.Source), Nanos(at))
	return s.wrap(err)
}

// ClearOptOut implements gateway.Store.
func (s *Store) ClearOptOut(ctx context.Context, tenantID int64, channel, e164 string) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM opt_outs WHERE number = ? AND
		((tenant_id = ? AND channel IN (?, '*')) OR (tenant_id = 0 AND channel = '*'))`, e164, tenantID, channel)
	return s.wrap(err)
}

// OptedOut implements gateway.Store.
func (s *Store) OptedOut(ctx context.Context, tenantID int64, channel, e164 string) (bool, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM opt_outs WHERE number = ? AND tenant_id IN (?, 0)
		AND channel IN (?, '*')`, e164, tenantID, channel).Scan(&n)
	return n > 0, s.wrap(err)
}

// SeenMessage implements gateway.Store. Ids older than keep are dropped
// on the way, so the table holds one period's ids at most.
func (s *Store) SeenMessage(ctx context.Context, scope, id string, now time.Time, keep time.Duration) (bool, error) {
	seen := false
	err := s.withTx(ctx, func(tx *Store) error {
		cutoff := Nanos(now.Add(-keep))
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM seen_messages WHERE seen_at <= ?`, cutoff); err != nil {
			return s.wrap(err)
		}
		res, err := tx.q.ExecContext(ctx, `INSERT INTO seen_messages (scope, id, seen_at) VALUES (?, ?, ?)
			ON CONFLICT (scope, id) DO NOTHING`, scope, id, Nanos(now))
		if err != nil {
			return s.wrap(err)
		}
		n, err := res.RowsAffected()
		seen = n == 0
		return s.wrap(err)
	})
	return seen, err
}

// OptOutsOf lists every opt-out of a number, in any tenant, oldest first:
// for the operator's tools and for tests.
func (s *Store) OptOutsOf(ctx context.Context, e164 string) ([]gateway.OptOut, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT tenant_id, channel, number, source, created_at FROM opt_outs
		WHERE number = ? ORDER BY created_at, tenant_id, channel`, e164)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []gateway.OptOut
	for rows.Next() {
		var (
			o      gateway.OptOut
			source string
			at     int64
		)
		if err := rows.Scan(&o.TenantID, &o.Channel, &o.Number, &source, &at); err != nil {
			return nil, s.wrap(err)
		}
		o.Source, o.At = gateway.OptOutSource(source), FromNanos(at)
		out = append(out, o)
	}
	return out, s.wrap(rows.Err())
}
