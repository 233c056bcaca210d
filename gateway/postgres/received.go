package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/resetgw/resetgw/gateway"
)

var _ gateway.ReceivedTaker = (*Store)(nil)

// FreeReceived implements gateway.ReceivedTaker. A row lock that skips
// locked rows is the only read PostgreSQL has that leaves out rows other
// transactions hold; it is let go at once, in a transaction of its own
// that commits without waiting for the disk (it wrote nothing but the
// locks), all in one round trip.
func (s *Store) FreeReceived(ctx context.Context, limit int) ([]*gateway.ResetRequest, error) {
	if s.tx != nil {
		// Inside a transaction the locks would last until it ends.
		return s.ResetsInState(ctx, gateway.StateReceived, limit)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	defer conn.Close()
	var out []*gateway.ResetRequest
	err = (&txState{conn: conn}).batchOn(ctx, func(b *pgx.Batch) {
		b.Queue(`BEGIN`)
		b.Queue(`SET LOCAL synchronous_commit = off`)
		b.Queue(`SELECT `+resetCols+` FROM reset_requests WHERE state = $1
			ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, string(gateway.StateReceived), limit)
		b.Queue(`COMMIT`)
	}, func(br pgx.BatchResults) error {
		for range 2 {
			if _, err := br.Exec(); err != nil {
				return wrap(err)
			}
		}
		rows, err := br.Query()
		if err != nil {
			return wrap(err)
		}
		for rows.Next() {
			r, err := scanReset(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return wrap(err)
		}
		_, err = br.Exec()
		return wrap(err)
	})
	if err != nil {
		// The batch may have stopped inside its transaction: the
		// connection must not go back to the pool in one.
		conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		return nil, err
	}
	return out, nil
}

// LockReceivedAll implements gateway.ReceivedTaker: one round trip locks
// the requests (skipping those another transaction holds) and reads them
// with their deliveries, for the LockReceived and Reset calls of each
// request's resolve that follow.
func (s *Store) LockReceivedAll(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if s.tx == nil {
		// Outside a transaction a lock ends with its statement: say which
		// are received, as LockReceived does.
		var out []string
		for _, id := range ids {
			ok, err := s.LockReceived(ctx, id)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, id)
			}
		}
		return out, nil
	}
	held := map[string]*gateway.ResetRequest{}
	err := s.batch(ctx, func(b *pgx.Batch) {
		b.Queue(`SELECT `+resetCols+` FROM reset_requests WHERE id = ANY($1) AND state = $2
			ORDER BY id FOR UPDATE SKIP LOCKED`, ids, string(gateway.StateReceived))
		b.Queue(`SELECT `+deliveryCols+` FROM deliveries WHERE request_id = ANY($1) ORDER BY id`, ids)
	}, func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return wrap(err)
		}
		for rows.Next() {
			r, err := scanReset(rows)
			if err != nil {
				rows.Close()
				return err
			}
			held[r.ID] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return wrap(err)
		}
		drows, err := br.Query()
		if err != nil {
			return wrap(err)
		}
		ds, err := scanDeliveries(drows)
		drows.Close()
		if err != nil {
			return err
		}
		for _, d := range ds {
			if r := held[d.RequestID]; r != nil {
				r.Deliveries = append(r.Deliveries, d)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, id := range ids {
		if _, ok := held[id]; ok {
			out = append(out, id)
		}
	}
	s.tx.held = held
	return out, nil
}

// takeHeld answers LockReceived for a request LockReceivedAll took in
// this transaction: it is held, and its read is the Reset call's next.
// A request's read is used once: after it the transaction writes it.
func (s *Store) takeHeld(id string) bool {
	if s.tx == nil {
		return false
	}
	r, ok := s.tx.held[id]
	if !ok {
		return false
	}
	delete(s.tx.held, id)
	s.tx.ahead = r
	return true
}
