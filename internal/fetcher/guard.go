package fetcher

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrDenied is the error of a connection to a denied address.
var ErrDenied = errors.New("address denied")

// DeniedRanges are the ranges the fetcher never connects to unless allowed:
// "this network", RFC 1918 private, CGNAT (RFC 6598), loopback, link-local,
// the IETF protocol assignments, documentation and benchmarking ranges,
// multicast, reserved and broadcast; IPv6 unspecified, loopback,
// IPv4-compatible, local-use NAT64, discard, ORCHID and other IETF
// assignments, documentation, ULA, link-local, site-local and multicast.
// IPv4-mapped, NAT64 and 6to4 addresses are judged by the IPv4 address they
// embed (Guard.Allowed).
var DeniedRanges = mustPrefixes(
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
	"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
	"::/128", "::1/128", "::/96", "64:ff9b:1::/48", "100::/64",
	"2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
)

func mustPrefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// Guard decides which addresses may be connected to: not in DeniedRanges or
// the configured Deny ranges, unless in the Allow ranges.
type Guard struct {
	deny, allow []netip.Prefix
}

// NewGuard returns a guard denying DeniedRanges and deny, allowing allow.
func NewGuard(deny, allow []netip.Prefix) *Guard {
	g := &Guard{allow: append([]netip.Prefix(nil), allow...)}
	g.deny = append(append([]netip.Prefix(nil), DeniedRanges...), deny...)
	return g
}

// Allowed reports whether a may be connected to. An IPv4 address written as
// IPv4-mapped IPv6, or embedded in a NAT64 (64:ff9b::/96) or 6to4
// (2002::/16) address, is judged as that IPv4 address too: it is denied
// when either form is, unless the allow list holds the form denied.
func (g *Guard) Allowed(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.WithZone("")
	forms := []netip.Addr{a}
	if a.Is4In6() {
		forms = append(forms, a.Unmap())
	} else if a.Is6() {
		b := a.As16()
		switch {
		case netip.MustParsePrefix("64:ff9b::/96").Contains(a):
			forms = append(forms, netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case netip.MustParsePrefix("2002::/16").Contains(a):
			forms = append(forms, netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	for _, f := range forms {
		if g.denied(f) && !g.allowed(f) {
			return false
		}
	}
	return true
}

func (g *Guard) denied(a netip.Addr) bool {
	if a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return true
	}
	for _, p := range g.deny {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (g *Guard) allowed(a netip.Addr) bool {
	for _, p := range g.allow {
		if p.Contains(a) || a.Is4In6() && p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// Check returns an error wrapping ErrDenied when a may not be connected to.
func (g *Guard) Check(a netip.Addr) error {
	if !g.Allowed(a) {
		return fmt.Errorf("%w: %s is in a private, local or denied range", ErrDenied, a)
	}
	return nil
}

// control is a net.Dialer / net.ListenConfig Control function: it checks
// the address the socket is about to connect to (after name resolution, so
// a name that resolves differently the second time cannot slip through)
// and binds the socket to the configured interface.
func (g *Guard) control(iface string, checkAddr bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		if checkAddr {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %q is not an address", ErrDenied, address)
			}
			if err := g.Check(ap.Addr()); err != nil {
				return err
			}
		}
		if iface == "" {
			return nil
		}
		return bindToDevice(c, iface)
	}
}

// errIsDenied reports whether err says the guard refused (net.OpError
// wraps the Control function's error).
func errIsDenied(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && errors.Is(op.Err, ErrDenied) {
		return true
	}
	return errors.Is(err, ErrDenied)
}
