package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
)

func TestReserveRefusesWithoutCounting(t *testing.T) {
	st, _ := gatewaytest.Store(t, gatewaytest.Keys(t))
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	pair := gateway.Limit{Scope: "p", Key: "a", Max: 4, Window: time.Hour, Free: 2, Delay: time.Second}
	ip := gateway.Limit{Scope: "i", Key: "b", Max: 100, Window: time.Hour}
	count := func(l gateway.Limit) int {
		n, err := st.Count(ctx, now, l)
		if err != nil {
			t.Fatal(err)
		}
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
	if err := st.Release(ctx, now, []gateway.Limit{ip}); err != nil || count(ip) != 3 {
		t.Fatalf("release: %v %d", err, count(ip))
	}
	if err := st.ClearHitsPrefix(ctx, "p", "a"); err != nil || count(pair) != 0 {
		t.Fatalf("clear by prefix: %v %d", err, count(pair))
	}
}
