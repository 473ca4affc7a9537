package sandbox

import (
	"cmp"
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"slices"

	"github.com/honeyscope/honeyscope/internal/sandbox/fakenet"
)

// Indicators are what a run says about a sample.
type Indicators struct {
	// Domains are the names the sample resolved, in the order first asked.
	Domains []string `json:"domains"`
	// Contacted are the original destinations of the sample's TCP
	// connections and UDP datagrams (as the sinks saw them), with the
	// domain a fake-world address stands for.
	Contacted []Endpoint `json:"contacted"`
	// Scanned are the destination ports of the sample's TCP SYNs (from
	// the capture), with the number of distinct addresses each went to.
	Scanned []PortCount `json:"scanned"`
	// SourcePorts are the source ports of those SYNs, with the number of
	// SYNs from each.
	SourcePorts []PortCount `json:"source_ports"`
	// Syns counts the sample's TCP SYNs, and SynSeqIsDst those whose
	// sequence number is their IPv4 destination address (Mirai's mark).
	Syns        int `json:"syns"`
	SynSeqIsDst int `json:"syn_seq_is_dst"`
	// Syscalls are the files, processes and sockets from the syscall log.
	Syscalls Syscalls `json:"syscalls"`
}

// Endpoint is an address and port contacted.
type Endpoint struct {
	Proto  string         `json:"proto"` // tcp or udp
	Addr   netip.AddrPort `json:"addr"`
	Domain string         `json:"domain,omitempty"`
	Count  int            `json:"count"`
	Bytes  int            `json:"bytes"`
}

// PortCount is a port and a count.
type PortCount struct {
	Port  uint16 `json:"port"`
	Count int    `json:"count"`
}

// BuildIndicators draws indicators from the fake world's events, the
// syscall log and the capture at pcapPath ("" or unreadable: none from it).
func BuildIndicators(events []fakenet.Event, sc Syscalls, pcapPath string) Indicators {
	ind := Indicators{Syscalls: sc}
	pool := fakenet.NewPool()
	seenName := map[string]bool{}
	type key struct {
		proto string
		ap    netip.AddrPort
	}
	eps := map[key]*Endpoint{}
	for _, e := range events {
		switch e.Kind {
		case fakenet.KindDNS:
			if e.QType == "A" || e.QType == "AAAA" {
				pool.Addrs(e.Name) // the same order as the DNS server's pool
			}
			if !seenName[e.Name] && len(ind.Domains) < MaxListed {
				seenName[e.Name] = true
				ind.Domains = append(ind.Domains, e.Name)
			}
		case fakenet.KindTCP, fakenet.KindUDP:
			k := key{e.Kind, e.Dst}
			ep := eps[k]
			if ep == nil {
				if len(eps) >= MaxListed {
					continue
				}
				ep = &Endpoint{Proto: e.Kind, Addr: e.Dst}
				eps[k] = ep
			}
			ep.Count++
			ep.Bytes += e.Bytes
		}
	}
	for _, ep := range eps {
		ep.Domain = pool.NameOf(ep.Addr.Addr())
		ind.Contacted = append(ind.Contacted, *ep)
	}
	slices.SortFunc(ind.Contacted, func(a, b Endpoint) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), a.Addr.Compare(b.Addr), cmp.Compare(a.Proto, b.Proto))
	})
	if pcapPath != "" {
		if f, err := os.Open(pcapPath); err == nil {
			scanSyns(f, &ind)
			f.Close()
		}
	}
	return ind
}

// scanSyns reads a pcap of Ethernet frames (as the capture writes) and
// counts the sample's SYNs.
func scanSyns(r io.Reader, ind *Indicators) {
	var gh [24]byte
	if _, err := io.ReadFull(r, gh[:]); err != nil || binary.LittleEndian.Uint32(gh[0:]) != 0xa1b2c3d4 {
		return
	}
	dsts := map[uint16]map[netip.Addr]bool{}
	srcs := map[uint16]int{}
	var rh [16]byte
	buf := make([]byte, snapLen)
	for {
		if _, err := io.ReadFull(r, rh[:]); err != nil {
			break
		}
		n := binary.LittleEndian.Uint32(rh[8:])
		if n > snapLen {
			break
		}
		f := buf[:n]
		if _, err := io.ReadFull(r, f); err != nil {
			break
		}
		dst, sport, dport, seq, ok := synOf(f)
		if !ok {
			continue
		}
		ind.Syns++
		if dst.Is4() {
			if b := dst.As4(); binary.BigEndian.Uint32(b[:]) == seq {
				ind.SynSeqIsDst++
			}
		}
		m := dsts[dport]
		if m == nil {
			if len(dsts) >= 65536 {
				continue
			}
			m = map[netip.Addr]bool{}
			dsts[dport] = m
		}
		if len(m) < 1<<20 {
			m[dst] = true
		}
		srcs[sport]++
	}
	for p, m := range dsts {
		ind.Scanned = append(ind.Scanned, PortCount{p, len(m)})
	}
	for p, c := range srcs {
		ind.SourcePorts = append(ind.SourcePorts, PortCount{p, c})
	}
	byCount := func(a, b PortCount) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Port, b.Port)) }
	slices.SortFunc(ind.Scanned, byCount)
	slices.SortFunc(ind.SourcePorts, byCount)
	ind.Scanned = ind.Scanned[:min(len(ind.Scanned), MaxListed)]
	ind.SourcePorts = ind.SourcePorts[:min(len(ind.SourcePorts), MaxListed)]
}

// synOf returns a TCP SYN's (without ACK) destination, ports and sequence number.
func synOf(f []byte) (dst netip.Addr, sport, dport uint16, seq uint32, ok bool) {
	if len(f) < 14 {
		return
	}
	var tcp []byte
	switch binary.BigEndian.Uint16(f[12:14]) {
	case 0x0800:
		ip := f[14:]
		if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != 6 {
			return
		}
		hl := int(ip[0]&15) * 4
		if hl < 20 || len(ip) < hl+20 || binary.BigEndian.Uint16(ip[6:8])&0x1fff != 0 {
			return
		}
		dst = netip.AddrFrom4([4]byte(ip[16:20]))
		tcp = ip[hl:]
	case 0x86dd:
		ip := f[14:]
		if len(ip) < 40+20 || ip[6] != 6 {
			return
		}
		dst = netip.AddrFrom16([16]byte(ip[24:40]))
		tcp = ip[40:]
	default:
		return
	}
	flags := tcp[13]
	if flags&0x02 == 0 || flags&0x10 != 0 {
		return
	}
	return dst, binary.BigEndian.Uint16(tcp[0:2]), binary.BigEndian.Uint16(tcp[2:4]), binary.BigEndian.Uint32(tcp[4:8]), true
}
