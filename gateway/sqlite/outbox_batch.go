package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/resetgw/resetgw/gateway"
)

var _ gateway.DeliveryBatcher = (*Store)(nil)

// CreateDeliveries implements gateway.DeliveryBatcher: the outbox rows of
// a reset (its text and its mail) in one insert. Rows of one insert take
// ascending ids in the order of its VALUES (one writer, an INTEGER PRIMARY
// KEY), so the sorted ids are theirs in that order, whatever order
// RETURNING lists them in.
func (s *Store) CreateDeliveries(ctx context.Context, ds []*gateway.Delivery) error {
	for len(ds) > 0 {
		n := min(len(ds), 64) // 18 values a row
		if err := s.insertDeliveries(ctx, ds[:n]); err != nil {
			return err
		}
		ds = ds[n:]
	}
	return nil
}

func (s *Store) insertDeliveries(ctx context.Context, ds []*gateway.Delivery) error {
	args := make([]any, 0, 18*len(ds))
	for _, d := range ds {
		args = append(args, nullStr(d.RequestID), d.TenantID, string(d.Channel), string(d.Route), d.To, d.Body, bodyKey(d),
			d.Locale, string(d.Status), d.Attempts, ts(d.NextAttemptAt), d.ProviderID, d.ErrorCode, d.ErrorDetail,
			ts(d.CreatedAt), ts(d.UpdatedAt), priority(d.Priority), d.RouteIndex)
	}
	rows, err := s.q.QueryContext(ctx, `INSERT INTO deliveries (request_id, tenant_id, channel, route, recipient,
		body, body_key, locale, status, attempts, next_attempt_at, provider_id, error_code, error_detail, created_at, updated_at,
		priority, route_index) VALUES `+strings.TrimSuffix(strings.Repeat(`(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?),`, len(ds)), ",")+
		` RETURNING id`, args...)
	if err != nil {
		return wrap(err)
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return err
	}
	if len(ids) != len(ds) {
		return gateway.Internal(fmt.Errorf("sqlite: %d ids for %d outbox rows", len(ids), len(ds)))
	}
	slices.Sort(ids)
	for i, d := range ds {
		d.ID = ids[i]
	}
	return nil
}
