package sqlstore

import (
	"context"

	"github.com/resetgw/resetgw/gateway"
)

// ResetBuckets implements gateway.Store: the database groups the rows, so
// a chart of a week costs one query whatever the traffic.
func (s *Store) ResetBuckets(ctx context.Context, q gateway.BucketQuery) ([]gateway.ResetBucket, error) {
	if q.Buckets <= 0 || q.Width <= 0 {
		return nil, nil
	}
	since, width := Nanos(q.Since), int64(q.Width)
	rows, err := s.q.QueryContext(ctx, `SELECT (created_at - CAST(? AS BIGINT)) / CAST(? AS BIGINT) AS b, state, count(*) FROM reset_requests
		WHERE created_at >= ? AND created_at < ? AND (CAST(? AS BIGINT) = 0 OR tenant_id = ?) AND (CAST(? AS BIGINT) = 0 OR person_id = ?)
		GROUP BY b, state ORDER BY b, state`,
		since, width, since, since+width*int64(q.Buckets), q.TenantID, q.TenantID, q.PersonID, q.PersonID)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []gateway.ResetBucket
	for rows.Next() {
		var b gateway.ResetBucket
		var state string
		if err := rows.Scan(&b.Index, &state, &b.Count); err != nil {
			return nil, s.wrap(err)
		}
		b.State = gateway.ResetState(state)
		out = append(out, b)
	}
	return out, s.wrap(rows.Err())
}
