package monitehooks_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/monitehooks/monitehooks"
)

func TestIsPublicAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		want bool
	}{
		{"93.184.216.34", true},
		{"2606:2800:220:1:248:1893:25c8:1946", true},
		{"8.8.8.8", true},
		{"127.0.0.1", false},
		{"127.255.0.9", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"fe80::1", false},
		{"fc00::1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"224.0.0.1", false},
		{"ff02::1", false},
		{"100.64.0.1", false},
		{"255.255.255.255", false},
		{"::ffff:127.0.0.1", false}, // IPv4-mapped loopback
		{"::ffff:169.254.169.254", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:93.184.216.34", true},
		{"64:ff9b::a00:1", false},  // NAT64 of 10.0.0.1
		{"2002:a00:1::", false},    // 6to4 of 10.0.0.1
		{"::7f00:1", false},        // IPv4-compatible 127.0.0.1
		{"::ffff:0:7f00:1", false}, // IPv4-translated 127.0.0.1
		{"fec0::1", false},         // site-local
	}
	for _, tt := range tests {
		if got := monitehooks.IsPublicAddr(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("IsPublicAddr(%s) = %v; want %v", tt.addr, got, tt.want)
		}
	}
	if monitehooks.IsPublicAddr(netip.Addr{}) {
		t.Errorf("IsPublicAddr(invalid) = true; want false")
	}
}

// TestHostAddr checks which hosts a proxy may read as an IP address, and
// which: those the SSRF guard checks before a request goes through a
// proxy.
func TestHostAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host string
		want string // "" for a name
	}{
		{"127.0.0.1", "127.0.0.1"},
		{"127.0.0.1.", "127.0.0.1"},
		{"::1", "::1"},
		{"fe80::1%eth0", "fe80::1%eth0"},
		{"::ffff:10.0.0.1", "::ffff:10.0.0.1"},
		{"2130706433", "127.0.0.1"},
		{"0x7f000001", "127.0.0.1"},
		{"0x7F.1", "127.0.0.1"},
		{"0177.0.0.01", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"10.65535", "10.0.255.255"},
		{"169.254.43518", "169.254.169.254"},
		{"0", "0.0.0.0"},
		{"0x", "0.0.0.0"},
		{"example.com", ""},
		{"1password.com", ""},
		{"127.0.0.1.example", ""},
		{"4294967296", ""}, // past 32 bits
		{"1.2.3.4.5", ""},
		{"256.1.1.1", ""},
		{"1.2.65536", ""},
		{"08.1.1.1", ""}, // not octal
		{"1..1", ""},
		{"", ""},
		{"::g", ""},
	}
	for _, tt := range tests {
		got := ""
		if addr, ok := monitehooks.HostAddr(tt.host); ok {
			got = addr.String()
		}
		if got != tt.want {
			t.Errorf("HostAddr(%q) = %q; want %q", tt.host, got, tt.want)
		}
	}
}

// TestGuardedDialContext checks the exported dialer: by default it refuses
// loopback before connecting, and AllowedNetworks lets a range through,
// from a copy taken when the dialer is made.
func TestGuardedDialContext(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx := context.Background()
	if _, err := monitehooks.GuardedDialContext(nil)(ctx, "tcp", ln.Addr().String()); !errors.As(err, new(*monitehooks.BlockedAddressError)) {
		t.Errorf("dial to loopback by default = %v; want a *BlockedAddressError", err)
	}
	allowed := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	dial := monitehooks.GuardedDialContext(&monitehooks.GuardConfig{AllowedNetworks: allowed})
	allowed[0] = netip.MustParsePrefix("10.0.0.0/8")
	conn, err := dial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial to loopback with 127.0.0.0/8 allowed = %v; want a connection", err)
	}
	conn.Close()
}
