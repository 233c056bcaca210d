package httpapi

import (
	"sync"
	"time"
)

// failureThrottle counts failures per key (a client address) in a fixed
// window, in memory. It guards the admin bearer token: a token cannot be
// locked out by the store being slow, and a guess costs no write. Every
// instance counts its own failures, which only divides an attacker's
// budget by the number of instances.
type failureThrottle struct {
	max    int
	window time.Duration
	clock  func() time.Time

	mu   sync.Mutex
	hits map[string]failureCount
}

type failureCount struct {
	n     int
	start time.Time
}

// maxThrottleKeys bounds the memory a flood from many addresses can take;
// past it, ended windows go first, then any entry.
const maxThrottleKeys = 10000

func newFailureThrottle(max int, window time.Duration, clock func() time.Time) *failureThrottle {
	if clock == nil {
		clock = time.Now
	}
	return &failureThrottle{max: max, window: window, clock: clock, hits: map[string]failureCount{}}
}

// blocked reports whether key has used up its failures in this window.
func (t *failureThrottle) blocked(key string) bool {
	if t.max <= 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	h, ok := t.hits[key]
	return ok && t.clock().Sub(h.start) < t.window && h.n >= t.max
}

// fail counts a failure for key and reports whether it was the one that
// reached the limit (to log that once, not on every refused try).
func (t *failureThrottle) fail(key string) (reached bool) {
	if t.max <= 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock()
	h, ok := t.hits[key]
	if !ok || now.Sub(h.start) >= t.window {
		if !ok && len(t.hits) >= maxThrottleKeys {
			t.evict(now)
		}
		h = failureCount{start: now}
	}
	h.n++
	t.hits[key] = h
	return h.n == t.max
}

func (t *failureThrottle) evict(now time.Time) {
	for k, h := range t.hits {
		if now.Sub(h.start) >= t.window {
			delete(t.hits, k)
		}
	}
	for k := range t.hits {
		if len(t.hits) < maxThrottleKeys {
			return
		}
		delete(t.hits, k)
	}
}
