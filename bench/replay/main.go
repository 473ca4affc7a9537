// Command replay sends the frames of a pcap file out of a network
// interface at a given rate, for the live capture benchmark
// (bench/capture.sh). It is a benchmark tool: run it only on a veth pair
// in a network namespace made for the purpose, never on a real network.
//
// The frames are read into memory first, so the timed send reads no file.
// tcpreplay tops out near 230 k packets/s on a small machine (one sendto
// per packet); this sender, by default, copies the frames into an
// AF_PACKET TX ring (PACKET_TX_RING, TPACKET_V2) and hands the kernel a
// batch of them at each send(2), qdisc bypassed (-mode ring); -mode mmsg
// sends batches with sendmmsg(2) instead, for comparison. It prints what
// it sent, how fast, and its own CPU time per frame (user + system, which
// on a veth includes the receiving side's kernel work done in its
// context).
//
//	replay -i veth0 -pps 500000 capture.pcap
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	iface := flag.String("i", "", "interface to send on")
	pps := flag.Int("pps", 0, "frames per second (0: as fast as possible)")
	limit := flag.Int("n", 0, "send at most this many frames (0: the whole file)")
	mode := flag.String("mode", "ring", "how to send: ring (PACKET_TX_RING) or mmsg (sendmmsg)")
	batch := flag.Int("batch", 256, "frames per send call")
	ringMiB := flag.Int("ring", 8, "TX ring size in MiB (-mode ring)")
	loops := flag.Int("loop", 1, "send the frames this many times")
	flag.Parse()
	if *iface == "" || flag.NArg() != 1 || *batch < 1 || *ringMiB < 1 || *loops < 1 || (*mode != "ring" && *mode != "mmsg") {
		fmt.Fprintln(os.Stderr, "usage: replay -i IF [-pps N] [-n N] [-mode ring|mmsg] [-batch N] [-ring MiB] [-loop N] FILE.pcap")
		os.Exit(2)
	}
	fr, err := load(flag.Arg(0), *limit, *loops)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
	if fr.n() == 0 {
		fmt.Fprintln(os.Stderr, "replay: no frames in", flag.Arg(0))
		os.Exit(1)
	}
	fd, err := open(*iface)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
	defer unix.Close(fd)
	var ru0, ru1 unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru0)
	var sent int
	var took time.Duration
	if *mode == "ring" {
		var r *txRing
		if r, err = newTxRing(fd, fr.max, *ringMiB<<20); err == nil {
			if err = bind(fd, *iface); err == nil {
				sent, took, err = sendRing(r, fr, *pps, *batch)
			}
			r.close()
		}
	} else if err = bind(fd, *iface); err == nil {
		sent, took, err = sendMmsg(fd, fr, *pps, *batch)
	}
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru1)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	fmt.Printf("sent %d packets in %.3f s: %.0f packets/s\n", sent, took.Seconds(), float64(sent)/took.Seconds())
	fmt.Printf("sender CPU %.0f ns per packet (user %.2f s, system %.2f s)\n", float64(cpu.Nanoseconds())/float64(sent),
		time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()).Seconds(), time.Duration(ru1.Stime.Nano()-ru0.Stime.Nano()).Seconds())
}

// open returns an AF_PACKET socket that receives nothing (protocol 0) and
// sends around the qdisc.
func open(iface string) (int, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		return -1, fmt.Errorf("AF_PACKET socket: %w", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	// Root may exceed wmem_max: frames in flight are charged to it.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 64<<20); err != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
	}
	return fd, nil
}

// bind binds fd to iface for sending (protocol 0: nothing is received).
func bind(fd int, iface string) error {
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return err
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: 0, Ifindex: ifc.Index}); err != nil {
		return fmt.Errorf("bind %s: %w", iface, err)
	}
	return nil
}
