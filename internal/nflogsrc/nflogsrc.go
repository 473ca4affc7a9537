// Package nflogsrc receives the packets that an iptables or nftables
// "log group N" rule passes to user space through NFLOG (netfilter's
// netlink logger), the usual way a Linux honeypot logs every inbound
// connection. It only listens: nothing is ever sent on the network, and
// the only messages written are the configuration requests to the local
// kernel that bind the group.
//
// The netlink protocol is spoken directly over golang.org/x/sys/unix so
// that the receive path allocates nothing per packet: one buffer is read
// into and the handler gets slices of it.
package nflogsrc

import "time"

// Handler receives one logged packet: the kernel's timestamp in
// nanoseconds since the epoch (the time of reading when the kernel gave
// none), the address family (2 for IPv4, 10 for IPv6) and the IP packet,
// as much of it as the copy range allowed. packet is only valid during the
// call.
type Handler func(tsNanos int64, family uint8, packet []byte)

// Stats counts what a Source received. Overruns and Lost are the kernel's
// drops: the socket's receive buffer was full and messages were thrown
// away.
type Stats struct {
	Messages  uint64 // packet messages received
	Delivered uint64 // packets passed to the handler
	Skipped   uint64 // packet messages not delivered: no payload, a family other than IPv4/IPv6, or too short
	Lost      uint64 // packets the kernel numbered that never arrived (sequence gaps)
	Overruns  uint64 // reads that failed with ENOBUFS: the kernel dropped messages
	Errors    uint64 // other read errors, truncated datagrams and malformed messages
}

// Options tune a Source. Zero fields take the defaults.
type Options struct {
	// RcvBuf is the socket receive buffer in bytes (default 8 MiB); root
	// may exceed net.core.rmem_max.
	RcvBuf int
	// CopyRange is the number of bytes of each packet copied (default and
	// maximum 65535).
	CopyRange uint16
	// NLBufSize is the size of the kernel's batches in bytes (default
	// 64 KiB; the kernel caps it at 128 KiB).
	NLBufSize uint32
	// QThreshold is the number of packets after which a batch is sent
	// (default 256).
	QThreshold uint32
	// Flush is the longest a packet waits in a batch (default 100 ms, in
	// steps of 10 ms).
	Flush time.Duration
}

// Defaults of Options.
const (
	DefaultRcvBuf     = 8 << 20
	DefaultNLBufSize  = 64 << 10
	DefaultQThreshold = 256
	DefaultFlush      = 100 * time.Millisecond
)
