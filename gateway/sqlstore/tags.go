package sqlstore

import (
	"context"
	"strings"

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

// saveTags replaces a person's tags (inside the caller's transaction).
func (s *Store) saveTags(ctx context.Context, p *gateway.Person) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM person_tags WHERE person_id = ?`, p.ID); err != nil {
		return s.wrap(err)
	}
	for _, t := range p.Tags {
		if _, err := s.q.ExecContext(ctx, `INSERT INTO person_tags (person_id, tenant_id, tag) VALUES (?,?,?)`,
			p.ID, p.TenantID, t); err != nil {
			return s.wrap(err)
		}
	}
	return nil
}

// loadExtras reads people's tags and last logins, which live beside the
// record's own columns.
func (s *Store) loadExtras(ctx context.Context, people []*gateway.Person) error {
	if len(people) == 0 {
		return nil
	}
	byID := make(map[int64]*gateway.Person, len(people))
	marks := make([]string, 0, len(people))
	args := make([]any, 0, len(people))
	for _, p := range people {
		byID[p.ID] = p
		marks = append(marks, "?")
		args = append(args, p.ID)
	}
	in := strings.Join(marks, ",")
	rows, err := s.q.QueryContext(ctx, `SELECT person_id, tag FROM person_tags WHERE person_id IN (`+in+`)
		ORDER BY person_id, tag`, args...)
	if err != nil {
		return s.wrap(err)
	}
	for rows.Next() {
		var id int64
		var tag string
		if err := rows.Scan(&id, &tag); err != nil {
			rows.Close()
			return s.wrap(err)
		}
		byID[id].Tags = append(byID[id].Tags, tag)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s.wrap(err)
	}
	rows, err = s.q.QueryContext(ctx, `SELECT id, last_login_at FROM personnel WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return s.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			return s.wrap(err)
		}
		if at != 0 {
			byID[id].LastLoginAt = FromNanos(at)
		}
	}
	return s.wrap(rows.Err())
}
