package sandbox

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/honeyscope/honeyscope/internal/sandbox/fakenet"
)

// pcapOf writes Ethernet frames as the capture does.
func pcapOf(frames ...[]byte) []byte {
	var b bytes.Buffer
	var gh [24]byte
	binary.LittleEndian.PutUint32(gh[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint32(gh[16:], snapLen)
	binary.LittleEndian.PutUint32(gh[20:], 1)
	b.Write(gh[:])
	for _, f := range frames {
		var rh [16]byte
		binary.LittleEndian.PutUint32(rh[8:], uint32(len(f)))
		binary.LittleEndian.PutUint32(rh[12:], uint32(len(f)))
		b.Write(rh[:])
		b.Write(f)
	}
	return b.Bytes()
}

// synFrame is an IPv4 TCP segment with the given flags.
func synFrame(dst [4]byte, sport, dport uint16, seq uint32, flags byte) []byte {
	f := make([]byte, 14+20+20)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0], ip[9] = 0x45, 6
	copy(ip[12:], []byte{10, 200, 0, 2})
	copy(ip[16:], dst[:])
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	tcp[12], tcp[13] = 5<<4, flags
	return f
}

func TestScanSyns(t *testing.T) {
	var frames [][]byte
	for i := range 5 {
		d := [4]byte{203, 0, 113, byte(i + 1)}
		frames = append(frames, synFrame(d, 41337, 23, binary.BigEndian.Uint32(d[:]), 0x02))
	}
	frames = append(frames, synFrame([4]byte{203, 0, 113, 1}, 40000, 80, 7, 0x02))
	frames = append(frames, synFrame([4]byte{203, 0, 113, 1}, 40000, 80, 8, 0x12)) // SYN-ACK: not a SYN
	frames = append(frames, []byte{1, 2, 3})                                       // runt
	var ind Indicators
	scanSyns(bytes.NewReader(pcapOf(frames...)), &ind)
	if ind.Syns != 6 || ind.SynSeqIsDst != 5 {
		t.Errorf("%d SYNs, %d with seq == dst; want 6, 5", ind.Syns, ind.SynSeqIsDst)
	}
	if len(ind.Scanned) != 2 || ind.Scanned[0] != (PortCount{23, 5}) || ind.Scanned[1] != (PortCount{80, 1}) {
		t.Errorf("scanned %+v", ind.Scanned)
	}
	if len(ind.SourcePorts) != 2 || ind.SourcePorts[0] != (PortCount{41337, 5}) {
		t.Errorf("source ports %+v", ind.SourcePorts)
	}
}

func TestBuildIndicatorsDomains(t *testing.T) {
	ev := []fakenet.Event{
		{Kind: fakenet.KindDNS, Name: "a.example", QType: "A"},
		{Kind: fakenet.KindDNS, Name: "b.example", QType: "AAAA"},
		{Kind: fakenet.KindDNS, Name: "a.example", QType: "AAAA"},
		{Kind: fakenet.KindTCP, Dst: netip.MustParseAddrPort("198.18.0.2:443"), Bytes: 5},
		{Kind: fakenet.KindTCP, Dst: netip.MustParseAddrPort("198.18.0.2:443"), Bytes: 7},
		{Kind: fakenet.KindTCP, Dst: netip.MustParseAddrPort("[2001:db8::1]:80")},
	}
	ind := BuildIndicators(ev, Syscalls{}, "")
	if len(ind.Domains) != 2 || ind.Domains[0] != "a.example" || ind.Domains[1] != "b.example" {
		t.Errorf("domains %v", ind.Domains)
	}
	if len(ind.Contacted) != 2 || ind.Contacted[0].Domain != "b.example" || ind.Contacted[0].Count != 2 || ind.Contacted[0].Bytes != 12 ||
		ind.Contacted[1].Domain != "a.example" {
		t.Errorf("contacted %+v", ind.Contacted)
	}
}

func FuzzScanSyns(f *testing.F) {
	f.Add(pcapOf(synFrame([4]byte{1, 2, 3, 4}, 1, 2, 3, 2)))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ind Indicators
		scanSyns(bytes.NewReader(b), &ind)
		if ind.SynSeqIsDst > ind.Syns {
			t.Fatal("more marked SYNs than SYNs")
		}
	})
}
