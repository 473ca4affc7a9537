package duckstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckPath(t *testing.T) {
	dir := t.TempDir()
	for _, ok := range []string{"honeyscope.duckdb", filepath.Join(dir, "s.duckdb"), "./md:x.duckdb", "C:/stores/s.duckdb", "a%20b.duckdb"} {
		if err := CheckPath(ok); err != nil {
			t.Errorf("CheckPath(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", ":memory:", ":memory:named", "x?threads=1", "s.duckdb?access_mode=read_only",
		"md:mydb", "motherduck:mydb", "s3://bucket/s.duckdb", "https://example.com/s.duckdb", "a\x00b", "a%zz.duckdb", dir, os.DevNull} {
		err := CheckPath(bad)
		var pe *PathError
		if !errors.As(err, &pe) || pe.Path != bad {
			t.Errorf("CheckPath(%q) = %v, want a *PathError", bad, err)
		}
	}
}

// TestOpenRefusesNonPaths: Open refuses what is not a file name before
// DuckDB sees it, and creates nothing.
func TestOpenRefusesNonPaths(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, p := range []string{":memory:", "x?threads=1"} {
		st, err := Open(context.Background(), p, Options{})
		var pe *PathError
		if !errors.As(err, &pe) {
			if st != nil {
				st.Close()
			}
			t.Errorf("Open(%q): %v, want a *PathError", p, err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left behind: %v", ents)
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "store.duckdb")
	_, err := Open(context.Background(), path, Options{})
	var pe *PathError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "IO Error") {
		t.Fatalf("Open in a missing directory: %v", err)
	}
}
