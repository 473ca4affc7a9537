package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// byteOrder decodes and appends in one byte order (binary.LittleEndian or
// binary.BigEndian).
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// pkt is one packet as a test expects Reader to return it.
type pkt struct {
	data []byte
	ts   int64
	link decode.LinkType
	orig int
}

// fixture is a generated capture file plus what reading it must give.
type fixture struct {
	file    []byte
	pkts    []pkt
	offsets []int64 // stream offset of each packet's record
	// ends holds the offsets at which the file may be cut cleanly: the end
	// of the file header and the end of every record or block.
	ends []int64
}

// genPackets makes n packets with sizes in [minLen, maxLen] and increasing
// timestamps, deterministically from seed.
func genPackets(n, minLen, maxLen int, seed uint64) []pkt {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]pkt, n)
	ts := int64(1_700_000_000)*1e9 + 123_456_789
	for i := range out {
		l := minLen + rng.IntN(maxLen-minLen+1)
		d := make([]byte, l)
		for j := range d {
			d[j] = byte(rng.Uint32())
		}
		ts += int64(rng.IntN(5_000_000_000))
		out[i] = pkt{data: d, ts: ts, link: decode.LinkEthernet, orig: l + rng.IntN(3)}
	}
	return out
}

// pcapOpts selects the variant of a generated pcap file.
type pcapOpts struct {
	bo        byteOrder
	nano      bool
	modified  bool   // Kuznetsov's 24-byte record header (magic 0xa1b2cd34)
	snaplen   uint32 // written in the header
	linkField uint32 // the whole 32-bit link-type field, FCS bits included
}

// buildPcap writes pkts as a pcap file by hand. Timestamps of the returned
// fixture are truncated to microseconds unless o.nano; link types are the
// field masked to its link-type bits.
func buildPcap(o pcapOpts, pkts []pkt) fixture {
	var b []byte
	magic := uint32(0xa1b2c3d4)
	switch {
	case o.nano:
		magic = 0xa1b23c4d
	case o.modified:
		magic = 0xa1b2cd34
	}
	b = o.bo.AppendUint32(b, magic)
	b = o.bo.AppendUint16(b, 2)
	b = o.bo.AppendUint16(b, 4)
	b = o.bo.AppendUint32(b, 0) // thiszone
	b = o.bo.AppendUint32(b, 0) // sigfigs
	b = o.bo.AppendUint32(b, o.snaplen)
	b = o.bo.AppendUint32(b, o.linkField)
	f := fixture{ends: []int64{int64(len(b))}}
	for _, p := range pkts {
		f.offsets = append(f.offsets, int64(len(b)))
		sec, frac := p.ts/1e9, p.ts%1e9
		if !o.nano {
			frac /= 1000
		}
		b = o.bo.AppendUint32(b, uint32(sec))
		b = o.bo.AppendUint32(b, uint32(frac))
		b = o.bo.AppendUint32(b, uint32(len(p.data)))
		b = o.bo.AppendUint32(b, uint32(p.orig))
		if o.modified {
			b = append(b, 1, 2, 3, 4, 5, 6, 7, 8) // ifindex, protocol, pkt_type, pad
		}
		b = append(b, p.data...)
		f.ends = append(f.ends, int64(len(b)))
		q := p
		if !o.nano {
			q.ts = sec*1e9 + frac*1000
		}
		q.link = decode.LinkType(o.linkField & 0x03ffffff)
		f.pkts = append(f.pkts, q)
	}
	f.file = b
	return f
}

// ngBuilder writes pcapng files block by block, in any byte order.
type ngBuilder struct {
	bo   byteOrder
	b    []byte
	ends []int64
}

// block appends one block with the given body, padded to 4 bytes, and
// returns its offset.
func (w *ngBuilder) block(typ uint32, body []byte) int64 {
	off := int64(len(w.b))
	pad := (4 - len(body)%4) % 4
	n := uint32(12 + len(body) + pad)
	w.b = w.bo.AppendUint32(w.b, typ)
	w.b = w.bo.AppendUint32(w.b, n)
	w.b = append(w.b, body...)
	w.b = append(w.b, make([]byte, pad)...)
	w.b = w.bo.AppendUint32(w.b, n)
	w.ends = append(w.ends, int64(len(w.b)))
	return off
}

