package sqlite

import (
	"context"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/sqlstore"
)

// MoveDelivery implements gateway.Store. The first attempt's time starts
// again, so that the next claim stamps when the new route was first tried.
func (s *Store) MoveDelivery(ctx context.Context, d *gateway.Delivery) error {
	res, err := s.q.ExecContext(ctx, `UPDATE deliveries SET route=?, route_index=?, recipient=?, body=?, body_key=?,
		next_attempt_at=?, first_attempt_at=0, error_code=?, error_detail=?, updated_at=?, claimed=0,
		sealed_by=?, sealed_epoch=? WHERE id=? AND status='pending'`,
		string(d.Route), d.RouteIndex, d.To, d.Body, bodyKey(d), ts(d.NextAttemptAt), d.ErrorCode, d.ErrorDetail,
		ts(d.UpdatedAt), sqlstore.SealedBy(d), int64(d.SealedEpoch), d.ID)
	return mustAffect(res, err)
}
