package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/postgres"
	"github.com/resetgw/resetgw/gateway/secret"
	"github.com/resetgw/resetgw/gateway/sqlite"
)

// workListener is a store that tells the worker about other instances'
// work (PostgreSQL's LISTEN/NOTIFY).
type workListener interface {
	Listen(ctx context.Context, kick func(), log *slog.Logger)
}

// appStore is what the wiring needs of a store beyond gateway.Store.
type appStore interface {
	gateway.Store
	Ping(ctx context.Context) error
	Close() error
}

// openStore opens the store RESETGW_DB names: a postgres:// or
// postgresql:// URL is a PostgreSQL database (several instances may share
// it), anything else a SQLite file.
// instance names this process among those sharing a PostgreSQL store
// ("" for a command that claims no outbox rows).
func openStore(ctx context.Context, db string, keys *secret.Keys, instance string) (appStore, error) {
	if postgres.IsURL(db) {
		return postgres.Open(ctx, postgres.Config{URL: db, Sealer: keys, Instance: instance})
	}
	return sqlite.Open(ctx, sqlite.Config{Path: db, Sealer: keys})
}

// dbLabel is the database as it may be shown: a URL without its password.
func dbLabel(db string) string {
	if !postgres.IsURL(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// checkDBArg refuses a database URL with a password given as --db: the
// command line is visible to every user of the machine.
func checkDBArg(db string) error {
	if !postgres.IsURL(db) {
		return nil
	}
	u, err := url.Parse(db)
	if err != nil {
		return errors.New("--db: the PostgreSQL URL cannot be parsed")
	}
	if _, ok := u.User.Password(); ok || u.Query().Has("password") {
		return errors.New("--db: a password in the database URL is not accepted on the command line; " +
			"set RESETGW_DB in the environment, or leave the password out and use PGPASSWORD or a ~/.pgpass file")
	}
	return nil
}

// errSharedKey: every instance on one PostgreSQL database must open what
// the others sealed, so none may make a key of its own.
var errSharedKey = errors.New("with a PostgreSQL database every instance needs the same master key: " +
	"set RESETGW_SECRET_KEY or RESETGW_SECRET_KEY_FILE")

// outboxRing is, on PostgreSQL, this process's in-memory outbox keys: the
// bodies that carry a password or a link are sealed under them, so that
// PostgreSQL's old row versions, WAL and backups hold nothing the master
// key opens. SQLite keeps the master key's envelope: its one process must
// deliver what it sealed before a restart, and it wipes its own disk.
func outboxRing(db string, lease time.Duration) (*secret.KeyRing, string, error) {
	if !postgres.IsURL(db) {
		return nil, "", nil
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, "", err
	}
	inst := hex.EncodeToString(b[:])
	// A body waits at most the worker's retry time (15 minutes) and one
	// last lease, and a sent text keeps its body for the late-failover
	// window after that: no key outlives those.
	ring, err := secret.NewKeyRing(secret.RingConfig{Instance: inst, Rotate: 5 * time.Minute,
		MaxAge: 15*time.Minute + lease + gateway.DefaultLateFailoverWindow})
	return ring, inst, err
}
