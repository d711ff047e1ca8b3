package monitehooks

import (
	"context"
	"fmt"
	"net"
	"net/netip"
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

// guard decides which resolved addresses deliveries may connect to.
type guard struct {
	allowAll bool
	allowed  []netip.Prefix
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

// dialer returns the dial function of the default transport.
func (g *guard) dialer(resolver *net.Resolver) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
		Resolver:  resolver,
		Control:   g.control,
	}
	return d.DialContext
}
