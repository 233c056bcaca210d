package gateway

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"
)

// A lane is one way out (an SMTP relay, an SMS sender) with its own
// concurrency, pace and circuit breaker: its trouble holds up only its own
// messages. Within a lane, higher priorities go first.
type lane struct {
	w         *Worker
	key, kind string
	wake      chan struct{}
	br        *gobreaker.TwoStepCircuitBreaker[struct{}]
	// openUntil (UnixNano, on the service's clock) is when an open
	// circuit lets a probe through; lastTenant names the tenant of lane
	// events that no single message caused.
	openUntil  atomic.Int64
	lastTenant atomic.Int64

	mu        sync.Mutex
	conc      int
	tenants   map[string]bool
	queue     []*claim
	inFlight  int
	baseRate  float64 // 0: unpaced
	lim       *rate.Limiter
	slowRate  float64
	slowUntil time.Time
	attn      *attention
	probing   bool // a probe of a lane that needs attention is out
	// premarked counts the waiting messages marked ahead (premark.go).
	premarked int
	lastErr   string
	// lastErrAt is when lastErr happened; links are the tenants' chain
	// links ("slug/index") whose texts the lane carried.
	lastErrAt time.Time
	links     map[string]bool

	// slots are the lane's reserved slots in a shared store (pacing.go),
	// used by the lane's run goroutine alone.
	slots slotBlock
}

// attention is a configuration failure only an admin can fix.
type attention struct {
	code, detail, fix string
	since, nextProbe  time.Time
}

func (a *attention) err() *SendError {
	return &SendError{Class: FailConfig, Code: a.code, Detail: a.detail, Fix: a.fix}
}

func newLane(w *Worker, spec LaneSpec) *lane {
	l := &lane{w: w, key: spec.Key, kind: spec.Kind, wake: make(chan struct{}, 1), tenants: map[string]bool{}}
	n := uint32(w.cfg.BreakerFailures)
	l.br = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name: spec.Key, MaxRequests: 1, Timeout: w.cfg.BreakerOpen,
		ReadyToTrip:   func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= n },
		OnStateChange: func(_ string, _, to gobreaker.State) { l.breakerChanged(to) },
	})
	return l
}

// laneSpec is the lane a claim goes through: the sender's, or one per
// route and tenant; the tenant's sms_rate_per_second paces its texts.
func (w *Worker) laneSpec(c *claim, sender Sender) LaneSpec {
	var spec LaneSpec
	if ln, ok := sender.(Laner); ok {
		spec = ln.Lane(w.message(c, nil))
	}
	if spec.Kind == "" {
		spec.Kind = routeKind(c.d.Route)
	}
	if spec.Key == "" {
		spec.Key = string(c.d.Route) + ":" + c.t.Slug
		if c.d.RouteIndex > 0 {
			// Each link of a chain is its own lane, even of one kind.
			spec.Key += "#" + strconv.Itoa(c.d.RouteIndex)
		}
	}
	if spec.Concurrency <= 0 {
		spec.Concurrency = w.cfg.LaneConcurrency
	}
	if c.d.Channel == ChannelSMS && c.t.SMSRatePerSecond > 0 {
		spec.RatePerSecond = c.t.SMSRatePerSecond
	}
	return spec
}

func routeKind(r Route) string {
	switch r {
	case RouteTwilio:
		return "twilio"
	case RouteCarrier:
		return "carrier"
	case RouteAWS:
		return "aws"
	case RouteWebhook:
		return "webhook"
	}
	return "smtp"
}

func (w *Worker) laneFor(c *claim, sender Sender) *lane {
	spec := w.laneSpec(c, sender)
	w.lmu.Lock()
	l, ok := w.lanes[spec.Key]
	if !ok {
		l = newLane(w, spec)
		w.lanes[spec.Key] = l
		go l.run()
	}
	// The newest lane of a route and tenant counts its queue: a tenant
	// whose settings changed sends through the new one.
	w.sources[laneSource{c.d.Route, c.d.TenantID}] = l
	w.lmu.Unlock()
	c.sender, c.lane = sender, l
	l.configure(spec, c.t.Slug)
	if c.d.Channel == ChannelSMS {
		l.mu.Lock()
		if l.links == nil {
			l.links = map[string]bool{}
		}
		l.links[c.t.Slug+"/"+strconv.Itoa(c.d.RouteIndex)] = true
		l.mu.Unlock()
	}
	return l
}

// configure follows the newest spec: a tenant's settings may change.
func (l *lane) configure(spec LaneSpec, tenant string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tenants[tenant] = true
	l.conc = spec.Concurrency
	if spec.RatePerSecond != l.baseRate || (l.lim == nil) != (spec.RatePerSecond <= 0) {
		l.baseRate = spec.RatePerSecond
		l.applyRateLocked(l.w.s.clock())
	}
}

// rateLocked is the pace in force: slowed, or the lane's own.
func (l *lane) rateLocked(now time.Time) float64 {
	if !l.slowUntil.IsZero() && now.Before(l.slowUntil) {
		return l.slowRate
	}
	return l.baseRate
}

func (l *lane) applyRateLocked(now time.Time) {
	r := l.rateLocked(now)
	switch {
	case r <= 0:
		l.lim = nil
	case l.lim == nil:
		l.lim = rate.NewLimiter(rate.Limit(r), 1)
	default:
		l.lim.SetLimitAt(now, rate.Limit(r))
	}
}

