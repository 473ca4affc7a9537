package boundedfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok")
	if err := os.WriteFile(ok, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(ok, 5, "test file"); err != nil || string(b) != "12345" {
		t.Fatalf("Read = %q, %v", b, err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		max  int64
		want string
	}{
		{ok, 4, "larger than 4 bytes"},
		{"/dev/zero", 1 << 20, "not a regular file (a character device)"},
		{fifo, 1 << 20, "a named pipe"}, // must not hang
		{dir, 1 << 20, "a directory"},
		{filepath.Join(dir, "missing"), 1, "no such file"},
	} {
		_, err := Read(tc.path, tc.max, "test file")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Read(%s, %d): %v, want %q", tc.path, tc.max, err, tc.want)
		}
	}
}
