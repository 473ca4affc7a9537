package capture

import (
	"encoding/binary"
	"io"
	"math"
	"math/bits"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// pcapng block types (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html).
const (
	blockIDB = 0x00000001 // Interface Description Block
	blockPB  = 0x00000002 // Packet Block (obsolete)
	blockSPB = 0x00000003 // Simple Packet Block
	blockEPB = 0x00000006 // Enhanced Packet Block
)

const (
	byteOrderMagic = 0x1a2b3c4d
	// maxBlockLen bounds the blocks Reader holds in its buffer (section and
	// interface headers, packet blocks): a packet of MaxRecordLen plus room
	// for options. It must stay below bufSize.
	maxBlockLen = MaxRecordLen + 64<<10
	// maxSkipLen bounds blocks that are skipped unread (name resolution,
	// statistics, custom, decryption secrets, unknown). Skipping streams, so
	// this guards against garbage lengths rather than memory use; it is the
	// limit libpcap and Wireshark apply to pcapng blocks.
	maxSkipLen = 16 << 20

	// maxInterfaces bounds the interfaces of one section, so that memory
	// stays bounded whatever the file holds.
	maxInterfaces = 1 << 16

	optEndOfOpt = 0
	optTSResol  = 9  // if_tsresol
	optTSOffset = 14 // if_tsoffset
)

// Timestamp conversion modes of an interface.
const (
	tsMul   = iota // ns = ts * mul (resolution 10^-k, k <= 9)
	tsDiv          // ns = ts / div (resolution 10^-k, k > 9)
	tsShift        // ns = ts * 1e9 / 2^shift (resolution 2^-shift)
)

// ngIface is what Reader keeps of an Interface Description Block.
type ngIface struct {
	link    decode.LinkType
	snaplen uint32
	mode    uint8
	shift   uint8
	mul     uint64 // factor (tsMul) or divisor (tsDiv)
	offset  int64  // if_tsoffset in nanoseconds
	// offsetBad: if_tsoffset (in seconds) is beyond what Unix nanoseconds
	// in an int64 can express: every packet of the interface is Undated.
	offsetBad bool
}

// nanos converts an interface timestamp to Unix nanoseconds. A time that
// an int64 of nanoseconds cannot hold (before 1677-09-21 or after
// 2262-04-11, which 64-bit timestamps and offsets can express) is Undated,
// never wrapped around.
func (f *ngIface) nanos(ts uint64) int64 {
	if f.offsetBad {
		return Undated
	}
	var ns uint64
	switch f.mode {
	case tsMul:
		hi, lo := bits.Mul64(ts, f.mul)
		if hi != 0 {
			return Undated
		}
		ns = lo
	case tsDiv:
		ns = ts / f.mul
	default:
		sec := ts >> f.shift
		frac := ts & (1<<f.shift - 1)
		hi, lo := bits.Mul64(frac, 1e9)
		hs, ls := bits.Mul64(sec, 1e9)
		var carry uint64
		ns, carry = bits.Add64(ls, hi<<(64-f.shift)|lo>>f.shift, 0)
		if hs != 0 || carry != 0 {
			return Undated
		}
	}
	if ns > math.MaxInt64 {
		return Undated
	}
	n := int64(ns)
	if f.offset > 0 && n > math.MaxInt64-f.offset {
		return Undated
	}
	// n >= 0 and the offset is above MinInt64 (a multiple of 1e9): no
	// underflow, and the sum is never Undated itself.
	return n + f.offset
}

// setOffset applies an if_tsoffset of sec seconds.
func (f *ngIface) setOffset(sec int64) {
	const maxSec = math.MaxInt64 / int64(1e9)
	if sec > maxSec || sec < -maxSec {
		f.offset, f.offsetBad = 0, true
		return
	}
	f.offset, f.offsetBad = sec*1e9, false
}

// u16 and u32 decode fields in the current section's byte order.
func (r *Reader) u16(b []byte) uint16 {
	if r.ngBE {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *Reader) u32(b []byte) uint32 {
	if r.ngBE {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// loadBlock makes the whole block of length blen at buf[r] available and
// checks its trailing length copy. It returns the block's bytes.
func (r *Reader) loadBlock(blen uint32, what string) ([]byte, error) {
	if blen > maxBlockLen {
		return nil, r.formatErr(r.recOff, ErrTooLarge, "%s length %d exceeds limit %d", what, blen, maxBlockLen)
	}
	n := int(blen)
	if r.w-r.r < n {
		if err := r.fill(n); err != nil {
			return nil, r.shortErr(err, r.recOff, n, what, false)
		}
	}
	b := r.buf[r.r : r.r+n : r.r+n]
	if t := r.u32(b[n-4:]); t != blen {
		return nil, r.formatErr(r.recOff, ErrCorrupt, "%s trailing length %d does not match its length %d", what, t, blen)
	}
	return b, nil
}

// readSHB reads a Section Header Block at buf[r], which sets the byte order
// of the section and forgets the interfaces of the previous section.
func (r *Reader) readSHB() error {
	r.recOff = r.off()
	if err := r.fill(12); err != nil {
		return r.shortErr(err, r.recOff, 12, "section header", false)
	}
	h := r.buf[r.r:]
	switch binary.LittleEndian.Uint32(h[8:]) {
	case byteOrderMagic:
		r.ngBE = false
	case bits.ReverseBytes32(byteOrderMagic):
		r.ngBE = true
	default:
		return r.formatErr(r.recOff, ErrCorrupt, "section header: bad byte-order magic %#08x", binary.BigEndian.Uint32(h[8:]))
	}
	blen := r.u32(h[4:])
	if blen < 28 || blen%4 != 0 {
		return r.formatErr(r.recOff, ErrCorrupt, "section header length %d invalid", blen)
	}
	b, err := r.loadBlock(blen, "section header")
	if err != nil {
		return err
	}
	// libpcap reads versions 1.0 and 1.2 (which some writers put in
	// files of version 1.0's layout), and nothing else.
	if major, minor := r.u16(b[12:]), r.u16(b[14:]); major != 1 || minor != 0 && minor != 2 {
		return r.formatErr(r.recOff, ErrUnsupportedVersion, "unsupported pcapng version %d.%d (libpcap reads 1.0 and 1.2)", major, minor)
	}
	r.ifaces = r.ifaces[:0]
	r.ngLast = Undated
	r.r += int(blen)
	return nil
}

// readIDB parses an Interface Description Block.
func (r *Reader) readIDB(b []byte) error {
	if len(b) < 20 {
		return r.formatErr(r.recOff, ErrCorrupt, "interface description length %d too short", len(b))
	}
	f := ngIface{
		link:    decode.LinkType(r.u16(b[8:])),
		snaplen: r.u32(b[12:]),
		mode:    tsMul,
		mul:     1000, // default resolution: microseconds
	}
	opts := b[16 : len(b)-4]
	for len(opts) >= 4 {
		code, olen := r.u16(opts), int(r.u16(opts[2:]))
		if code == optEndOfOpt {
			break
		}
		padded := (olen + 3) &^ 3
		if 4+padded > len(opts) {
			return r.formatErr(r.recOff, ErrCorrupt, "interface description option %d length %d runs past the block", code, olen)
		}
		v := opts[4 : 4+olen]
		switch {
		case code == optTSResol && olen >= 1:
			if !f.setResolution(v[0]) {
				return r.formatErr(r.recOff, ErrCorrupt, "interface description: unsupported if_tsresol %#02x", v[0])
			}
		case code == optTSOffset && olen >= 8:
			var off uint64
			if r.ngBE {
				off = binary.BigEndian.Uint64(v)
			} else {
				off = binary.LittleEndian.Uint64(v)
			}
			f.setOffset(int64(off))
		}
		opts = opts[4+padded:]
	}
	if len(r.ifaces) >= maxInterfaces {
		return r.formatErr(r.recOff, ErrTooLarge, "more than %d interfaces in one section", maxInterfaces)
	}
	r.ifaces = append(r.ifaces, f)
	return nil
}

// setResolution applies an if_tsresol value: 10^-v, or 2^-(v&0x7f) when the
// top bit is set. It reports false for resolutions finer than a uint64
// divisor or shift can express.
func (f *ngIface) setResolution(v uint8) bool {
	if v&0x80 != 0 {
		k := v & 0x7f
		switch {
		case k == 0:
			f.mode, f.mul = tsMul, 1e9
		case k < 64:
			f.mode, f.shift = tsShift, k
		default:
			return false
		}
		return true
	}
	switch {
	case v <= 9:
		f.mode, f.mul = tsMul, pow10(9-v)
	case v <= 28: // 10^(v-9) still fits in a uint64
		f.mode, f.mul = tsDiv, pow10(v-9)
	default:
		return false
	}
	return true
}

func pow10(n uint8) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// iface returns the interface with the given id in the current section.
func (r *Reader) iface(id uint32, what string) (*ngIface, error) {
	if id >= uint32(len(r.ifaces)) {
		return nil, r.formatErr(r.recOff, ErrCorrupt, "%s refers to interface %d, but the section defines %d", what, id, len(r.ifaces))
	}
	return &r.ifaces[id], nil
}

// nextNG reads blocks until the next packet.
func (r *Reader) nextNG() ([]byte, int64, decode.LinkType, int, error) {
	for {
		r.recOff = r.off()
		if r.w-r.r < 8 {
			if err := r.fill(8); err != nil {
				return nil, 0, 0, 0, r.shortErr(err, r.recOff, 8, "block header", true)
			}
		}
		h := r.buf[r.r:]
		typ := r.u32(h)
		if typ == pcapngMagicSHB {
			if err := r.readSHB(); err != nil {
				return nil, 0, 0, 0, err
			}
			continue
		}
		blen := r.u32(h[4:])
		if blen < 12 || blen%4 != 0 {
			return nil, 0, 0, 0, r.formatErr(r.recOff, ErrCorrupt, "block type %#x: length %d invalid", typ, blen)
		}
		switch typ {
		case blockEPB:
			b, err := r.loadBlock(blen, "enhanced packet block")
			if err != nil {
				return nil, 0, 0, 0, err
			}
			if blen < 32 {
				return nil, 0, 0, 0, r.formatErr(r.recOff, ErrCorrupt, "enhanced packet block length %d too short", blen)
			}
			f, err := r.iface(r.u32(b[8:]), "enhanced packet block")
			if err != nil {
				return nil, 0, 0, 0, err
			}
			caplen := r.u32(b[20:])
			if caplen > blen-32 {
				return nil, 0, 0, 0, r.formatErr(r.recOff, ErrCorrupt, "captured length %d exceeds enhanced packet block length %d", caplen, blen)
			}
			if caplen > MaxRecordLen {
				return nil, 0, 0, 0, r.formatErr(r.recOff, ErrTooLarge, "record length %d exceeds limit %d", caplen, MaxRecordLen)
			}
			ts := uint64(r.u32(b[12:]))<<32 | uint64(r.u32(b[16:]))
			orig := r.u32(b[24:])
			r.r += int(blen)
			r.ngLast = f.nanos(ts)
			return b[28 : 28+caplen], r.ngLast, f.link, int(orig), nil

		case blockSPB:
			b, err := r.loadBlock(blen, "simple packet block")
			if err != nil {
				return nil, 0, 0, 0, err
			}
			if blen < 16 {
				return nil, 0, 0, 0, r.formatErr(r.recOff, ErrCorrupt, "simple packet block length %d too short", blen)
			}
			f, err := r.iface(0, "simple packet block")
			if err != nil {
				return nil, 0, 0, 0, err
			}
			orig := r.u32(b[8:])
			caplen := min(orig, blen-16)
			if f.snaplen != 0 {
				caplen = min(caplen, f.snaplen)
			}
			if caplen > MaxRecordLen {
				return nil, 0, 0, 0, r.formatErr(r.recOff, ErrTooLarge, "record length %d exceeds limit %d", caplen, MaxRecordLen)
			}
			r.r += int(blen)
			// A Simple Packet Block has no timestamp: it takes the previous
			// packet's in its section, and is Undated when it is the first.
			return b[12 : 12+caplen], r.ngLast, f.link, int(orig), nil

		case blockPB:
			b, err := r.loadBlock(blen, "packet block")
			if err != nil {
				return nil, 0, 0, 0, err
			}
			if blen < 32 {
				return nil, 0, 0, 0, r.formatErr(r.recOff, ErrCorrupt, "packet block length %d too short", blen)
			}
			f, err := r.iface(uint32(r.u16(b[8:])), "packet block")
			if err != nil {
				return nil, 0, 0, 0, err
			}
			caplen := r.u32(b[20:])
			if caplen > blen-32 {
				return nil, 0, 0, 0, r.formatErr(r.recOff, ErrCorrupt, "captured length %d exceeds packet block length %d", caplen, blen)
			}
			if caplen > MaxRecordLen {
				return nil, 0, 0, 0, r.formatErr(r.recOff, ErrTooLarge, "record length %d exceeds limit %d", caplen, MaxRecordLen)
			}
			ts := uint64(r.u32(b[12:]))<<32 | uint64(r.u32(b[16:]))
			orig := r.u32(b[24:])
			r.r += int(blen)
			r.ngLast = f.nanos(ts)
			return b[28 : 28+caplen], r.ngLast, f.link, int(orig), nil

		case blockIDB:
			b, err := r.loadBlock(blen, "interface description block")
			if err != nil {
				return nil, 0, 0, 0, err
			}
			if err := r.readIDB(b); err != nil {
				return nil, 0, 0, 0, err
			}
			r.r += int(blen)

		default:
			// Name resolution, interface statistics, decryption secrets,
			// custom and unknown blocks: skip, then check the trailer.
			if blen > maxSkipLen {
				return nil, 0, 0, 0, r.formatErr(r.recOff, ErrTooLarge, "block type %#x: length %d exceeds limit %d", typ, blen, maxSkipLen)
			}
			if left, err := r.skip(int64(blen) - 4); err != nil {
				if err == io.EOF {
					return nil, 0, 0, 0, r.formatErr(r.recOff, ErrTruncated, "truncated block type %#x: length %d, file ends %d bytes short", typ, blen, left+4)
				}
				return nil, 0, 0, 0, r.shortErr(err, r.recOff, int(blen), "block", false)
			}
			if r.w-r.r < 4 {
				if err := r.fill(4); err != nil {
					return nil, 0, 0, 0, r.shortErr(err, r.recOff, 4, "block trailer", false)
				}
			}
			if t := r.u32(r.buf[r.r:]); t != blen {
				return nil, 0, 0, 0, r.formatErr(r.recOff, ErrCorrupt, "block type %#x: trailing length %d does not match its length %d", typ, t, blen)
			}
			r.r += 4
		}
	}
}
