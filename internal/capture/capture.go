// Package capture reads pcap and pcapng capture files, plain or
// gzip-compressed, for the ingest hot loop, and expands command-line
// arguments (files, directories, globs) into the list of files to read.
//
// The readers are written by hand on purpose, because they sit in the ingest
// hot loop: gopacket's pcapgo readers allocate a new slice per packet
// (ReadPacketData), and their ZeroCopy variants still copy every packet out
// of a bufio.Reader into a second buffer and build a time.Time per packet.
// Reader reads the stream into one reusable 1 MiB buffer and returns slices
// of it, so Next neither allocates nor copies per packet (beyond the read
// from the file itself). Every length read from the file is checked against
// a hard limit before it is used, so a corrupt or hostile file costs an
// error, never a large allocation or a panic. gopacket's writers and readers
// remain the reference the tests compare against.
package capture

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// MaxRecordLen is the largest captured length of one packet that Reader
// accepts (libpcap's MAXIMUM_SNAPLEN). A record that claims more is reported
// as an error wrapping ErrTooLarge.
const MaxRecordLen = 262144

const (
	// bufSize is the size of the reusable read buffer. It is larger than any
	// record Reader is willing to hold (maxBlockLen), so a record is always
	// returned as a slice of it and no scratch buffer is ever needed.
	bufSize = 1 << 20
	// sniffSize is the size of the bufio.Reader used to detect the format
	// and to feed the gzip decompressor.
	sniffSize = 64 << 10
)

// Sentinel errors wrapped by *FormatError; test for them with errors.Is.
var (
	// ErrTruncated means the file (or the compressed stream) ends in the
	// middle of a record or header.
	ErrTruncated = errors.New("truncated")
	// ErrTooLarge means a record claims a length above the reader's limit.
	ErrTooLarge = errors.New("record too large")
	// ErrCorrupt means a header or record is malformed.
	ErrCorrupt = errors.New("corrupt record")
	// ErrUnknownFormat means the file is neither pcap nor pcapng (nor a gzip
	// stream holding one of them).
	ErrUnknownFormat = errors.New("not a pcap or pcapng file")
	// ErrUnsupportedVersion means a pcap file header or a pcapng section
	// header names a format version libpcap does not read. It wraps
	// ErrCorrupt.
	ErrUnsupportedVersion = fmt.Errorf("%w: unsupported format version", ErrCorrupt)
)

// Undated is the timestamp Next returns for a packet whose time the file
// does not tell: a pcapng Simple Packet Block with no earlier packet in its
// section, or a time outside what int64 Unix nanoseconds hold (before
// 1677-09-21 or after 2262-04-11: a 64-bit pcapng timestamp, or an
// if_tsoffset, far out of range). Every real time differs from it.
const Undated int64 = math.MinInt64

// FormatError describes a problem with the contents of a capture file: which
// file, the byte offset (in the decompressed stream) of the record or header
// at fault, and what is wrong with it.
type FormatError struct {
	Path   string // file name as given to Open or NewReader
	Offset int64  // byte offset of the bad record in the (decompressed) stream
	Msg    string // what is wrong, for people
	Err    error  // one of the Err* sentinels, or the underlying read error
}

// Error formats the error as "capture PATH: offset N: MSG".
func (e *FormatError) Error() string {
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("capture %s: offset %d: %s", e.Path, e.Offset, msg)
}

// Unwrap returns the sentinel or underlying error.
func (e *FormatError) Unwrap() error { return e.Err }

// Format names of the two supported file formats, as returned by
// Reader.Format.
const (
	FormatPcap   = "pcap"
	FormatPcapng = "pcapng"
)

// Reader reads packets from one pcap or pcapng stream. It is not safe for
// concurrent use; parallelise across files instead.
//
// Next does not allocate on plain files. On gzip-compressed files the
// standard library's decompressor allocates its Huffman tables once per
// deflate block (tens of kilobytes of output), not per packet.
type Reader struct {
	name    string
	src     io.Reader   // decompressed byte stream
	closers []io.Closer // closed by Close, innermost first

	buf    []byte
	r, w   int   // unread bytes are buf[r:w]
	base   int64 // stream offset of buf[0]
	srcErr error // sticky error from src (io.EOF at its end)
	err    error // sticky error returned by Next
	gz     bool  // src is a gzip stream

	recOff int64 // stream offset of the current record
	ng     bool  // pcapng (else pcap)

	// pcap state.
	pcapBE   bool  // big-endian header fields
	pcapNano bool  // nanosecond timestamps
	pcapHdr  int   // record header length: 16, or 24 for the modified format
	pcapSwap uint8 // lengthsNotSwapped, lengthsSwapped or lengthsMaybeSwapped
	link     decode.LinkType
	snaplen  uint32

	// pcapng state of the current section.
	ngBE   bool
	ifaces []ngIface
	ngLast int64 // timestamp of the section's previous packet (for SPBs, which carry none)
}

// Open opens a pcap or pcapng file, plain or gzip-compressed. The format is
// detected from the magic bytes, not from the file name.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	r, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closers = append(r.closers, f)
	return r, nil
}

