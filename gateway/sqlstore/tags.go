package sqlstore

import (
	"context"

	"github.com/resetgw/resetgw/gateway"
)

// TagCounts implements gateway.Store: one grouped query on the tags'
// (tenant, tag) index.
func (s *Store) TagCounts(ctx context.Context, tenantID int64) ([]gateway.TagCount, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT tag, count(*) FROM person_tags WHERE (CAST(? AS BIGINT) = 0 OR tenant_id = ?)
		GROUP BY tag ORDER BY tag LIMIT ?`, tenantID, tenantID, gateway.MaxTagCounts)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []gateway.TagCount
	for rows.Next() {
		var tc gateway.TagCount
		if err := rows.Scan(&tc.Tag, &tc.People); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, tc)
	}
	return out, s.wrap(rows.Err())
}
