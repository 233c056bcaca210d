package gateway

import "context"

// DeliveryBatcher is a store that writes several outbox rows at once:
// CreateDeliveries is CreateDelivery for each of ds, in order (ids
// ascending in that order), in fewer statements. Both stores implement it.
type DeliveryBatcher interface {
	CreateDeliveries(ctx context.Context, ds []*Delivery) error
}

// createDeliveries writes ds through the store's batch when it has one.
func createDeliveries(ctx context.Context, st Store, ds []*Delivery) error {
	if b, ok := st.(DeliveryBatcher); ok {
		return b.CreateDeliveries(ctx, ds)
	}
	for _, d := range ds {
		if err := st.CreateDelivery(ctx, d); err != nil {
			return err
		}
	}
	return nil
}
