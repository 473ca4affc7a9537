package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// NFTTable is the nftables table NFT writes: family inet (IPv4 and IPv6).
const NFTTable = "inet honeyscope"

var ifaceName = regexp.MustCompile(`^[A-Za-z0-9_.:@+-]{1,15}\*?$`)

// NFT returns the nftables ruleset of "all ports" mode: in an
// `inet honeyscope` table, a nat prerouting chain that redirects every TCP
// connection arriving on iface to a port no listener serves, to the
// generic redirect listener (h.Redirect, or DefaultRedirect when unset,
// with a comment saying to set it); that listener recovers the port the
// client asked for with SO_ORIGINAL_DST. The ports of every listener and
// h.AdminPorts (the machine's real management SSH port: without it an
// operator is locked out of a remote machine) are left alone. Loading it
// (`nft -f FILE`) replaces an earlier honeyscope table; NFTRemove undoes it.
// h should have its defaults applied. iface "" matches every interface but
// loopback; a name may end with * (eth*).
func NFT(h *Honeypot, iface string) (string, error) {
	if iface != "" && !ifaceName.MatchString(iface) {
		return "", fmt.Errorf("interface %q: not an interface name (letters, digits and _ . : @ + -, at most 15, a trailing * for a prefix)", iface)
	}
	var listen []uint16
	for _, s := range h.Services() {
		listen = append(listen, s.Ports...)
	}
	redirect := h.Redirect
	if redirect == 0 {
		redirect = DefaultRedirect
	}
	listen = append(listen, redirect)
	slices.Sort(listen)
	listen = slices.Compact(listen)
	admin := slices.Clone(h.AdminPorts)
	slices.Sort(admin)
	admin = slices.Compact(admin)

	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("#!/usr/sbin/nft -f")
	w("# honeyscope \"all ports\" mode: every TCP port that no honeypot listener")
	w("# serves is redirected to the generic redirect listener on port %d, which", redirect)
	w("# records the port the client asked for (SO_ORIGINAL_DST).")
	if h.Redirect == 0 {
		w("#")
		w("# redirect_port is not set in the config: set honeypot.redirect_port: %d", redirect)
		w("# so that a listener receives these connections.")
	}
	if len(admin) == 0 {
		w("#")
		w("# WARNING: no admin_ports are set. On a remote machine, put the port of")
		w("# your real management SSH server (and of the API, when it listens beyond")
		w("# loopback) in honeypot.admin_ports before loading this: otherwise the")
		w("# next connection to it reaches the honeypot instead.")
	}
	w("#")
	w("# Load:   nft -f FILE  (replaces an earlier honeyscope table)")
	w("# Remove: %s", strings.TrimSpace(NFTRemove()))
	w("")
	w("# Declaring then deleting the table makes loading this file idempotent.")
	w("table %s", NFTTable)
	w("delete table %s", NFTTable)
	w("")
	w("table %s {", NFTTable)
	w("\t# Ports a honeypot listener serves, and the redirect port itself.")
	w("\tset listeners {")
	w("\t\ttype inet_service")
	w("\t\telements = { %s }", portList(listen))
	w("\t}")
	w("")
	w("\t# Ports of the machine's own services (management SSH, API): never touched.")
	w("\tset admin {")
	w("\t\ttype inet_service")
	if len(admin) > 0 {
		w("\t\telements = { %s }", portList(admin))
	}
	w("\t}")
	w("")
	w("\tchain prerouting {")
	w("\t\ttype nat hook prerouting priority dstnat; policy accept;")
	w("")
	w("\t\t# Local traffic is never redirected.")
	w("\t\tiifname \"lo\" return")
	if iface != "" {
		w("\t\t# Only connections arriving on %s.", iface)
		w("\t\tiifname != %q return", iface)
	}
	w("\t\t# The machine's own services.")
	w("\t\ttcp dport @admin return")
	w("\t\t# Ports a listener answers itself.")
	w("\t\ttcp dport @listeners return")
	w("\t\t# Every other TCP port: to the redirect listener (new connections only;")
	w("\t\t# nat chains see the first packet of each).")
	w("\t\tmeta l4proto tcp redirect to :%d", redirect)
	w("\t}")
	w("}")
	return b.String(), nil
}

// NFTRemove returns the command that removes NFT's ruleset.
func NFTRemove() string {
	return "nft delete table " + NFTTable + "\n"
}
