package sqlite

import (
	"context"
	"database/sql"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/sqlstore"
)

// dialect is what SQLite does its own way for the shared statements
// (gateway/sqlstore), bound to one store value.
type dialect struct{ s *Store }

// share gives s its shared part, running on s's querier: the writer and
// the readers outside a transaction, the transaction inside one.
func (s *Store) share() {
	s.Store = sqlstore.New(sqlstore.Config{Q: s.q, Dialect: dialect{s}, Sealer: s.sealer})
}

func (d dialect) Wrap(err error) error { return wrap(err) }

// Insert reads the new row's id from the statement's result: an INSERT
// goes to the one writer connection, where RETURNING would need a query,
// and a query outside a transaction goes to a reader.
func (d dialect) Insert(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := d.s.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, wrap(err)
	}
	id, err := res.LastInsertId()
	return id, wrap(err)
}

// Queue runs the write at once: SQLite is in process, there is no round
// trip to save.
func (d dialect) Queue(ctx context.Context, must bool, query string, args ...any) error {
	res, err := d.s.q.ExecContext(ctx, query, args...)
	if must {
		return mustAffect(res, err)
	}
	return wrap(err)
}

func (d dialect) WithTx(ctx context.Context, fn func(*sqlstore.Store) error) error {
	return d.s.WithTx(ctx, func(st gateway.Store) error { return fn(st.(*Store).Store) })
}

// Wiped has the wiper checkpoint soon, so the old pages leave the WAL.
func (d dialect) Wiped() { d.s.wiped() }

type scanner = sqlstore.Scanner

// mustAffect turns "no row changed" into not found.
func mustAffect(res sql.Result, err error) error { return sqlstore.MustAffect(res, err, wrap) }
