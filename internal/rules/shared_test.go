package rules

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/capture"
	"github.com/honeyscope/honeyscope/internal/decode"
)

// sharedDir returns the shared test data directory (a "shared/data" found
// walking up from the package directory, or "../shared/data" beside the
// repository root), skipping the test when there is none.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		for _, c := range []string{filepath.Join(dir, "shared", "data"), filepath.Join(dir, "..", "shared", "data")} {
			if fi, err := os.Stat(c); err == nil && fi.IsDir() {
				return c
			}
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Skip("shared/data not present")
		}
		dir = up
	}
}

// sharedPath returns a path under the shared data, skipping when absent.
func sharedPath(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(sharedDir(t), rel)
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not present", rel)
	}
	return p
}

// readPackets decodes every packet of a capture (copies of the payloads).
func readPackets(t testing.TB, path string) []decode.Packet {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []decode.Packet
	for {
		data, _, link, _, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var p decode.Packet
		if decode.Decode(link, data, &p) != nil {
			out = append(out, decode.Packet{}) // keep packet numbers aligned
			continue
		}
		p.Payload = append([]byte(nil), p.Payload...)
		out = append(out, p)
	}
	return out
}