// opt encodes one option (code, length, value, padding).
func (w *ngBuilder) opt(code uint16, val []byte) []byte {
	var o []byte
	o = w.bo.AppendUint16(o, code)
	o = w.bo.AppendUint16(o, uint16(len(val)))
	o = append(o, val...)
	return append(o, make([]byte, (4-len(val)%4)%4)...)
}

// endOpts is the opt_endofopt option.
func (w *ngBuilder) endOpts() []byte { return []byte{0, 0, 0, 0} }

// shb starts a new section in byte order bo.
func (w *ngBuilder) shb(bo byteOrder, opts ...[]byte) {
	w.bo = bo
	var body []byte
	body = bo.AppendUint32(body, 0x1a2b3c4d)
	body = bo.AppendUint16(body, 1)
	body = bo.AppendUint16(body, 0)
	body = bo.AppendUint64(body, ^uint64(0))
	for _, o := range opts {
		body = append(body, o...)
	}
	w.block(0x0a0d0d0a, body)
}

// idb adds an interface.
func (w *ngBuilder) idb(link uint16, snaplen uint32, opts ...[]byte) {
	var body []byte
	body = w.bo.AppendUint16(body, link)
	body = w.bo.AppendUint16(body, 0)
	body = w.bo.AppendUint32(body, snaplen)
	for _, o := range opts {
		body = append(body, o...)
	}
	w.block(1, body)
}

// epb adds an Enhanced Packet Block and returns its offset.
func (w *ngBuilder) epb(ifid uint32, ts uint64, data []byte, orig uint32, opts ...[]byte) int64 {
	var body []byte
	body = w.bo.AppendUint32(body, ifid)
	body = w.bo.AppendUint32(body, uint32(ts>>32))
	body = w.bo.AppendUint32(body, uint32(ts))
	body = w.bo.AppendUint32(body, uint32(len(data)))
	body = w.bo.AppendUint32(body, orig)
	body = append(body, data...)
	body = append(body, make([]byte, (4-len(data)%4)%4)...)
	for _, o := range opts {
		body = append(body, o...)
	}
	return w.block(6, body)
}

// pb adds an obsolete Packet Block and returns its offset.
func (w *ngBuilder) pb(ifid uint16, ts uint64, data []byte, orig uint32) int64 {
	var body []byte
	body = w.bo.AppendUint16(body, ifid)
	body = w.bo.AppendUint16(body, 0) // drops
	body = w.bo.AppendUint32(body, uint32(ts>>32))
	body = w.bo.AppendUint32(body, uint32(ts))
	body = w.bo.AppendUint32(body, uint32(len(data)))
	body = w.bo.AppendUint32(body, orig)
	body = append(body, data...)
	return w.block(2, body)
}

// spb adds a Simple Packet Block holding data and returns its offset.
func (w *ngBuilder) spb(data []byte, orig uint32) int64 {
	var body []byte
	body = w.bo.AppendUint32(body, orig)
	body = append(body, data...)
	return w.block(3, body)
}

// gz compresses b.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll reads every packet (copying the data) until an error, which it
// returns (io.EOF at a clean end), along with the record offsets.
func readAll(t testing.TB, r *Reader) ([]pkt, []int64, error) {
	t.Helper()
	var out []pkt
	var offs []int64
	for {
		data, ts, link, orig, err := r.Next()
		if err != nil {
			return out, offs, err
		}
		out = append(out, pkt{data: bytes.Clone(data), ts: ts, link: link, orig: orig})
		offs = append(offs, r.Offset())
	}
}

// comparePkts reports the first difference between got and want.
func comparePkts(t *testing.T, got, want []pkt) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d packets, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if !bytes.Equal(g.data, w.data) || g.ts != w.ts || g.link != w.link || g.orig != w.orig {
			t.Errorf("packet %d: got len=%d ts=%d link=%d orig=%d, want len=%d ts=%d link=%d orig=%d (data equal: %v)",
				i, len(g.data), g.ts, g.link, g.orig, len(w.data), w.ts, w.link, w.orig, bytes.Equal(g.data, w.data))
			return
		}
	}
}
