// Package postgres is the scale-out store of the gateway: gateway.Store on
// PostgreSQL (jackc/pgx through database/sql), for several instances on one
// database. Its schema is numbered migrations embedded in the binary, run
// at Open under an advisory lock so that instances may start together.
//
// It goes through database/sql (pgx's stdlib driver) rather than pgxpool
// so that its code reads like gateway/sqlite's, statement for statement:
// the two must keep the same semantics, and one store test suite holds
// both to them.
package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Sealer encrypts the secrets kept in tenant rows; *secret.Keys is one.
type Sealer interface {
	SealSecret(plain, aad []byte) ([]byte, error)
	OpenSecret(sealed, aad []byte) ([]byte, error)
}

// Config says which database to use.
type Config struct {
	// URL is a postgres:// or postgresql:// connection URL (pgx's syntax:
	// a search_path parameter picks the schema).
	URL    string
	Sealer Sealer
	// MaxConns caps the pool (16 by default).
	MaxConns int
	// Instance names this instance in its notifications to the others
	// (notify.go), random when empty, and is the instance it claims
	// outbox rows for: a row sealed under another live instance's
	// in-memory keys is not claimed (instances.go).
	Instance string
}

// IsURL reports whether db names a PostgreSQL database rather than a
// SQLite file.
func IsURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// numbered writes the queries of this package with ? placeholders, as the
// SQLite store does, and hands PostgreSQL $1, $2, ….
type numbered struct{ q querier }

func (n numbered) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return n.q.ExecContext(ctx, rebind(query), args...)
}

func (n numbered) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return n.q.QueryContext(ctx, rebind(query), args...)
}

func (n numbered) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return n.q.QueryRowContext(ctx, rebind(query), args...)
}

// rebind numbers the ? placeholders of query, leaving quoted text alone. A
// query without ? (one written with $n already) is returned as it is.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Store implements gateway.Store.
type Store struct {
	// Store is the part shared with the SQLite store (gateway/sqlstore):
	// tenants, admins, personnel and the rest whose statements are the
	// same on both engines.
	*sqlstore.Store
	db     *sql.DB
	q      querier
	inTx   bool
	sealer Sealer
	// tx is the transaction's connection and queued writes (pipeline.go);
	// nil outside one.
	tx *txState
	// url, instance and channel are for telling other instances about
	// work (notify.go); instance is also whose sealed rows it claims.
	url, instance, channel string
}

var _ gateway.Store = (*Store)(nil)

// Open connects to the database and brings its schema up to date.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if !IsURL(cfg.URL) {
		return nil, errors.New("postgres: a postgres:// or postgresql:// URL is required")
	}
	if cfg.Sealer == nil {
		return nil, errors.New("postgres: a Sealer is required")
	}
	db, err := sql.Open("pgx", cfg.URL)
	if err != nil {
		// pgx's parse errors repeat the URL, password included.
		return nil, errors.New("postgres: the database URL cannot be parsed")
	}
	conns := cfg.MaxConns
	if conns <= 0 {
		conns = 16
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, q: numbered{db}, sealer: cfg.Sealer, url: cfg.URL, instance: cfg.Instance}
	s.share()
	if s.instance == "" {
		var b [8]byte
		rand.Read(b[:])
		s.instance = hex.EncodeToString(b[:])
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: schema: %w", safeErr(err))
	}
	s.channel = workChannel(schema)
	if err := s.BackfillSearchKeys(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: search keys: %w", err)
	}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// migrationLock is the advisory lock key held while migrating: instances
// starting at once take turns, and the second finds the work done.
const migrationLock = 0x72657365746777 // "resetgw"

func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", safeErr(err))
	}
	defer conn.Close()
	// An advisory lock belongs to a session: take and give it back on the
	// one connection that runs the migrations.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", safeErr(err))
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("postgres: migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		var version int
		if _, err := fmt.Sscanf(strings.TrimPrefix(name, "migrations/"), "%d_", &version); err != nil {
			return fmt.Errorf("postgres: migration %s: bad name", name)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("postgres: migration %s: %w", name, err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
			tx.Rollback()
			return fmt.Errorf("postgres: migration %s: %w", name, err)
		}
		if n > 0 {
			tx.Rollback()
			continue
		}
		// No arguments: pgx sends the file as one simple query, so it
		// may hold several statements.
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("postgres: migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
			version, time.Now().Unix()); err != nil {
			tx.Rollback()
			return fmt.Errorf("postgres: migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", name, err)
		}
	}
	return nil
}

// WithTx implements gateway.Store.
func (s *Store) WithTx(ctx context.Context, fn func(gateway.Store) error) error {
	if s.inTx {
		return fn(s)
	}
	// A connection of its own, so that batches (pipeline.go) go on the
	// transaction's connection. The BEGIN is not a round trip of its own:
	// it goes with the transaction's first statements, and the COMMIT with
	// its last queued writes (pipeline.go).
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return wrap(err)
	}
	defer conn.Close()
	state := &txState{conn: conn, lazy: true}
	inner := &Store{db: s.db, q: txq{t: state, q: numbered{conn}}, inTx: true, sealer: s.sealer, tx: state,
		url: s.url, instance: s.instance, channel: s.channel}
	inner.share()
	err = fn(inner)
	if err == nil {
		inner.queueWakes()
		err = state.commit(ctx)
	}
	if state.err != nil {
		// A queued write failed: its error, not the later call's that
		// carried it.
		err = state.err
	}
	if err != nil {
		state.rollback(ctx)
		return err
	}
	return nil
}

// wrap turns driver errors into domain errors: a unique violation is a
// conflict; a deadlock, a serialization failure or a lost connection is
// unavailable (try again); the rest internal.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var ge *gateway.Error
	if errors.As(err, &ge) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows) {
		return gateway.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			return &gateway.Error{Kind: gateway.KindConflict, Code: "conflict", Message: "already exists", Err: err}
		case pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "55P03" || strings.HasPrefix(pe.Code, "08") ||
			pe.Code == "57P01" || pe.Code == "53300":
			return &gateway.Error{Kind: gateway.KindUnavailable, Code: "store_busy", Message: "the store is busy, try again", Err: err}
		}
		return gateway.Internal(err)
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return &gateway.Error{Kind: gateway.KindUnavailable, Code: "store_busy", Message: "the store is busy, try again", Err: err}
	}
	return gateway.Internal(err)
}

// safeErr keeps a connection error's PostgreSQL code and message but not
// the connection string pgx may quote.
func safeErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return errors.New("cannot connect to the database: " + errors.Unwrap(ce).Error())
	}
	return err
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
