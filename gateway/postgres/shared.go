package postgres

import (
	"context"
	"database/sql"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/sqlstore"
)

// dialect is what PostgreSQL does its own way for the shared statements
// (gateway/sqlstore), bound to one store value.
type dialect struct{ s *Store }

// share gives s its shared part, running on s's querier: the pool
// outside a transaction, the transaction (queued writes first) inside
// one.
func (s *Store) share() {
	s.Store = sqlstore.New(sqlstore.Config{Q: s.q, Dialect: dialect{s}, Sealer: s.sealer})
}

func (d dialect) Wrap(err error) error { return wrap(err) }

// Insert appends RETURNING id: PostgreSQL has no last insert id.
func (d dialect) Insert(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := d.s.q.QueryRowContext(ctx, query+` RETURNING id`, args...).Scan(&id)
	return id, wrap(err)
}

// Queue holds the write for the transaction's next batch (pipeline.go).
func (d dialect) Queue(ctx context.Context, must bool, query string, args ...any) error {
	return d.s.queue(ctx, query, execDone(must), args...)
}

func (d dialect) WithTx(ctx context.Context, fn func(*sqlstore.Store) error) error {
	return d.s.WithTx(ctx, func(st gateway.Store) error { return fn(st.(*Store).Store) })
}

// Wiped does nothing: PostgreSQL's old row versions go with its vacuum.
func (d dialect) Wiped() {}

type scanner = sqlstore.Scanner

// mustAffect turns "no row changed" into not found.
func mustAffect(res sql.Result, err error) error { return sqlstore.MustAffect(res, err, wrap) }
