package httpapi

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzClientIPResolve plays the client who writes its own proxy header
// (and the proxy operator who writes a strange trusted list). Whatever the
// header says, the answer is the socket peer or an address from the
// header; it is a header address only when the peer is one of our proxies;
// and it is one of our own proxies only when every hop in the list is one
// of ours, so that a client can never take an internal proxy's key (or
// any address it chooses) by writing extra hops.
func FuzzClientIPResolve(f *testing.F) {
	const ours = "10.0.0.0/8, 192.0.2.1, 2001:db8:ffff::/48"
	seeds := []struct{ peer, header, trusted string }{
		{"10.0.0.5", "203.0.113.7", ours},
		{"10.0.0.5", "198.51.100.1, 203.0.113.7", ours},
		{"10.0.0.5", "1.1.1.1, 203.0.113.7, 10.1.2.3, 192.0.2.1", ours},
		{"10.0.0.5", "<script>, 203.0.113.7", ours},
		{"10.0.0.5", "203.0.113.7, not-an-ip", ours},
		{"10.0.0.5", "203.0.113.7, ", ours},
		{"198.51.100.77", "203.0.113.7, 10.0.0.1", ours},
		{"10.0.0.5", "198.51.100.1\n203.0.113.7", ours},
		{"10.0.0.5", "[2001:db8:1:2::9]:4711", ours},
		{"::ffff:10.0.0.5", "::ffff:203.0.113.7", ours},
		{"fe80::1%eth0", "fe80::2%eth1", "fe80::/10"},
		{"10.0.0.5", "10.0.0.7, 10.0.0.6", ours},
		{"10.0.0.5", "for=203.0.113.7;proto=https", ours},
		{"10.0.0.5", strings.Repeat("203.0.113.7,", 200) + "203.0.113.8", ours},
		// An outsider left of more of our proxies than the walk follows.
		{"10.0.0.5", "203.0.113.9," + strings.Repeat("10.0.0.1,", 40) + "10.0.0.2", ours},
		{"0.0.0.0", "0.0.0.0", "0.0.0.0/0"},
	}
	for _, s := range seeds {
		f.Add(s.peer, s.header, s.trusted)
	}
	f.Fuzz(func(t *testing.T, peerText, header, trustedText string) {
		peer, err := netip.ParseAddr(peerText)
		if err != nil {
			return
		}
		trusted, err := ParseTrustedProxies(strings.Split(trustedText, ","))
		if err != nil {
			trusted, _ = ParseTrustedProxies(strings.Split(ours, ","))
		}
		for _, p := range trusted {
			if !p.IsValid() || p != p.Masked() {
				t.Fatalf("trusted %q gave %v, not a masked prefix", trustedText, p)
			}
		}
		r := &ipResolver{header: "X-Forwarded-For", trusted: trusted}
		values := strings.Split(header, "\n")
		got := r.resolve(peer, values)
		p := peer.Unmap().WithZone("")
		if !got.IsValid() {
			t.Fatalf("no address for peer %v, header %q", peer, header)
		}
		if got == p {
			return
		}
		if !r.isTrusted(p) {
			t.Fatalf("untrusted peer %v: answered %v from its header %q", p, got, header)
		}
		var entries []netip.Addr
		parsed := true
		for _, v := range values {
			for _, e := range strings.Split(v, ",") {
				a, ok := parseForwarded(e)
				parsed = parsed && ok
				entries = append(entries, a)
			}
		}
		// got comes from the header: the right-most untrusted entry with
		// only our parsable proxies right of it, or, with no untrusted hop
		// at all, a proxy of ours.
		i := len(entries) - 1
		for ; i >= 0 && entries[i].IsValid() && r.isTrusted(entries[i]); i-- {
		}
		switch {
		case i >= 0 && entries[i].IsValid() && entries[i] == got:
		case r.isTrusted(got) && i < 0 && parsed:
			if !containsAddr(entries, got) {
				t.Fatalf("answered our proxy %v, not in header %q", got, header)
			}
		default:
			t.Fatalf("peer %v, header %q, trusted %v: answered %v, want the peer or the right-most outsider", p, header, trusted, got)
		}
	})
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, b := range list {
		if b == a {
			return true
		}
	}
	return false
}
