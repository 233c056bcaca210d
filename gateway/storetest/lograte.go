package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

func testEvents(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	add := func(e gateway.Event) int64 {
		t.Helper()
		must(t, st.AppendEvent(ctx, &e))
		if e.ID == 0 {
			t.Fatal("no event id")
		}
		return e.ID
	}
	e1 := add(gateway.Event{TenantID: 1, At: t0, Actor: gateway.ActorCrew, Type: "reset.received", RequestID: "rr_1", PersonID: 7, IP: "192.0.2.1"})
	e2 := add(gateway.Event{TenantID: 1, At: t0.Add(time.Second), Actor: gateway.ActorSystem, Type: "delivery.sent", RequestID: "rr_1",
		Channel: "sms", ProviderID: "SM1", Code: "ok", Detail: "accepted"})
	e3 := add(gateway.Event{TenantID: 2, At: t0.Add(2 * time.Second), Actor: gateway.ActorAdmin, ActorID: "boss@x.example", Type: "tenant.updated"})
	e4 := add(gateway.Event{TenantID: 1, At: t0.Add(3 * time.Second), Actor: gateway.ActorSystem, Type: "reset.delivered", RequestID: "rr_1", PersonID: 7})
	list := func(f gateway.EventFilter) []int64 {
		t.Helper()
		es, err := st.ListEvents(ctx, f)
		must(t, err)
		out := make([]int64, len(es))
		for i, e := range es {
			out[i] = e.ID
		}
		return out
	}
	for i, tc := range []struct {
		f    gateway.EventFilter
		want []int64
	}{
		{gateway.EventFilter{}, []int64{e1, e2, e3, e4}},
		{gateway.EventFilter{TenantID: 1}, []int64{e1, e2, e4}},
		{gateway.EventFilter{Types: []string{"reset.received", "tenant.updated"}}, []int64{e1, e3}},
		{gateway.EventFilter{PersonID: 7}, []int64{e1, e4}},
		{gateway.EventFilter{RequestID: "rr_1", Limit: 2}, []int64{e1, e2}},
		{gateway.EventFilter{Actor: "boss@x.example"}, []int64{e3}},
		{gateway.EventFilter{Actor: gateway.ActorSystem}, []int64{e2, e4}},
		{gateway.EventFilter{Since: t0.Add(time.Second), Until: t0.Add(3 * time.Second)}, []int64{e2, e3}},
		{gateway.EventFilter{AfterID: e2}, []int64{e3, e4}},
		{gateway.EventFilter{Desc: true, Limit: 2}, []int64{e4, e3}},
		{gateway.EventFilter{Desc: true, BeforeID: e3}, []int64{e2, e1}},
	} {
		if got := list(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%d %+v: %v, want %v", i, tc.f, got, tc.want)
		}
	}
	es, _ := st.ListEvents(ctx, gateway.EventFilter{AfterID: e1, Limit: 1})
	if e := es[0]; e.Channel != "sms" || e.ProviderID != "SM1" || e.Code != "ok" || e.Detail != "accepted" ||
		!e.At.Equal(t0.Add(time.Second)) || e.TenantID != 1 {
		t.Fatalf("event fields: %+v", e)
	}
}

// The log is append-only in the database itself: an edit or a delete past
// the store is refused.
func testEventsAppendOnly(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	must(t, st.AppendEvent(ctx, &gateway.Event{At: t0, Actor: gateway.ActorSystem, Type: "x"}))
	for _, q := range []string{`UPDATE events SET type = 'y'`, `DELETE FROM events`} {
		if err := o.Exec(ctx, q); err == nil {
			t.Fatalf("%s went through", q)
		}
	}
	es, err := st.ListEvents(ctx, gateway.EventFilter{})
	if err != nil || len(es) != 1 || es[0].Type != "x" {
		t.Fatalf("the log changed: %v %v", es, err)
	}
}

func testHitCountsPerWindow(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	l := []gateway.Limit{{Scope: "ip", Key: "192.0.2.1", Max: 2, Window: time.Hour}}
	for i, want := range []bool{false, false, true} {
		over, err := st.Hit(ctx, t0, l)
		if err != nil || (over != nil) != want {
			t.Fatalf("hit %d: over=%v err=%v", i, over, err)
		}
	}
	if n, _ := st.Count(ctx, t0, l[0]); n != 3 {
		t.Fatalf("count %d, want 3 (Hit counts even when over)", n)
	}
	if over, _ := st.Over(ctx, t0, l); over == nil {
		t.Fatal("Over does not see the count")
	}
	if over, _ := st.Over(ctx, t0.Add(time.Hour), l); over != nil {
		t.Fatal("the next window starts at zero")
	}
	// A limit without Max or Window counts nothing.
	if over, err := st.Hit(ctx, t0, []gateway.Limit{{Scope: "ip", Key: "x"}}); over != nil || err != nil {
		t.Fatalf("uncounted limit: %v %v", over, err)
	}
	must(t, st.ClearHits(ctx, l[0]))
	if over, _ := st.Over(ctx, t0, l); over != nil {
		t.Fatal("cleared counts still there")
	}
}

