package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the reader: it must not panic, must
// return packets no larger than MaxRecordLen, and must end with io.EOF or a
// *FormatError. Memory stays bounded by the fixed buffer.
func FuzzReader(f *testing.F) {
	if _, err := os.Stat(pcapDir); err == nil {
		for _, c := range realCaptures {
			b, err := os.ReadFile(filepath.Join(pcapDir, c.path))
			if err != nil {
				f.Fatal(err)
			}
			if len(b) > 64<<10 {
				b = b[:64<<10] // keep the seed corpus quick to mutate
			}
			f.Add(b)
		}
	}
	f.Add(buildMultiNG().file)
	f.Add(buildPcap(pcapOpts{bo: be, nano: true, snaplen: 65535, linkField: 1}, genPackets(5, 0, 80, 11)).file)
	f.Add(buildPcap(pcapOpts{bo: le, modified: true, snaplen: 65535, linkField: 113}, genPackets(5, 0, 80, 12)).file)
	f.Add(gz(f, buildMultiNG().file))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b), "fuzz")
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("NewReader error %v (%T) is not a *FormatError", err, err)
			}
			return
		}
		defer r.Close()
		// A gzip bomb could decompress to a lot; reading is streamed, but cap
		// the work per input.
		for range 100000 {
			data, _, _, orig, err := r.Next()
			if err != nil {
				var fe *FormatError
				if err != io.EOF && !errors.As(err, &fe) {
					t.Fatalf("Next error %v (%T) is neither io.EOF nor *FormatError", err, err)
				}
				return
			}
			if len(data) > MaxRecordLen || orig < 0 {
				t.Fatalf("packet of %d bytes (orig %d)", len(data), orig)
			}
		}
	})
}
