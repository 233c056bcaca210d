package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

var (
	_ gateway.LanePacer   = (*Store)(nil)
	_ gateway.ResetLocker = (*Store)(nil)
	_ gateway.ManyWriters = (*Store)(nil)
)

// ReserveLaneSlot implements gateway.LanePacer: one statement reads and
// moves the lane's next free slot, so concurrent callers each get their own.
func (s *Store) ReserveLaneSlot(ctx context.Context, lane string, now time.Time, every time.Duration) (time.Time, error) {
	if every < 0 {
		every = 0
	}
	var at int64
	err := s.q.QueryRowContext(ctx, `INSERT INTO lane_slots (lane, next_at) VALUES (?1, ?2 + ?3)
		ON CONFLICT (lane) DO UPDATE SET next_at = max(lane_slots.next_at, ?2) + ?3
		RETURNING next_at - ?3`, lane, now.UnixNano(), int64(every)).Scan(&at)
	if err != nil {
		return time.Time{}, wrap(err)
	}
	return time.Unix(0, at).UTC(), nil
}

// LockReceived implements gateway.ResetLocker. A SQLite transaction holds
// the one writer lock from its start, so reading the state is enough.
func (s *Store) LockReceived(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.q.QueryRowContext(ctx, `SELECT 1 FROM reset_requests WHERE id = ? AND state = ?`, id, string(gateway.StateReceived)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, wrap(err)
}

// ManyWriters implements gateway.ManyWriters.
func (s *Store) ManyWriters() bool { return false }

// LockReset implements gateway.ResetLocker: a SQLite transaction holds the
// one writer lock from its start, which holds every request.
func (s *Store) LockReset(ctx context.Context, id string) error { return nil }
