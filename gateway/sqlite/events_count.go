package sqlite

import (
	"context"
	"strings"

	"github.com/resetgw/resetgw/gateway"
)

// eventWhere is the WHERE of a log query, its paging cursors included.
func eventWhere(f gateway.EventFilter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.TenantID != 0 {
		add("tenant_id = ?", f.TenantID)
	}
	if len(f.Types) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?,", len(f.Types)), ",")
		where = append(where, "type IN ("+marks+")")
		for _, t := range f.Types {
			args = append(args, t)
		}
	}
	if f.PersonID != 0 {
		add("person_id = ?", f.PersonID)
	}
	if f.RequestID != "" {
		add("request_id = ?", f.RequestID)
	}
	if f.Actor != "" {
		add("(actor = ? OR actor_id = ?)", f.Actor)
		args = append(args, f.Actor)
	}
	if !f.Since.IsZero() {
		add("at >= ?", ts(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < ?", ts(f.Until))
	}
	if f.AfterID != 0 {
		add("id > ?", f.AfterID)
	}
	if f.BeforeID != 0 {
		add("id < ?", f.BeforeID)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// CountEvents implements gateway.Store: the filter's total, whatever page.
func (s *Store) CountEvents(ctx context.Context, f gateway.EventFilter) (int, error) {
	if err := s.flushEvents(ctx); err != nil {
		return 0, err
	}
	f.AfterID, f.BeforeID, f.Offset, f.Limit = 0, 0, 0, 0
	where, args := eventWhere(f)
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM events`+where, args...).Scan(&n)
	return n, wrap(err)
}
