package gateway_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// TestRoutesQueuedCountsTheStore: a lane's queued is what waits for it in
// the store, not only what the worker holds in memory. With room for two
// messages and a relay stalled on the first, the other five wait in the
// store: queued says 6 (7 pending, 1 being sent), where counting memory
// said 1.
func TestRoutesQueuedCountsTheStore(t *testing.T) {
	mail := newLiveSender()
	e := newLiveEnv(t, gateway.WorkerConfig{MaxInFlight: 2, LaneConcurrency: 1}, mail, newLiveSender())
	for i := range 7 {
		email := fmt.Sprintf("crew%d@acme.example", i)
		mail.stall[email] = time.Minute
		e.person(email, "", "")
		e.reset(email, "")
	}
	e.run(mail)
	var l gateway.LaneStatus
	if !waitUntil(10*time.Second, func() bool {
		_, _, calls := mail.snapshot()
		ls, err := e.svc.Routes(e.ctx, operator, "")
		if err != nil || len(ls) != 1 {
			return false // no lane until the first claim
		}
		l = ls[0]
		return calls == 1 && l.InFlight == 1 && l.Queued == 6
	}) {
		t.Fatalf("lane %+v, want 1 in flight and 6 queued", l)
	}
}
