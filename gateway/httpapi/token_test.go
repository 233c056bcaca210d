package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestHardening15_BearerFailuresThrottled plays the guesser: after 10
// wrong admin tokens from one address (or one IPv6 /64) in 15 minutes,
// that address gets 429 with a stable code, even with the right token;
// other addresses are not held up; the window ends.
func TestHardening15_BearerFailuresThrottled(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	h := newHarnessWith(t, token, func(c *httpapi.Config) {
		behindProxy("0.0.0.0/32")(c)
		c.Clock = clock.Now
	})
	call := func(ip, tok string) (int, string) {
		t.Helper()
		code, m, _ := h.doHeader("GET", "/admin/api/personnel", "", http.Header{
			"X-Forwarded-For": {ip}, "Authorization": {"Bearer " + tok}})
		return code, errCode(m)
	}
	for i := range 10 {
		// From all over one /64: it is one key.
		if code, ec := call(fmt.Sprintf("2001:db8:1:2::%x", i+1), fmt.Sprintf("guess-%d", i)); code != 401 || ec != "unauthorized" {
			t.Fatalf("guess %d: %d %s", i, code, ec)
		}
	}
	for _, tok := range []string{"guess-11", token} {
		if code, ec := call("2001:db8:1:2::99", tok); code != 429 || ec != "too_many_token_failures" {
			t.Fatalf("after 10 failures, token %q: %d %s", tok, code, ec)
		}
	}
	if code, _ := call("2001:db8:1:3::1", token); code != 200 {
		t.Fatalf("the next /64 with the right token: %d", code)
	}
	if code, _ := call("203.0.113.8", token); code != 200 {
		t.Fatalf("another address with the right token: %d", code)
	}
	evs, err := h.svc.Events(context.Background(), gateway.Actor{}, gateway.EventQuery{Types: []string{"security"}})
	if err != nil || len(evs) != 1 || evs[0].Code != "admin_token_throttled" || evs[0].IP != "2001:db8:1:2::a" {
		t.Fatalf("security events %v %+v", err, evs)
	}
	clock.Add(15 * time.Minute)
	if code, _ := call("2001:db8:1:2::99", token); code != 200 {
		t.Fatalf("after the window: %d", code)
	}
}
