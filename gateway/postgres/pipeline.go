package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/resetgw/resetgw/gateway"
)

// Round trips are what the engine waits for on PostgreSQL: every
// statement is a message to the server and a wait for its answer, on a
// server that may share the gateway's cores. Inside a transaction this
// store therefore sends writes whose result nothing reads at once (an
// outcome's delivery update, attempt row and events, a request's new
// state) together with the next statement that needs an answer, or with
// the commit, as one pgx batch: one round trip for many statements. The
// order of statements on the server is the order the domain made them in,
// so every read sees the writes made before it and row locks are taken in
// the same order as before, just without a wait between them.
//
// A queued write that fails (a database error, or an update that found no
// row) fails the transaction: its error is kept and the transaction rolls
// back however the caller took the error of the later call that carried
// it.

// txState is one transaction's connection and what waits to be sent on it.
type txState struct {
	conn    *sql.Conn
	pending []queued
	// err is the first queued write that failed: the transaction must
	// not commit.
	err error
	// ahead is the request read together with the lock just taken on it,
	// for the Reset call that follows the lock; any other statement
	// drops it.
	ahead *gateway.ResetRequest
	// held are the received requests LockReceivedAll took and read, not
	// yet resolved (received.go).
	held map[string]*gateway.ResetRequest
	// wakes are when the work this transaction made is due, for the
	// notification its commit sends (notify.go).
	wakes []int64
	// lazy says the transaction's BEGIN goes with its first statement
	// (WithTx): begun, that it has been sent.
	lazy, begun bool
}

// queued is a write waiting for the next batch. done reads its result.
type queued struct {
	query string // with $n placeholders
	args  []any
	done  func(br pgx.BatchResults) error
}

// txq is the querier of a transaction: what is queued goes before each
// statement.
type txq struct {
	t *txState
	q querier
}

func (t txq) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := t.t.flush(ctx); err != nil {
		return nil, err
	}
	return t.q.ExecContext(ctx, query, args...)
}

func (t txq) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := t.t.flush(ctx); err != nil {
		return nil, err
	}
	return t.q.QueryContext(ctx, query, args...)
}

// QueryRowContext cannot hand back a flush error: it is kept in the
// state (the transaction will not commit), and a failed batch has aborted
// the transaction, so this statement fails too.
func (t txq) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	t.t.flush(ctx)
	return t.q.QueryRowContext(ctx, query, args...)
}

// queue adds a write to the next batch; outside a transaction it runs at
// once (done reads its result either way).
func (s *Store) queue(ctx context.Context, query string, done func(br pgx.BatchResults) error, args ...any) error {
	q := queued{query: rebind(query), args: args, done: done}
	if s.tx != nil {
		s.tx.ahead = nil
		s.tx.pending = append(s.tx.pending, q)
		return nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return wrap(err)
	}
	defer conn.Close()
	t := &txState{conn: conn, pending: []queued{q}}
	if err := t.batchOn(ctx, func(*pgx.Batch) {}, func(pgx.BatchResults) error { return nil }); err != nil && t.err == nil {
		return err
	}
	return t.err
}

// execDone reads a queued statement's result; with must, an update that
// changed no row is ErrNotFound.
func execDone(must bool) func(br pgx.BatchResults) error {
	return func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		if err != nil {
			return wrap(err)
		}
		if must && tag.RowsAffected() == 0 {
			return gateway.ErrNotFound
		}
		return nil
	}
}

// flush sends what is queued, alone (and the BEGIN, if not yet sent).
func (t *txState) flush(ctx context.Context) error {
	t.ahead = nil
	if len(t.pending) == 0 && t.err == nil && (t.begun || !t.lazy) {
		return nil
	}
	return t.batchOn(ctx, func(*pgx.Batch) {}, func(pgx.BatchResults) error { return nil })
}

// batch sends what is queued, then the statements add queues, in one
// round trip, and reads their results with read. Outside a transaction it
// takes a connection of the pool for it.
func (s *Store) batch(ctx context.Context, add func(*pgx.Batch), read func(pgx.BatchResults) error) error {
	if s.tx != nil {
		s.tx.ahead = nil
		return s.tx.batchOn(ctx, add, read)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return wrap(err)
	}
	defer conn.Close()
	return (&txState{conn: conn}).batchOn(ctx, add, read)
}

// batchOn sends the queue and add's statements and reads every result in
// order. A queued write's error is kept in t.err (and returned as
// laterErr says); otherwise read's error is returned.
func (t *txState) batchOn(ctx context.Context, add func(*pgx.Batch), read func(pgx.BatchResults) error) error {
	if t.err != nil {
		return laterErr(t.err)
	}
	var b pgx.Batch
	begin := t.lazy && !t.begun
	if begin {
		// The transaction's BEGIN rides with its first statements.
		b.Queue(`BEGIN`)
	}
	for _, q := range t.pending {
		b.Queue(q.query, q.args...)
	}
	pending := t.pending
	t.pending = nil
	add(&b)
	if b.Len() == 0 {
		return nil
	}
	var readErr error
	err := t.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres: unexpected driver connection %T", dc)
		}
		br := c.Conn().SendBatch(ctx, &b)
		if begin {
			// Sent: whatever comes back, the end of the transaction
			// must roll it back if it does not commit.
			t.begun = true
			if _, err := br.Exec(); err != nil && t.err == nil {
				t.err = wrap(err)
			}
		}
		for _, q := range pending {
			if err := q.done(br); err != nil && t.err == nil {
				t.err = err
			}
		}
		if t.err == nil {
			readErr = read(br)
		}
		return br.Close()
	})
	switch {
	case t.err != nil:
		return laterErr(t.err)
	case readErr != nil:
		return readErr
	case err != nil:
		t.err = wrap(err)
		return t.err
	}
	return nil
}

// errQueuedNotFound stands for a queued update that found no row when it
// reaches a later call: that call's caller must not read it as its own
// "not found".
var errQueuedNotFound = errors.New("postgres: a queued update found no row")

// laterErr is the error a later call returns for a queued write's: the
// same, except that not-found becomes internal (the transaction fails
// anyway: WithTx returns the original).
func laterErr(err error) error {
	if gateway.IsNotFound(err) {
		return gateway.Internal(errQueuedNotFound)
	}
	return err
}

// errCommitRolledBack is a COMMIT the server answered with ROLLBACK: the
// transaction had failed before it.
var errCommitRolledBack = errors.New("postgres: the transaction was rolled back at commit")

// commit sends what is queued and the COMMIT in one round trip. A
// transaction that sent nothing has nothing to commit.
func (t *txState) commit(ctx context.Context) error {
	if t.lazy && !t.begun && len(t.pending) == 0 && t.err == nil {
		return nil
	}
	return t.batchOn(ctx, func(b *pgx.Batch) { b.Queue(`COMMIT`) }, func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		if err != nil {
			return wrap(err)
		}
		if tag.String() == "ROLLBACK" {
			return gateway.Internal(errCommitRolledBack)
		}
		return nil
	})
}

// rollback ends a transaction that did not commit; one whose BEGIN was
// never sent has nothing to end. (Should the ROLLBACK not reach the
// server, the pool drops the connection: it is still in a transaction.)
func (t *txState) rollback(ctx context.Context) {
	t.pending = nil
	if t.begun {
		t.conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	}
}
