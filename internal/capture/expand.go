package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Expand turns command-line arguments into a sorted, de-duplicated list of
// files to read. An argument may be:
//   - a file, taken as is (even when its name starts with a dot);
//   - a directory, walked recursively for regular files (and symbolic links
//     to regular files) that start like a capture (pcap, pcapng or gzip
//     magic number), skipping hidden files and directories (names starting
//     with "."), except the directory named itself;
//   - a glob pattern (filepath.Match syntax) when no file has that exact
//     name; each match is expanded as above, and a pattern that matches
//     nothing is an error. Hidden names are matched only by a pattern
//     whose last element starts with "."; dangling symbolic links are
//     skipped.
//
// A path that does not exist is an error that names it. A directory without
// files adds nothing; the result may be empty.
func Expand(args []string) ([]string, error) {
	var out []string
	for _, arg := range args {
		if _, err := os.Lstat(arg); err != nil && errors.Is(err, fs.ErrNotExist) && hasMeta(arg) {
			matches, gerr := filepath.Glob(arg)
			if gerr != nil {
				return nil, fmt.Errorf("expand %q: %w", arg, gerr)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("expand %q: no file matches the pattern", arg)
			}
			for _, m := range matches {
				if base := filepath.Base(m); strings.HasPrefix(base, ".") && !strings.HasPrefix(filepath.Base(arg), ".") {
					continue // like a shell, "*" does not match hidden names
				}
				if _, err := os.Stat(m); err != nil {
					continue // a dangling symbolic link, skipped as in directories
				}
				var err error
				if out, err = expandPath(out, m); err != nil {
					return nil, err
				}
			}
			continue
		}
		var err error
		if out, err = expandPath(out, arg); err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// hasMeta reports whether path contains glob metacharacters.
func hasMeta(path string) bool {
	return strings.ContainsAny(path, `*?[\`)
}

// expandPath appends path, or the files under it when it is a directory.
func expandPath(out []string, path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("expand: %w", err)
	}
	if !fi.IsDir() {
		return append(out, path), nil
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != path && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.Type().IsRegular():
		case d.Type()&fs.ModeSymlink != 0:
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				return nil
			}
		default:
			return nil
		}
		// Inside directories, only files that start like a capture (pcap,
		// pcapng or gzip) are taken: capture folders also hold notes, truth
		// files and checksums. Files named explicitly are always taken.
		if looksLikeCapture(p) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("expand %s: %w", path, err)
	}
	return out, nil
}

// looksLikeCapture reports whether the file starts with a pcap, pcapng or
// gzip magic number.
func looksLikeCapture(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return true // let the reader report why it cannot be read
	}
	defer f.Close()
	var b [4]byte
	if n, _ := io.ReadFull(f, b[:]); n < 2 {
		return false
	}
	if b[0] == 0x1f && b[1] == 0x8b {
		return true
	}
	switch binary.BigEndian.Uint32(b[:]) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1, 0x0a0d0d0a:
		return true
	}
	return false
}
