package geo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenBoundedReads: a database path that is not a regular file of a
// sane size is refused with its name, before anything is read (/dev/zero
// was read until memory ran out).
func TestOpenBoundedReads(t *testing.T) {
	dir := t.TempDir()
	sparse := filepath.Join(dir, "huge.mmdb")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxDBSize + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	cases := []struct{ path, want string }{
		{"/dev/zero", "not a regular file"},
		{sparse, "larger than"},
		{dir, "a directory"},
	}
	for _, tc := range cases {
		if _, err := os.Stat(tc.path); err != nil {
			t.Logf("%s: %v; skipped", tc.path, err)
			continue
		}
		for _, cfg := range []Config{{CountryDB: tc.path}, {ASNDB: tc.path}} {
			l, err := Open(cfg)
			if err == nil {
				l.Close()
				t.Errorf("Open(%+v) accepted it", cfg)
				continue
			}
			if !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%+v): %v, want the path and %q", cfg, err, tc.want)
			}
		}
	}
	if err := WriteCountryTable("/dev/zero", filepath.Join(dir, "out.bin")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("WriteCountryTable(/dev/zero): %v", err)
	}
}

// TestReadDBLimit: a regular file one byte over the limit is refused, one
// at the limit is read whole.
func TestReadDBLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.mmdb")
	if err := os.WriteFile(p, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := readDB(p, 10); err != nil || string(b) != "0123456789" {
		t.Errorf("at the limit: %q %v", b, err)
	}
	if _, err := readDB(p, 9); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("over the limit: %v", err)
	}
}
