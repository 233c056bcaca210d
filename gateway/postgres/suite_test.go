package postgres_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/postgres"
	"github.com/resetgw/resetgw/gateway/secret"
	"github.com/resetgw/resetgw/gateway/storetest"
)

// testDB gives a test a schema of its own on the server named by
// RESETGW_TEST_POSTGRES, dropped when the test ends, and returns the URL
// that selects it. Without the variable the test skips.
func testDB(t testing.TB) string {
	t.Helper()
	base := os.Getenv("RESETGW_TEST_POSTGRES")
	if base == "" {
		t.Skip("RESETGW_TEST_POSTGRES is unset: set it to a PostgreSQL URL (.ci/run starts a server) to run the PostgreSQL store tests")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("creating a test schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("dropping %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func keys(t testing.TB) *secret.Keys {
	k, err := secret.NewKeys(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func open(t testing.TB, dbURL string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), postgres.Config{URL: dbURL, Sealer: keys(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func rawDB(t testing.TB, dbURL string) *sql.DB {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The shared store suite, each test in a fresh schema.
func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opened {
		u := testDB(t)
		st, raw := open(t, u), rawDB(t, u)
		return storetest.Opened{Store: st, Exec: func(ctx context.Context, q string) error {
			_, err := raw.ExecContext(ctx, q)
			return err
		}, Reopen: func(t *testing.T) gateway.Store { return open(t, u) }, As: func(t *testing.T, inst string) gateway.Store {
			as, err := postgres.Open(context.Background(), postgres.Config{URL: u, Sealer: keys(t), Instance: inst})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { as.Close() })
			return as
		}}
	})
}
