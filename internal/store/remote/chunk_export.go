package remote

import (
	"fmt"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/store"
)

// MaxChunk is the largest encoded chunk EncodeAppend makes or DecodeAppend
// accepts.
const MaxChunk = maxBulkFrame

// EncodeAppend cuts the arguments of one Tx.Append into self-contained
// chunks of about target encoded bytes (one source and its hits at least)
// in the owner's bulk encoding, and calls emit with each in order. The
// bytes passed to emit are valid until it returns. Appending the decoded
// chunks in order (DecodeAppend) writes the rows one Append of r would.
func EncodeAppend(r *aggregate.Result, places []store.Place, sensor string, pattern func(int) string, target int, emit func([]byte) error) error {
	c, err := newChunker(r, places, sensor, pattern, target)
	if err != nil {
		return fmt.Errorf("encode append: %w", err)
	}
	for {
		b, err := c.next()
		if err != nil {
			return fmt.Errorf("encode append: %w", err)
		}
		if b == nil {
			return nil
		}
		if err := emit(b); err != nil {
			return err
		}
	}
}

// AppendChunk is a decoded chunk: the arguments of one Tx.Append.
type AppendChunk struct {
	Sensor string
	Result *aggregate.Result
	Places []store.Place
	// Pattern names the exploit patterns (nil when the sender had none).
	Pattern func(int) string
}

// DecodeAppend decodes and checks a chunk EncodeAppend made: every index in
// range, every address valid, nothing left over. It never panics.
func DecodeAppend(b []byte) (*AppendChunk, error) {
	if len(b) > MaxChunk {
		return nil, fmt.Errorf("bad append chunk: %d bytes (the limit is %d)", len(b), MaxChunk)
	}
	c, err := decodeChunk(b)
	if err != nil {
		return nil, err
	}
	return &AppendChunk{Sensor: c.sensor, Result: &c.result, Places: c.places, Pattern: c.pattern()}, nil
}
