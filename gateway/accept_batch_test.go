package gateway_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// One commit holds a client over its flood ceiling beside the requests
// it may still make, as when each was written alone: the first PerIP are
// stored, each with its event; the rest are counted in their group, with
// one flood event for all of them and ids that name the group.
func TestAcceptGroupCommit_FloodInsideOneBatch(t *testing.T) {
	const perIP, n = 4, 10
	g := &gateStore{entered: make(chan struct{}), release: make(chan struct{})}
	e := newEnv(t, true, func(c *gateway.Config) {
		c.Limits.PerIP = perIP
		g.Store = c.Store
		c.Store = g
	})
	ids, errs := make([]string, n+1), make([]error, n+1)
	var wg sync.WaitGroup
	send := func(i int, ip string) {
		defer wg.Done()
		ids[i], errs[i] = e.svc.RequestReset(e.ctx, gateway.ResetInput{Email: fmt.Sprintf("crew%d@acme.example", i), IP: ip})
	}
	wg.Add(1)
	go send(0, "198.51.100.1") // holds the first commit
	<-g.entered
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go send(i, "203.0.113.9")
	}
	for deadline := time.Now().Add(30 * time.Second); e.svc.AcceptQueueLen() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d requests queued", e.svc.AcceptQueueLen(), n)
		}
		time.Sleep(time.Millisecond)
	}
	close(g.release)
	wg.Wait()
	if c := g.calls.Load(); c != 2 {
		t.Fatalf("%d commits, want 2", c)
	}
	stored, refused := 0, map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if strings.HasPrefix(ids[i], "rr_") && len(ids[i]) > 3 {
			if r, err := e.store.Reset(e.ctx, ids[i]); err == nil {
				if r.State != gateway.StateReceived {
					t.Fatalf("request %d stored as %s", i, r.State)
				}
				stored++
				continue
			}
		}
		refused[ids[i]] = true
		r, err := e.svc.Reset(e.ctx, operator, ids[i])
		if err != nil || r.State != gateway.StateRejected || r.Reason != gateway.ReasonRateLimited {
			t.Fatalf("refused request %d (%s): %+v %v", i, ids[i], r, err)
		}
	}
	if stored != 1+perIP || len(refused) != n-perIP {
		t.Fatalf("%d stored and %d distinct refused ids, want %d and %d", stored, len(refused), 1+perIP, n-perIP)
	}
	es, err := e.store.ListEvents(e.ctx, gateway.EventFilter{Types: []string{"reset_requested", gateway.EventResetFlood}})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, ev := range es {
		count[ev.Type]++
		if ev.Type == "reset_requested" && !slices.Contains(ids, ev.RequestID) {
			t.Fatalf("event for a request nobody was answered: %+v", ev)
		}
	}
	if count["reset_requested"] != 1+perIP || count[gateway.EventResetFlood] != 1 {
		t.Fatalf("events %v, want %d reset_requested and 1 %s", count, 1+perIP, gateway.EventResetFlood)
	}
}
