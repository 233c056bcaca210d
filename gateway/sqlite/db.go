// Package sqlite is the embedded store of the gateway: gateway.Store on
// SQLite (mattn/go-sqlite3, WAL), with its schema as numbered migrations
// embedded in the binary and run at Open.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Sealer encrypts the secrets kept in tenant rows (Twilio tokens, SMTP
// credentials); *secret.Keys is one.
type Sealer interface {
	SealSecret(plain, aad []byte) ([]byte, error)
	OpenSecret(sealed, aad []byte) ([]byte, error)
}

// Config says where the database lives.
type Config struct {
	// Path is the database file; ":memory:" is refused because the worker
	// and the API need one shared, durable database.
	Path   string
	Sealer Sealer
	// Instance names the gateway instance this store claims outbox rows
	// for: a row sealed under another live instance's in-memory keys is
	// not claimed (claims.go).
	Instance string
	// CheckpointEvery and CheckpointAfter batch the WAL checkpoints that
	// follow wiped outbox bodies: at most one per CheckpointEvery (1 s by
	// default), sooner once CheckpointAfter wipes (4096) are waiting.
	CheckpointEvery time.Duration
	CheckpointAfter int
	// Driver opens the connections; nil is go-sqlite3's own. Benchmarks
	// give CountingDriver.
	Driver driver.Driver
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store implements gateway.Store.
type Store struct {
	// Store is the part shared with the PostgreSQL store
	// (gateway/sqlstore): tenants, admins, personnel and the rest whose
	// statements are the same on both engines.
	*sqlstore.Store
	db     *sql.DB // the one writer connection
	rdb    *sql.DB // readers: WAL lets them run beside the writer
	q      querier
	inTx   bool
	sealer Sealer
	// instance is the gateway instance this store claims for (Config.Instance).
	instance string
	wipe     *wiper
	// events queues a transaction's events (AppendEvent); nil outside one.
	events *eventQueue
}

// split sends writes to the writer and reads to the reader pool outside a
// transaction.
type split struct{ w, r *sql.DB }

func (q split) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.w.ExecContext(ctx, query, args...)
}

func (q split) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.r.QueryContext(ctx, query, args...)
}

func (q split) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return q.r.QueryRowContext(ctx, query, args...)
}

var _ gateway.Store = (*Store)(nil)

// Open opens (creating if needed) the database and brings its schema up to
// date.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Path == "" || strings.Contains(cfg.Path, ":memory:") {
		return nil, errors.New("sqlite: a database file path is required")
	}
	if cfg.Sealer == nil {
		return nil, errors.New("sqlite: a Sealer is required")
	}
	// _txlock=immediate takes the write lock at BEGIN: without it, read-then-
	// write transactions fail at once with "database is locked" despite
	// the busy timeout. secure_delete (set per connection, hence in the
	// DSN) zeroes what a delete or an update frees, so that a wiped
	// outbox body does not linger in a free page or a freeblock. The
	// statement cache keeps each connection's prepared statements: a
	// profile of the reset benchmark spent a fifth of its CPU preparing the
	// same few dozen queries again.
	dsn := "file:" + (&url.URL{Path: cfg.Path}).EscapedPath() +
		"?_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate&_secure_delete=on&_stmt_cache_size=256"
	open := func() (*sql.DB, error) { return sql.Open("sqlite3", dsn) }
	if cfg.Driver != nil {
		open = func() (*sql.DB, error) { return sql.OpenDB(connector{dsn: dsn, drv: cfg.Driver}), nil }
	}
	db, err := open()
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	// SQLite has one writer at a time. Several writer connections would
	// find the lock taken and sleep in SQLite's busy handler (1 ms, 2 ms, …
	// 100 ms), which is where tail latency came from; one connection makes
	// writers queue in Go instead, first come first served.
	db.SetMaxOpenConns(1)
	rdb, err := open()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	rdb.SetMaxOpenConns(8)
	rdb.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, rdb: rdb, q: split{w: db, r: rdb}, instance: cfg.Instance, sealer: cfg.Sealer,
		wipe: newWiper(db, rdb, cfg.CheckpointEvery, cfg.CheckpointAfter)}
	s.share()
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.BackfillSearchKeys(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: search keys: %w", err)
	}
	return s, nil
}

// Close checkpoints wipes still waiting and closes the database.
func (s *Store) Close() error {
	s.wipe.close()
	return errors.Join(s.rdb.Close(), s.db.Close())
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.PingContext(ctx) }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	var applied []int
	for _, name := range names {
		var version int
		if _, err := fmt.Sscanf(strings.TrimPrefix(name, "migrations/"), "%d_", &version); err != nil {
			return fmt.Errorf("sqlite: migration %s: bad name", name)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = s.WithTx(ctx, func(st gateway.Store) error {
			tx := st.(*Store)
			var n int
			if err := tx.q.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.q.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("sqlite: migration %s: %w", name, err)
			}
			_, err := tx.q.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().Unix())
			if err == nil {
				applied = append(applied, version)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	// A database that ran before secure_delete was on still holds wiped
	// outbox bodies in its free pages: rebuild it once, when the data key
	// migration arrives (a fresh database has nothing to scrub).
	if len(applied) > 0 && applied[0] != 1 && slices.Contains(applied, secureDeleteMigration) {
		if _, err := s.db.ExecContext(ctx, `VACUUM`); err != nil {
			return fmt.Errorf("sqlite: scrubbing free pages: %w", err)
		}
		if err := checkpoint(ctx, s.db); err != nil {
			return err
		}
	}
	return nil
}

// secureDeleteMigration is the migration that came with secure_delete.
const secureDeleteMigration = 7

// WithTx implements gateway.Store.
func (s *Store) WithTx(ctx context.Context, fn func(gateway.Store) error) error {
	if s.inTx {
		return fn(s)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap(err)
	}
	st := &Store{db: s.db, rdb: s.rdb, q: tx, inTx: true, instance: s.instance, sealer: s.sealer, wipe: s.wipe,
		events: &eventQueue{}}
	st.share()
	err = fn(st)
	if err == nil {
		err = st.flushEvents(ctx)
	}
	if err != nil {
		tx.Rollback()
		return err
	}
	return wrap(tx.Commit())
}

// wrap turns driver errors into domain errors: a UNIQUE violation is a
// conflict, a busy database is unavailable, the rest internal.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var ge *gateway.Error
	if errors.As(err, &ge) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return gateway.ErrNotFound
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch {
		case se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey:
			return &gateway.Error{Kind: gateway.KindConflict, Code: "conflict", Message: "already exists", Err: err}
		case se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked:
			return &gateway.Error{Kind: gateway.KindUnavailable, Code: "store_busy", Message: "the store is busy, try again", Err: err}
		}
	}
	return gateway.Internal(err)
}

// Times are kept as the shared statements keep them (sqlstore.Nanos).
func ts(t time.Time) int64 { return sqlstore.Nanos(t) }

func fromTS(n int64) time.Time { return sqlstore.FromNanos(n) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// scanIDs reads rows of one id each (sqlstore.ScanIDs, with this
// store's error mapping).
func scanIDs(rows *sql.Rows) ([]int64, error) { return sqlstore.ScanIDs(rows, wrap) }
