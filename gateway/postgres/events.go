package postgres

import (
	"context"
	"strings"

	"github.com/resetgw/resetgw/gateway"
)

// AppendEvent implements gateway.Store.
func (s *Store) AppendEvent(ctx context.Context, e *gateway.Event) error {
	err := s.q.QueryRowContext(ctx, `INSERT INTO events (tenant_id, at, actor, actor_id, ip, type, request_id,
		person_id, channel, provider_id, code, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		e.TenantID, ts(e.At), e.Actor, e.ActorID, e.IP, e.Type, e.RequestID, e.PersonID, e.Channel,
		e.ProviderID, e.Code, e.Detail).Scan(&e.ID)
	return wrap(err)
}

// ListEvents implements gateway.Store, oldest first unless f.Desc.
func (s *Store) ListEvents(ctx context.Context, f gateway.EventFilter) ([]*gateway.Event, error) {
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
	q := `SELECT id, tenant_id, at, actor, actor_id, ip, type, request_id, person_id, channel, provider_id,
		code, detail FROM events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	order := " ORDER BY id"
	if f.Desc {
		order += " DESC"
	}
	q += order + " LIMIT ?"
	args = append(args, limit)
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []*gateway.Event
	for rows.Next() {
		var e gateway.Event
		var at int64
		if err := rows.Scan(&e.ID, &e.TenantID, &at, &e.Actor, &e.ActorID, &e.IP, &e.Type, &e.RequestID,
			&e.PersonID, &e.Channel, &e.ProviderID, &e.Code, &e.Detail); err != nil {
			return nil, wrap(err)
		}
		e.At = fromTS(at)
		out = append(out, &e)
	}
	return out, wrap(rows.Err())
}
