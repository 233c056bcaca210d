package sqlite

import (
	"context"

	"github.com/resetgw/resetgw/gateway"
)

// PendingDeliveries implements gateway.Store: a scan of the partial index
// deliveries_pending_lane, which holds only pending rows.
func (s *Store) PendingDeliveries(ctx context.Context) ([]gateway.PendingCount, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT route, tenant_id, count(*) FROM deliveries
		INDEXED BY deliveries_pending_lane WHERE status = 'pending' GROUP BY route, tenant_id`)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []gateway.PendingCount
	for rows.Next() {
		var c gateway.PendingCount
		var route string
		if err := rows.Scan(&route, &c.TenantID, &c.N); err != nil {
			return nil, wrap(err)
		}
		c.Route = gateway.Route(route)
		out = append(out, c)
	}
	return out, wrap(rows.Err())
}