// NewReader reads a pcap or pcapng stream, plain or gzip-compressed, from r.
// name is used in error messages. It reads and checks the file header
// before returning. Close does not close r.
func NewReader(r io.Reader, name string) (*Reader, error) {
	rd := &Reader{name: name, buf: make([]byte, bufSize)}
	br := bufio.NewReaderSize(r, sniffSize)
	magic, err := br.Peek(2)
	switch {
	case len(magic) == 0 && err == io.EOF:
		return nil, rd.formatErr(0, ErrTruncated, "empty file: no capture header")
	case err != nil && err != io.EOF:
		return nil, &FormatError{Path: name, Offset: 0, Msg: "read: " + err.Error(), Err: err}
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = ErrTruncated
			}
			return nil, &FormatError{Path: name, Offset: 0, Msg: "gzip header: " + err.Error(), Err: err}
		}
		rd.src = zr
		rd.gz = true
		rd.closers = append(rd.closers, zr)
	} else {
		rd.src = br
	}
	if err := rd.readFileHeader(); err != nil {
		rd.Close()
		return nil, err
	}
	return rd, nil
}

// Next returns the next packet: the captured bytes, the timestamp in Unix
// nanoseconds (UTC), the link type of the interface it was captured on, and
// its original length on the wire. data is a slice of the reader's buffer:
// it is valid only until the next call to Next and must not be modified.
// Packets from pcapng Simple Packet Blocks carry no timestamp: they take
// the previous packet's in the section. tsNanos is Undated when the file
// does not tell a packet's time (see Undated). Next returns io.EOF after the last packet when the stream ends cleanly at
// a record boundary; any other end or malformed record gives a *FormatError
// (after which every call returns the same error).
func (r *Reader) Next() (data []byte, tsNanos int64, link decode.LinkType, origLen int, err error) {
	if r.err != nil {
		return nil, 0, 0, 0, r.err
	}
	if r.ng {
		data, tsNanos, link, origLen, err = r.nextNG()
	} else {
		data, tsNanos, link, origLen, err = r.nextPcap()
	}
	if err != nil {
		r.err = err
	}
	return
}

// Offset returns the byte offset, in the decompressed stream, of the record
// most recently returned by Next (or of the record at fault after an error).
func (r *Reader) Offset() int64 { return r.recOff }

// Format returns FormatPcap or FormatPcapng.
func (r *Reader) Format() string {
	if r.ng {
		return FormatPcapng
	}
	return FormatPcap
}

// Name returns the name given to Open or NewReader.
func (r *Reader) Name() string { return r.name }

// Close releases the decompressor and, for Open, the file. It does not
// close a reader passed to NewReader.
func (r *Reader) Close() error {
	var first error
	for _, c := range r.closers {
		if err := c.Close(); err != nil && first == nil {
			first = fmt.Errorf("capture %s: close: %w", r.name, err)
		}
	}
	r.closers = nil
	r.err = fmt.Errorf("capture %s: %w", r.name, os.ErrClosed)
	return first
}

// fill makes at least n bytes available in buf[r:w], n <= len(buf). It
// returns nil on success or the source's error (io.EOF at its end), in which
// case fewer than n bytes are available.
func (r *Reader) fill(n int) error {
	if len(r.buf)-r.r < n {
		// Move the partial record to the front. This happens once per
		// buffer's worth of data and copies less than one record.
		m := copy(r.buf, r.buf[r.r:r.w])
		r.base += int64(r.r)
		r.r, r.w = 0, m
	}
	empty := 0
	for r.w-r.r < n {
		if r.srcErr != nil {
			return r.srcErr
		}
		m, err := r.src.Read(r.buf[r.w:])
		r.w += m
		if err != nil {
			r.srcErr = err
		} else if m == 0 {
			if empty++; empty > 100 {
				r.srcErr = io.ErrNoProgress
			}
		}
	}
	return nil
}

// off returns the stream offset of buf[r].
func (r *Reader) off() int64 { return r.base + int64(r.r) }

// formatErr builds a *FormatError at the given stream offset.
func (r *Reader) formatErr(off int64, kind error, format string, args ...any) *FormatError {
	return &FormatError{Path: r.name, Offset: off, Msg: fmt.Sprintf(format, args...), Err: kind}
}

// shortErr converts a failure of fill(need) while reading the record (or
// header) described by what, which starts at stream offset off, into an
// error. At a record boundary (atBoundary) with no byte left, the end of a
// plain stream or of a complete gzip stream is io.EOF.
func (r *Reader) shortErr(fillErr error, off int64, need int, what string, atBoundary bool) error {
	have := r.w - r.r
	switch {
	case fillErr == io.EOF && have == 0 && atBoundary:
		return io.EOF
	case fillErr == io.EOF:
		return r.formatErr(off, ErrTruncated, "truncated %s: need %d bytes, file ends after %d", what, need, have)
	case r.gz && errors.Is(fillErr, io.ErrUnexpectedEOF):
		return r.formatErr(off, ErrTruncated, "truncated gzip stream: compressed data ends early, %d bytes into a %d-byte %s", have, need, what)
	default:
		return &FormatError{Path: r.name, Offset: off, Msg: "read " + what + ": " + fillErr.Error(), Err: fillErr}
	}
}

// skip discards n bytes of the stream, which may exceed the buffer.
// It returns the number of bytes it could not skip (0 on success) and the
// source error when the stream ended first.
func (r *Reader) skip(n int64) (int64, error) {
	for n > 0 {
		if r.r == r.w {
			if err := r.fill(1); err != nil {
				return n, err
			}
		}
		k := int64(r.w - r.r)
		if k > n {
			k = n
		}
		r.r += int(k)
		n -= k
	}
	return 0, nil
}
