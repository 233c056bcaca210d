package postgres

import (
	"context"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// claimable is the claim's condition on whose keys sealed a row: none of an
// instance's (the master key's envelope), this store's instance, or an
// instance whose liveness row has run out or is gone (it died or shut
// down: its in-memory keys went with it, and the claimer takes the row over
// to regenerate or fail it). Its arguments: the instance, now.
const claimable = `(sealed_by IS NULL OR sealed_by = ? OR NOT EXISTS (SELECT 1 FROM instances i
	WHERE i.id = deliveries.sealed_by AND i.alive_until > ?))`

// sealedBy is the sealed_by column's value: NULL for a body sealed under
// the master key (or wiped).
func sealedBy(d *gateway.Delivery) any {
	if d.Body == nil || d.SealedBy == "" {
		return nil
	}
	return d.SealedBy
}

var _ gateway.InstanceKeeper = (*Store)(nil)

// BeatInstance implements gateway.InstanceKeeper.
func (s *Store) BeatInstance(ctx context.Context, instance string, until time.Time) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO instances (id, alive_until) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET alive_until = excluded.alive_until`, instance, ts(until))
	return wrap(err)
}

// LeaveInstance implements gateway.InstanceKeeper.
func (s *Store) LeaveInstance(ctx context.Context, instance string, at time.Time) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM instances WHERE id = ?`, instance); err != nil {
		return wrap(err)
	}
	// Its rows are the others' now: wake them.
	return s.noteWork(ctx, at)
}

// SealedEpochs implements gateway.InstanceKeeper.
func (s *Store) SealedEpochs(ctx context.Context, instance string) ([]uint64, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT sealed_epoch FROM deliveries WHERE status = 'pending' AND sealed_by = ?
		UNION SELECT sealed_epoch FROM deliveries WHERE status = 'sent' AND body IS NOT NULL AND sealed_by = ?`,
		instance, instance)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var e int64
		if err := rows.Scan(&e); err != nil {
			return nil, wrap(err)
		}
		out = append(out, uint64(e))
	}
	return out, wrap(rows.Err())
}
