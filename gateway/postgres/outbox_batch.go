package postgres

import (
	"context"

	"github.com/resetgw/resetgw/gateway"
)

var _ gateway.DeliveryBatcher = (*Store)(nil)

// CreateDeliveries implements gateway.DeliveryBatcher, one row at a time
// for now: the same rows and ids as CreateDelivery gives them.
func (s *Store) CreateDeliveries(ctx context.Context, ds []*gateway.Delivery) error {
	for _, d := range ds {
		if err := s.CreateDelivery(ctx, d); err != nil {
			return err
		}
	}
	return nil
}
