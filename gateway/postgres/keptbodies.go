package postgres

import (
	"context"
	"time"
)

// WipeKeptBodies implements gateway.KeptBodyWiper.
func (s *Store) WipeKeptBodies(ctx context.Context, sentBefore time.Time, limit int) (int, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE deliveries SET body = NULL, body_key = NULL WHERE id IN (
		SELECT id FROM deliveries WHERE status = 'sent' AND body IS NOT NULL AND updated_at <= ?
		ORDER BY updated_at LIMIT ?)`, ts(sentBefore), limit)
	if err != nil {
		return 0, wrap(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap(err)
	}
	return int(n), nil
}