func testReserveRefusesWithoutCounting(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	now := t0
	pair := gateway.Limit{Scope: "p", Key: "a", Max: 4, Window: time.Hour, Free: 2, Delay: time.Second}
	ip := gateway.Limit{Scope: "i", Key: "b", Max: 100, Window: time.Hour}
	count := func(l gateway.Limit) int {
		n, err := st.Count(ctx, now, l)
		must(t, err)
		return n
	}
	for i, tc := range []struct {
		after   time.Duration
		refused bool
	}{
		{0, false}, {0, false}, // free
		{0, true},                         // the pause after the 2nd
		{time.Second, false},              // waited 1 s
		{time.Second, true},               // now 2 s are asked for
		{time.Second, false},              // 2 s since the 4th: allowed
		{time.Hour - 5*time.Second, true}, // at Max for the window
	} {
		now = now.Add(tc.after)
		over, err := st.Reserve(ctx, now, []gateway.Limit{ip, pair})
		if err != nil || (over != nil) != tc.refused {
			t.Fatalf("attempt %d: refused=%v err=%v, want refused=%v", i, over, err, tc.refused)
		}
	}
	// Refused attempts counted nowhere, the earlier limit included.
	if count(pair) != 4 || count(ip) != 4 {
		t.Fatalf("counts %d %d, want 4 4", count(pair), count(ip))
	}
	must(t, st.Release(ctx, now, []gateway.Limit{ip}))
	if count(ip) != 3 {
		t.Fatalf("release: %d", count(ip))
	}
	// Prefix clearing takes every key of the scope that starts with it,
	// and only those.
	other := gateway.Limit{Scope: "p", Key: "b", Max: 4, Window: time.Hour}
	like := gateway.Limit{Scope: "p", Key: "a%", Max: 4, Window: time.Hour}
	for _, l := range []gateway.Limit{other, like} {
		if _, err := st.Hit(ctx, now, []gateway.Limit{l}); err != nil {
			t.Fatal(err)
		}
	}
	must(t, st.ClearHitsPrefix(ctx, "p", "a"))
	if count(pair) != 0 || count(like) != 0 || count(other) != 1 || count(ip) != 3 {
		t.Fatalf("clear by prefix: %d %d %d %d", count(pair), count(like), count(other), count(ip))
	}
	must(t, st.ClearHitsPrefix(ctx, "p", "%"))
	if count(other) != 1 {
		t.Fatal("a % in the prefix matched as a wildcard")
	}
}

// Reservations racing for the last places of a limit never pass it.
func testConcurrentReserve(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	l := []gateway.Limit{{Scope: "tenant", Key: "acme", Max: 5, Window: time.Hour}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted, failed := 0, 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			over, err := st.Reserve(ctx, t0, l)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				failed++
			case over == nil:
				granted++
			}
		}()
	}
	wg.Wait()
	if granted > 5 || failed > 0 && granted+failed < 5 {
		t.Fatalf("%d granted (max 5), %d errors", granted, failed)
	}
	if n, _ := st.Count(ctx, t0, l[0]); n != granted {
		t.Fatalf("count %d, granted %d", n, granted)
	}
}

func testPruneHits(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	l := gateway.Limit{Scope: "ip", Key: "a", Max: 10, Window: time.Hour}
	for _, at := range []time.Time{t0, t0.Add(time.Hour)} {
		if _, err := st.Hit(ctx, at, []gateway.Limit{l}); err != nil {
			t.Fatal(err)
		}
	}
	must(t, st.PruneHits(ctx, t0.Add(time.Hour)))
	n1, _ := st.Count(ctx, t0, l)
	n2, _ := st.Count(ctx, t0.Add(time.Hour), l)
	if n1 != 0 || n2 != 1 {
		t.Fatalf("after prune: %d %d, want 0 1", n1, n2)
	}
}

func testRejects(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	g := &gateway.RejectGroup{Key: "ip:192.0.2.1", WindowStart: t0, Reason: "rate_ip", IP: "192.0.2.1", LastAt: t0.Add(time.Second)}
	must(t, st.RecordReject(ctx, g))
	if g.ID == 0 || g.Count != 1 || !g.FirstAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("first: %+v", g)
	}
	again := &gateway.RejectGroup{Key: g.Key, WindowStart: t0, Reason: "rate_ip", IP: "192.0.2.1", LastAt: t0.Add(time.Minute)}
	must(t, st.RecordReject(ctx, again))
	if again.ID != g.ID || again.Count != 2 || !again.FirstAt.Equal(g.FirstAt) {
		t.Fatalf("same group: %+v", again)
	}
	next := &gateway.RejectGroup{Key: g.Key, WindowStart: t0.Add(time.Hour), Reason: "rate_ip", LastAt: t0.Add(time.Hour)}
	must(t, st.RecordReject(ctx, next))
	if next.ID == g.ID || next.Count != 1 {
		t.Fatalf("next window: %+v", next)
	}
	got, err := st.RejectGroup(ctx, g.ID)
	if err != nil || got.Count != 2 || !got.LastAt.Equal(t0.Add(time.Minute)) || !got.WindowStart.Equal(t0) || got.Reason != "rate_ip" {
		t.Fatalf("group: %+v %v", got, err)
	}
}

func testWithTx(t *testing.T, o Opened) {
	st, ctx := o.Store, context.Background()
	boom := errors.New("boom")
	err := st.WithTx(ctx, func(tx gateway.Store) error {
		tenant(t, tx, "gone")
		// A nested call joins the outer transaction and sees its rows.
		return tx.WithTx(ctx, func(inner gateway.Store) error {
			if _, err := inner.TenantBySlug(ctx, "gone"); err != nil {
				return err
			}
			return boom
		})
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WithTx returned %v", err)
	}
	if _, err := st.TenantBySlug(ctx, "gone"); !gateway.IsNotFound(err) {
		t.Fatalf("rolled-back tenant exists: %v", err)
	}
	must(t, st.WithTx(ctx, func(tx gateway.Store) error { tenant(t, tx, "kept"); return nil }))
	if _, err := st.TenantBySlug(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
}
