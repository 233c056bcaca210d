package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// A transaction's BEGIN goes with its first statement and its COMMIT with
// its last writes: a transaction that failed must still end on the
// server, whether it failed in a statement, in a queued write or in the
// caller, and must never leave its connection inside a transaction for
// the next user of the pool.
func TestTransactionsEndCleanly(t *testing.T) {
	st, ctx := open(t, testDB(t)), context.Background()
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	mk := func(slug string) *gateway.Tenant {
		tn := gateway.NewTenant(slug, "Tenant "+slug)
		tn.CreatedAt = t0
		return tn
	}
	stored := func(slug string) bool {
		t.Helper()
		_, err := st.TenantBySlug(ctx, slug)
		if err != nil && !gateway.IsNotFound(err) {
			t.Fatal(err)
		}
		return err == nil
	}
	if err := st.CreateTenant(ctx, mk("taken")); err != nil {
		t.Fatal(err)
	}

	// A statement's error that the caller swallows: the server rolled the
	// transaction back, and the commit must say so.
	err := st.WithTx(ctx, func(tx gateway.Store) error {
		if err := tx.CreateTenant(ctx, mk("swallowed")); err != nil {
			return err
		}
		if err := tx.CreateTenant(ctx, mk("taken")); gateway.ErrorKind(err) != gateway.KindConflict {
			t.Errorf("duplicate slug: %v, want a conflict", err)
		}
		return nil
	})
	if err == nil {
		t.Fatal("a transaction whose statement failed committed")
	}
	if stored("swallowed") {
		t.Fatal("a write of a failed transaction was kept")
	}

	// The caller's own error after writes: nothing kept.
	errMine := errors.New("caller gives up")
	for i := range 20 {
		err := st.WithTx(ctx, func(tx gateway.Store) error {
			if err := tx.CreateTenant(ctx, mk(fmt.Sprintf("given-up-%d", i))); err != nil {
				return err
			}
			return errMine
		})
		if !errors.Is(err, errMine) {
			t.Fatalf("WithTx = %v, want the caller's error", err)
		}
	}
	// An empty transaction and a read-only one commit.
	if err := st.WithTx(ctx, func(gateway.Store) error { return nil }); err != nil {
		t.Fatalf("empty transaction: %v", err)
	}
	if err := st.WithTx(ctx, func(tx gateway.Store) error {
		_, err := tx.TenantBySlug(ctx, "taken")
		return err
	}); err != nil {
		t.Fatalf("read-only transaction: %v", err)
	}
	// Every connection the failures used is clean: transactions side by
	// side all commit, and none of the given-up writes is there.
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() {
			errs[i] = st.WithTx(ctx, func(tx gateway.Store) error { return tx.CreateTenant(ctx, mk(fmt.Sprintf("after-%d", i))) })
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("transaction %d after the failures: %v", i, err)
		}
		if !stored(fmt.Sprintf("after-%d", i)) {
			t.Fatalf("after-%d was not stored", i)
		}
	}
	for i := range 20 {
		if stored(fmt.Sprintf("given-up-%d", i)) {
			t.Fatalf("given-up-%d was kept", i)
		}
	}
}
