package pcaparchive

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pkt is a packet as written.
type pkt struct {
	ts      time.Time
	data    []byte
	origLen int
}

// synFrame builds an Ethernet/IPv4/TCP SYN from a pseudo-random source to
// 192.0.2.1, numbered n in its sequence number, with extra payload bytes.
func synFrame(rng *rand.Rand, n uint32, extra int) []byte {
	f := make([]byte, 14+20+20+extra)
	copy(f[0:6], []byte{0x02, 0, 0, 0, 0, 1})
	copy(f[6:12], []byte{0x02, 0, 0, 0, 0, 2})
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+20+extra))
	ip[8] = 64
	ip[9] = 6
	binary.BigEndian.PutUint32(ip[12:], rng.Uint32())
	copy(ip[16:20], []byte{192, 0, 2, 1})
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], uint16(rng.IntN(65536)))
	binary.BigEndian.PutUint16(tcp[2:], []uint16{23, 22, 80, 443, 2323, 8080}[rng.IntN(6)])
	binary.BigEndian.PutUint32(tcp[4:], n)
	tcp[12] = 5 << 4
	tcp[13] = 0x02
	for i := range extra {
		tcp[20+i] = byte(rng.Uint32())
	}
	return f
}

// packets makes n packets one step apart from start.
func packets(seed uint64, n int, start time.Time, step time.Duration, extra int) []pkt {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]pkt, n)
	for i := range out {
		d := synFrame(rng, uint32(i), extra)
		out[i] = pkt{ts: start.Add(time.Duration(i) * step), data: d, origLen: len(d)}
	}
	return out
}

// readFile reads an archive file back with pcapgo (through gzip), failing
// on any error before the end of the file.
func readFile(t testing.TB, path string) ([]pkt, pcapgo.NgSectionInfo, layers.LinkType) {
	t.Helper()
	got, info, link, err := readPackets(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return got, info, link
}

// readPackets reads the packets of a gzip pcapng file until its end or an
// error (returned with the packets read before it).
func readPackets(path string) ([]pkt, pcapgo.NgSectionInfo, layers.LinkType, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, pcapgo.NgSectionInfo{}, 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, pcapgo.NgSectionInfo{}, 0, err
	}
	r, err := pcapgo.NewNgReader(zr, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		return nil, pcapgo.NgSectionInfo{}, 0, err
	}
	var out []pkt
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			// pcapgo reports a cut stream as io.ErrUnexpectedEOF; a clean
			// end must also be the end of the gzip stream (its checksum).
			if _, err := io.Copy(io.Discard, zr); err != nil {
				return out, r.SectionInfo(), r.LinkType(), err
			}
			return out, r.SectionInfo(), r.LinkType(), nil
		}
		if err != nil {
			return out, r.SectionInfo(), r.LinkType(), err
		}
		out = append(out, pkt{ts: ci.Timestamp, data: bytes.Clone(data), origLen: ci.Length})
	}
}

// dirFiles lists the names in dir, sorted.
func dirFiles(t testing.TB, dir string) (final, part []string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		switch {
		case strings.HasSuffix(e.Name(), Suffix):
			final = append(final, e.Name())
		case strings.HasSuffix(e.Name(), Suffix+partSuffix):
			part = append(part, e.Name())
		}
	}
	slices.Sort(final)
	slices.Sort(part)
	return final, part
}

// readAll reads the complete files of dir in name order.
func readAll(t testing.TB, dir string) (all []pkt, perFile [][]pkt) {
	t.Helper()
	final, _ := dirFiles(t, dir)
	for _, name := range final {
		got, _, _ := readFile(t, filepath.Join(dir, name))
		perFile = append(perFile, got)
		all = append(all, got...)
	}
	return all, perFile
}

// samePackets compares packets read back with those written (data cut to
// snap when snap > 0).
func samePackets(t testing.TB, got, want []pkt, snap int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d packets read back, %d written", len(got), len(want))
	}
	for i := range want {
		w := want[i]
		data := w.data
		if snap > 0 && len(data) > snap {
			data = data[:snap]
		}
		g := got[i]
		if !g.ts.Equal(w.ts) || g.origLen != max(w.origLen, len(w.data)) || !bytes.Equal(g.data, data) {
			t.Fatalf("packet %d: read %v len %d (%d bytes), wrote %v len %d (%d bytes)",
				i, g.ts, g.origLen, len(g.data), w.ts, w.origLen, len(data))
		}
	}
}

func write(t testing.TB, w *Writer, ps []pkt) {
	t.Helper()
	for _, p := range ps {
		if err := w.WritePacket(p.ts, p.data, p.origLen); err != nil {
			t.Fatal(err)
		}
	}
}
