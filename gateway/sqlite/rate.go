package sqlite

import (
	"context"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

func hitKey(l gateway.Limit) string { return l.Scope + ":" + l.Key }

// Hit implements gateway.Store.
func (s *Store) Hit(ctx context.Context, now time.Time, limits []gateway.Limit) (*gateway.Limit, error) {
	var over *gateway.Limit
	err := s.WithTx(ctx, func(st gateway.Store) error {
		tx := st.(*Store)
		for i := range limits {
			l := &limits[i]
			if l.Max <= 0 || l.Window <= 0 {
				continue
			}
			var n int
			err := tx.q.QueryRowContext(ctx, `INSERT INTO rate_hits (key, window_start, count) VALUES (?, ?, 1)
				ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count`,
				hitKey(*l), ts(now.Truncate(l.Window))).Scan(&n)
			if err != nil {
				return wrap(err)
			}
			if n > l.Max && over == nil {
				over = l
			}
		}
		return nil
	})
	return over, err
}

// Over implements gateway.Store.
func (s *Store) Over(ctx context.Context, now time.Time, limits []gateway.Limit) (*gateway.Limit, error) {
	for i := range limits {
		l := &limits[i]
		if l.Max <= 0 || l.Window <= 0 {
			continue
		}
		var n int
		err := s.q.QueryRowContext(ctx, `SELECT coalesce(sum(count), 0) FROM rate_hits WHERE key = ? AND window_start = ?`,
			hitKey(*l), ts(now.Truncate(l.Window))).Scan(&n)
		if err != nil {
			return nil, wrap(err)
		}
		if n >= l.Max {
			return l, nil
		}
	}
	return nil, nil
}

// ClearHits implements gateway.Store.
func (s *Store) ClearHits(ctx context.Context, l gateway.Limit) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM rate_hits WHERE key = ?`, hitKey(l))
	return wrap(err)
}

// PruneHits implements gateway.Store.
func (s *Store) PruneHits(ctx context.Context, before time.Time) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM rate_hits WHERE window_start < ?`, ts(before))
	return wrap(err)
}
