package gateway

import "net/netip"

// IPKey is the key a per-address throttle counts under: an IPv4 address
// as it is, an IPv6 address as its /64. One subscriber or one host is
// usually given a whole /64, so counting single IPv6 addresses would let
// a client rotate through 2^64 of them and never be limited. Anything
// that does not parse is kept as it is (and still counted).
func IPKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}
