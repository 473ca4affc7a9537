package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/honeyscope/honeyscope/internal/decode"
)

var (
	le byteOrder = binary.LittleEndian
	be byteOrder = binary.BigEndian
)

func TestPcapVariants(t *testing.T) {
	pkts := genPackets(200, 0, 1600, 1)
	cases := []struct {
		name string
		o    pcapOpts
	}{
		{"le-micro", pcapOpts{bo: le, snaplen: 65535, linkField: 1}},
		{"be-micro", pcapOpts{bo: be, snaplen: 65535, linkField: 1}},
		{"le-nano", pcapOpts{bo: le, nano: true, snaplen: 262144, linkField: 113}},
		{"be-nano", pcapOpts{bo: be, nano: true, snaplen: 1600, linkField: 101}},
		// FCS length 4 with the P bit set: the link type is still Ethernet.
		{"fcs-bits", pcapOpts{bo: le, snaplen: 65535, linkField: 4<<28 | 1<<26 | 1}},
		{"be-fcs-bits", pcapOpts{bo: be, nano: true, snaplen: 65535, linkField: 2<<28 | 1<<26 | 228}},
		{"modified", pcapOpts{bo: le, modified: true, snaplen: 65535, linkField: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := buildPcap(tc.o, pkts)
			for _, compressed := range []bool{false, true} {
				file := f.file
				if compressed {
					file = gz(t, file)
				}
				r, err := NewReader(bytes.NewReader(file), "x.pcap")
				if err != nil {
					t.Fatal(err)
				}
				if r.Format() != FormatPcap {
					t.Errorf("Format() = %q", r.Format())
				}
				got, offs, err := readAll(t, r)
				if err != io.EOF {
					t.Fatalf("gzip=%v: end error %v, want io.EOF", compressed, err)
				}
				comparePkts(t, got, f.pkts)
				if !slices.Equal(offs, f.offsets) {
					t.Errorf("gzip=%v: offsets differ: got %v..., want %v...", compressed, offs[:3], f.offsets[:3])
				}
				if _, _, _, _, err := r.Next(); err != io.EOF {
					t.Errorf("Next after EOF = %v, want io.EOF", err)
				}
				if err := r.Close(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestPcapgoWritten reads files written by gopacket's pcapgo writers.
func TestPcapgoWritten(t *testing.T) {
	pkts := genPackets(300, 1, 1500, 2)
	base := time.Date(2024, 5, 6, 7, 8, 9, 987654321, time.UTC)

	t.Run("pcap", func(t *testing.T) {
		for _, nano := range []bool{false, true} {
			var buf bytes.Buffer
			w := pcapgo.NewWriter(&buf)
			if nano {
				w = pcapgo.NewWriterNanos(&buf)
			}
			if err := w.WriteFileHeader(65536, layers.LinkTypeLinuxSLL); err != nil {
				t.Fatal(err)
			}
			var want []pkt
			for i, p := range pkts {
				ts := base.Add(time.Duration(i) * 1234567 * time.Nanosecond)
				ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(p.data), Length: p.orig}
				if err := w.WritePacket(ci, p.data); err != nil {
					t.Fatal(err)
				}
				if !nano {
					ts = ts.Truncate(time.Microsecond)
				}
				want = append(want, pkt{data: p.data, ts: ts.UnixNano(), link: decode.LinkSLL, orig: p.orig})
			}
			r, err := NewReader(&buf, "w.pcap")
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := readAll(t, r)
			if err != io.EOF {
				t.Fatalf("nano=%v: %v", nano, err)
			}
			comparePkts(t, got, want)
		}
	})

	t.Run("pcapng-two-interfaces", func(t *testing.T) {
		var buf bytes.Buffer
		w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "eth0", LinkType: layers.LinkTypeEthernet, SnapLength: 0}, pcapgo.NgWriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		id, err := w.AddInterface(pcapgo.NgInterface{Name: "raw0", LinkType: layers.LinkTypeRaw, SnapLength: 65535})
		if err != nil {
			t.Fatal(err)
		}
		var want []pkt
		for i, p := range pkts {
			ts := base.Add(time.Duration(i) * 7654321 * time.Nanosecond)
			ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(p.data), Length: p.orig}
			link := decode.LinkEthernet
			if i%3 == 1 {
				ci.InterfaceIndex = id
				link = decode.LinkRaw
			}
			if err := w.WritePacket(ci, p.data); err != nil {
				t.Fatal(err)
			}
			want = append(want, pkt{data: p.data, ts: ts.UnixNano(), link: link, orig: p.orig})
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(&buf, "w.pcapng")
		if err != nil {
			t.Fatal(err)
		}
		if r.Format() != FormatPcapng {
			t.Errorf("Format() = %q", r.Format())
		}
		got, _, err := readAll(t, r)
		if err != io.EOF {
			t.Fatal(err)
		}
		comparePkts(t, got, want)
	})
}

// buildMultiNG makes a pcapng file with two sections in opposite byte
// orders, two interfaces of different link types in each, several
// timestamp resolutions, an if_tsoffset, every packet block type and blocks
// that must be skipped.
func buildMultiNG() fixture {
	w := &ngBuilder{bo: le}
	var f fixture
	add := func(off int64, p pkt) {
		f.offsets = append(f.offsets, off)
		f.pkts = append(f.pkts, p)
	}
	d := func(n int, seed byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = seed + byte(i)
		}
		return b
	}

	// Section 1, little-endian.
	w.shb(le, w.opt(4, []byte("honeyscope test")), w.endOpts())
	w.idb(1, 0, w.opt(2, []byte("eth0")), w.endOpts()) // default resolution: µs
	w.idb(113, 65535, w.opt(9, []byte{9}), w.endOpts())
	w.block(4, []byte{1, 0, 8, 0, 192, 0, 2, 1, 'h', 'o', 's', 't', 0, 0, 0, 0, 0, 0, 0, 0}) // name resolution
	add(w.epb(0, 1_700_000_000_123_456, d(60, 1), 60), pkt{d(60, 1), 1_700_000_000_123_456_000, decode.LinkEthernet, 60})
	add(w.epb(1, 1_700_000_001_987_654_321, d(61, 2), 1500), pkt{d(61, 2), 1_700_000_001_987_654_321, decode.LinkSLL, 1500})
	w.block(5, make([]byte, 16))                        // interface statistics
	w.block(0x00000bad, []byte("custom block data...")) // custom
	w.block(0x0000000a, make([]byte, 40))               // decryption secrets
	w.block(0x80001234, []byte{1, 2, 3})                // local-use type
	add(w.pb(1, 1_700_000_002_000_000_001, d(33, 3), 33), pkt{d(33, 3), 1_700_000_002_000_000_001, decode.LinkSLL, 33})
	add(w.spb(d(40, 4), 40), pkt{d(40, 4), 1_700_000_002_000_000_001, decode.LinkEthernet, 40}) // previous packet's time
	add(w.epb(0, 1_700_000_003_000_001, d(0, 0), 0, w.opt(2, []byte{1, 0, 0, 0}), w.endOpts()), pkt{[]byte{}, 1_700_000_003_000_001_000, decode.LinkEthernet, 0})

	// Section 2, big-endian: interface ids start again at 0.
	w.shb(be)
	w.idb(101, 64, w.opt(9, []byte{0x80 | 20}), w.opt(14, be.AppendUint64(nil, 3600)), w.endOpts()) // 2^-20 s, +1 h
	w.idb(228, 0, w.opt(9, []byte{3}))                                                              // ms, no end-of-options
	add(w.epb(0, 1_700_000_000<<20|1<<19, d(20, 5), 20), pkt{d(20, 5), (1_700_000_000+3600)*1e9 + 500_000_000, decode.LinkRaw, 20})
	add(w.epb(1, 1_700_000_004_321, d(28, 6), 28), pkt{d(28, 6), 1_700_000_004_321_000_000, decode.LinkIPv4, 28})
	// The SPB's captured length is limited by interface 0's snaplen (64).
	add(w.spb(d(64, 7), 100), pkt{d(64, 7), 1_700_000_004_321_000_000, decode.LinkRaw, 100})

	// Section 3, little-endian again, one interface with 10^-12 s.
	w.shb(le)
	w.idb(276, 0, w.opt(9, []byte{12}), w.endOpts())
	add(w.epb(0, 12_345_000_000_000_999, d(9, 8), 9), pkt{d(9, 8), 12_345_000_000_000, decode.LinkSLL2, 9})

	f.file = w.b
	f.ends = w.ends
	return f
}

func TestPcapng(t *testing.T) {
	f := buildMultiNG()
	for _, tc := range []struct {
		name string
		file []byte
		wrap func(io.Reader) io.Reader
	}{
		{"plain", f.file, nil},
		{"gzip", gz(t, f.file), nil},
		{"one-byte-reads", f.file, iotest.OneByteReader},
		{"gzip-half-reads", gz(t, f.file), iotest.HalfReader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var src io.Reader = bytes.NewReader(tc.file)
			if tc.wrap != nil {
				src = tc.wrap(src)
			}
			r, err := NewReader(src, "multi.pcapng")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Format() != FormatPcapng {
				t.Errorf("Format() = %q", r.Format())
			}
			got, offs, err := readAll(t, r)
			if err != io.EOF {
				t.Fatalf("end error %v, want io.EOF", err)
			}
			comparePkts(t, got, f.pkts)
			if !slices.Equal(offs, f.offsets) {
				t.Errorf("offsets %v, want %v", offs, f.offsets)
			}
		})
	}
}

func TestPcapngTimestampResolution(t *testing.T) {
	const sec = 1_700_000_000
	cases := []struct {
		resol []byte // if_tsresol option value; nil: option absent
		off   int64  // if_tsoffset in seconds
		ts    uint64
		want  int64
	}{
		{nil, 0, sec*1e6 + 1, sec*1e9 + 1000},
		{[]byte{0}, 0, sec, sec * 1e9},
		{[]byte{1}, 0, sec*10 + 3, sec*1e9 + 300_000_000},
		{[]byte{6}, 0, sec*1e6 + 999_999, sec*1e9 + 999_999_000},
		{[]byte{9}, 0, sec*1e9 + 7, sec*1e9 + 7},
		{[]byte{10}, 0, sec*1e10 + 19, sec*1e9 + 1},
		{[]byte{12}, 0, 1e7*1e12 + 5_000, 1e7*1e9 + 5},
		{[]byte{15}, 0, 1e4*1e15 + 5_000_000, 1e4*1e9 + 5},
		{[]byte{0x80}, 0, sec, sec * 1e9},
		{[]byte{0x80 | 1}, 0, sec<<1 | 1, sec*1e9 + 500_000_000},
		{[]byte{0x80 | 10}, 0, sec<<10 | 1, sec*1e9 + 976_562}, // 1e9/1024 = 976562.5
		{[]byte{0x80 | 30}, 0, 1<<30 - 1, 999_999_999},         // just under one second
		{[]byte{0x80 | 32}, 0, 3<<32 | 1<<31, 3*1e9 + 500_000_000},
		{[]byte{0x80 | 63}, 0, 1 << 62, 500_000_000},
		{[]byte{6}, -3600, sec * 1e6, (sec - 3600) * 1e9},
		{[]byte{9}, 86400, 5, 86400*1e9 + 5},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%x/%d", tc.resol, tc.off), func(t *testing.T) {
			for _, bo := range []byteOrder{le, be} {
				w := &ngBuilder{bo: le}
				w.shb(bo)
				var opts [][]byte
				if tc.resol != nil {
					opts = append(opts, w.opt(9, tc.resol))
				}
				if tc.off != 0 {
					opts = append(opts, w.opt(14, bo.AppendUint64(nil, uint64(tc.off))))
				}
				w.idb(1, 0, append(opts, w.endOpts())...)
				w.epb(0, tc.ts, []byte{1, 2, 3}, 3)
				r, err := NewReader(bytes.NewReader(w.b), "ts.pcapng")
				if err != nil {
					t.Fatal(err)
				}
				_, got, _, _, err := r.Next()
				if err != nil {
					t.Fatal(err)
				}
				if got != tc.want {
					t.Errorf("%v: ts %d, want %d (diff %d)", bo, got, tc.want, got-tc.want)
				}
			}
		})
	}
}

