package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/resetgw/resetgw/gateway"
)

// AppendEvent implements gateway.Store. In a transaction the insert goes
// with the next statement or the commit (pipeline.go), and e.ID is set
// then.
func (s *Store) AppendEvent(ctx context.Context, e *gateway.Event) error {
	return s.queue(ctx, `INSERT INTO events (tenant_id, at, actor, actor_id, ip, type, request_id,
		person_id, channel, provider_id, code, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		func(br pgx.BatchResults) error { return wrap(br.QueryRow().Scan(&e.ID)) },
		e.TenantID, ts(e.At), e.Actor, e.ActorID, e.IP, e.Type, e.RequestID, e.PersonID, e.Channel,
		e.ProviderID, e.Code, e.Detail)
}

// ListEvents implements gateway.Store, oldest first unless f.Desc.
func (s *Store) ListEvents(ctx context.Context, f gateway.EventFilter) ([]*gateway.Event, error) {
	where, args := eventWhere(f)
	q := `SELECT id, tenant_id, at, actor, actor_id, ip, type, request_id, person_id, channel, provider_id,
		code, detail FROM events`
	q += where
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	order := " ORDER BY id"
	if f.Desc {
		order += " DESC"
	}
	q += order + " LIMIT ? OFFSET ?"
	args = append(args, limit, max(f.Offset, 0))
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
