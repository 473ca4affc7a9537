// Command replay sends the frames of a pcap file out of a network
// interface at a given rate, for the live capture benchmark
// (bench/capture.sh). It is a benchmark tool: run it only on a veth pair
// in a network namespace made for the purpose, never on a real network.
//
// tcpreplay tops out near 230 k packets/s on a small machine (one sendto
// per packet); this sender batches 64 frames per sendmmsg(2) on an
// AF_PACKET socket that bypasses the qdisc, so the sender's own cost stays
// below the capture's.
//
//	replay -i veth0 -pps 500000 capture.pcap
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
	"unsafe"

	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/sys/unix"
)

const batch = 64

// mmsghdr is struct mmsghdr of sendmmsg(2).
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
	_   [4]byte
}

func main() {
	iface := flag.String("i", "", "interface to send on")
	pps := flag.Int("pps", 0, "packets per second (0: as fast as possible)")
	limit := flag.Int("n", 0, "stop after this many packets (0: the whole file)")
	flag.Parse()
	if *iface == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: replay -i IF [-pps N] [-n N] FILE.pcap")
		os.Exit(2)
	}
	sent, secs, err := run(*iface, flag.Arg(0), *pps, *limit)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
	fmt.Printf("sent %d packets in %.3f s: %.0f packets/s\n", sent, secs, float64(sent)/secs)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func run(iface, path string, pps, limit int) (int, float64, error) {
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return 0, 0, err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return 0, 0, fmt.Errorf("AF_PACKET socket: %w", err)
	}
	defer unix.Close(fd)
	// Received frames are not wanted: a protocol of 0 after bind would do,
	// but binding to ETH_P_ALL and never reading costs only a full queue.
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: 0, Ifindex: ifc.Index}); err != nil {
		return 0, 0, fmt.Errorf("bind %s: %w", iface, err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)

	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	bufs := make([][]byte, batch)
	for i := range bufs {
		bufs[i] = make([]byte, 0, 65536)
	}
	iovs := make([]unix.Iovec, batch)
	msgs := make([]mmsghdr, batch)
	start := time.Now()
	sent := 0
	for {
		n := 0
		for n < batch && (limit == 0 || sent+n < limit) {
			data, _, err := r.ZeroCopyReadPacketData()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return sent, time.Since(start).Seconds(), err
			}
			bufs[n] = append(bufs[n][:0], data...)
			n++
		}
		if n == 0 {
			break
		}
		for i := 0; i < n; i++ {
			iovs[i].Base = &bufs[i][0]
			iovs[i].SetLen(len(bufs[i]))
			msgs[i].hdr = unix.Msghdr{Iov: &iovs[i], Iovlen: 1}
		}
		if pps > 0 {
			due := start.Add(time.Duration(float64(sent) / float64(pps) * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
		}
		for off := 0; off < n; {
			k, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&msgs[off])), uintptr(n-off), 0, 0, 0)
			if e != 0 {
				if e == unix.EAGAIN || e == unix.ENOBUFS || e == unix.EINTR {
					continue
				}
				return sent, time.Since(start).Seconds(), fmt.Errorf("sendmmsg: %w", e)
			}
			off += int(k)
		}
		sent += n
	}
	return sent, time.Since(start).Seconds(), nil
}
