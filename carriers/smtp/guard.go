package smtp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// Resolver looks up host names; *net.Resolver is one. Tests inject their
// own so that no test needs a DNS server or sends traffic off this machine.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// nonPublic are ranges no tenant's relay may be in, beyond what netip's
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

// publicAddr reports whether a is an address on the public internet. The
// cloud metadata addresses (169.254.169.254, fd00:ec2::254) are link-local
// and unique-local, so they are not.
func publicAddr(a netip.Addr) bool {
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

// errInternalHost is a tenant relay that resolves to an address that is
// not public. It never says which address: a tenant admin must not learn
// the layout of the operator's network through it.
var errInternalHost = errors.New("host resolves to an address that is not public")

// errNoAddress is a host name with no address.
var errNoAddress = errors.New("host has no address")

// checkDial is the dialer's Control for tenant relays: the address being
// connected to is checked once more right before the connect, whatever
// resolved it, so that no later lookup (DNS rebinding) can slip an
// internal address past the check made when the host was resolved.
func checkDial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !publicAddr(ap.Addr()) {
		return errInternalHost
	}
	return nil
}

// allowed reports whether the operator lets tenants use host although it
// may be internal (RESETGW_SMTP_ALLOW_HOSTS).
func (s *Sender) allowed(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	for _, a := range s.cfg.AllowHosts {
		if strings.ToLower(strings.TrimSuffix(strings.TrimSpace(a), ".")) == h {
			return true
		}
	}
	return false
}

// resolve gives host's addresses: a literal address as it is, a name
// through the Resolver. "localhost" is this machine without asking DNS.
func (s *Sender) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}, nil
	}
	addrs, err := s.cfg.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, errNoAddress
	}
	return addrs, nil
}

// dialTCP connects to ep, trying its addresses in turn. A tenant's relay
// that the operator has not allow-listed must have public addresses only
// (one internal address among public ones refuses the name as a whole, as
// any could be picked), checked before anything is dialed and again by
// checkDial as each connect starts; nothing is sent to an internal
// address, not even a SYN.
func (s *Sender) dialTCP(ctx context.Context, ep *Endpoint, tenant bool) (net.Conn, error) {
	addrs, err := s.resolve(ctx, ep.Host)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: s.cfg.Timeout}
	if tenant && !s.allowed(ep.Host) {
		for _, a := range addrs {
			if !publicAddr(a) {
				return nil, errInternalHost
			}
		}
		d.Control = checkDial
	}
	var first error
	for _, a := range addrs {
		nc, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(a.Unmap(), uint16(ep.Port)).String())
		if err == nil {
			return nc, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// CheckTenantURL checks a tenant's SMTP URL as the settings page saves it:
// it parses under the tenant limits, and a host written as an internal
// address (or "localhost") is refused unless allow-listed. Names are
// resolved when mail is sent, not here: DNS may change in between.
func (s *Sender) CheckTenantURL(raw string) error {
	ep, err := ParseTenantURL(raw)
	if err != nil {
		return err
	}
	if s.allowed(ep.Host) {
		return nil
	}
	if a, err := netip.ParseAddr(ep.Host); (err == nil && !publicAddr(a)) || isLoopback(ep.Host) {
		return urlError("host is not a public address; tenant profiles may only use public relays")
	}
	return nil
}
