package livecap

import (
	"errors"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// Source is one capture socket: where frames come from.
type Source interface {
	// Next returns the next frame, valid until the following call, and
	// the time it arrived (Unix nanoseconds). It returns ErrTimeout when
	// nothing arrived within its poll timeout (a fraction of a second), so
	// that the caller can act between packets.
	Next() (frame []byte, ts int64, err error)
	// Link is the link type of the frames.
	Link() decode.LinkType
	// Stats returns the socket's counters since it was opened.
	Stats() (Stats, error)
	// Close releases the socket.
	Close() error
}

// Stats are a capture socket's counters since it was opened.
type Stats struct {
	Packets uint64 // packets the kernel handed to the socket (dropped ones included)
	Drops   uint64 // packets the kernel dropped: the ring was full
	Freezes uint64 // times the ring was full (TPACKET_V3 queue freezes)
}

// ErrTimeout is returned by Source.Next when no packet arrived in time.
var ErrTimeout = errors.New("no packet within the poll timeout")
