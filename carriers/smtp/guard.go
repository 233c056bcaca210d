package smtp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"

	"github.com/resetgw/resetgw/gateway/netguard"
)

// Resolver looks up host names; *net.Resolver is one. Tests inject their
// own so that no test needs a DNS server or sends traffic off this machine.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// The public-address rules are the ones the webhook route keeps too.
var (
	publicAddr      = netguard.PublicAddr
	checkDial       = netguard.CheckDial
	errInternalHost = netguard.ErrInternalHost
)

// errNoAddress is a host name with no address.
var errNoAddress = errors.New("host has no address")

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
