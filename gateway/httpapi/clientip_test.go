package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

// app.Test's connections come from 0.0.0.0: trusting that address makes
// the test client "our proxy", and trusting 10.0.0.0/8 makes it a stranger.
func behindProxy(trusted string) func(*httpapi.Config) {
	return func(cfg *httpapi.Config) {
		cfg.ProxyHeader = "X-Forwarded-For"
		cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix(trusted)}
	}
}

// resetFrom asks for a reset with these X-Forwarded-For lines and says
// whether it was rate limited.
func (h *harness) resetFrom(i int, xff ...string) bool {
	h.t.Helper()
	hdr := http.Header{}
	for _, v := range xff {
		hdr.Add("X-Forwarded-For", v)
	}
	code, m, _ := h.doHeader("POST", "/v1/password-resets",
		fmt.Sprintf(`{"email":"nobody%d@acme.example"}`, i), hdr)
	if code != 202 {
		h.t.Fatalf("reset %d: %d %v", i, code, m)
	}
	_, r, _ := h.do("GET", "/admin/api/resets/"+m["request_id"].(string), "", true)
	return r["reason"] == gateway.ReasonRateLimited
}

// limitedAfter sends PerIP+1 resets, each from from(i), and reports
// which ones were rate limited.
func (h *harness) limitedAfter(from func(i int) []string) (first int) {
	h.t.Helper()
	n := gateway.DefaultLimits().PerIP
	for i := range n + 1 {
		if h.resetFrom(i, from(i)...) {
			return i
		}
	}
	return -1
}

// TestHardening01_ForgedForwardedForKeepsTheLimit: a client behind our
// proxy writes a new address on the left of X-Forwarded-For each time;
// the proxy appends the real one, which is what the limit counts.
func TestHardening01_ForgedForwardedForKeepsTheLimit(t *testing.T) {
	h := newHarnessWith(t, token, behindProxy("0.0.0.0/32"))
	n := gateway.DefaultLimits().PerIP
	got := h.limitedAfter(func(i int) []string { return []string{fmt.Sprintf("198.51.100.%d, 203.0.113.7", i+1)} })
	if got != n {
		t.Fatalf("first limited request: %d, want %d", got, n)
	}
	// Another client behind the same proxy is not limited by the first.
	if h.resetFrom(1000, "198.51.100.1, 203.0.113.8") {
		t.Fatal("a different client shares the forger's limit")
	}
	// The log names the client, not the proxy nor the forged part.
	_, m, _ := h.do("GET", "/admin/api/events?type=reset_requested&limit=1", "", true)
	evs, _ := m["events"].([]any)
	if len(evs) != 1 || evs[0].(map[string]any)["ip"] != "203.0.113.8" {
		t.Fatalf("logged ip: %v", evs)
	}
}

// TestHardening01_SpoofedFromUntrustedPeer: a client talking to the
// gateway directly sends X-Forwarded-For; it is ignored.
func TestHardening01_SpoofedFromUntrustedPeer(t *testing.T) {
	h := newHarnessWith(t, token, behindProxy("10.0.0.0/8"))
	n := gateway.DefaultLimits().PerIP
	got := h.limitedAfter(func(i int) []string { return []string{fmt.Sprintf("203.0.113.%d", i+1)} })
	if got != n {
		t.Fatalf("first limited request: %d, want %d", got, n)
	}
}

// TestHardening01_MissingHeaderStillLimited: behind a proxy, a request
// without the header is keyed on the socket address, never on "" (which
// would skip the per-IP limit).
func TestHardening01_MissingHeaderStillLimited(t *testing.T) {
	h := newHarnessWith(t, token, behindProxy("0.0.0.0/32"))
	n := gateway.DefaultLimits().PerIP
	if got := h.limitedAfter(func(int) []string { return nil }); got != n {
		t.Fatalf("first limited request: %d, want %d", got, n)
	}
	// Nor does an invalid header open a way around it.
	if !h.resetFrom(1000, "not-an-address") {
		t.Fatal("invalid header escaped the socket address's limit")
	}
}

// TestHardening01_IPv6RotationWithinSlash64: a client with a /64 tries a
// new address for every request; the /64 is one key.
func TestHardening01_IPv6RotationWithinSlash64(t *testing.T) {
	h := newHarnessWith(t, token, behindProxy("0.0.0.0/32"))
	n := gateway.DefaultLimits().PerIP
	got := h.limitedAfter(func(i int) []string { return []string{fmt.Sprintf("2001:db8:1:2:%x::%x", i, i+1)} })
	if got != n {
		t.Fatalf("first limited request: %d, want %d", got, n)
	}
	if h.resetFrom(1000, "2001:db8:1:3::1") {
		t.Fatal("the next /64 shares the limit")
	}
}

// TestHardening01_KeptAliveConnection: the resolved address must not
// stick to the connection: the second request on a kept-alive connection
// from our proxy is another client.
func TestHardening01_KeptAliveConnection(t *testing.T) {
	h := newHarnessWith(t, token, behindProxy("127.0.0.1/32"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.srv.App().Listener(ln)
	t.Cleanup(func() { h.srv.App().Shutdown() })
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1}}
	for _, ip := range []string{"203.0.113.7", "203.0.113.8"} {
		req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/v1/password-resets",
			strings.NewReader(`{"email":"nobody@acme.example"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", ip)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		_, m, _ := h.do("GET", "/admin/api/events?type=reset_requested&limit=1", "", true)
		evs, _ := m["events"].([]any)
		if len(evs) != 1 || evs[0].(map[string]any)["ip"] != ip {
			t.Fatalf("logged ip for %s: %v", ip, evs)
		}
	}
}

// TestHardening01_SecurityEventsNameTheClient: a forged webhook from
// behind our proxy is logged with the client's address, not the proxy's
// nor one the client wrote.
func TestHardening01_SecurityEventsNameTheClient(t *testing.T) {
	h := newHarnessWith(t, token, behindProxy("0.0.0.0/32"))
	req, _ := http.NewRequest("POST", httpapi.TwilioSMSPath, strings.NewReader("To=%2B12015550177&From=%2B12015550123&Body=STOP"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", "192.0.2.99, 203.0.113.7")
	resp, err := h.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("forged webhook: %d", resp.StatusCode)
	}
	evs, err := h.svc.Events(context.Background(), gateway.Actor{}, gateway.EventQuery{Types: []string{"security"}})
	if err != nil || len(evs) != 1 || evs[0].IP != "203.0.113.7" {
		t.Fatalf("security events %v %+v", err, evs)
	}
}
