package sqlite_test

import (
	"bytes"
	"database/sql"
	"os"
	"testing"

	"github.com/resetgw/resetgw/gateway/secret"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

func mustKeys(t testing.TB, fill byte) *secret.Keys {
	k, err := secret.NewKeys(bytes.Repeat([]byte{fill}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func openRaw(t *testing.T, path string) *sql.DB {
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
