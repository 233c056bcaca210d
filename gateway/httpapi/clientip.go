package httpapi

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The client address is the one fact every throttle, every event and the
// log key on, so exactly one function decides it (clientIP). Fiber's own
// c.IP() with a ProxyHeader returns the header's whole value, or its
// left-most valid entry, which the client wrote itself: it is not used.

const clientIPKey = "client_ip"

// maxForwardedHops bounds the walk through a forwarded-for list: no
// honest chain of proxies is longer, and a long forged list costs nothing
// more to refuse.
const maxForwardedHops = 32

// ipResolver finds the client address of a request.
type ipResolver struct {
	// header is the proxy header (e.g. X-Forwarded-For), "" for none.
	header string
	// trusted are the proxies whose header is believed; the header of any
	// other peer is ignored.
	trusted []netip.Prefix
}

// ParseTrustedProxies reads a list of proxy addresses or CIDR ranges
// ("10.0.0.1", "10.0.0.0/8", "2001:db8::/32"). A bad entry is an error
// naming it, so a typo cannot quietly trust nobody or everybody.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is not an address or a CIDR range", s)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an address or a CIDR range", s)
		}
		a = a.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// CheckProxyConfig refuses a proxy header without trusted proxies: the
// header would be either ignored (every client shares the proxy's
// limits) or believed from anyone (every client picks its own key).
func CheckProxyConfig(header string, trusted []netip.Prefix) error {
	if strings.TrimSpace(header) != "" && len(trusted) == 0 {
		return errors.New("RESETGW_PROXY_HEADER is set but RESETGW_TRUSTED_PROXIES is empty: " +
			"name the proxies (addresses or CIDR ranges) whose header may be believed")
	}
	return nil
}

func (r *ipResolver) isTrusted(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// resolve gives the client address for a socket peer and the values of
// the proxy header (every line of it, in order). The header counts only
// when the peer is a trusted proxy; then the client is the right-most
// entry that is not a trusted proxy itself, as each proxy appends the
// address it saw. Anything unparsable on that walk means the header
// cannot be believed, and the peer's address is the answer.
func (r *ipResolver) resolve(peer netip.Addr, values []string) netip.Addr {
	peer = peer.Unmap().WithZone("")
	if r.header == "" || len(values) == 0 || !r.isTrusted(peer) {
		return peer
	}
	var entries []string
	for _, v := range values {
		entries = append(entries, strings.Split(v, ",")...)
	}
	if len(entries) > maxForwardedHops*4 {
		return peer
	}
	last := netip.Addr{}
	i := len(entries) - 1
	for hops := 0; i >= 0 && hops < maxForwardedHops; i, hops = i-1, hops+1 {
		a, ok := parseForwarded(entries[i])
		if !ok {
			return peer
		}
		if !r.isTrusted(a) {
			return a
		}
		last = a
	}
	if i >= 0 || !last.IsValid() {
		// More of our proxies than the walk follows, with hops left of
		// them: answering the last one walked would give an outsider the
		// key of an internal proxy, so the socket's address is the answer.
		return peer
	}
	// Every hop is one of ours (a health check from inside): the
	// left-most is as close to the origin as the list goes.
	return last
}

// parseForwarded reads one entry of a forwarded-for list: an address,
// with or without a port ("203.0.113.7", "203.0.113.7:4711",
// "[2001:db8::1]:4711").
func parseForwarded(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Addr{}, false
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

// peerAddr is the socket peer of the connection. It reads the connection
// itself, not RequestCtx.RemoteAddr, which clientIPMiddleware overwrites
// and which stays overwritten for the next request on a kept-alive
// connection.
func peerAddr(c *fiber.Ctx) netip.Addr {
	var addr net.Addr
	if conn := c.Context().Conn(); conn != nil {
		addr = conn.RemoteAddr()
	} else {
		addr = c.Context().RemoteAddr()
	}
	if ta, ok := addr.(*net.TCPAddr); ok {
		if a, ok := netip.AddrFromSlice(ta.IP); ok {
			return a.Unmap()
		}
	}
	if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.IPv4Unspecified()
}

// clientIPMiddleware resolves the client address once per request. It
// also makes the request's remote address that client, so that any code
// reading Fiber's c.IP() (with no ProxyHeader configured in Fiber) gets
// the same answer as clientIP.
func (s *Server) clientIPMiddleware(c *fiber.Ctx) error {
	var values []string
	if s.ips.header != "" {
		for _, v := range c.Context().Request.Header.PeekAll(s.ips.header) {
			values = append(values, string(v))
		}
	}
	ip := s.ips.resolve(peerAddr(c), values)
	c.Locals(clientIPKey, ip.String())
	c.Context().SetRemoteAddr(net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	return c.Next()
}

// clientIP is the client address of the request: the one every throttle,
// event and log line uses.
func clientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(clientIPKey).(string); ok && ip != "" {
		return ip
	}
	return peerAddr(c).String()
}
