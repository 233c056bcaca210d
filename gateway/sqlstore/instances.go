package sqlstore

import (
	"context"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// Claimable is a claim's condition on whose keys sealed a row: none of an
// instance's (the master key's envelope), this store's instance, or an
// instance whose liveness row has run out or is gone (it died or shut
// down: its in-memory keys went with it, and the claimer takes the row over
// to regenerate or fail it). Its arguments: the instance, now.
const Claimable = `(sealed_by IS NULL OR sealed_by = ? OR NOT EXISTS (SELECT 1 FROM instances i
	WHERE i.id = deliveries.sealed_by AND i.alive_until > ?))`

// SealedBy is the sealed_by column's value: NULL for a body sealed under
// the master key (or wiped).
func SealedBy(d *gateway.Delivery) any {
	if d.Body == nil || d.SealedBy == "" {
		return nil
	}
	return d.SealedBy
}

// BeatInstance implements gateway.InstanceKeeper.
func (s *Store) BeatInstance(ctx context.Context, instance string, until time.Time) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO instances (id, alive_until) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET alive_until = excluded.alive_until`, instance, Nanos(until))
	return s.wrap(err)
}

// SealedEpochs implements gateway.InstanceKeeper.
func (s *Store) SealedEpochs(ctx context.Context, instance string) ([]uint64, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT sealed_epoch FROM deliveries WHERE status = 'pending' AND sealed_by = ?
		UNION SELECT sealed_epoch FROM deliveries WHERE status = 'sent' AND body IS NOT NULL AND sealed_by = ?`,
		instance, instance)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var e int64
		if err := rows.Scan(&e); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, uint64(e))
	}
	return out, s.wrap(rows.Err())
}
