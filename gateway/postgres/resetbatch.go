package postgres

import (
	"context"

	"github.com/resetgw/resetgw/gateway"
)

// CreateResets implements gateway.ResetBatcher: each request as
// CreateReset writes it (inside a transaction those are queued and sent
// together, with the one wake-up for the workers).
func (s *Store) CreateResets(ctx context.Context, rs []*gateway.ResetRequest) error {
	for _, r := range rs {
		if err := s.CreateReset(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// ResetOnly implements gateway.ResetOnlyReader. Reset reads the outbox
// rows in the same round trip as the request (or has them from the lock
// just taken), so leaving them out would save no trip: it is Reset
// without them.
func (s *Store) ResetOnly(ctx context.Context, id string) (*gateway.ResetRequest, error) {
	r, err := s.Reset(ctx, id)
	if r != nil {
		r.Deliveries = nil
	}
	return r, err
}
