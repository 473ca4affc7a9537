//go:build !linux

package honeypot

import "net"

// originalPort is only known on Linux (SO_ORIGINAL_DST).
func originalPort(net.Conn) (uint16, bool) { return 0, false }
