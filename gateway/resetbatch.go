package gateway

import "context"

// ResetBatcher is a store that writes several new requests at once:
// CreateResets is CreateReset for each of rs, in order, in fewer
// statements. The accept path's group commit uses it for its batch.
type ResetBatcher interface {
	CreateResets(ctx context.Context, rs []*ResetRequest) error
}

// ResetOnlyReader is a store that reads a request without its outbox
// rows: the resolve reads a received request, which has none, so the
// outbox query that Reset adds is a statement per request for nothing.
// ResetOnly returns what Reset does with Deliveries left nil.
type ResetOnlyReader interface {
	ResetOnly(ctx context.Context, id string) (*ResetRequest, error)
}

// createResets writes rs through the store's batch when it has one.
func createResets(ctx context.Context, st Store, rs []*ResetRequest) error {
	if b, ok := st.(ResetBatcher); ok {
		return b.CreateResets(ctx, rs)
	}
	for _, r := range rs {
		if err := st.CreateReset(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// resetOnly reads request id without its outbox rows when the store can.
func resetOnly(ctx context.Context, st Store, id string) (*ResetRequest, error) {
	if o, ok := st.(ResetOnlyReader); ok {
		return o.ResetOnly(ctx, id)
	}
	return st.Reset(ctx, id)
}
