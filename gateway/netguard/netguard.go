// Package netguard says which addresses are on the public internet, so
// that what a tenant configures (a relay, a webhook) cannot point the
// gateway at the operator's own network. The SMTP carrier and the webhook
// route share it.
package netguard

import (
	"errors"
	"net/netip"
	"strings"
	"syscall"
)

// nonPublic are ranges no tenant's endpoint may be in, beyond what netip's
// predicates (loopback, private, link-local, multicast, unspecified)
// already say: they are this network's, a carrier's, or nobody's.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: may embed a private IPv4
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001::/32"),       // Teredo: embeds an IPv4
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4: embeds an IPv4
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

// PublicAddr reports whether a is an address on the public internet. The
// cloud metadata addresses (169.254.169.254, fd00:ec2::254) are link-local
// and unique-local, so they are not.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// ErrInternalHost is an endpoint that resolves to an address that is not
// public. It never says which address: a tenant admin must not learn the
// layout of the operator's network through it.
var ErrInternalHost = errors.New("host resolves to an address that is not public")

// CheckDial is a net.Dialer Control for tenants' endpoints: the address
// being connected to is checked right before the connect, whatever
// resolved it, so that no later lookup (DNS rebinding) can slip an
// internal address past an earlier check.
func CheckDial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !PublicAddr(ap.Addr()) {
		return ErrInternalHost
	}
	return nil
}

// CheckHost refuses a host written as an address that is not public, or
// "localhost". A name passes: it is resolved when the connection is made,
// and CheckDial checks what it resolved to.
func CheckHost(host string) error {
	h := strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(h, "localhost") || strings.HasSuffix(strings.ToLower(h), ".localhost") {
		return ErrInternalHost
	}
	if a, err := netip.ParseAddr(h); err == nil && !PublicAddr(a) {
		return ErrInternalHost
	}
	return nil
}
