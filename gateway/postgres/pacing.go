package postgres

import (
	"context"
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
	err := s.q.QueryRowContext(ctx, `INSERT INTO lane_slots (lane, next_at) VALUES ($1, $2::bigint + $3::bigint)
		ON CONFLICT (lane) DO UPDATE SET next_at = greatest(lane_slots.next_at, $2::bigint) + $3::bigint
		RETURNING next_at - $3::bigint`, lane, now.UnixNano(), int64(every)).Scan(&at)
	if err != nil {
		return time.Time{}, wrap(err)
	}
	return time.Unix(0, at).UTC(), nil
}

// LockReceived implements gateway.ResetLocker: the row lock (skipping a
// row another instance holds) lasts until the transaction ends, so two
// instances never resolve the same request. The request is read in the
// same round trip, for the resolve's next call.
func (s *Store) LockReceived(ctx context.Context, id string) (bool, error) {
	if s.takeHeld(id) {
		return true, nil
	}
	return s.lockAndRead(ctx, `SELECT 1 FROM reset_requests WHERE id = $1 AND state = $2 FOR UPDATE SKIP LOCKED`,
		id, string(gateway.StateReceived))
}

// ManyWriters implements gateway.ManyWriters.
func (s *Store) ManyWriters() bool { return true }

// LockReset implements gateway.ResetLocker with a row lock, reading the
// request in the same round trip for the Reset call that follows it.
func (s *Store) LockReset(ctx context.Context, id string) error {
	_, err := s.lockAndRead(ctx, `SELECT 1 FROM reset_requests WHERE id = $1 FOR UPDATE`, id)
	return err
}