// checkTruncations cuts file at every offset in cuts and checks that the
// packets before the cut are returned and the cut is reported: io.EOF at a
// record boundary, else ErrTruncated naming the offset of the cut record.
func checkTruncations(t *testing.T, f fixture, cuts []int) {
	t.Helper()
	headerEnd := f.ends[0]
	for _, cut := range cuts {
		file := f.file[:cut]
		r, err := NewReader(bytes.NewReader(file), "cut.bin")
		if int64(cut) < headerEnd {
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("cut %d: NewReader error %v, want ErrTruncated", cut, err)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Offset != 0 || fe.Path != "cut.bin" {
				t.Fatalf("cut %d: error %#v, want a FormatError at offset 0 of cut.bin", cut, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cut %d: NewReader: %v", cut, err)
		}
		got, _, err := readAll(t, r)
		// The packets whose whole block lies before the cut.
		var want []pkt
		for i, off := range f.offsets {
			end := f.ends[slices.IndexFunc(f.ends, func(e int64) bool { return e > off })]
			if end <= int64(cut) {
				want = append(want, f.pkts[i])
			}
		}
		if len(got) != len(want) {
			t.Fatalf("cut %d: got %d packets, want %d", cut, len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i].data, want[i].data) || got[i].ts != want[i].ts {
				t.Fatalf("cut %d: packet %d differs", cut, i)
			}
		}
		if slices.Contains(f.ends, int64(cut)) {
			if err != io.EOF {
				t.Fatalf("cut %d at a record boundary: error %v, want io.EOF", cut, err)
			}
			continue
		}
		// The cut record starts at the last boundary before the cut.
		var start int64
		for _, e := range f.ends {
			if e < int64(cut) {
				start = e
			}
		}
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut %d: error %v, want a FormatError wrapping ErrTruncated", cut, err)
		}
		if fe.Offset != start || !strings.Contains(err.Error(), fmt.Sprintf("offset %d:", start)) || !strings.HasPrefix(err.Error(), "capture cut.bin: ") {
			t.Fatalf("cut %d: error %q, want offset %d", cut, err, start)
		}
		if _, _, _, _, err2 := r.Next(); err2 != err {
			t.Fatalf("cut %d: second Next gave %v, want the same error", cut, err2)
		}
	}
}

