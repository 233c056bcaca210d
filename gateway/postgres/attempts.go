package postgres

import (
	"context"

	"github.com/resetgw/resetgw/gateway"
)

// AddDeliveryAttempt implements gateway.Store.
func (s *Store) AddDeliveryAttempt(ctx context.Context, a gateway.DeliveryAttempt) error {
	return s.queue(ctx, `INSERT INTO delivery_attempts (delivery_id, route, status, provider_id, error, at)
		VALUES (?,?,?,?,?,?)`, execDone(false), a.DeliveryID, string(a.Route), a.Status, a.ProviderID, a.Error, ts(a.At))
}

// DeliveryAttempts implements gateway.Store.
func (s *Store) DeliveryAttempts(ctx context.Context, deliveryID int64) ([]gateway.DeliveryAttempt, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT route, status, provider_id, error, at FROM delivery_attempts
		WHERE delivery_id = ? ORDER BY id LIMIT 100`, deliveryID)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []gateway.DeliveryAttempt
	for rows.Next() {
		a := gateway.DeliveryAttempt{DeliveryID: deliveryID}
		var route string
		var at int64
		if err := rows.Scan(&route, &a.Status, &a.ProviderID, &a.Error, &at); err != nil {
			return nil, wrap(err)
		}
		a.Route, a.At = gateway.Route(route), fromTS(at)
		out = append(out, a)
	}
	return out, wrap(rows.Err())
}
