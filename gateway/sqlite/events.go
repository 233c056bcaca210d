package sqlite

import (
	"context"
	"slices"
	"strings"

	"github.com/resetgw/resetgw/gateway"
)

const eventInsert = `INSERT INTO events (tenant_id, at, actor, actor_id, ip, type, request_id,
		person_id, channel, provider_id, code, detail) VALUES `

const eventRow = `(?,?,?,?,?,?,?,?,?,?,?,?)`

// maxEventRows bounds one insert of a transaction's events: 12 values a
// row stays far below SQLite's limit on a statement's variables.
const maxEventRows = 256

// AppendEvent implements gateway.Store. Inside a transaction the event is
// only queued: the transaction's events are written together, in the order
// they were appended, by one insert just before it commits (or before
// anything in it reads the log). A reset's transaction appends several,
// and one statement per event was a good part of the writer's work.
func (s *Store) AppendEvent(ctx context.Context, e *gateway.Event) error {
	if s.inTx {
		// A copy: the caller may reuse its event before the commit.
		s.events.list = append(s.events.list, queuedEvent{to: e, e: *e})
		return nil
	}
	return s.insertEvents(ctx, []queuedEvent{{to: e, e: *e}})
}

// eventQueue holds a transaction's events until they are written.
type eventQueue struct{ list []queuedEvent }

// queuedEvent is an event as appended, and where its id goes.
type queuedEvent struct {
	to *gateway.Event
	e  gateway.Event
}

// flushEvents writes the events queued in this transaction.
func (s *Store) flushEvents(ctx context.Context) error {
	if s.events == nil || len(s.events.list) == 0 {
		return nil
	}
	es := s.events.list
	s.events.list = nil
	for len(es) > 0 {
		// Power-of-two chunks (resetbatch.go): a prepared statement for
		// every count up to maxEventRows would crowd the cache.
		n := min(chunk(len(es)), maxEventRows)
		if err := s.insertEvents(ctx, es[:n]); err != nil {
			return err
		}
		es = es[n:]
	}
	return nil
}

// insertEvents writes es in one statement and gives each its id. Rows of
// one insert take ascending ids in the order of its VALUES (one writer, an
// INTEGER PRIMARY KEY), so the sorted ids are theirs in that order,
// whatever order RETURNING lists them in.
func (s *Store) insertEvents(ctx context.Context, es []queuedEvent) error {
	args := make([]any, 0, 12*len(es))
	for i := range es {
		e := &es[i].e
		args = append(args, e.TenantID, ts(e.At), e.Actor, e.ActorID, e.IP, e.Type, e.RequestID, e.PersonID,
			e.Channel, e.ProviderID, e.Code, e.Detail)
	}
	rows, err := s.q.QueryContext(ctx, eventInsert+strings.TrimSuffix(strings.Repeat(eventRow+",", len(es)), ",")+
		` RETURNING id`, args...)
	if err != nil {
		return wrap(err)
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return err
	}
	slices.Sort(ids)
	for i := range es {
		if i < len(ids) {
			es[i].to.ID = ids[i]
		}
	}
	return nil
}

// ListEvents implements gateway.Store, oldest first unless f.Desc.
func (s *Store) ListEvents(ctx context.Context, f gateway.EventFilter) ([]*gateway.Event, error) {
	if err := s.flushEvents(ctx); err != nil {
		return nil, err
	}
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
