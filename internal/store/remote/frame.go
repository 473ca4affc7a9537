package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// Frames. Every message on the socket is a frame: a kind byte, a 4-byte
// big-endian payload length and the payload. A control frame holds one
// gob-encoded message (a fresh gob stream per frame, so a frame decodes on
// its own); a bulk frame holds a chunk (see chunk.go) or a list of
// addresses or places for Reassign. Lengths are checked before anything is
// read, and a payload's buffer grows only as its bytes arrive.
const (
	kindControl = 'C'
	kindBulk    = 'B'

	// maxRequestFrame bounds a control frame the owner reads (a request).
	maxRequestFrame = 1 << 20
	// maxReplyFrame bounds a control frame a client reads (a reply; stats
	// rows come in several).
	maxReplyFrame = 4 << 20
	// maxBulkFrame bounds a bulk frame.
	maxBulkFrame = 16 << 20
)

// chunkTarget is the size the client aims its bulk frames at (a variable
// so that tests can make many small chunks).
var chunkTarget = 4 << 20

// protocolVersion is checked in the handshake; an owner and a client of
// different versions refuse each other with a message naming both.
const protocolVersion = 2

// magic opens the handshake.
const magic = "honeyscope-store"

// Operations.
const (
	opHello    = "hello"
	opStats    = "stats"
	opKnown    = "known-sizes"
	opBegin    = "begin"
	opFinish   = "finish"
	opAbort    = "abort"
	opReassign = "reassign"
	opSources  = "sources" // the owner's list of addresses to locate is complete
	opPlaces   = "places"  // the client's places are complete
	opOK       = "ok"
	opRows     = "rows"
)

// Error codes carried in a reply, turned back into sentinels by the client.
const (
	codeDuplicate = "duplicate"
	codeCanceled  = "canceled"
	codeNoStore   = "no-store"
	codeReadOnly  = "read-only"
	codeNoEvid    = "no-evidence-store"
	codeNoEvDays  = "no-evidence"
	codeNoSrcPort = "no-source-ports"
	codeNoRanking = "no-source-port-ranking"
)

// message is every control frame; each operation uses some of its fields.
type message struct {
	Op string
	// Err, when set, is the operation's error message; Code names a
	// sentinel it wraps.
	Err  string
	Code string

	// Handshake.
	Magic    string
	Version  int
	PID      int
	Path     string
	TimeZone string

	// A Reader call's argument and (part of) its result, gob-encoded
	// (reads.go); More: more of the result follows in another frame.
	Args   []byte
	Result []byte
	More   bool

	ID      int32
	Ingest  *store.Ingest
	Replace bool
	Sensor  store.Sensor

	From, To, CountryDB, ASNDB string
	Reassign                   store.ReassignResult
	Count                      int
}

func init() {
	// Stats keys are strings and int64 (gob knows those); a day could come
	// as a time.Time from another backend.
	gob.Register(time.Time{})
}

// conn is one side of a connection: buffered reads and writes of frames.
type conn struct {
	rw       io.ReadWriteCloser
	r        *bufio.Reader
	w        *bufio.Writer
	maxCtrl  int // limit of control frames read
	maxBulk  int
	lastKind byte
}

func newConn(rw io.ReadWriteCloser, maxCtrl int) *conn {
	return &conn{rw: rw, r: bufio.NewReaderSize(rw, 64<<10), w: bufio.NewWriterSize(rw, 64<<10), maxCtrl: maxCtrl, maxBulk: maxBulkFrame}
}

// frame is one frame read.
type frame struct {
	kind    byte
	payload []byte
}

// readFrame reads one frame, refusing unknown kinds and oversized lengths.
func (c *conn) readFrame() (frame, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return frame{}, err
	}
	n := int64(binary.BigEndian.Uint32(hdr[1:]))
	var limit int
	switch hdr[0] {
	case kindControl:
		limit = c.maxCtrl
	case kindBulk:
		limit = c.maxBulk
	default:
		return frame{}, fmt.Errorf("bad frame kind %#x", hdr[0])
	}
	if n > int64(limit) {
		return frame{}, fmt.Errorf("frame of %d bytes exceeds the limit of %d", n, limit)
	}
	var buf bytes.Buffer
	buf.Grow(int(min(n, 64<<10)))
	if _, err := io.CopyN(&buf, c.r, n); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return frame{}, err
	}
	return frame{kind: hdr[0], payload: buf.Bytes()}, nil
}

