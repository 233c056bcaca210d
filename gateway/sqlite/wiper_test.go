package sqlite_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/sqlite"
)

// wiperStore opens a store with a tenant and n sealed outbox rows.
func wiperStore(t *testing.T, cfg sqlite.Config, n int) (*sqlite.Store, []*gateway.Delivery, string) {
	t.Helper()
	ctx := context.Background()
	cfg.Path, cfg.Sealer = filepath.Join(t.TempDir(), "w.db"), mustKeys(t, 3)
	st, err := sqlite.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tn := gateway.NewTenant("acme", "Acme")
	if err := st.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	var ds []*gateway.Delivery
	for i := range n {
		d := &gateway.Delivery{TenantID: tn.ID, Channel: gateway.ChannelEmail, Route: gateway.RouteEmail,
			To: "a@acme.example", Body: bytes.Repeat([]byte{byte(i + 1)}, 200), BodyKey: bytes.Repeat([]byte{9}, 61),
			Status: gateway.DeliveryPending, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.CreateDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	return st, ds, cfg.Path
}

func wipe(t *testing.T, st *sqlite.Store, d *gateway.Delivery) {
	t.Helper()
	d.Status, d.Body = gateway.DeliverySent, nil // BodyKey left set on purpose
	if err := st.UpdateDelivery(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

// A wipe clears the data key with the body, and a batch of wipes is
// followed by one checkpoint, not one per wipe.
func TestWiperBatchesCheckpoints(t *testing.T) {
	st, ds, _ := wiperStore(t, sqlite.Config{CheckpointEvery: time.Hour, CheckpointAfter: 3}, 3)
	defer st.Close()
	for _, d := range ds {
		if n, _ := st.Checkpoints(); n != 0 {
			t.Fatalf("checkpoint before the batch was full: %d", n)
		}
		wipe(t, st, d)
	}
	deadline := time.Now().Add(30 * time.Second)
	for n, _ := st.Checkpoints(); n != 1; n, _ = st.Checkpoints() {
		if time.Now().After(deadline) {
			t.Fatalf("checkpoints %d after a full batch, want 1", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err := st.Delivery(context.Background(), ds[0].ID)
	if err != nil || got.Body != nil || got.BodyKey != nil {
		t.Fatalf("after wipe: body %v key %v err %v", got.Body, got.BodyKey, err)
	}
}

// Wipes still waiting for their batch are checkpointed at Close.
func TestWiperCheckpointsAtClose(t *testing.T) {
	st, ds, _ := wiperStore(t, sqlite.Config{CheckpointEvery: time.Hour, CheckpointAfter: 100}, 1)
	wipe(t, st, ds[0])
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Checkpoints(); n != 1 || err != nil {
		t.Fatalf("checkpoints at close: %d %v", n, err)
	}
}

// A database from before secure_delete, with a body wiped the old way
// (its bytes left in a freeblock), is scrubbed when it is upgraded.
func TestHardening05_UpgradeScrubsOldFreePages(t *testing.T) {
	st, ds, path := wiperStore(t, sqlite.Config{}, 1)
	st.Close()
	marker := bytes.Repeat([]byte("OLD-SEALED-BODY!"), 8)
	raw := openRaw(t, path+"?_secure_delete=off")
	for _, q := range []string{
		`DELETE FROM schema_migrations WHERE version = 7`,
		`ALTER TABLE deliveries DROP COLUMN body_key`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.Exec(`UPDATE deliveries SET body = ? WHERE id = ?`, marker, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE deliveries SET body = NULL WHERE id = ?`, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if !bytes.Contains(readFile(t, path), marker[:16]) {
		t.Fatal("setup: the old wipe left nothing behind, so this test proves nothing")
	}
	again, err := sqlite.Open(context.Background(), sqlite.Config{Path: path, Sealer: mustKeys(t, 3)})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if bytes.Contains(readFile(t, path), marker[:16]) {
		t.Fatal("the upgrade left a wiped body in the files")
	}
}

// Tenants from before the new defaults: must_change on for all, the
// minimum length moved to 15 where it was the old default 12, kept where a
// tenant chose another.
func TestHardening09_ExistingTenantsMigrated(t *testing.T) {
	st, _, path := wiperStore(t, sqlite.Config{}, 0)
	ctx := context.Background()
	other := gateway.NewTenant("beta", "Beta")
	if err := st.CreateTenant(ctx, other); err != nil {
		t.Fatal(err)
	}
	st.Close()
	raw := openRaw(t, path)
	for _, q := range []string{
		`DELETE FROM schema_migrations WHERE version = 7`,
		`ALTER TABLE deliveries DROP COLUMN body_key`,
		`UPDATE tenants SET must_change = 0, min_password_length = 12 WHERE slug = 'acme'`,
		`UPDATE tenants SET must_change = 0, min_password_length = 10 WHERE slug = 'beta'`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	again, err := sqlite.Open(ctx, sqlite.Config{Path: path, Sealer: mustKeys(t, 3)})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	for slug, min := range map[string]int{"acme": 15, "beta": 10} {
		tn, err := again.TenantBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		if !tn.MustChange || tn.MinPasswordLength != min {
			t.Fatalf("%s after the upgrade: must_change %v, minimum %d (want %d)", slug, tn.MustChange, tn.MinPasswordLength, min)
		}
	}
}
