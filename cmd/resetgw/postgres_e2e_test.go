package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
)

// pgSchema makes a schema of its own for a test on the server named by
// RESETGW_TEST_POSTGRES and returns the URL that selects it; the test
// skips without the variable.
func pgSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv("RESETGW_TEST_POSTGRES")
	if base == "" {
		t.Skip("RESETGW_TEST_POSTGRES is unset: set it to a PostgreSQL URL (.ci/run starts a server) to run the gateway on PostgreSQL")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	rand.Read(b[:])
	schema := "e2e_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Two gateways on one PostgreSQL database: a reset asked of one is sent
// once, and its password logs in at the other.
func TestTwoInstancesOnPostgres(t *testing.T) {
	db := pgSchema(t)
	mailSrv := smtptest.Start(t, smtptest.Options{})
	tw := twiliotest.Start(t, sid, authToken)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var gws []gw
	var dones []chan error
	for range 2 {
		listen := freeAddr(t)
		env := providerEnv(t, db, mailSrv, tw, listen)
		env = append(env, "RESETGW_SECRET_KEY="+strings.Repeat("ab", 32), "XDG_CONFIG_HOME="+t.TempDir())
		done := make(chan error, 1)
		var out syncBuf
		go func() { done <- run(ctx, []string{"serve"}, envFunc(env), nil, &out, &out) }()
		g := gw{t: t, base: "http://" + listen}
		g.waitHealthy()
		gws, dones = append(gws, g), append(dones, done)
	}
	a, b := gws[0], gws[1]
	a.person("ana@acme.example", "+12015550123")
	id := a.reset("ana@acme.example", "+12015550123")
	b.waitState(id, "delivered")
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	texts, err := tw.Wait(wctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mailSrv.Wait(wctx, 1); err != nil {
		t.Fatal(err)
	}
	pw := password(t, texts[0].Body)
	b.waitSettled(id)
	if code := b.login("ana@acme.example", pw); code != 200 {
		t.Fatalf("the new password at the other instance: %d", code)
	}
	// Both instances' workers ran the whole time: nothing went twice. (The
	// login sends a "password changed" notice of its own: count what
	// carries the password, and every message id once.)
	time.Sleep(500 * time.Millisecond)
	withPW, ids := 0, map[string]bool{}
	for _, m := range mailSrv.Messages() {
		if strings.Contains(mailText(t, m.Data), pw) {
			withPW++
		}
		if id := m.Header.Get("Message-Id"); ids[id] {
			t.Fatalf("mail %s sent twice", id)
		} else {
			ids[id] = true
		}
	}
	for _, m := range tw.Messages() {
		if strings.Contains(m.Body, pw) {
			withPW++
		}
		if ids[m.SID] {
			t.Fatalf("text %s sent twice", m.SID)
		}
		ids[m.SID] = true
	}
	if withPW != 2 {
		t.Fatalf("the password went out %d times, want once by text and once by mail", withPW)
	}
	cancel()
	for _, d := range dones {
		if err := <-d; err != nil {
			t.Fatalf("run: %v", err)
		}
	}
}

// BenchmarkResetEndToEndPostgres is BenchmarkResetEndToEnd with the
// gateway on PostgreSQL (a fresh schema each run):
//
//	RESETGW_TEST_POSTGRES=postgres://… go test ./cmd/resetgw -run '^$' -bench ResetEndToEndPostgres -benchtime 3000x
func BenchmarkResetEndToEndPostgres(b *testing.B) {
	benchResets(b, pgBenchStore)
}

// BenchmarkResetEndToEndPostgresTwo is BenchmarkResetEndToEndPostgres
// with two gateways on the one database, the clients split between them:
//
//	RESETGW_TEST_POSTGRES=postgres://… go test ./cmd/resetgw -run '^$' -bench ResetEndToEndPostgresTwo -benchtime 3000x
func BenchmarkResetEndToEndPostgresTwo(b *testing.B) {
	benchResetsOn(b, 2, pgBenchStore)
}

// pgBenchStore is a fresh schema reached through a round-trip counter.
func pgBenchStore(b *testing.B) ([]string, *pgWire) {
	wire, db := startPGWire(b, pgSchema(b))
	return []string{"RESETGW_DB", db, "RESETGW_SECRET_KEY", strings.Repeat("ab", 32)}, wire
}