// slowDownLocked halves the lane's pace for a while (an unpaced lane
// starts from one message a second per connection), down to one message
// every ten seconds. It reports whether the lane was not slow before.
func (l *lane) slowDownLocked(now time.Time) bool {
	was := !l.slowUntil.IsZero() && now.Before(l.slowUntil)
	cur := l.rateLocked(now)
	if cur <= 0 {
		cur = float64(2 * l.conc)
	}
	l.slowRate = max(cur/2, 0.1)
	l.slowUntil = now.Add(l.w.cfg.SlowFor)
	l.applyRateLocked(now)
	return !was
}

func (l *lane) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// maxQueueLocked bounds what waits in the lane, so that a stalled lane
// cannot take all of the worker's room: half of it at most, and for a
// paced lane about a quarter lease's worth, so nothing waits long.
func (l *lane) maxQueueLocked(now time.Time) int {
	half := max(l.w.cfg.MaxInFlight/2, 1)
	if r := l.rateLocked(now); r > 0 {
		return min(max(int(r*l.w.cfg.Lease.Seconds()/4), 2), half)
	}
	return max(half, 2*l.conc)
}

// offer takes a claimed delivery into the lane, or gives it back unsent
// when the lane cannot send it now.
func (l *lane) offer(c *claim) {
	w := l.w
	now := w.s.clock()
	l.lastTenant.Store(c.d.TenantID)
	l.mu.Lock()
	if w.stopCtx.Err() != nil {
		l.mu.Unlock()
		l.giveBack(c, now, nil)
		return
	}
	if l.br.State() == gobreaker.StateOpen {
		until := time.Unix(0, l.openUntil.Load())
		if !until.After(now) {
			until = now.Add(time.Second)
		}
		why := l.openErrorLocked()
		l.mu.Unlock()
		l.giveBack(c, until, why)
		return
	}
	if a := l.attn; a != nil {
		if l.probing || now.Before(a.nextProbe) {
			until := a.nextProbe
			if !until.After(now) {
				until = now.Add(w.cfg.ProbeEvery)
			}
			why := a.err()
			l.mu.Unlock()
			l.giveBack(c, until, why)
			return
		}
		// This one probes whether the admin fixed it.
		l.probing, c.probe = true, true
		a.nextProbe = now.Add(w.cfg.ProbeEvery)
	}
	if len(l.queue) >= l.maxQueueLocked(now) {
		wait := time.Second
		if r := l.rateLocked(now); r > 0 {
			wait = max(wait, time.Duration(float64(len(l.queue))/r*float64(time.Second)))
		}
		low := 0
		for i, q := range l.queue {
			if q.d.Priority < l.queue[low].d.Priority || (q.d.Priority == l.queue[low].d.Priority && q.d.ID > l.queue[low].d.ID) {
				low = i
			}
		}
		out := c
		if c.d.Priority > l.queue[low].d.Priority {
			out, l.queue[low] = l.queue[low], c
		}
		l.mu.Unlock()
		l.signal()
		l.giveBack(out, now.Add(wait), nil)
		return
	}
	l.queue = append(l.queue, c)
	ahead := l.premarkLocked()
	l.mu.Unlock()
	for _, h := range ahead {
		h.Begin()
	}
	l.signal()
}

// popLocked takes the waiting claim that goes first: highest priority,
// then oldest.
func (l *lane) popLocked() *claim {
	if len(l.queue) == 0 {
		return nil
	}
	best := 0
	for i, q := range l.queue {
		if q.d.Priority > l.queue[best].d.Priority || (q.d.Priority == l.queue[best].d.Priority && q.d.ID < l.queue[best].d.ID) {
			best = i
		}
	}
	c := l.queue[best]
	l.queue = append(l.queue[:best], l.queue[best+1:]...)
	return c
}

// giveBack returns a claim to the store unsent, due at until. When the
// lane is blocked (why) past the delivery's time, it fails now instead,
// with the lane's reason, so the request settles and the admin sees it.
func (l *lane) giveBack(c *claim, until time.Time, why *SendError) {
	l.mu.Lock()
	if c.probe {
		l.probing, c.probe = false, false
	}
	l.leftQueueLocked(c)
	l.mu.Unlock()
	if why != nil && !until.Before(l.w.deadline(c.d)) {
		l.w.recordUnsent(&outcome{c: c, err: why})
		return
	}
	l.w.recordUnsent(&outcome{c: c, deferTo: until, blocked: why})
}

func (l *lane) giveBackAll() {
	now := l.w.s.clock()
	l.mu.Lock()
	q := l.queue
	l.queue = nil
	l.mu.Unlock()
	for _, c := range q {
		l.giveBack(c, now, nil)
	}
}

func (l *lane) openErrorLocked() *SendError {
	return &SendError{Class: FailTransient, Code: "lane_open",
		Detail: "the route failed repeatedly and is paused; last error " + l.lastErr}
}

// breakerChanged runs inside the breaker's lock: it only notes the time
// and queues an event.
func (l *lane) breakerChanged(to gobreaker.State) {
	now := l.w.s.clock()
	ev := Event{TenantID: l.lastTenant.Load(), Actor: ActorSystem, Detail: l.key}
	switch to {
	case gobreaker.StateOpen:
		l.openUntil.Store(now.Add(l.w.cfg.BreakerOpen).UnixNano())
		ev.Type = EventLaneOpen
	case gobreaker.StateHalfOpen:
		ev.Type = EventLaneHalfOpen
	default:
		ev.Type = EventLaneClosed
	}
	l.w.s.log.Info("lane circuit changed", "lane", l.key, "state", to.String())
	if l.w.commits != nil {
		l.w.commits.event(ev)
	}
}
