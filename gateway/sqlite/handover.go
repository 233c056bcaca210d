package sqlite

import (
	"context"
	"strings"

	"github.com/resetgw/resetgw/gateway"
)

var _ gateway.HandOverMarker = (*Store)(nil)

// MarkHandedOver implements gateway.HandOverMarker in one statement.
func (s *Store) MarkHandedOver(ctx context.Context, marks []gateway.HandOverMark) ([]int64, error) {
	if len(marks) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 2*len(marks))
	for _, m := range marks {
		args = append(args, m.DeliveryID, m.Attempt)
	}
	pairs := strings.TrimSuffix(strings.Repeat("(id = ? AND attempts = ?) OR ", len(marks)), " OR ")
	var out []int64
	// In a transaction, so that it runs on the writer's connection (a
	// query outside one goes to a reader, which would wait for the write
	// lock in SQLite's busy handler).
	err := s.WithTx(ctx, func(st gateway.Store) error {
		rows, err := st.(*Store).q.QueryContext(ctx, `UPDATE deliveries SET handed_attempt = attempts, claimed = 1
			WHERE status = 'pending' AND handed_attempt <> attempts AND (`+pairs+`) RETURNING id`, args...)
		if err != nil {
			return wrap(err)
		}
		out, err = scanIDs(rows)
		return err
	})
	return out, err
}

// HandedOver implements gateway.HandOverMarker.
func (s *Store) HandedOver(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.q.QueryContext(ctx, `SELECT id FROM deliveries WHERE handed_attempt = attempts AND id IN (`+marks(len(ids))+`)`, args...)
	if err != nil {
		return nil, wrap(err)
	}
	return scanIDs(rows)
}

// UnmarkHandedOver implements gateway.HandOverMarker in one statement.
func (s *Store) UnmarkHandedOver(ctx context.Context, marks []gateway.HandOverMark) error {
	if len(marks) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(marks))
	for _, m := range marks {
		args = append(args, m.DeliveryID, m.Attempt)
	}
	pairs := strings.TrimSuffix(strings.Repeat("(id = ? AND attempts = ?) OR ", len(marks)), " OR ")
	// On the writer's connection, as MarkHandedOver.
	return s.WithTx(ctx, func(st gateway.Store) error {
		_, err := st.(*Store).q.ExecContext(ctx, `UPDATE deliveries SET handed_attempt = -1
			WHERE handed_attempt = attempts AND (`+pairs+`)`, args...)
		return wrap(err)
	})
}
