package gateway_test

import (
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// The week's chart and a person's timeline count what the log holds, in
// the right buckets of the tenant's zone, and stay in the actor's scope.
func TestWeekChartAndTimeline(t *testing.T) {
	e := newEnv(t, true)
	dana := e.person("dana@acme.example", "+12015550123", "")
	e.person("eli@acme.example", "+12015550124", "")
	chicago, _ := time.LoadLocation("America/Chicago")
	e.advance(-3 * 24 * time.Hour) // three days ago
	e.reset("dana@acme.example", "+12015550123")
	e.drain()
	e.advance(3*24*time.Hour - 2*time.Hour) // two hours ago
	e.reset("eli@acme.example", "+12015550124")
	e.reset("nobody@acme.example", "+12015550199") // rejected: no such person
	e.drain()
	e.advance(2 * time.Hour)
	e.reset("dana@acme.example", "+12015550123")
	e.drain()

	w, err := e.svc.Week(e.ctx, operator, "", chicago)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Points) != 7*24 || w.Total.Requests != 4 || w.Total.Rejected != 1 || w.Total.Delivered != 3 {
		t.Fatalf("week: %d points, total %+v", len(w.Points), w.Total)
	}
	last := w.Points[len(w.Points)-1]
	if last.Requests != 1 || last.Start.Location() != chicago || last.Start.Minute() != 0 || last.Start.After(e.clock()) ||
		e.clock().Sub(last.Start) >= time.Hour {
		t.Fatalf("last hour: %+v (now %v)", last, e.clock())
	}
	if w.Max != 2 || w.Peak.Requests != 2 || w.Points[len(w.Points)-3].Requests != 2 {
		t.Fatalf("peak: max %d %+v", w.Max, w.Peak)
	}
	if len(w.Routes) == 0 {
		t.Fatal("no route rates")
	}
	for _, r := range w.Routes {
		if r.Percent != 100 || r.Sent == 0 {
			t.Errorf("route %s: %+v", r.Route, r)
		}
	}

	tl, err := e.svc.PersonTimeline(e.ctx, operator, dana.ID, chicago)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Points) != 30 || tl.Total.Requests != 2 || tl.Points[29].Requests != 1 || tl.Points[26].Requests != 1 {
		t.Fatalf("timeline: %d points, total %+v, today %+v", len(tl.Points), tl.Total, tl.Points[29])
	}
	// Another tenant's admin sees neither.
	_, boss := e.tenantAdmin("beta")
	if _, err := e.svc.PersonTimeline(e.ctx, boss, dana.ID, chicago); !gateway.IsNotFound(err) {
		t.Fatalf("another tenant's timeline: %v", err)
	}
	if w, err := e.svc.Week(e.ctx, boss, "", chicago); err != nil || w.Total.Requests != 0 {
		t.Fatalf("another tenant's week: %+v %v", w, err)
	}
}
