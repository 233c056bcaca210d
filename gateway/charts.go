package gateway

import (
	"context"
	"sort"
	"time"
)

// The console's charts: counts the store groups in one query per chart,
// never a walk over every request.

// ChartPoint is one bucket of a chart: the requests that arrived in it,
// by outcome.
type ChartPoint struct {
	Start      time.Time
	Requests   int // every request, whatever became of it
	Delivered  int
	RolledBack int
	Rejected   int
}

// Chart is a run of buckets from Since: of equal Width, except a chart by
// calendar day, whose days are 23 or 25 hours long when a clock changes.
type Chart struct {
	Since  time.Time
	Width  time.Duration
	Points []ChartPoint
	// Total sums the points; Max is the largest bucket's request count;
	// Peak is that bucket (the first one when several tie).
	Total ChartPoint
	Max   int
	Peak  ChartPoint
}

// RouteRate is how one route's deliveries ended over the chart's window.
type RouteRate struct {
	Route  Route
	Sent   int // accepted by the provider
	Failed int // given up on
	// Percent is Sent of Sent+Failed, rounded down; -1 when none ended.
	Percent int
}

// WeekChart is the overview's last 7 days, by hour, and each route's
// success rate over the same days.
type WeekChart struct {
	Chart
	Routes []RouteRate
}

// chartHours is the overview's window: 7 days of hours.
const chartHours = 7 * 24

// Week draws the last 7 days by hour in loc (the current hour last), for
// the actor's tenant or, for an operator who names none, every tenant.
func (s *Service) Week(ctx context.Context, a Actor, tenant string, loc *time.Location) (*WeekChart, error) {
	tid, err := s.scopeID(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	now := s.clock().In(loc)
	start := time.Date(now.Year(), now.Month(), now.Day(), now.Hour(), 0, 0, 0, loc).Add(-(chartHours - 1) * time.Hour)
	c, err := s.chart(ctx, BucketQuery{TenantID: tid, Since: start, Width: time.Hour, Buckets: chartHours})
	if err != nil {
		return nil, err
	}
	w := &WeekChart{Chart: *c}
	stats, err := s.store.RouteStats(ctx, tid, start)
	if err != nil {
		return nil, err
	}
	for _, r := range stats {
		rr := RouteRate{Route: r.Route, Sent: r.Sent, Failed: r.Failed, Percent: -1}
		if n := r.Sent + r.Failed; n > 0 {
			rr.Percent = 100 * r.Sent / n
		}
		w.Routes = append(w.Routes, rr)
	}
	return w, nil
}

// timelineDays is how far back a person's timeline looks.
const timelineDays = 30

// PersonTimeline draws one person's resets of the last 30 days, by
// calendar day in loc: a day runs from one local midnight to the next, so
// the day a clock changes is 23 or 25 hours long.
func (s *Service) PersonTimeline(ctx context.Context, a Actor, personID int64, loc *time.Location) (*Chart, error) {
	p, err := s.Person(ctx, a, "", personID)
	if err != nil {
		return nil, err
	}
	now := s.clock().In(loc)
	return s.dayChart(ctx, BucketQuery{TenantID: p.TenantID, PersonID: p.ID}, now, timelineDays, loc)
}

// dayGrain is the store's bucket width for charts by day: every zone's
// offset and clock change today is a multiple of 15 minutes, so each local
// midnight falls on a grain boundary and no grain straddles two days.
const dayGrain = 15 * time.Minute

// dayChart counts the last days calendar days in loc (today last). The
// store groups by equal widths, so it is asked for fine grains which are
// then folded into the days they start in.
func (s *Service) dayChart(ctx context.Context, q BucketQuery, now time.Time, days int, loc *time.Location) (*Chart, error) {
	now = now.In(loc)
	bounds := make([]time.Time, days+1) // the midnights of each day and of tomorrow
	for i := range bounds {
		bounds[i] = time.Date(now.Year(), now.Month(), now.Day()-(days-1)+i, 0, 0, 0, 0, loc)
	}
	q.Since, q.Width = bounds[0], dayGrain
	q.Buckets = int((bounds[days].Sub(bounds[0]) + dayGrain - 1) / dayGrain)
	rows, err := s.store.ResetBuckets(ctx, q)
	if err != nil {
		return nil, err
	}
	c := &Chart{Since: bounds[0], Width: 24 * time.Hour, Points: make([]ChartPoint, days)}
	for i := range c.Points {
		c.Points[i].Start = bounds[i]
	}
	for i := range rows {
		at := q.Since.Add(time.Duration(rows[i].Index) * dayGrain)
		// The day whose next midnight is the first one after at.
		rows[i].Index = sort.Search(days, func(d int) bool { return bounds[d+1].After(at) })
	}
	c.add(rows)
	return c, nil
}

func (s *Service) chart(ctx context.Context, q BucketQuery) (*Chart, error) {
	rows, err := s.store.ResetBuckets(ctx, q)
	if err != nil {
		return nil, err
	}
	c := &Chart{Since: q.Since, Width: q.Width, Points: make([]ChartPoint, q.Buckets)}
	for i := range c.Points {
		c.Points[i].Start = q.Since.Add(time.Duration(i) * q.Width)
	}
	c.add(rows)
	return c, nil
}

// add counts the store's rows into the chart's points and totals.
func (c *Chart) add(rows []ResetBucket) {
	for _, b := range rows {
		if b.Index < 0 || b.Index >= len(c.Points) {
			continue
		}
		pt := &c.Points[b.Index]
		pt.Requests += b.Count
		switch b.State {
		case StateDelivered:
			pt.Delivered += b.Count
		case StateRolledBack:
			pt.RolledBack += b.Count
		case StateRejected:
			pt.Rejected += b.Count
		}
	}
	for _, pt := range c.Points {
		c.Total.Requests += pt.Requests
		c.Total.Delivered += pt.Delivered
		c.Total.RolledBack += pt.RolledBack
		c.Total.Rejected += pt.Rejected
		if pt.Requests > c.Max {
			c.Max, c.Peak = pt.Requests, pt
		}
	}
}
