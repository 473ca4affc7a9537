package geo

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// The country table and the AS table are files of one layout: a magic of
// eight bytes, the build time (Unix seconds, big-endian), the SHA-256 of
// the database they were built from and its name (uvarint length, bytes),
// then their body deflated. The bodies keep range starts the same way: an
// IPv4 start as the uvarint of its distance from the one before, an IPv6
// start as a byte of the distance's trailing zero bits, and after all
// those bytes, the distances shifted right by them (LEB128).

// tableHeader is what a table file says of itself.
type tableHeader struct {
	built  time.Time
	sha256 string
	source string
}

// writeTable writes a table file of body: magic, the header of the
// database (built, its SHA-256 sum, its name) and body deflated.
func writeTable(w io.Writer, magic string, built int64, sum [32]byte, name string, body []byte) error {
	var hdr bytes.Buffer
	hdr.WriteString(magic)
	_ = binary.Write(&hdr, binary.BigEndian, built)
	hdr.Write(sum[:])
	hdr.Write(binary.AppendUvarint(nil, uint64(len(name))))
	hdr.WriteString(name)
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return err
	}
	fw, err := flate.NewWriter(w, flate.BestCompression)
	if err != nil {
		return err
	}
	if _, err := fw.Write(body); err != nil {
		return err
	}
	return fw.Close()
}

// readTable reads a table file written by writeTable with magic: its
// header and its body inflated, of at most limit bytes. notTable is the
// error of data without the magic; what names the table in the error of a
// body that does not inflate.
func readTable(data []byte, magic, notTable, what string, limit int64) (tableHeader, []byte, error) {
	var th tableHeader
	if len(data) < len(magic)+8+32 || string(data[:len(magic)]) != magic {
		return th, nil, errors.New(notTable)
	}
	h := &reader{p: data[len(magic):]}
	th.built = time.Unix(int64(binary.BigEndian.Uint64(h.bytes(8, "header"))), 0).UTC()
	th.sha256 = fmt.Sprintf("%x", h.bytes(32, "header"))
	th.source = string(h.bytes(h.uvarint("header"), "header"))
	if h.err != nil {
		return th, nil, h.err
	}
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(h.p)), limit))
	if err != nil {
		return th, nil, fmt.Errorf("%s: %w", what, err)
	}
	return th, raw, nil
}

// appendStarts4 appends the IPv4 range starts of n spans, start(i) the
// i-th, each as its distance from the one before.
func appendStarts4(p []byte, n int, start func(int) u128) []byte {
	prev := u128{}
	for i := range n {
		s := start(i)
		p = binary.AppendUvarint(p, s.sub(prev).lo)
		prev = s
	}
	return p
}

// appendStarts6 appends the IPv6 range starts of n spans, start(i) the
// i-th: the trailing zero bits of each distance, then the distances
// shifted right by them.
func appendStarts6(p []byte, n int, start func(int) u128) []byte {
	prev := u128{}
	deltas := make([]u128, n)
	tzs := make([]uint, n)
	for i := range n {
		s := start(i)
		deltas[i] = s.sub(prev)
		prev = s
		if tz := deltas[i].trailingZeros(); tz < 128 {
			tzs[i] = tz
		}
		p = append(p, byte(tzs[i]))
	}
	for i := range deltas {
		p = appendLEB128(p, deltas[i].shr(tzs[i]))
	}
	return p
}
