package synth

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// FixedPortFlow is one day's scan packets of a FixedPortScan from one
// source port to one destination port.
type FixedPortFlow struct {
	SrcPort, DstPort uint16
	Packets          int
}

// FixedPortScan describes a capture of one IPv4 scanner that sends TCP
// SYNs (Mirai style: sequence number = destination) from a few fixed
// source ports, as a sample in the source-port study does, plus noise
// sources that each send one SYN from an ephemeral port.
type FixedPortScan struct {
	Src netip.Addr
	// Sensor is the IPv4 /24 (or smaller) the destinations are drawn from.
	Sensor netip.Prefix
	// Start is the first day (UTC midnight); Days[i] are the flows of day
	// Start+i, spread over the day's first hours.
	Start time.Time
	Days  [][]FixedPortFlow
	// Noise is the one-packet sources per day (from 198.51.100.0/24 up).
	Noise int
}

// WriteFixedPortScan writes s as a pcap (Ethernet, microsecond
// timestamps), in time order.
func WriteFixedPortScan(w io.Writer, s FixedPortScan) error {
	if !s.Src.Is4() || !s.Sensor.Addr().Is4() {
		return errors.New("synth: fixed-port scan: IPv4 source and sensor wanted")
	}
	bw := bufio.NewWriter(w)
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 262144)
	le.PutUint32(hdr[20:], 1)
	bw.Write(hdr)
	src4 := s.Src.As4()
	src := be.Uint32(src4[:])
	base4 := s.Sensor.Masked().Addr().As4()
	base := be.Uint32(base4[:])
	hosts := uint32(1) << (32 - s.Sensor.Bits())
	g := new(gen)
	frame := g.buf[:]
	var rec [16]byte
	n := uint32(0)
	write := func(ts time.Time, from, dst uint32, sport, dport uint16, seq uint32) error {
		for i := range 12 {
			frame[i] = byte(i + 1)
		}
		hl := tcpHdr(frame[l4Off4:], sport, dport, seq, 0, fSYN, 14600, nil)
		fl := g.finish4(ipTCP, hl, from, dst, uint16(n), 64, false)
		us := ts.UnixMicro()
		le.PutUint32(rec[0:], uint32(us/1e6))
		le.PutUint32(rec[4:], uint32(us%1e6))
		le.PutUint32(rec[8:], uint32(fl))
		le.PutUint32(rec[12:], uint32(fl))
		bw.Write(rec[:])
		_, err := bw.Write(frame[:fl])
		return err
	}
	for d, flows := range s.Days {
		day := s.Start.AddDate(0, 0, d)
		total := 0
		for _, f := range flows {
			total += f.Packets
		}
		step := time.Duration(0)
		if total > 0 {
			step = 4 * time.Hour / time.Duration(total)
		}
		// Interleave the flows round-robin, as a scanner alternating
		// between its sockets does.
		left := make([]int, len(flows))
		for i, f := range flows {
			left[i] = f.Packets
		}
		at := day.Add(time.Minute)
		for sent := 0; sent < total; {
			for i, f := range flows {
				if left[i] == 0 {
					continue
				}
				left[i]--
				dst := base + n%hosts
				n++
				if err := write(at, src, dst, f.SrcPort, f.DstPort, dst); err != nil {
					return fmt.Errorf("synth: %w", err)
				}
				at = at.Add(step)
				sent++
			}
		}
		for i := 0; i < s.Noise; i++ {
			from := uint32(198)<<24 | 51<<16 | 100<<8 + uint32(i)
			dst := base + n%hosts
			n++
			if err := write(day.Add(5*time.Hour+time.Duration(i)*time.Second), from, dst, uint16(32768+i), 22, 12345); err != nil {
				return fmt.Errorf("synth: %w", err)
			}
		}
	}
	return bw.Flush()
}