func allCuts(n int) []int {
	cuts := make([]int, n)
	for i := range cuts {
		cuts[i] = i
	}
	return cuts
}

func TestTruncated(t *testing.T) {
	pkts := genPackets(12, 0, 90, 3)
	t.Run("pcap-le", func(t *testing.T) {
		f := buildPcap(pcapOpts{bo: le, snaplen: 65535, linkField: 1}, pkts)
		checkTruncations(t, f, allCuts(len(f.file)))
	})
	t.Run("pcap-be-nano", func(t *testing.T) {
		f := buildPcap(pcapOpts{bo: be, nano: true, snaplen: 65535, linkField: 1}, pkts)
		checkTruncations(t, f, allCuts(len(f.file)))
	})
	t.Run("pcapng", func(t *testing.T) {
		f := buildMultiNG()
		checkTruncations(t, f, allCuts(len(f.file)))
	})
	t.Run("large-records", func(t *testing.T) {
		// Records larger than half the buffer, so cuts land after buffer
		// compactions too.
		f := buildPcap(pcapOpts{bo: le, snaplen: MaxRecordLen, linkField: 1}, genPackets(9, MaxRecordLen-100, MaxRecordLen, 4))
		var cuts []int
		for _, e := range f.ends {
			cuts = append(cuts, int(e)-1, int(e), int(e)+1, int(e)+8, int(e)+20)
		}
		cuts = slices.DeleteFunc(cuts, func(c int) bool { return c > len(f.file) })
		checkTruncations(t, f, cuts)
	})
}

