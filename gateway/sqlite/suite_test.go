package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/sqlite"
	"github.com/resetgw/resetgw/gateway/storetest"
)

// The shared store suite, each test on a fresh database file.
func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opened {
		path := filepath.Join(t.TempDir(), "suite.db")
		st, err := sqlite.Open(context.Background(), sqlite.Config{Path: path, Sealer: mustKeys(t, 7)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		raw := openRaw(t, path)
		return storetest.Opened{Store: st, Exec: func(ctx context.Context, q string) error {
			_, err := raw.ExecContext(ctx, q)
			return err
		}, Reopen: func(t *testing.T) gateway.Store {
			again, err := sqlite.Open(context.Background(), sqlite.Config{Path: path, Sealer: mustKeys(t, 7)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { again.Close() })
			return again
		}, As: func(t *testing.T, inst string) gateway.Store {
			as, err := sqlite.Open(context.Background(), sqlite.Config{Path: path, Sealer: mustKeys(t, 7), Instance: inst})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { as.Close() })
			return as
		}}
	})
}

// go test ./gateway/sqlite -run '^$' -bench ClaimRecord
func BenchmarkClaimRecord(b *testing.B) {
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(b.TempDir(), "bench.db"), Sealer: mustKeys(b, 7)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	storetest.BenchClaimRecord(b, st)
}