// decodeMessage decodes a control frame's payload. gob recovers from its
// own panics; the recover here keeps any that escaped from reaching the
// owner's goroutine.
func decodeMessage(f frame) (m *message, err error) {
	if f.kind != kindControl {
		return nil, fmt.Errorf("want a control frame, got kind %#x", f.kind)
	}
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("bad control frame: %v", r)
		}
	}()
	m = new(message)
	if err := gob.NewDecoder(bytes.NewReader(f.payload)).Decode(m); err != nil {
		return nil, fmt.Errorf("bad control frame: %w", err)
	}
	return m, nil
}

// writeMessage writes a control frame (buffered; see flush).
func (c *conn) writeMessage(m *message) error {
	var buf bytes.Buffer
	buf.Write([]byte{kindControl, 0, 0, 0, 0})
	if err := gob.NewEncoder(&buf).Encode(m); err != nil {
		return fmt.Errorf("encode %s: %w", m.Op, err)
	}
	b := buf.Bytes()
	if len(b)-5 > maxReplyFrame {
		return fmt.Errorf("%s message of %d bytes exceeds the frame limit", m.Op, len(b)-5)
	}
	binary.BigEndian.PutUint32(b[1:5], uint32(len(b)-5))
	_, err := c.w.Write(b)
	return err
}

// writeBulk writes a bulk frame (buffered; see flush).
func (c *conn) writeBulk(p []byte) error {
	if len(p) > maxBulkFrame {
		return fmt.Errorf("bulk frame of %d bytes exceeds the limit", len(p))
	}
	var hdr [5]byte
	hdr[0] = kindBulk
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(p)))
	if _, err := c.w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := c.w.Write(p)
	return err
}

func (c *conn) flush() error { return c.w.Flush() }

// readMessage reads a control frame and decodes it.
func (c *conn) readMessage() (*message, error) {
	f, err := c.readFrame()
	if err != nil {
		return nil, err
	}
	return decodeMessage(f)
}

// errorCode names the sentinel an error wraps, for the reply.
func errorCode(err error) string {
	switch {
	case errors.Is(err, store.ErrDuplicate):
		return codeDuplicate
	case errors.Is(err, context.Canceled):
		return codeCanceled
	case errors.Is(err, store.ErrNoStore):
		return codeNoStore
	case errors.Is(err, errReadOnly):
		return codeReadOnly
	case errors.Is(err, store.ErrNoEvidenceStore):
		return codeNoEvid
	case errors.Is(err, store.ErrNoEvidence):
		return codeNoEvDays
	case errors.Is(err, store.ErrNoSrcPortStore):
		return codeNoSrcPort
	case errors.Is(err, store.ErrNoSrcPortRanking):
		return codeNoRanking
	}
	return ""
}

// errReadOnly is returned by a read-only client's write methods, and by
// the owner when the store it owns was opened read-only.
var errReadOnly = errors.New("store opened read-only")

// remoteError is an error the owner reported: its message, and the
// sentinel its code names for errors.Is.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

// replyError turns a reply's error back into an error.
func replyError(m *message) error {
	if m.Err == "" {
		return nil
	}
	var s error
	switch m.Code {
	case codeDuplicate:
		return store.ErrDuplicate
	case codeCanceled:
		s = context.Canceled
	case codeNoStore:
		s = store.ErrNoStore
	case codeReadOnly:
		s = errReadOnly
	case codeNoEvid:
		s = store.ErrNoEvidenceStore
	case codeNoEvDays:
		s = store.ErrNoEvidence
	case codeNoSrcPort:
		s = store.ErrNoSrcPortStore
	case codeNoRanking:
		s = store.ErrNoSrcPortRanking
	}
	return &remoteError{msg: m.Err, sentinel: s}
}
