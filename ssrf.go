package monitehooks

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"
)

// BlockedAddressError is the error of a connection the SSRF guard refused:
// the subscription's host resolved to an address that is not on the public
// internet.
type BlockedAddressError struct {
	// Addr is the refused address.
	Addr netip.Addr
}

// Error implements error.
func (e *BlockedAddressError) Error() string {
	return fmt.Sprintf("monitehooks: connection to non-public address %s refused", e.Addr)
}

// nonPublic lists the ranges the guard refuses besides those netip
// classifies (loopback, private, link-local, unspecified, multicast).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this" network
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: reaches IPv4 space
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4: reaches IPv4 space
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated (SIIT)
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

// IsPublicAddr reports whether the SSRF guard lets connections to addr
// through: false for loopback, private, link-local (which holds cloud
// metadata services such as 169.254.169.254), unspecified, multicast and
// reserved addresses, and for IPv4-mapped IPv6 forms of them.
func IsPublicAddr(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() ||
		addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() || addr.IsMulticast() ||
		addr.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// GuardConfig configures the SSRF guard of [GuardedDialContext]. The zero
// value (or nil) guards as the emitter does by default.
type GuardConfig struct {
	// AllowPrivateNetworks turns the guard off: connections may go to
	// loopback, private and link-local addresses. Defaults to false.
	AllowPrivateNetworks bool
	// AllowedNetworks lists address ranges the guard lets through although
	// they are not public, such as a test network. An invalid prefix lets
	// nothing through. Defaults to none.
	AllowedNetworks []netip.Prefix
	// Resolver resolves host names. Defaults to net.DefaultResolver.
	Resolver *net.Resolver
}

// GuardedDialContext returns a dial function, for an http.Transport's
// DialContext, that applies the emitter's SSRF guard: it resolves a host
// name, and refuses with a *[BlockedAddressError] to connect to an address
// that is not public ([IsPublicAddr]) unless cfg lets it through. The
// guard looks at the address it is about to connect to, after resolution,
// so a name that resolves to a private address is refused however it is
// spelled. The dialer has the timeouts of net/http's default transport.
//
// It is the dialer of the emitter's own client, for a Transport of your
// own given as EmitterConfig.Transport, which then keeps the guard: one
// that speaks HTTP/2, say, where the own client speaks HTTP/1.1 only.
// Such a Transport dials its Proxy with it too, so a proxy on a private
// address would be refused; EmitterConfig.Proxy, on the own client, is
// not.
func GuardedDialContext(cfg *GuardConfig) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var c GuardConfig
	if cfg != nil {
		c = *cfg
	}
	return newGuard(c.AllowPrivateNetworks, c.AllowedNetworks).dialer(c.Resolver)
}

// guard decides which resolved addresses deliveries may connect to.
type guard struct {
	allowAll bool
	allowed  []netip.Prefix
}

// newGuard returns a guard that lets through public addresses, those in
// allowed, or, with allowAll, every address.
func newGuard(allowAll bool, allowed []netip.Prefix) *guard {
	return &guard{allowAll: allowAll, allowed: slices.Clone(allowed)}
}

func (g *guard) check(addr netip.Addr) error {
	if g.allowAll || IsPublicAddr(addr) {
		return nil
	}
	for _, p := range g.allowed {
		if p.Contains(addr.Unmap()) || p.Contains(addr) {
			return nil
		}
	}
	return &BlockedAddressError{Addr: addr}
}

// control is a net.Dialer Control function: it runs after the host name is
// resolved and before each connect, so a name that resolves to a private
// address is refused however it was spelled.
func (g *guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("monitehooks: unexpected dial address %q: %w", address, err)
	}
	return g.check(ap.Addr())
}

// checkHost checks the host of a URL that goes through a proxy. The proxy
// resolves the host, not us: only a host that is an IP address can be
// checked, in any spelling a proxy may read as one.
func (g *guard) checkHost(host string) error {
	if addr, ok := hostAddr(host); ok {
		return g.check(addr)
	}
	return nil
}

// dialer returns the dial function of the default transport.
func (g *guard) dialer(resolver *net.Resolver) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := newDialer(resolver)
	d.Control = g.control
	return d.DialContext
}

// newDialer returns a dialer with the settings of net/http's default
// transport, resolving with resolver.
func newDialer(resolver *net.Resolver) *net.Dialer {
	return &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Resolver: resolver}
}

// hostAddr returns the IP address host spells, if it spells one: as netip
// reads it, or in one of the older IPv4 forms that inet_aton reads, and
// with it many a proxy: 2130706433, 0x7f.1 and 0177.0.0.1 are all
// 127.0.0.1.
func hostAddr(host string) (netip.Addr, bool) {
	host = strings.TrimSuffix(host, ".")
	switch {
	case host == "":
		return netip.Addr{}, false
	case strings.IndexByte(host, ':') >= 0:
		addr, err := netip.ParseAddr(host)
		return addr, err == nil
	case host[0] < '0' || host[0] > '9':
		return netip.Addr{}, false // a name: no form of address starts with a letter
	}
	var parts [4]uint64
	n := 0
	for part := range strings.SplitSeq(host, ".") {
		v, ok := parseAddrPart(part)
		if !ok || n == len(parts) {
			return netip.Addr{}, false
		}
		parts[n] = v
		n++
	}
	// Each part but the last is a byte; the last fills the bytes left.
	var v uint64
	for _, p := range parts[:n-1] {
		if p > 0xff {
			return netip.Addr{}, false
		}
		v = v<<8 | p
	}
	bits := 8 * uint(5-n)
	if parts[n-1] >= 1<<bits {
		return netip.Addr{}, false
	}
	v = v<<bits | parts[n-1]
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// parseAddrPart reads a part of an IPv4 address as inet_aton does: in
// hexadecimal after 0x, in octal after 0, in decimal otherwise. It
// reports false for a part that is not a number, or is over 32 bits.
func parseAddrPart(s string) (uint64, bool) {
	base := uint64(10)
	switch {
	case len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		base, s = 16, s[2:]
		if s == "" {
			return 0, true // "0x" is 0
		}
	case len(s) >= 2 && s[0] == '0':
		base, s = 8, s[1:]
	}
	if s == "" {
		return 0, false
	}
	var v uint64
	for i := range len(s) {
		c := s[i]
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		case 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if d >= base {
			return 0, false
		}
		if v = v*base + d; v > 0xffffffff {
			return 0, false
		}
	}
	return v, true
}
