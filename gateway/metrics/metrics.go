// Package metrics is the Prometheus adapter: it implements the domain's
// Observer, counts HTTP requests, reads the lanes at scrape time, and
// serves it all from a registry of its own (never the global default, so
// two gateways in one test process do not share or clash).
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/resetgw/resetgw/gateway"
)

// Config builds the metrics.
type Config struct {
	// Lanes reads the delivery lanes (the worker's Lanes) at each scrape;
	// nil leaves the lane series out.
	Lanes func() []gateway.LaneStatus
	// Clock gives the time the oldest ages are measured from; default
	// time.Now.
	Clock func() time.Time
	// Process adds the Go runtime and process series (off in tests).
	Process bool
}

// Metrics holds the registry and every series of the gateway.
type Metrics struct {
	reg       *prometheus.Registry
	http      *prometheus.CounterVec
	httpDur   *prometheus.HistogramVec
	requests  *prometheus.CounterVec
	finished  *prometheus.CounterVec
	reopened  prometheus.Counter
	attempts  *prometheus.CounterVec
	sendDur   *prometheus.HistogramVec
	hashWait  prometheus.Histogram
	lanes     func() []gateway.LaneStatus
	clock     func() time.Time
	laneDepth *prometheus.Desc
	laneAge   *prometheus.Desc
	laneState *prometheus.Desc
	laneBusy  *prometheus.Desc
}

var _ gateway.Observer = (*Metrics)(nil)

// laneStates are the states resetgw_lane_state has a series for, so that
// a lane's every state reads 0 or 1 and a dashboard can sum over them.
var laneStates = []gateway.LaneState{gateway.LaneOK, gateway.LaneSlow, gateway.LaneOpen, gateway.LaneNeedsAttention}

// New makes the metrics and registers them in a fresh registry.
func New(cfg Config) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), lanes: cfg.Lanes, clock: cfg.Clock}
	if m.clock == nil {
		m.clock = time.Now
	}
	m.http = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resetgw_http_requests_total",
		Help: "HTTP requests answered, by method, route pattern and status."}, []string{"method", "route", "status"})
	m.httpDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "resetgw_http_request_duration_seconds",
		Help: "Time to answer an HTTP request, by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resetgw_reset_requests_total",
		Help: "Reset requests as answered: outcome is accepted or the error code."}, []string{"outcome"})
	m.finished = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resetgw_resets_finished_total",
		Help: "Reset requests reaching a final state, by state and reason (a reopened one counts again when it settles)."}, []string{"state", "reason"})
	m.reopened = prometheus.NewCounter(prometheus.CounterOpts{Name: "resetgw_resets_reopened_total",
		Help: "Delivered reset requests gone back to delivering: their one accepted message failed late and another route is trying."})
	m.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resetgw_delivery_attempts_total",
		Help: "Sends through a route, by route and result (sent or the failure class)."}, []string{"route", "result"})
	m.sendDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "resetgw_send_duration_seconds",
		Help:    "Time a provider took to take or refuse a message, by route.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"route"})
	m.hashWait = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "resetgw_hash_queue_wait_seconds",
		Help:    "Time a password hash waited for a hashing slot.",
		Buckets: []float64{.0005, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}})
	m.laneDepth = prometheus.NewDesc("resetgw_outbox_depth", "Messages a lane holds: waiting and being sent.",
		[]string{"lane", "kind"}, nil)
	m.laneBusy = prometheus.NewDesc("resetgw_outbox_in_flight", "Messages a lane is sending now.",
		[]string{"lane", "kind"}, nil)
	m.laneAge = prometheus.NewDesc("resetgw_outbox_oldest_age_seconds",
		"Age of the oldest message waiting in a lane (0 when none waits).", []string{"lane", "kind"}, nil)
	m.laneState = prometheus.NewDesc("resetgw_lane_state", "1 for the state a lane is in, 0 for the others.",
		[]string{"lane", "kind", "state"}, nil)
	m.reg.MustRegister(m.http, m.httpDur, m.requests, m.finished, m.reopened, m.attempts, m.sendDur, m.hashWait, laneCollector{m})
	if cfg.Process {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry itself (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest counts one HTTP request. route is the pattern ("" for a
// path no route matched), never the raw path, which carries ids.
func (m *Metrics) ObserveRequest(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.http.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.httpDur.WithLabelValues(route).Observe(d.Seconds())
}

// ResetRequested implements gateway.Observer.
func (m *Metrics) ResetRequested(outcome string) { m.requests.WithLabelValues(outcome).Inc() }

// ResetFinished implements gateway.Observer.
func (m *Metrics) ResetFinished(state gateway.ResetState, reason string) {
	m.finished.WithLabelValues(string(state), reason).Inc()
}

// ResetReopened implements gateway.Observer.
func (m *Metrics) ResetReopened() { m.reopened.Inc() }

// DeliveryAttempt implements gateway.Observer.
func (m *Metrics) DeliveryAttempt(route gateway.Route, class string, d time.Duration) {
	m.attempts.WithLabelValues(string(route), class).Inc()
	m.sendDur.WithLabelValues(string(route)).Observe(d.Seconds())
}

// HashWait is the hasher's OnWait.
func (m *Metrics) HashWait(d time.Duration) { m.hashWait.Observe(d.Seconds()) }

// laneCollector reads the lanes when scraped: their figures live in the
// worker, and copying them into gauges on every change would cost the
// send path a lock it does not need.
type laneCollector struct{ m *Metrics }

func (c laneCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.m.laneDepth
	ch <- c.m.laneBusy
	ch <- c.m.laneAge
	ch <- c.m.laneState
}

func (c laneCollector) Collect(ch chan<- prometheus.Metric) {
	if c.m.lanes == nil {
		return
	}
	now := c.m.clock()
	for _, l := range c.m.lanes() {
		ch <- prometheus.MustNewConstMetric(c.m.laneDepth, prometheus.GaugeValue, float64(l.Queued+l.InFlight), l.Lane, l.Kind)
		ch <- prometheus.MustNewConstMetric(c.m.laneBusy, prometheus.GaugeValue, float64(l.InFlight), l.Lane, l.Kind)
		age := 0.0
		if !l.OldestQueued.IsZero() {
			age = max(now.Sub(l.OldestQueued).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.m.laneAge, prometheus.GaugeValue, age, l.Lane, l.Kind)
		for _, s := range laneStates {
			v := 0.0
			if l.State == s {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.m.laneState, prometheus.GaugeValue, v, l.Lane, l.Kind, string(s))
		}
	}
}
