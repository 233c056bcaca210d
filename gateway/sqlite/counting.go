package sqlite

import (
	"context"
	"database/sql/driver"
	"sync/atomic"

	"github.com/mattn/go-sqlite3"
)

// Counts is what a counting store's connections did: statements (each
// Exec or Query, reads and writes) and commits of write transactions,
// each of which is an fsync of the WAL with SQLite's default (full)
// durability. Benchmarks read them per reset: unlike wall time, they do
// not move with the other load on a shared machine.
type Counts struct {
	Statements atomic.Int64
	Commits    atomic.Int64
}

// CountingDriver is go-sqlite3's driver counting into c (Config.Driver).
func CountingDriver(c *Counts) driver.Driver { return countingDriver{c: c} }

type countingDriver struct{ c *Counts }

func (d countingDriver) Open(dsn string) (driver.Conn, error) {
	conn, err := (&sqlite3.SQLiteDriver{}).Open(dsn)
	if err != nil {
		return nil, err
	}
	return &countingConn{SQLiteConn: conn.(*sqlite3.SQLiteConn), c: d.c}, nil
}

type countingConn struct {
	*sqlite3.SQLiteConn
	c *Counts
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.c.Statements.Add(1)
	return c.SQLiteConn.ExecContext(ctx, query, args)
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.c.Statements.Add(1)
	return c.SQLiteConn.QueryContext(ctx, query, args)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.SQLiteConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return countingTx{Tx: tx, c: c.c}, nil
}

type countingTx struct {
	driver.Tx
	c *Counts
}

func (t countingTx) Commit() error {
	t.c.Commits.Add(1)
	return t.Tx.Commit()
}

// connector opens connections of one DSN with one driver.
type connector struct {
	dsn string
	drv driver.Driver
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }
