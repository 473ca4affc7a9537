package pcaparchive

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ngFile writes a plain pcapng stream with pcapgo, with the given section
// comment, holding one packet.
func ngFile(t testing.TB, comment string) []byte {
	t.Helper()
	var buf bytes.Buffer
	opts := pcapgo.DefaultNgWriterOptions
	opts.SectionInfo.Comment = comment
	intf := pcapgo.DefaultNgInterface
	intf.LinkType = layers.LinkTypeEthernet
	w, err := pcapgo.NewNgWriterInterface(&buf, intf, opts)
	if err != nil {
		t.Fatal(err)
	}
	d := make([]byte, 60)
	if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: t0, CaptureLength: 60, Length: 60}, d); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	return buf.Bytes()
}

// beSHB is a big-endian Section Header Block with a comment option, then
// nothing else.
func beSHB(comment string) []byte {
	var opts []byte
	opts = binary.BigEndian.AppendUint16(opts, 1)
	opts = binary.BigEndian.AppendUint16(opts, uint16(len(comment)))
	opts = append(opts, comment...)
	for len(opts)%4 != 0 {
		opts = append(opts, 0)
	}
	opts = append(opts, 0, 0, 0, 0)
	n := uint32(28 + len(opts))
	b := binary.BigEndian.AppendUint32(nil, 0x0a0d0d0a)
	b = binary.BigEndian.AppendUint32(b, n)
	b = binary.BigEndian.AppendUint32(b, 0x1a2b3c4d)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint64(b, ^uint64(0))
	b = append(b, opts...)
	return binary.BigEndian.AppendUint32(b, n)
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// TestMarker: a Writer's files are recognised, compressed or not; other
// captures and other data are not, without error; a failing reader is an
// error.
func TestMarker(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, Config{Dir: dir, Sensor: "東京-1", Interface: "nflog:5", Prefix: "nflog:5", Version: "v9"})
	write(t, w, packets(11, 10, t0, time.Millisecond, 0))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	final, _ := dirFiles(t, dir)
	archive, err := os.ReadFile(filepath.Join(dir, final[0]))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	want := Info{Sensor: "東京-1", Interface: "nflog:5", Application: "honeyscope v9"}
	pcap := pcapFile(t)
	cases := []struct {
		name string
		data []byte
		ok   bool
	}{
		{"archive", archive, true},
		{"archive uncompressed", plain, true},
		{"archive one byte at a time", archive, true},
		{"pcapng without marker", ngFile(t, ""), false},
		{"pcapng with another comment", ngFile(t, "honeyscope-live-archived sensor=a interface=b"), false},
		{"pcapng marker without interface", ngFile(t, "honeyscope-live-archive sensor=a"), false},
		{"pcapng with marker", ngFile(t, "honeyscope-live-archive sensor=a interface=b"), true},
		{"gzip pcapng with marker", gzipped(ngFile(t, `honeyscope-live-archive sensor="a b" interface=b`)), true},
		{"big-endian with marker", beSHB("honeyscope-live-archive sensor=a interface=b"), true},
		{"big-endian without marker", beSHB("hello"), false},
		{"big-endian cut", beSHB("honeyscope-live-archive sensor=a interface=b")[:40], false},
		{"pcap", pcap, false},
		{"gzip pcap", gzipped(pcap), false},
		{"empty", nil, false},
		{"text", []byte("hello, this is not a capture"), false},
		{"gzip magic only", []byte{0x1f, 0x8b}, false},
		{"archive cut in its header", archive[:30], false},
	}
	for _, c := range cases {
		var r io.Reader = bytes.NewReader(c.data)
		if c.name == "archive one byte at a time" {
			r = iotest.OneByteReader(r)
		}
		info, ok, err := Marker(r)
		if err != nil || ok != c.ok {
			t.Errorf("%s: ok %v err %v, want ok %v", c.name, ok, err, c.ok)
			continue
		}
		if c.name == "archive" || c.name == "archive uncompressed" {
			if info != want {
				t.Errorf("%s: %+v, want %+v", c.name, info, want)
			}
		}
		if c.name == "gzip pcapng with marker" && info.Sensor != "a b" {
			t.Errorf("%s: %+v", c.name, info)
		}
	}
	boom := errors.New("boom")
	if _, ok, err := Marker(iotest.ErrReader(boom)); ok || !errors.Is(err, boom) {
		t.Errorf("failing reader: ok %v err %v", ok, err)
	}
	if _, ok, err := Marker(io.MultiReader(bytes.NewReader(archive[:40]), iotest.ErrReader(boom))); ok || !errors.Is(err, boom) {
		t.Errorf("reader failing in the header: ok %v err %v", ok, err)
	}
}

// TestComment: every sensor and interface name survives the comment.
func TestComment(t *testing.T) {
	for _, i := range []Info{
		{Sensor: "tokyo", Interface: "eth0"},
		{Sensor: "a b", Interface: `x"y=z`},
		{Sensor: "", Interface: ""},
		{Sensor: "\x00\xff", Interface: "sensor=evil interface=evil"},
	} {
		got, ok := parseComment(i.comment())
		if !ok || got != i {
			t.Errorf("%+v: comment %q read back as %+v %v", i, i.comment(), got, ok)
		}
	}
	if _, ok := parseComment("honeyscope-live-archive sensor=a interface=b extra=1 "); !ok {
		t.Error("unknown keys refused")
	}
	for _, c := range []string{"", "honeyscope-live-archive", "honeyscope-live-archive sensor", `honeyscope-live-archive sensor="a interface=b`, `honeyscope-live-archive sensor="a"b interface=c`} {
		if _, ok := parseComment(c); ok {
			t.Errorf("%q accepted", c)
		}
	}
}

// pcapFile is a classic pcap stream of one packet.
func pcapFile(t testing.TB) []byte {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	w.WritePacket(gopacket.CaptureInfo{Timestamp: t0, CaptureLength: 60, Length: 60}, make([]byte, 60))
	return buf.Bytes()
}

// FuzzMarker: Marker never panics nor fails on a reader that does not
// fail, and what it accepts is a marker comment.
func FuzzMarker(f *testing.F) {
	f.Add(ngFile(f, "honeyscope-live-archive sensor=a interface=b"))
	f.Add(gzipped(ngFile(f, `honeyscope-live-archive sensor="a\x00" interface=b`)))
	f.Add(ngFile(f, ""))
	f.Add(pcapFile(f))
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Add(beSHB("honeyscope-live-archive sensor=a interface=b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, ok, err := Marker(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("error on a byte slice: %v", err)
		}
		if ok {
			if _, ok2 := parseComment(info.comment()); !ok2 {
				t.Fatalf("accepted %+v whose comment does not parse", info)
			}
		}
	})
}

// FuzzComment: comments round-trip and parsing never panics.
func FuzzComment(f *testing.F) {
	f.Add("tokyo", "eth0", "honeyscope-live-archive sensor=a interface=b")
	f.Add("a b", `"`, `honeyscope-live-archive sensor="\x" interface=`)
	f.Fuzz(func(t *testing.T, sensor, iface, raw string) {
		parseComment(raw)
		i := Info{Sensor: sensor, Interface: iface}
		got, ok := parseComment(i.comment())
		if !ok || got != i {
			t.Fatalf("%+v read back as %+v %v", i, got, ok)
		}
	})
}
