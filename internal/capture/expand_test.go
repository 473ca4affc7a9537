package capture

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		"a.pcap",
		"b.pcapng",
		"sub/c.pcap.gz",
		"sub/deeper/d.pcap",
		"sub/.hidden.pcap",
		".git/objects/x",
		"other/e.pcap",
		"other/f.txt",
		"other/notes.pcap",
		".dot.pcap",
	}
	for _, f := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		// Capture-like files start with a pcap magic; the .txt does not.
		content := []byte{0xd4, 0xc3, 0xb2, 0xa1}
		if strings.HasSuffix(f, ".txt") || strings.HasSuffix(f, "notes.pcap") {
			content = []byte("not a capture")
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "a.pcap"), filepath.Join(dir, "other", "link.pcap")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "other", "dangling.pcap")); err != nil {
		t.Fatal(err)
	}
	j := func(names ...string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = filepath.Join(dir, n)
		}
		return out
	}

	cases := []struct {
		name string
		args []string
		want []string
		err  string // substring of the error; "" for none
	}{
		{"one-file", j("b.pcapng"), j("b.pcapng"), ""},
		{"hidden-file-named", j(".dot.pcap"), j(".dot.pcap"), ""},
		{"dir-recursive", j("sub"), j("sub/c.pcap.gz", "sub/deeper/d.pcap"), ""},
		// Inside directories, files that do not start like a capture are skipped.
		{"whole-tree-sorted", []string{dir}, j("a.pcap", "b.pcapng", "other/e.pcap", "other/link.pcap", "sub/c.pcap.gz", "sub/deeper/d.pcap"), ""},
		{"non-capture-named", j("other/f.txt"), j("other/f.txt"), ""},
		{"files-sorted-deduplicated", j("b.pcapng", "a.pcap", "b.pcapng", "sub/deeper"), j("a.pcap", "b.pcapng", "sub/deeper/d.pcap"), ""},
		{"glob", j("*.pcap*"), j("a.pcap", "b.pcapng"), ""},
		{"glob-hidden", j(".*.pcap"), j(".dot.pcap"), ""},
		{"glob-dirs", j("*/*.pcap"), j("other/e.pcap", "other/link.pcap", "other/notes.pcap"), ""}, // a glob names files explicitly
		{"glob-matching-dir", j("su?"), j("sub/c.pcap.gz", "sub/deeper/d.pcap"), ""},
		{"empty-args", nil, nil, ""},
		{"missing", j("a.pcap", "nope.pcap"), nil, filepath.Join(dir, "nope.pcap")},
		{"glob-no-match", j("*.cap"), nil, "no file matches"},
		{"bad-pattern", j("[.pcap"), nil, "syntax error in pattern"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Expand(tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestExpandLiteralMeta checks that a file whose name contains glob
// characters is taken literally when it exists.
func TestExpandLiteralMeta(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cap[1].pcap")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Expand([]string{p})
	if err != nil || !slices.Equal(got, []string{p}) {
		t.Errorf("got %q, %v; want [%q]", got, err, p)
	}
}