func TestTruncatedGzip(t *testing.T) {
	f := buildPcap(pcapOpts{bo: le, snaplen: 65535, linkField: 1}, genPackets(2000, 40, 200, 5))
	z := gz(t, f.file)
	// Cut the compressed stream: every cut but the complete one must be
	// reported as truncated, even where the decompressed data that was
	// recovered ends on a record boundary.
	for _, cut := range []int{len(z) - 1, len(z) - 4, len(z) - 8, len(z) - 9, len(z) / 2, len(z) / 3, 100, 20} {
		r, err := NewReader(bytes.NewReader(z[:cut]), "cut.pcap.gz")
		if err != nil {
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("cut %d: NewReader error %v, want ErrTruncated", cut, err)
			}
			continue
		}
		got, _, err := readAll(t, r)
		var fe *FormatError
		if !errors.Is(err, ErrTruncated) || !errors.As(err, &fe) || !strings.Contains(err.Error(), "gzip") {
			t.Fatalf("cut %d of %d: error %v, want a gzip truncation", cut, len(z), err)
		}
		if cut > len(z)/2 && len(got) == 0 {
			t.Errorf("cut %d: no packet recovered", cut)
		}
		comparePkts(t, got, f.pkts[:len(got)])
	}
	// A cut in the 10-byte gzip header fails in NewReader.
	if _, err := NewReader(bytes.NewReader(z[:5]), "h.gz"); !errors.Is(err, ErrTruncated) {
		t.Errorf("cut gzip header: %v, want ErrTruncated", err)
	}
}

