package sqlstore

import (
	"context"
	"time"
)

// WipeKeptBodies implements gateway.KeptBodyWiper: the bodies texts kept
// for a late failover, of those sent before sentBefore that still have no
// final report, at most limit of them.
func (s *Store) WipeKeptBodies(ctx context.Context, sentBefore time.Time, limit int) (int, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE deliveries SET body = NULL, body_key = NULL WHERE id IN (
		SELECT id FROM deliveries WHERE status = 'sent' AND body IS NOT NULL AND updated_at <= ?
		ORDER BY updated_at LIMIT ?)`, Nanos(sentBefore), limit)
	if err != nil {
		return 0, s.wrap(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.wrap(err)
	}
	if n > 0 {
		s.d.Wiped()
	}
	return int(n), nil
}
