package postgres

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
	rows, err := s.q.QueryContext(ctx, `UPDATE deliveries SET handed_attempt = attempts, claimed = 1
		WHERE status = 'pending' AND handed_attempt <> attempts AND `+pairs+` RETURNING id`, args...)
	if err != nil {
		return nil, wrap(err)
	}
	return sqlstore.ScanIDs(rows, wrap)
}

// UnmarkHandedOver implements gateway.HandOverMarker in one statement.
func (s *Store) UnmarkHandedOver(ctx context.Context, marks []gateway.HandOverMark) error {
	if len(marks) == 0 {
		return nil
	}
	pairs, args := sqlstore.HandOverPairs(marks)
	_, err := s.q.ExecContext(ctx, `UPDATE deliveries SET handed_attempt = -1
		WHERE handed_attempt = attempts AND `+pairs, args...)
	return wrap(err)
}
