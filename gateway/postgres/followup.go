package postgres

import (
	"context"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// UnconfirmedDeliveries implements gateway.Store.
func (s *Store) UnconfirmedDeliveries(ctx context.Context, route gateway.Route, sentBefore time.Time, limit int) ([]*gateway.Delivery, error) {
	return s.deliveries(ctx, `WHERE route = ? AND status = 'sent' AND polled_at = 0 AND provider_id <> ''
		AND updated_at <= ? ORDER BY updated_at, id LIMIT ?`, string(route), ts(sentBefore), limit)
}

// MarkDeliveryPolled implements gateway.Store.
func (s *Store) MarkDeliveryPolled(ctx context.Context, id int64, at time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE deliveries SET polled_at = ? WHERE id = ?`, max(ts(at), 1), id)
	return mustAffect(res, err)
}

// DeliveriesToRedact implements gateway.Store: final ones (delivered or
// failed late), and sent ones that were polled (the provider reported
// nothing more), whose body was not yet dealt with; a skipped one comes
// back once a final report arrived.
func (s *Store) DeliveriesToRedact(ctx context.Context, route gateway.Route, limit int) ([]*gateway.Delivery, error) {
	return s.deliveries(ctx, `WHERE route = ? AND provider_id <> '' AND redaction IN ('', 'skipped')
		AND (status IN ('delivered', 'failed_late') OR (status = 'sent' AND polled_at <> 0 AND redaction = ''))
		ORDER BY id LIMIT ?`, string(route), limit)
}

// SetDeliveryRedaction implements gateway.Store.
func (s *Store) SetDeliveryRedaction(ctx context.Context, id int64, r gateway.Redaction) error {
	res, err := s.q.ExecContext(ctx, `UPDATE deliveries SET redaction = ? WHERE id = ?`, string(r), id)
	return mustAffect(res, err)
}