func TestBadInput(t *testing.T) {
	pcapHdr := func(bo byteOrder, major uint16) []byte {
		b := bo.AppendUint32(nil, 0xa1b2c3d4)
		b = bo.AppendUint16(b, major)
		b = bo.AppendUint16(b, 4)
		b = append(b, make([]byte, 8)...)
		b = bo.AppendUint32(b, 65535)
		return bo.AppendUint32(b, 1)
	}
	rec := func(b []byte, caplen uint32) []byte {
		b = le.AppendUint64(b, 0)
		b = le.AppendUint32(b, caplen)
		return le.AppendUint32(b, caplen)
	}
	ng := func(build func(w *ngBuilder)) []byte {
		w := &ngBuilder{bo: le}
		w.shb(le)
		build(w)
		return w.b
	}
	// shbLen is the length of the section header ng() writes.
	const shbLen = 28

	cases := []struct {
		name    string
		file    []byte
		atOpen  bool  // NewReader fails
		kind    error // sentinel
		off     int64
		msg     string // substring of the message
		packets int    // packets returned before the error
	}{
		{"empty", nil, true, ErrTruncated, 0, "empty file", 0},
		{"one-byte", []byte{0xd4}, true, ErrTruncated, 0, "truncated file header: need 4 bytes, file ends after 1", 0},
		{"gzip-magic-only", []byte{0x1f, 0x8b}, true, ErrTruncated, 0, "gzip header", 0},
		{"too-many-interfaces", ng(func(w *ngBuilder) {
			for range 1<<16 + 1 {
				w.idb(1, 0)
			}
		}), false, ErrTooLarge, shbLen + 20<<16, "more than 65536 interfaces in one section", 0},
		{"text", []byte("hello, this is not a capture file at all"), true, ErrUnknownFormat, 0, "unknown magic 0x68656c6c", 0},
		{"html", []byte("<html><body>404</body></html>"), true, ErrUnknownFormat, 0, "not a pcap or pcapng file", 0},
		{"pcap-version", pcapHdr(le, 3), true, ErrCorrupt, 0, "unsupported pcap version 3.4", 0},
		{"pcap-header-short", pcapHdr(be, 2)[:20], true, ErrTruncated, 0, "truncated pcap file header", 0},
		{"pcap-oversized", rec(pcapHdr(le, 2), 0xffffffff), false, ErrTooLarge, 24, "record length 4294967295 exceeds limit 262144", 0},
		{"pcap-oversized-after-one", rec(append(rec(pcapHdr(le, 2), 4), 1, 2, 3, 4), MaxRecordLen+1), false, ErrTooLarge, 44, "record length 262145 exceeds limit 262144", 1},
		{"pcap-max-ok-but-short", rec(pcapHdr(le, 2), MaxRecordLen), false, ErrTruncated, 24, "truncated record: need 262160 bytes, file ends after 16", 0},
		{"pcap-header-partial", append(pcapHdr(le, 2), 1, 2, 3), false, ErrTruncated, 24, "truncated record header", 0},
		{"ng-bad-bom", func() []byte {
			b := ng(func(*ngBuilder) {})
			le.PutUint32(b[8:], 0x11223344)
			return b
		}(), true, ErrCorrupt, 0, "bad byte-order magic", 0},
		{"ng-version", func() []byte {
			b := ng(func(*ngBuilder) {})
			le.PutUint16(b[12:], 2)
			return b
		}(), true, ErrCorrupt, 0, "unsupported pcapng version 2.0", 0},
		{"ng-shb-trailer", func() []byte {
			b := ng(func(*ngBuilder) {})
			le.PutUint32(b[24:], 32)
			return b
		}(), true, ErrCorrupt, 0, "section header trailing length 32 does not match its length 28", 0},
		{"ng-shb-length", func() []byte {
			b := ng(func(*ngBuilder) {})
			le.PutUint32(b[4:], 0xfffffff0)
			return b
		}(), true, ErrTooLarge, 0, "section header length 4294967280 exceeds limit", 0},
		{"ng-no-interface", ng(func(w *ngBuilder) { w.epb(0, 0, []byte{1}, 1) }), false, ErrCorrupt, shbLen, "refers to interface 0, but the section defines 0", 0},
		{"ng-interface-reset", ng(func(w *ngBuilder) {
			w.idb(1, 0)
			w.epb(0, 0, []byte{1}, 1)
			w.shb(be)
			w.epb(0, 0, []byte{1}, 1)
		}), false, ErrCorrupt, shbLen + 20 + 36 + shbLen, "refers to interface 0, but the section defines 0", 1},
		{"ng-spb-no-interface", ng(func(w *ngBuilder) { w.spb([]byte{1}, 1) }), false, ErrCorrupt, shbLen, "simple packet block refers to interface 0", 0},
		{"ng-block-length-odd", ng(func(w *ngBuilder) {
			w.idb(1, 0)
			w.b = le.AppendUint32(w.b, 6)
			w.b = le.AppendUint32(w.b, 33)
		}), false, ErrCorrupt, shbLen + 20, "length 33 invalid", 0},
		{"ng-block-length-short", ng(func(w *ngBuilder) {
			w.b = le.AppendUint32(w.b, 6)
			w.b = le.AppendUint32(w.b, 8)
		}), false, ErrCorrupt, shbLen, "length 8 invalid", 0},
		{"ng-epb-huge", ng(func(w *ngBuilder) {
			w.idb(1, 0)
			w.b = le.AppendUint32(w.b, 6)
			w.b = le.AppendUint32(w.b, 0xfffffffc)
		}), false, ErrTooLarge, shbLen + 20, "enhanced packet block length 4294967292 exceeds limit 327680", 0},
		{"ng-unknown-huge", ng(func(w *ngBuilder) {
			w.b = le.AppendUint32(w.b, 0x0bad)
			w.b = le.AppendUint32(w.b, 0x7ffffff0)
		}), false, ErrTooLarge, shbLen, "length 2147483632 exceeds limit 16777216", 0},
		{"ng-unknown-cut", ng(func(w *ngBuilder) {
			w.b = le.AppendUint32(w.b, 0x0bad)
			w.b = le.AppendUint32(w.b, 1<<20)
			w.b = append(w.b, make([]byte, 100)...)
		}), false, ErrTruncated, shbLen, "truncated block type 0xbad", 0},
		{"ng-unknown-trailer", ng(func(w *ngBuilder) {
			w.block(0x0bad, make([]byte, 8))
			le.PutUint32(w.b[len(w.b)-4:], 24)
		}), false, ErrCorrupt, shbLen, "trailing length 24 does not match its length 20", 0},
		{"ng-epb-caplen", ng(func(w *ngBuilder) {
			w.idb(1, 0)
			w.epb(0, 0, make([]byte, 8), 8)
			le.PutUint32(w.b[len(w.b)-20:], 9)
		}), false, ErrCorrupt, shbLen + 20, "captured length 9 exceeds enhanced packet block length 40", 0},
		{"ng-epb-trailer", ng(func(w *ngBuilder) {
			w.idb(1, 0)
			w.epb(0, 0, make([]byte, 8), 8)
			le.PutUint32(w.b[len(w.b)-4:], 44)
		}), false, ErrCorrupt, shbLen + 20, "enhanced packet block trailing length 44 does not match its length 40", 0},
		{"ng-pb-caplen", ng(func(w *ngBuilder) {
			w.idb(1, 0)
			w.pb(0, 0, make([]byte, 4), 4)
			le.PutUint32(w.b[len(w.b)-16:], 100)
		}), false, ErrCorrupt, shbLen + 20, "captured length 100 exceeds packet block length 36", 0},
		{"ng-option-overrun", ng(func(w *ngBuilder) {
			w.idb(1, 0, le.AppendUint32(le.AppendUint16(le.AppendUint16(nil, 2), 200), 0))
		}), false, ErrCorrupt, shbLen, "option 2 length 200 runs past the block", 0},
		{"ng-tsresol-decimal", ng(func(w *ngBuilder) { w.idb(1, 0, w.opt(9, []byte{29})) }), false, ErrCorrupt, shbLen, "unsupported if_tsresol 0x1d", 0},
		{"ng-tsresol-binary", ng(func(w *ngBuilder) { w.idb(1, 0, w.opt(9, []byte{0xc0})) }), false, ErrCorrupt, shbLen, "unsupported if_tsresol 0xc0", 0},
		{"ng-block-header-cut", append(ng(func(w *ngBuilder) {}), 6, 0, 0), false, ErrTruncated, shbLen, "truncated block header", 0},
		{"ng-shb-cut", ng(func(w *ngBuilder) { w.b = append(w.b, 0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c) }), false, ErrTruncated, shbLen, "truncated section header", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, compressed := range []bool{false, true} {
				if compressed && tc.name == "gzip-magic-only" {
					continue // gzip inside gzip is not decompressed twice
				}
				file := tc.file
				if compressed {
					file = gz(t, file)
				}
				r, err := NewReader(bytes.NewReader(file), "bad.cap")
				n := 0
				if err == nil {
					if tc.atOpen {
						t.Fatalf("gzip=%v: NewReader succeeded, want an error", compressed)
					}
					var got []pkt
					got, _, err = readAll(t, r)
					n = len(got)
				} else if !tc.atOpen {
					t.Fatalf("gzip=%v: NewReader: %v", compressed, err)
				}
				if compressed && tc.name == "empty" {
					// A gzip stream of nothing: the decompressed stream is empty.
					if !errors.Is(err, ErrTruncated) {
						t.Errorf("gzip of empty: %v", err)
					}
					continue
				}
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("gzip=%v: error %v (%T), want *FormatError", compressed, err, err)
				}
				if !errors.Is(err, tc.kind) || fe.Offset != tc.off || fe.Path != "bad.cap" || !strings.Contains(fe.Msg, tc.msg) {
					t.Errorf("gzip=%v: error %q (offset %d), want %v at offset %d containing %q", compressed, err, fe.Offset, tc.kind, tc.off, tc.msg)
				}
				if n != tc.packets {
					t.Errorf("gzip=%v: %d packets before the error, want %d", compressed, n, tc.packets)
				}
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	b := buildPcap(pcapOpts{bo: le, snaplen: 65535, linkField: 1}, genPackets(1, 60, 60, 6)).file
	b = le.AppendUint64(b, 0)
	b = le.AppendUint64(b, 0xffffffff)
	r, err := NewReader(bytes.NewReader(b), "foo.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	_, _, _, _, err = r.Next()
	const want = "capture foo.pcap: offset 100: record length 4294967295 exceeds limit 262144"
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if r.Offset() != 100 {
		t.Errorf("Offset() = %d after the error, want 100", r.Offset())
	}
}

// TestBufferBoundaries reads several MiB of records of all sizes, so
// records straddle refills and compactions of the buffer.
func TestBufferBoundaries(t *testing.T) {
	pkts := genPackets(60, 0, MaxRecordLen, 7)
	pkts = append(pkts, genPackets(5000, 0, 3000, 8)...)
	pf := buildPcap(pcapOpts{bo: be, nano: true, snaplen: MaxRecordLen, linkField: 1}, pkts)
	w := &ngBuilder{bo: le}
	w.shb(le)
	w.idb(1, 0, w.opt(9, []byte{9}), w.endOpts())
	for _, p := range pkts {
		w.epb(0, uint64(p.ts), p.data, uint32(p.orig))
	}
	for _, tc := range []struct {
		name string
		file []byte
		want []pkt
	}{{"pcap", pf.file, pf.pkts}, {"pcapng", w.b, pkts}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, compressed := range []bool{false, true} {
				file := tc.file
				if compressed {
					file = gz(t, file)
				}
				r, err := NewReader(iotest.HalfReader(bytes.NewReader(file)), "big")
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := readAll(t, r)
				if err != io.EOF {
					t.Fatal(err)
				}
				comparePkts(t, got, tc.want)
			}
		})
	}
}

func TestReadError(t *testing.T) {
	f := buildPcap(pcapOpts{bo: le, snaplen: 65535, linkField: 1}, genPackets(10, 60, 60, 9))
	boom := errors.New("disk on fire")
	src := io.MultiReader(bytes.NewReader(f.file[:200]), iotest.ErrReader(boom))
	r, err := NewReader(src, "e.pcap")
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := readAll(t, r)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "e.pcap") {
		t.Errorf("error %v, want it to wrap the read error and name the file", err)
	}
	comparePkts(t, got, f.pkts[:2])
}

