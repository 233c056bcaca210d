package gateway_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

const phoneB = "+12015550188"

func (e *env) resetFrom(email, phone, ip string) string {
	e.t.Helper()
	id, err := e.svc.RequestReset(e.ctx, gateway.ResetInput{Email: email, Phone: phone, IP: ip})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func withLimits(f func(*gateway.Limits)) func(*gateway.Config) {
	return func(c *gateway.Config) { f(&c.Limits) }
}

// Twenty requests name Maria's phone with someone else's email (or with
// nobody's). They count against whoever they matched, never against
// Maria, and her own request then goes out.
func TestHardening04_ResetsNamingMariasPhoneDoNotUseUpHers(t *testing.T) {
	e := newEnv(t, true)
	maria := e.person("maria@acme.example", phoneA, "")
	bob := e.person("bob@acme.example", phoneB, "")
	attacker := "203.0.113.9"
	var bobs []string
	for i := range 20 {
		if i%2 == 0 {
			bobs = append(bobs, e.resetFrom("bob@acme.example", phoneA, attacker))
		} else {
			e.resetFrom(fmt.Sprintf("nobody%d@acme.example", i), phoneA, attacker)
		}
	}
	e.drain()
	before := len(e.twilio.all())
	id := e.resetFrom("maria@acme.example", phoneA, "198.51.100.30")
	e.drain()
	if r := e.request(id); r.State != gateway.StateDelivered {
		t.Fatalf("Maria's own request: %s %s", r.State, r.Reason)
	}
	sms := e.twilio.all()[before:]
	if len(sms) != 1 || sms[0].To != phoneA {
		t.Fatalf("texts after Maria's request: %+v", sms)
	}
	// Bob was the one targeted: his requests over the limit are logged as
	// such, once, and not one event each.
	limited := 0
	for _, id := range bobs {
		if r := e.request(id); r.State == gateway.StateRejected && r.Reason == gateway.ReasonRateLimited {
			limited++
			if r.PersonID != bob.ID {
				t.Fatalf("limited request names person %d", r.PersonID)
			}
		}
	}
	if want := len(bobs) - gateway.DefaultLimits().PerPersonIP; limited != want {
		t.Fatalf("%d of Bob's requests limited, want %d", limited, want)
	}
	evs := e.events(gateway.EventResetTargeted)
	if len(evs) != 1 || evs[0].PersonID != bob.ID || evs[0].IP != attacker || evs[0].Code != gateway.ReasonRateLimited {
		t.Fatalf("targeted events %+v", evs)
	}
	for _, ev := range e.events("reset_rejected") {
		if ev.Code == gateway.ReasonRateLimited || ev.PersonID == maria.ID {
			t.Fatalf("a per-request rejection event: %+v", ev)
		}
	}
}

// The per-person ceiling holds across addresses.
func TestHardening04_PerPersonCeilingAcrossAddresses(t *testing.T) {
	e := newEnv(t, true)
	e.person("dan@acme.example", phoneA, "")
	lim := gateway.DefaultLimits()
	var ids []string
	for i := range lim.PerPerson + 2 {
		ids = append(ids, e.resetFrom("dan@acme.example", "", fmt.Sprintf("203.0.113.%d", 1+i)))
	}
	e.drain()
	limited := 0
	for _, id := range ids {
		if r := e.request(id); r.Reason == gateway.ReasonRateLimited {
			limited++
		}
	}
	if limited != 2 {
		t.Fatalf("%d limited, want 2", limited)
	}
}

// Requests that match nobody do not use up the tenant's budget.
func TestHardening04_UnmatchedFloodLeavesTenantBudget(t *testing.T) {
	e := newEnv(t, true, withLimits(func(l *gateway.Limits) { l.PerTenant = 5 }))
	e.person("cy@acme.example", phoneA, "")
	for i := range 20 {
		e.resetFrom(fmt.Sprintf("nobody%d@acme.example", i), "", fmt.Sprintf("203.0.113.%d", 1+i))
	}
	e.drain()
	id := e.resetFrom("cy@acme.example", "", "198.51.100.31")
	e.drain()
	if r := e.request(id); r.State != gateway.StateDelivered {
		t.Fatalf("a real request after an unmatched flood: %s %s", r.State, r.Reason)
	}
}

// A flood from one client past its ceiling is counted in one row: 1,000
// limited requests add one event and one row, and each of their ids
// still answers rejected / rate_limited.
func TestHardening17_FloodIsCountedNotLogged(t *testing.T) {
	e := newEnv(t, true)
	perIP := gateway.DefaultLimits().PerIP
	n := perIP + 1000
	ids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				id, err := e.svc.RequestReset(e.ctx, gateway.ResetInput{Email: fmt.Sprintf("x%d@acme.example", i), IP: "203.0.113.50"})
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = id
			}
		}()
	}
	wg.Wait()
	db, err := sql.Open("sqlite3", "file:"+e.dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string) int {
		var c int
		if err := db.QueryRow(q).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if rows := count(`SELECT count(*) FROM reset_requests`); rows != perIP {
		t.Fatalf("%d request rows, want the %d under the ceiling", rows, perIP)
	}
	if rows, total := count(`SELECT count(*) FROM reset_rejects`), count(`SELECT sum(count) FROM reset_rejects`); rows != 1 || total != 1000 {
		t.Fatalf("reject rows %d counting %d, want 1 counting 1000", rows, total)
	}
	if evs := count(`SELECT count(*) FROM events`); evs != perIP+1 {
		t.Fatalf("%d events, want one per stored request and one for the flood", evs)
	}
	limited := 0
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || len(id) != len(ids[0]) {
			t.Fatalf("id %q repeated or of another length", id)
		}
		seen[id] = true
		r, err := e.svc.Reset(e.ctx, operator, id)
		if err != nil {
			t.Fatalf("GET %s: %v", id, err)
		}
		if r.State == gateway.StateRejected && r.Reason == gateway.ReasonRateLimited {
			limited++
		}
	}
	if limited != 1000 {
		t.Fatalf("%d ids answer rejected/rate_limited, want 1000", limited)
	}
	// A made-up id names nothing, nor does a tenant admin see the flood.
	_, other := e.tenantAdmin("other")
	var limitedID string
	for _, id := range ids {
		if r, _ := e.svc.Reset(e.ctx, operator, id); r.Reason == gateway.ReasonRateLimited {
			limitedID = id
			break
		}
	}
	if _, err := e.svc.Reset(e.ctx, other, limitedID); !gateway.IsNotFound(err) {
		t.Fatalf("tenant admin: %v", err)
	}
	forged := []byte(limitedID)
	forged[5] ^= 1
	if forged[5] == '0' || forged[5] == '1' {
		forged[5] = 'a'
	}
	if _, err := e.svc.Reset(e.ctx, operator, string(forged)); !gateway.IsNotFound(err) {
		t.Fatalf("made-up id: %v", err)
	}
}

