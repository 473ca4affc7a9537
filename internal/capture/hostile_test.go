package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
)

// TestPcapngTimestampOverflow checks that timestamps and if_tsoffset values
// beyond what int64 Unix nanoseconds hold come back Undated, never wrapped,
// and that the extremes that still fit come back exact.
func TestPcapngTimestampOverflow(t *testing.T) {
	const maxSec = math.MaxInt64 / int64(1e9)
	cases := []struct {
		resol []byte
		off   int64 // if_tsoffset in seconds
		ts    uint64
		want  int64
	}{
		{nil, 0, 1 << 63, Undated},                // µs × 1000 overflows 64 bits
		{nil, 0, math.MaxInt64/1000 + 1, Undated}, // fits 64 bits, not int64
		{nil, 0, math.MaxInt64 / 1000, math.MaxInt64 / 1000 * 1000},
		{[]byte{9}, 0, math.MaxInt64, math.MaxInt64}, // 2262-04-11T23:47:16.854775807Z
		{[]byte{9}, 0, math.MaxInt64 + 1, Undated},
		{[]byte{9}, 1, math.MaxInt64 - 1e9, math.MaxInt64},
		{[]byte{9}, 1, math.MaxInt64 - 999_999_999, Undated},
		{[]byte{6}, 1 << 62, 5, Undated}, // the offset alone is out of range
		{[]byte{6}, -1 << 62, 5, Undated},
		{[]byte{9}, -9_000_000_000, 0, -9_000_000_000 * 1e9}, // 1684: before 1970, still exact
		{[]byte{0}, -1, 0, -1e9},
		{[]byte{0x80 | 1}, 0, 1<<63 | 1, Undated}, // 2^62 seconds
		{[]byte{0x80 | 16}, 0, uint64(maxSec) << 16, maxSec * 1e9},
		{[]byte{0x80 | 16}, 0, uint64(maxSec+1) << 16, Undated},
		{[]byte{28}, 0, math.MaxUint64, 1},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%x/%d/%d", tc.resol, tc.off, tc.ts), func(t *testing.T) {
			w := &ngBuilder{bo: le}
			w.shb(le)
			var opts [][]byte
			if tc.resol != nil {
				opts = append(opts, w.opt(9, tc.resol))
			}
			if tc.off != 0 {
				opts = append(opts, w.opt(14, le.AppendUint64(nil, uint64(tc.off))))
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
				t.Errorf("ts %d, want %d", got, tc.want)
			}
		})
	}
}

// TestSimplePacketBlockTime checks that a Simple Packet Block takes the time
// of the packet before it in its section, and is Undated when it opens the
// section (even after earlier sections' packets) or follows an undated one.
func TestSimplePacketBlockTime(t *testing.T) {
	w := &ngBuilder{bo: le}
	w.shb(le)
	w.idb(1, 0, w.opt(9, []byte{9}), w.endOpts())
	w.spb([]byte{1}, 1)                    // first of its section: undated
	w.epb(0, 5e9, []byte{2}, 1)            // 5 s
	w.spb([]byte{3}, 1)                    // takes 5 s
	w.epb(0, math.MaxUint64, []byte{4}, 1) // out of range: undated
	w.spb([]byte{5}, 1)                    // follows an undated packet
	w.shb(be)
	w.idb(1, 0, w.endOpts())
	w.spb([]byte{6}, 1) // opens the second section
	want := []int64{Undated, 5e9, 5e9, Undated, Undated, Undated}
	r, err := NewReader(bytes.NewReader(w.b), "spb.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	for i, ts := range want {
		data, got, _, _, err := r.Next()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if data[0] != byte(i+1) || got != ts {
			t.Errorf("packet %d (byte %d): ts %d, want %d", i, data[0], got, ts)
		}
	}
	if _, _, _, _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last packet: %v", err)
	}
}