func TestOpenAndClose(t *testing.T) {
	dir := t.TempDir()
	f := buildMultiNG()
	// The name says pcap, the content is gzip-compressed pcapng.
	path := filepath.Join(dir, "misnamed.pcap")
	if err := os.WriteFile(path, gz(t, f.file), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != FormatPcapng || r.Name() != path {
		t.Errorf("Format %q Name %q", r.Format(), r.Name())
	}
	got, _, err := readAll(t, r)
	if err != io.EOF {
		t.Fatal(err)
	}
	comparePkts(t, got, f.pkts)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := r.Next(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Next after Close: %v, want os.ErrClosed", err)
	}

	if _, err := Open(filepath.Join(dir, "missing.pcap")); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.pcap") {
		t.Errorf("Open of a missing file: %v", err)
	}
	bad := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(bad, []byte("not a capture"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad); !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), bad) {
		t.Errorf("Open of a text file: %v", err)
	}
}

func TestNextAllocs(t *testing.T) {
	pkts := genPackets(3000, 40, 200, 10)
	pf := buildPcap(pcapOpts{bo: le, snaplen: 65535, linkField: 1}, pkts)
	w := &ngBuilder{bo: le}
	w.shb(le)
	w.idb(1, 0, w.endOpts())
	w.idb(101, 0, w.opt(9, []byte{0x80 | 24}), w.endOpts())
	for i, p := range pkts {
		w.epb(uint32(i%2), uint64(p.ts), p.data, uint32(p.orig))
		if i%100 == 0 {
			w.block(5, make([]byte, 16))
		}
	}
	for _, tc := range []struct {
		name string
		file []byte
	}{{"pcap", pf.file}, {"pcapng", w.b}, {"pcap-gzip", gz(t, pf.file)}} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tc.file), tc.name)
			if err != nil {
				t.Fatal(err)
			}
			// Warm up: the first reads may grow the gzip decoder's state.
			for range 10 {
				if _, _, _, _, err := r.Next(); err != nil {
					t.Fatal(err)
				}
			}
			var nextErr error
			allocs := testing.AllocsPerRun(2000, func() {
				if _, _, _, _, err := r.Next(); err != nil {
					nextErr = err
				}
			})
			if nextErr != nil {
				t.Fatal(nextErr)
			}
			if allocs != 0 {
				t.Errorf("%v allocations per Next, want 0", allocs)
			}
		})
	}
}
