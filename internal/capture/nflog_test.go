package capture

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// nflogSyn returns an NFLOG frame holding an IPv4 TCP SYN to port dport.
func nflogSyn(dport uint16) []byte {
	ip := make([]byte, 40)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], 40)
	ip[8], ip[9] = 64, 6
	copy(ip[12:], []byte{198, 51, 100, 7})
	copy(ip[16:], []byte{203, 0, 113, 9})
	binary.BigEndian.PutUint16(ip[20:], 40000)
	binary.BigEndian.PutUint16(ip[22:], dport)
	ip[32], ip[33] = 5<<4, 0x02
	return decode.AppendNFLOG(nil, 2, 7, ip)
}

// TestNFLOGLinkType reads pcap and pcapng files recorded with link type
// NFLOG (239) and decodes what they return.
func TestNFLOGLinkType(t *testing.T) {
	var pkts []pkt
	for i, port := range []uint16{23, 2323, 80} {
		d := nflogSyn(port)
		pkts = append(pkts, pkt{data: d, ts: int64(1_700_000_000+i) * 1e9, link: decode.LinkNFLOG, orig: len(d)})
	}
	ng := &ngBuilder{}
	ng.shb(le)
	ng.idb(uint16(decode.LinkNFLOG), 65535)
	for _, p := range pkts {
		ng.epb(0, uint64(p.ts/1000), p.data, uint32(p.orig))
	}
	files := map[string][]byte{
		"pcap":    buildPcap(pcapOpts{bo: be, snaplen: 65535, linkField: uint32(decode.LinkNFLOG)}, pkts).file,
		"pcapng":  ng.b,
		"pcap.gz": gz(t, buildPcap(pcapOpts{bo: le, nano: true, snaplen: 65535, linkField: uint32(decode.LinkNFLOG)}, pkts).file),
	}
	for name, file := range files {
		t.Run(name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(file), "x."+name)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := readAll(t, r)
			if err != io.EOF {
				t.Fatalf("end error %v, want io.EOF", err)
			}
			comparePkts(t, got, pkts)
			for i, g := range got {
				var p decode.Packet
				if err := decode.Decode(g.link, g.data, &p); err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				if want := []uint16{23, 2323, 80}[i]; p.DstPort != want || p.TCPFlags != decode.TCPSyn {
					t.Errorf("packet %d: port %d flags %#x, want %d SYN", i, p.DstPort, p.TCPFlags, want)
				}
			}
		})
	}
}
