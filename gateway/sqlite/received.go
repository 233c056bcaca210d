package sqlite

import (
	"context"
	"strings"

	"github.com/resetgw/resetgw/gateway"
)

var _ gateway.ReceivedTaker = (*Store)(nil)

// FreeReceived implements gateway.ReceivedTaker. A SQLite transaction
// holds the one writer from its start, so no other holds a request while
// this reads: every received request is free.
func (s *Store) FreeReceived(ctx context.Context, limit int) ([]*gateway.ResetRequest, error) {
	return s.ResetsInState(ctx, gateway.StateReceived, limit)
}

// LockReceivedAll implements gateway.ReceivedTaker: the transaction holds
// every request already, so it says which of ids are still received.
func (s *Store) LockReceivedAll(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{string(gateway.StateReceived)}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.q.QueryContext(ctx, `SELECT id FROM reset_requests WHERE state = ? AND id IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`, args...)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	received := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(err)
		}
		received[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	var out []string
	for _, id := range ids {
		if received[id] {
			out = append(out, id)
		}
	}
	return out, nil
}
