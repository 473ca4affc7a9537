package capture

import (
	"encoding/binary"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// pcap magic numbers as read in little-endian order.
const (
	pcapMagicMicro    = 0xa1b2c3d4 // microsecond timestamps
	pcapMagicNano     = 0xa1b23c4d // nanosecond timestamps
	pcapMagicModified = 0xa1b2cd34 // Kuznetsov's patched libpcap: 24-byte record headers
	pcapngMagicSHB    = 0x0a0d0d0a // pcapng Section Header Block type (a palindrome)
)

// Order of the captured and original lengths in pcap record headers.
const (
	lengthsNotSwapped   = iota // captured, then original
	lengthsSwapped             // original, then captured (before 2.3)
	lengthsMaybeSwapped        // 2.3: swapped when captured > original
)

// pcapLinkTypeMask keeps the link type of a pcap header's link-type field and
// drops the FCS length bits in its upper part (libpcap's LT_LINKTYPE).
const pcapLinkTypeMask = 0x03ffffff

// readFileHeader detects the format from the first four bytes and reads
// the pcap file header or the first pcapng section header.
func (r *Reader) readFileHeader() error {
	if err := r.fill(4); err != nil {
		return r.shortErr(err, 0, 4, "file header", false)
	}
	m := binary.LittleEndian.Uint32(r.buf[r.r:])
	switch m {
	case pcapngMagicSHB:
		r.ng = true
		return r.readSHB()
	case pcapMagicMicro, pcapMagicNano, pcapMagicModified:
		return r.readPcapHeader(false, m)
	}
	switch b := binary.BigEndian.Uint32(r.buf[r.r:]); b {
	case pcapMagicMicro, pcapMagicNano, pcapMagicModified:
		return r.readPcapHeader(true, b)
	}
	return r.formatErr(0, ErrUnknownFormat, "unknown magic %#08x: %v", binary.BigEndian.Uint32(r.buf[r.r:]), ErrUnknownFormat)
}

// readPcapHeader reads the 24-byte pcap file header.
func (r *Reader) readPcapHeader(be bool, magic uint32) error {
	const hdrLen = 24
	if err := r.fill(hdrLen); err != nil {
		return r.shortErr(err, 0, hdrLen, "pcap file header", false)
	}
	h := r.buf[r.r : r.r+hdrLen]
	var bo binary.ByteOrder = binary.LittleEndian
	if be {
		bo = binary.BigEndian
	}
	major, minor := bo.Uint16(h[4:]), bo.Uint16(h[6:])
	// What libpcap reads: 2.0 to 2.4, and 543.0 (files whose writer put the
	// major version in the wrong place); before 2.3 the captured and
	// original lengths were written the other way round, and 2.3 files
	// exist both ways.
	switch {
	case major == 2 && minor < 3, major == 543 && minor == 0:
		r.pcapSwap = lengthsSwapped
	case major == 2 && minor == 3:
		r.pcapSwap = lengthsMaybeSwapped
	case major == 2 && minor == 4:
		r.pcapSwap = lengthsNotSwapped
	default:
		return r.formatErr(0, ErrUnsupportedVersion, "unsupported pcap version %d.%d (libpcap reads 2.0 to 2.4)", major, minor)
	}
	r.pcapBE = be
	r.pcapNano = magic == pcapMagicNano
	r.pcapHdr = 16
	if magic == pcapMagicModified {
		r.pcapHdr = 24
	}
	r.snaplen = bo.Uint32(h[16:])
	r.link = decode.LinkType(bo.Uint32(h[20:]) & pcapLinkTypeMask)
	r.r += hdrLen
	return nil
}

// nextPcap reads one pcap record.
func (r *Reader) nextPcap() ([]byte, int64, decode.LinkType, int, error) {
	hl := r.pcapHdr
	r.recOff = r.off()
	if r.w-r.r < hl {
		if err := r.fill(hl); err != nil {
			return nil, 0, 0, 0, r.shortErr(err, r.recOff, hl, "record header", true)
		}
	}
	h := r.buf[r.r : r.r+hl]
	var sec, frac, caplen, orig uint32
	if r.pcapBE {
		sec = binary.BigEndian.Uint32(h[0:])
		frac = binary.BigEndian.Uint32(h[4:])
		caplen = binary.BigEndian.Uint32(h[8:])
		orig = binary.BigEndian.Uint32(h[12:])
	} else {
		sec = binary.LittleEndian.Uint32(h[0:])
		frac = binary.LittleEndian.Uint32(h[4:])
		caplen = binary.LittleEndian.Uint32(h[8:])
		orig = binary.LittleEndian.Uint32(h[12:])
	}
	switch r.pcapSwap {
	case lengthsSwapped:
		caplen, orig = orig, caplen
	case lengthsMaybeSwapped:
		if caplen > orig {
			caplen, orig = orig, caplen
		}
	}
	if caplen > MaxRecordLen {
		return nil, 0, 0, 0, r.formatErr(r.recOff, ErrTooLarge, "record length %d exceeds limit %d", caplen, MaxRecordLen)
	}
	need := hl + int(caplen)
	if r.w-r.r < need {
		if err := r.fill(need); err != nil {
			return nil, 0, 0, 0, r.shortErr(err, r.recOff, need, "record", false)
		}
	}
	data := r.buf[r.r+hl : r.r+need : r.r+need]
	r.r += need
	ts := int64(sec) * 1e9
	if r.pcapNano {
		ts += int64(frac)
	} else {
		ts += int64(frac) * 1e3
	}
	return data, ts, r.link, int(orig), nil
}