// gateStore counts top-level transactions; it can hold the first one
// until released, and fail chosen ones (after running them, so that the
// real transaction rolls back).
type gateStore struct {
	gateway.Store
	calls   atomic.Int64
	entered chan struct{}
	release chan struct{}
	failOn  func(call int64) bool
}

func (g *gateStore) WithTx(ctx context.Context, fn func(gateway.Store) error) error {
	n := g.calls.Add(1)
	if n == 1 && g.release != nil {
		close(g.entered)
		<-g.release
	}
	return g.Store.WithTx(ctx, func(st gateway.Store) error {
		if err := fn(st); err != nil {
			return err
		}
		if g.failOn != nil && g.failOn(n) {
			return errors.New("disk I/O error")
		}
		return nil
	})
}

// lineUp sends one request and holds its commit, sends n more, waits until
// they all wait on the committer, then lets the commit go. It returns
// every caller's id and error.
func lineUp(t *testing.T, e *env, g *gateStore, n int) ([]string, []error) {
	t.Helper()
	ids, errs := make([]string, n+1), make([]error, n+1)
	var wg sync.WaitGroup
	send := func(i int) {
		defer wg.Done()
		ids[i], errs[i] = e.svc.RequestReset(e.ctx, gateway.ResetInput{
			Email: fmt.Sprintf("crew%d@acme.example", i), IP: fmt.Sprintf("198.51.100.%d", 1+i)})
	}
	wg.Add(1)
	go send(0)
	<-g.entered
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go send(i)
	}
	deadline := time.Now().Add(30 * time.Second)
	for e.svc.AcceptQueueLen() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d requests queued", e.svc.AcceptQueueLen(), n)
		}
		time.Sleep(time.Millisecond)
	}
	close(g.release)
	wg.Wait()
	return ids, errs
}

// Requests that arrive while a commit is under way are written together
// in the next one, and each caller answers only once its request is in
// the store.
func TestAcceptGroupCommit_ConcurrentRequestsShareOneCommit(t *testing.T) {
	g := &gateStore{entered: make(chan struct{}), release: make(chan struct{})}
	e := newEnv(t, true, func(c *gateway.Config) { g.Store = c.Store; c.Store = g })
	ids, errs := lineUp(t, e, g, 40)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if r, err := e.store.Reset(e.ctx, ids[i]); err != nil || r.State != gateway.StateReceived {
			t.Fatalf("request %d answered but not stored: %v", i, err)
		}
	}
	if c := g.calls.Load(); c != 2 {
		t.Fatalf("41 requests took %d commits, want 2 (the first, then the 40 that waited)", c)
	}
}

// A batch that fails is written again one request at a time: a request
// that still cannot be stored gets 503, the others their 202, and none is
// answered without being stored.
func TestAcceptGroupCommit_FailedBatchFallsBackAndNever202sUnstored(t *testing.T) {
	g := &gateStore{entered: make(chan struct{}), release: make(chan struct{}),
		// 1: the first request alone; 2: the batch of 10; 3..12: one by
		// one, of which the 5th fails again.
		failOn: func(n int64) bool { return n == 2 || n == 7 }}
	e := newEnv(t, true, func(c *gateway.Config) { g.Store = c.Store; c.Store = g })
	ids, errs := lineUp(t, e, g, 10)
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			if gateway.ErrorKind(err) != gateway.KindUnavailable || ids[i] != "" {
				t.Fatalf("request %d: %q %v, want 503 and no id", i, ids[i], err)
			}
			continue
		}
		if _, err := e.store.Reset(e.ctx, ids[i]); err != nil {
			t.Fatalf("request %d answered %s but not stored: %v", i, ids[i], err)
		}
	}
	if failed != 1 {
		t.Fatalf("%d requests failed, want 1", failed)
	}
	rs, err := e.store.ResetsInState(e.ctx, gateway.StateReceived, 100)
	if err != nil || len(rs) != 10 {
		t.Fatalf("%d stored, want 10: %v", len(rs), err)
	}
	if !slices.ContainsFunc(rs, func(r *gateway.ResetRequest) bool { return r.ID == ids[0] }) {
		t.Fatal("the first request is missing")
	}
}
