// Package sqlstore is the part of gateway.Store that the SQLite and the
// PostgreSQL stores share: the statements and scans whose logic is the
// same on both engines, written once with ? placeholders in SQL both
// engines accept. Each engine's store embeds a *Store and gives it a
// Dialect for what it does its own way: how an insert reports its id,
// whether a write may wait for the next round trip, how a transaction is
// run, and how a driver error maps to a gateway error kind.
//
// The statements on the reset, outbox, claim, event and rate paths stay
// in the engines' own packages: they are tuned per engine.
package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// Querier runs statements written with ? placeholders: an engine's
// querier rebinds them as its driver needs, and inside a transaction runs
// them in it.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Dialect is what one engine's store does its own way. A Dialect is bound
// to one store value: inside a transaction, the transaction's.
type Dialect interface {
	// Wrap turns a driver error into a gateway error (a unique violation
	// is KindConflict, a busy or lost database KindUnavailable, no row
	// gateway.ErrNotFound, the rest internal); nil stays nil.
	Wrap(err error) error
	// Insert runs an INSERT without a RETURNING clause and returns the id
	// of the row it made, as a wrapped error on failure.
	Insert(ctx context.Context, query string, args ...any) (int64, error)
	// Queue runs a write whose result nothing reads at once: an engine
	// may hold it and send it with the next statement of the transaction
	// or with the commit. With must, a write that changed no row is
	// gateway.ErrNotFound.
	Queue(ctx context.Context, must bool, query string, args ...any) error
	// WithTx runs fn in one transaction of the engine's store (or in the
	// transaction already open); fn's Store reads and writes in it.
	WithTx(ctx context.Context, fn func(*Store) error) error
	// Wiped says secrets in rows were overwritten: an engine that keeps
	// old pages in its files (SQLite's WAL) moves them out soon.
	Wiped()
}

// Sealer encrypts the secrets kept in tenant rows; *secret.Keys is one.
type Sealer interface {
	SealSecret(plain, aad []byte) ([]byte, error)
	OpenSecret(sealed, aad []byte) ([]byte, error)
}

// Config is what a Store works with.
type Config struct {
	// Q runs the statements: the engine's querier, the transaction's
	// inside one.
	Q       Querier
	Dialect Dialect
	Sealer  Sealer
}

// Store is the shared part of an engine's gateway.Store.
type Store struct {
	q      Querier
	d      Dialect
	sealer Sealer
}

// New makes the shared part of a store.
func New(cfg Config) *Store {
	return &Store{q: cfg.Q, d: cfg.Dialect, sealer: cfg.Sealer}
}

func (s *Store) wrap(err error) error { return s.d.Wrap(err) }

// withTx runs fn in a transaction of the engine's store.
func (s *Store) withTx(ctx context.Context, fn func(tx *Store) error) error {
	return s.d.WithTx(ctx, fn)
}

// Scanner is a row or rows being read.
type Scanner interface{ Scan(dest ...any) error }

// mustAffect turns "no row changed" into not found.
func (s *Store) mustAffect(res sql.Result, err error) error { return MustAffect(res, err, s.wrap) }

// MustAffect turns "no row changed" into not found, and an error into
// wrap's.
func MustAffect(res sql.Result, err error, wrap func(error) error) error {
	if err != nil {
		return wrap(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(err)
	}
	if n == 0 {
		return gateway.ErrNotFound
	}
	return nil
}

// conflict gives a unique violation a specific code and message.
func (s *Store) conflict(err error, code, msg string) error {
	err = s.wrap(err)
	if gateway.ErrorKind(err) == gateway.KindConflict {
		return &gateway.Error{Kind: gateway.KindConflict, Code: code, Message: msg}
	}
	return err
}

// Nanos is how both engines keep a time: Unix nanoseconds in a BIGINT
// (INTEGER on SQLite), the zero time as 0.
func Nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// FromNanos reads a time kept by Nanos, in UTC.
func FromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// b2i stores a flag as 0 or 1: an INTEGER column on both engines.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// escapeLike makes s a literal inside a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
