package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

func hitKey(l gateway.Limit) string { return l.Scope + ":" + l.Key }

func counted(l *gateway.Limit) bool { return l.Max > 0 && l.Window > 0 }

// Hit implements gateway.Store.
func (s *Store) Hit(ctx context.Context, now time.Time, limits []gateway.Limit) (*gateway.Limit, error) {
	var over *gateway.Limit
	err := s.WithTx(ctx, func(st gateway.Store) error {
		tx := st.(*Store)
		for i := range limits {
			l := &limits[i]
			if !counted(l) {
				continue
			}
			var n int
			err := tx.q.QueryRowContext(ctx, `INSERT INTO rate_hits (key, window_start, count, last_at) VALUES (?, ?, 1, ?)
				ON CONFLICT (key, window_start) DO UPDATE SET count = rate_hits.count + 1, last_at = excluded.last_at RETURNING count`,
				hitKey(*l), ts(now.Truncate(l.Window)), ts(now)).Scan(&n)
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

// reserveSQL counts one attempt only if the counter allows it: under Max,
// and past the pause its count asks for. One statement decides and counts,
// so that concurrent attempts cannot all read "under" before any of them
// counts; no row back means refused.
const reserveSQL = `INSERT INTO rate_hits (key, window_start, count, last_at) VALUES ($1, $2, 1, $3)
	ON CONFLICT (key, window_start) DO UPDATE SET count = rate_hits.count + 1, last_at = excluded.last_at
	WHERE rate_hits.count < $4::integer AND ($5::bigint <= 0 OR rate_hits.count < $6::integer OR
		rate_hits.last_at + least($7::bigint, $5::bigint << least(rate_hits.count - $6::integer, 30)) <= excluded.last_at)
	RETURNING count`

// Reserve implements gateway.Store.
func (s *Store) Reserve(ctx context.Context, now time.Time, limits []gateway.Limit) (*gateway.Limit, error) {
	var refused *gateway.Limit
	err := s.WithTx(ctx, func(st gateway.Store) error {
		tx := st.(*Store)
		for i := range limits {
			l := &limits[i]
			if !counted(l) {
				continue
			}
			var n int
			err := tx.q.QueryRowContext(ctx, reserveSQL, hitKey(*l), ts(now.Truncate(l.Window)), ts(now),
				l.Max, int64(l.Delay), l.Free, int64(l.Window)).Scan(&n)
			if errors.Is(err, sql.ErrNoRows) {
				refused = l
				// Give back what the earlier limits took: a refused
				// attempt counts nowhere.
				return tx.release(ctx, now, limits[:i])
			}
			if err != nil {
				return wrap(err)
			}
		}
		return nil
	})
	return refused, err
}

// Release implements gateway.Store.
func (s *Store) Release(ctx context.Context, now time.Time, limits []gateway.Limit) error {
	return s.WithTx(ctx, func(st gateway.Store) error { return st.(*Store).release(ctx, now, limits) })
}

func (s *Store) release(ctx context.Context, now time.Time, limits []gateway.Limit) error {
	for i := range limits {
		l := &limits[i]
		if !counted(l) {
			continue
		}
		_, err := s.q.ExecContext(ctx, `UPDATE rate_hits SET count = count - 1 WHERE key = ? AND window_start = ? AND count > 0`,
			hitKey(*l), ts(now.Truncate(l.Window)))
		if err != nil {
			return wrap(err)
		}
	}
	return nil
}

// Count implements gateway.Store.
func (s *Store) Count(ctx context.Context, now time.Time, l gateway.Limit) (int, error) {
	if l.Window <= 0 {
		return 0, nil
	}
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT coalesce(sum(count), 0) FROM rate_hits WHERE key = ? AND window_start = ?`,
		hitKey(l), ts(now.Truncate(l.Window))).Scan(&n)
	return n, wrap(err)
}

// Over implements gateway.Store.
func (s *Store) Over(ctx context.Context, now time.Time, limits []gateway.Limit) (*gateway.Limit, error) {
	for i := range limits {
		l := &limits[i]
		if !counted(l) {
			continue
		}
		n, err := s.Count(ctx, now, *l)
		if err != nil {
			return nil, err
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

// ClearHitsPrefix implements gateway.Store.
func (s *Store) ClearHitsPrefix(ctx context.Context, scope, keyPrefix string) error {
	p := scope + ":" + keyPrefix
	_, err := s.q.ExecContext(ctx, `DELETE FROM rate_hits WHERE starts_with(key, ?)`, p)
	return wrap(err)
}

// PruneHits implements gateway.Store.
func (s *Store) PruneHits(ctx context.Context, before time.Time) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM rate_hits WHERE window_start < ?`, ts(before))
	return wrap(err)
}
