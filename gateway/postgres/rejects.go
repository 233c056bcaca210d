package postgres

import (
	"context"

	"github.com/resetgw/resetgw/gateway"
)

// RecordReject implements gateway.Store.
func (s *Store) RecordReject(ctx context.Context, g *gateway.RejectGroup) error {
	var first int64
	err := s.q.QueryRowContext(ctx, `INSERT INTO reset_rejects (key, window_start, reason, ip, count, first_at, last_at)
		VALUES (?, ?, ?, ?, 1, ?, ?)
		ON CONFLICT (key, window_start) DO UPDATE SET count = reset_rejects.count + 1, last_at = excluded.last_at
		RETURNING id, count, first_at`,
		g.Key, ts(g.WindowStart), g.Reason, g.IP, ts(g.LastAt), ts(g.LastAt)).Scan(&g.ID, &g.Count, &first)
	if err != nil {
		return wrap(err)
	}
	g.FirstAt = fromTS(first)
	return nil
}

// RejectGroup implements gateway.Store.
func (s *Store) RejectGroup(ctx context.Context, id int64) (*gateway.RejectGroup, error) {
	var (
		g                   gateway.RejectGroup
		window, first, last int64
	)
	err := s.q.QueryRowContext(ctx, `SELECT id, key, window_start, reason, ip, count, first_at, last_at
		FROM reset_rejects WHERE id = ?`, id).Scan(&g.ID, &g.Key, &window, &g.Reason, &g.IP, &g.Count, &first, &last)
	if err != nil {
		return nil, wrap(err)
	}
	g.WindowStart, g.FirstAt, g.LastAt = fromTS(window), fromTS(first), fromTS(last)
	return &g, nil
}
