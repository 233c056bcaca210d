package sqlite

import (
	"context"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/sqlstore"
)

// HandedOver comes with the shared store (gateway/sqlstore).
var _ gateway.HandOverMarker = (*Store)(nil)

// MarkHandedOver implements gateway.HandOverMarker in one statement.
func (s *Store) MarkHandedOver(ctx context.Context, marks []gateway.HandOverMark) ([]int64, error) {
	if len(marks) == 0 {
		return nil, nil
	}
	pairs, args := sqlstore.HandOverPairs(marks)
	var out []int64
	// In a transaction, so that it runs on the writer's connection (a
	// query outside one goes to a reader, which would wait for the write
	// lock in SQLite's busy handler).
	err := s.WithTx(ctx, func(st gateway.Store) error {
		rows, err := st.(*Store).q.QueryContext(ctx, `UPDATE deliveries SET handed_attempt = attempts, claimed = 1
			WHERE status = 'pending' AND handed_attempt <> attempts AND `+pairs+` RETURNING id`, args...)
		if err != nil {
			return wrap(err)
		}
		out, err = scanIDs(rows)
		return err
	})
	return out, err
}

// UnmarkHandedOver implements gateway.HandOverMarker in one statement.
func (s *Store) UnmarkHandedOver(ctx context.Context, marks []gateway.HandOverMark) error {
	if len(marks) == 0 {
		return nil
	}
	pairs, args := sqlstore.HandOverPairs(marks)
	// On the writer's connection, as MarkHandedOver.
	return s.WithTx(ctx, func(st gateway.Store) error {
		_, err := st.(*Store).q.ExecContext(ctx, `UPDATE deliveries SET handed_attempt = -1
			WHERE handed_attempt = attempts AND `+pairs, args...)
		return wrap(err)
	})
}
