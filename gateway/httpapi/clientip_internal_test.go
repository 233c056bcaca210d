package httpapi

import (
	"net/netip"
	"strings"
	"testing"
)

// TestHardening01_ClientIPRightmostUntrusted plays the client who writes
// its own X-Forwarded-For: whatever it puts on the left, the answer is
// the right-most address that is not one of our proxies, and only when
// the socket peer is one of our proxies.
func TestHardening01_ClientIPRightmostUntrusted(t *testing.T) {
	trusted, err := ParseTrustedProxies([]string{"10.0.0.0/8", " 192.0.2.1 ", "2001:db8:ffff::/48"})
	if err != nil {
		t.Fatal(err)
	}
	r := &ipResolver{header: "X-Forwarded-For", trusted: trusted}
	proxy := netip.MustParseAddr("10.0.0.5")
	stranger := netip.MustParseAddr("198.51.100.77")
	cases := []struct {
		name   string
		peer   netip.Addr
		values []string
		want   string
	}{
		{"one proxy appends the client", proxy, []string{"203.0.113.7"}, "203.0.113.7"},
		{"forged left part ignored", proxy, []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{"chain of our proxies skipped", proxy, []string{"1.1.1.1, 203.0.113.7, 10.1.2.3, 192.0.2.1"}, "203.0.113.7"},
		{"forged entry that claims to be our proxy", proxy, []string{"10.9.9.9, 203.0.113.7"}, "203.0.113.7"},
		{"garbage left of the client ignored", proxy, []string{"<script>, 203.0.113.7"}, "203.0.113.7"},
		{"garbage as the right-most entry: the socket", proxy, []string{"203.0.113.7, not-an-ip"}, "10.0.0.5"},
		{"empty entry: the socket", proxy, []string{"203.0.113.7, "}, "10.0.0.5"},
		{"missing header: the socket", proxy, nil, "10.0.0.5"},
		{"untrusted peer's header ignored", stranger, []string{"203.0.113.7"}, "198.51.100.77"},
		{"untrusted peer cannot claim to be a proxy", stranger, []string{"203.0.113.7, 10.0.0.1"}, "198.51.100.77"},
		{"several header lines read in order", proxy, []string{"198.51.100.1", "203.0.113.7"}, "203.0.113.7"},
		{"port on the entry", proxy, []string{"203.0.113.7:4711"}, "203.0.113.7"},
		{"ipv6 with port", proxy, []string{"[2001:db8:1:2::9]:4711"}, "2001:db8:1:2::9"},
		{"ipv4-mapped ipv6 unmapped", proxy, []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"mapped peer is still our proxy", netip.MustParseAddr("::ffff:10.0.0.5"), []string{"203.0.113.7"}, "203.0.113.7"},
		{"ipv6 proxy", netip.MustParseAddr("2001:db8:ffff::1"), []string{"2001:db8:1:2::9"}, "2001:db8:1:2::9"},
		{"only our proxies: the left-most", proxy, []string{"10.0.0.7, 10.0.0.6"}, "10.0.0.7"},
		{"a list too long to be honest: the socket", proxy, []string{strings.Repeat("203.0.113.7,", 200) + "203.0.113.8"}, "10.0.0.5"},
	}
	for _, tc := range cases {
		if got := r.resolve(tc.peer, tc.values).String(); got != tc.want {
			t.Errorf("%s: %v from %s = %s, want %s", tc.name, tc.values, tc.peer, got, tc.want)
		}
	}
	// No header configured: whatever a client sends is ignored.
	none := &ipResolver{trusted: trusted}
	if got := none.resolve(proxy, []string{"203.0.113.7"}).String(); got != "10.0.0.5" {
		t.Errorf("no header configured: %s", got)
	}
}

func TestHardening01_TrustedProxiesParse(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0.1/8/2", "1.2.3"} {
		if _, err := ParseTrustedProxies([]string{bad}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if err := CheckProxyConfig("X-Forwarded-For", nil); err == nil || !strings.Contains(err.Error(), "RESETGW_TRUSTED_PROXIES") {
		t.Errorf("header without proxies: %v", err)
	}
	if err := CheckProxyConfig("", nil); err != nil {
		t.Errorf("no header: %v", err)
	}
}

func BenchmarkClientIPResolve(b *testing.B) {
	trusted, _ := ParseTrustedProxies([]string{"10.0.0.0/8"})
	r := &ipResolver{header: "X-Forwarded-For", trusted: trusted}
	peer := netip.MustParseAddr("10.0.0.5")
	values := []string{"198.51.100.1, 203.0.113.7, 10.1.2.3"}
	for b.Loop() {
		r.resolve(peer, values)
	}
}
