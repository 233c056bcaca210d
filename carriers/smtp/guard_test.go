package smtp

import (
	"net/netip"
	"testing"
)

func TestPublicAddr(t *testing.T) {
	tests := []struct {
		addr   string
		public bool
	}{
		{"127.0.0.1", false},
		{"127.8.9.10", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"10.0.0.1", false},
		{"172.16.5.4", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"169.254.1.1", false},
		{"fd00:ec2::254", false}, // AWS metadata over IPv6
		{"fe80::1", false},
		{"fc00::1", false},
		{"100.64.0.1", false}, // CGNAT
		{"100.127.255.254", false},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"::", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"ff02::1", false},
		{"255.255.255.255", false},
		{"240.0.0.1", false},
		{"198.18.0.1", false},
		{"192.0.2.1", false},
		{"64:ff9b::a00:1", false}, // NAT64 of 10.0.0.1
		{"2002:a00:1::", false},   // 6to4 of 10.0.0.1
		{"::a00:1", false},        // IPv4-compatible 10.0.0.1
		{"8.8.8.8", true},
		{"100.63.255.255", true},
		{"100.128.0.0", true},
		{"172.32.0.1", true},
		{"2607:f8b0:4004:c1b::1a", true},
		{"::ffff:8.8.8.8", true},
	}
	for _, tt := range tests {
		if got := publicAddr(netip.MustParseAddr(tt.addr)); got != tt.public {
			t.Errorf("publicAddr(%s) = %v, want %v", tt.addr, got, tt.public)
		}
	}
}

// TestCheckDial is the guard at connect time: whatever resolved the
// address, an internal one is refused before the SYN.
func TestCheckDial(t *testing.T) {
	for _, a := range []string{"127.0.0.1:25", "[::1]:25", "10.0.0.1:587", "169.254.169.254:80", "[fd00:ec2::254]:80", "[::ffff:127.0.0.1]:25", "garbage"} {
		if err := checkDial("tcp4", a, nil); err == nil {
			t.Errorf("checkDial(%s) let it through", a)
		}
	}
	if err := checkDial("tcp4", "8.8.8.8:25", nil); err != nil {
		t.Errorf("checkDial(public) = %v", err)
	}
}
