package sqlite

import (
	"context"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// BeatInstance and SealedEpochs come with the shared store (gateway/sqlstore).
var _ gateway.InstanceKeeper = (*Store)(nil)

// LeaveInstance implements gateway.InstanceKeeper.
func (s *Store) LeaveInstance(ctx context.Context, instance string, at time.Time) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM instances WHERE id = ?`, instance)
	return wrap(err)
}