// TestFormatVersions checks the versions accepted and refused against what
// libpcap reads, and that a refusal names the file and the offset of the
// header at fault.
func TestFormatVersions(t *testing.T) {
	pcapFile := func(major, minor uint16, caplenField, origField uint32) []byte {
		b := le.AppendUint32(nil, 0xa1b2c3d4)
		b = le.AppendUint16(b, major)
		b = le.AppendUint16(b, minor)
		b = le.AppendUint64(b, 0)
		b = le.AppendUint32(b, 65535)
		b = le.AppendUint32(b, 1)
		b = le.AppendUint64(b, 7) // 7 s
		b = le.AppendUint32(b, caplenField)
		b = le.AppendUint32(b, origField)
		return append(b, 1, 2, 3, 4)
	}
	for _, tc := range []struct {
		major, minor    uint16
		ok              bool
		caplen, origLen uint32 // as written in the record header
	}{
		{2, 4, true, 4, 60},
		{2, 3, true, 4, 60},
		{2, 3, true, 60, 4}, // 2.3 files exist with either order
		{2, 2, true, 60, 4}, // before 2.3: original length first
		{2, 0, true, 60, 4},
		{543, 0, true, 60, 4},
		{2, 5, false, 4, 60},
		{1, 4, false, 4, 60},
		{3, 4, false, 4, 60},
		{543, 1, false, 4, 60},
	} {
		name := fmt.Sprintf("pcap %d.%d", tc.major, tc.minor)
		r, err := NewReader(bytes.NewReader(pcapFile(tc.major, tc.minor, tc.caplen, tc.origLen)), "v.pcap")
		if !tc.ok {
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrUnsupportedVersion) || !errors.Is(err, ErrCorrupt) || fe.Offset != 0 ||
				!strings.Contains(err.Error(), "v.pcap") || !strings.Contains(err.Error(), fmt.Sprintf("unsupported pcap version %d.%d", tc.major, tc.minor)) {
				t.Errorf("%s: error %v, want an unsupported version at offset 0", name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, ts, _, orig, err := r.Next()
		if err != nil || len(data) != 4 || orig != 60 || ts != 7e9 {
			t.Errorf("%s: %d bytes, original %d, ts %d, err %v; want 4, 60, 7e9", name, len(data), orig, ts, err)
		}
	}

	ngFile := func(major, minor uint16, second bool) []byte {
		w := &ngBuilder{bo: le}
		w.shb(le)
		if second {
			w.idb(1, 0, w.endOpts())
			w.epb(0, 1, []byte{1}, 1)
			w.shb(le)
		}
		// Patch the version of the last section header.
		at := bytes.LastIndex(w.b, le.AppendUint32(nil, 0x1a2b3c4d)) + 4
		le.PutUint16(w.b[at:], major)
		le.PutUint16(w.b[at+2:], minor)
		return w.b
	}
	for _, tc := range []struct {
		major, minor uint16
		ok           bool
	}{{1, 0, true}, {1, 2, true}, {1, 1, false}, {2, 0, false}, {0, 0, false}} {
		for _, second := range []bool{false, true} {
			name := fmt.Sprintf("pcapng %d.%d second=%v", tc.major, tc.minor, second)
			file := ngFile(tc.major, tc.minor, second)
			off := int64(0)
			if second {
				off = int64(bytes.LastIndex(file, []byte{0x0a, 0x0d, 0x0d, 0x0a}))
			}
			r, err := NewReader(bytes.NewReader(file), "v.pcapng")
			if err == nil {
				for err == nil {
					_, _, _, _, err = r.Next()
				}
			}
			if tc.ok {
				if err != io.EOF {
					t.Errorf("%s: %v", name, err)
				}
				continue
			}
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrUnsupportedVersion) || fe.Offset != off ||
				!strings.Contains(err.Error(), "v.pcapng") || !strings.Contains(err.Error(), fmt.Sprintf("unsupported pcapng version %d.%d", tc.major, tc.minor)) {
				t.Errorf("%s: error %v, want an unsupported version at offset %d", name, err, off)
			}
		}
	}
}
