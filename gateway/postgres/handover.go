package postgres

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
	rows, err := s.q.QueryContext(ctx, `UPDATE deliveries SET handed_attempt = attempts, claimed = 1
		WHERE status = 'pending' AND handed_attempt <> attempts AND (`+pairs+`) RETURNING id`, args...)
	if err != nil {
		return nil, wrap(err)
	}
	return scanIDs(rows)
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

type idRows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}

func scanIDs(rows idRows) ([]int64, error) {
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(err)
		}
		out = append(out, id)
	}
	return out, wrap(rows.Err())
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
	_, err := s.q.ExecContext(ctx, `UPDATE deliveries SET handed_attempt = -1
		WHERE handed_attempt = attempts AND (`+pairs+`)`, args...)
	return wrap(err)
}
