package decode_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// synPacket builds an IP packet (IPv4 or IPv6 by the addresses) holding a
// TCP SYN with the given sequence number and destination port.
func synPacket(src, dst netip.Addr, seq uint32, dport uint16) []byte {
	tcp := make([]byte, 20)
	binary.BigEndian.PutUint16(tcp[0:], 40000)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	tcp[12], tcp[13] = 5<<4, decode.TCPSyn
	binary.BigEndian.PutUint16(tcp[14:], 14600)
	if dst.Is4() {
		ip := make([]byte, 20, 40)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], 40)
		ip[8], ip[9] = 54, decode.ProtoTCP
		s, d := src.As4(), dst.As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		return append(ip, tcp...)
	}
	ip := make([]byte, 40, 60)
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], 20)
	ip[6], ip[7] = decode.ProtoTCP, 54
	s, d := src.As16(), dst.As16()
	copy(ip[8:], s[:])
	copy(ip[24:], d[:])
	return append(ip, tcp...)
}

// writeNFLOGPcap writes frames as a little-endian microsecond pcap file of
// link type NFLOG, one second apart.
func writeNFLOGPcap(t *testing.T, path string, frames [][]byte) {
	t.Helper()
	le := binary.LittleEndian
	var b []byte
	b = le.AppendUint32(b, 0xa1b2c3d4)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, 65535)
	b = le.AppendUint32(b, uint32(decode.LinkNFLOG))
	for i, f := range frames {
		b = le.AppendUint32(b, uint32(1_767_225_600+i))
		b = le.AppendUint32(b, 250_000)
		b = le.AppendUint32(b, uint32(len(f)))
		b = le.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNFLOGIngest ingests a generated NFLOG capture into a new store and
// checks the packet and Mirai counts; where tcpdump is installed it must
// read the same packets from the file.
func TestNFLOGIngest(t *testing.T) {
	const mirai, other, v6 = 7, 5, 4
	var frames [][]byte
	src := netip.MustParseAddr("198.51.100.7")
	for i := range mirai {
		dst := netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + i)})
		seq := binary.BigEndian.Uint32(dst.AsSlice())
		frames = append(frames, decode.AppendNFLOG(nil, 2, 5, synPacket(src, dst, seq, 23)))
	}
	for i := range other {
		dst := netip.AddrFrom4([4]byte{203, 0, 113, byte(100 + i)})
		frames = append(frames, decode.AppendNFLOG(nil, 2, 5, synPacket(src, dst, 0x12345678+uint32(i), 22)))
	}
	for i := range v6 {
		dst := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1)})
		frames = append(frames, decode.AppendNFLOG(nil, 10, 5, synPacket(netip.MustParseAddr("2001:db8:1::7"), dst, uint32(i), 80)))
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "nflog.pcap")
	writeNFLOGPcap(t, file, frames)

	db := filepath.Join(dir, "s.duckdb")
	res, err := ingest.Run(context.Background(), ingest.Config{DBPath: db}, []string{file})
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Err != nil || !r.Committed {
		t.Fatalf("ingest: %+v", r)
	}
	total := uint64(len(frames))
	// Packets counts the frames that decoded (every one is inbound here).
	if r.Frames != total || r.Packets != total {
		t.Errorf("frames %d packets %d, want %d decoded", r.Frames, r.Packets, total)
	}
	if got := r.Classes[classify.Mirai]; got != mirai {
		t.Errorf("result mirai = %d, want %d", got, mirai)
	}

	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Stats(context.Background(), store.StatsQuery{By: []string{"class"}})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]uint64{}
	for _, row := range rows {
		stored[row.Keys[0].(string)] = row.Packets
	}
	if stored["mirai"] != mirai {
		t.Errorf("stored mirai = %d, want %d (all %v)", stored["mirai"], mirai, stored)
	}

	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Log("tcpdump not installed: not cross-checked")
		return
	}
	out, err := exec.Command(tcpdump, "-n", "-r", file).Output()
	t.Logf("tcpdump:\n%s", out)
	if err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	var lines, syns, telnet int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		lines++
		if strings.Contains(sc.Text(), "Flags [S]") {
			syns++
		}
		if strings.Contains(sc.Text(), ".23: Flags [S]") {
			telnet++
		}
	}
	if lines != len(frames) || syns != len(frames) || telnet != mirai {
		t.Errorf("tcpdump reads %d packets, %d SYNs, %d to port 23; want %d, %d, %d:\n%s", lines, syns, telnet, len(frames), len(frames), mirai, out)
	}
}
