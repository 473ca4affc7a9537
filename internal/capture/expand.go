package capture

import (
	"errors"
	"fmt"
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
//     to regular files), skipping hidden files and directories (names
//     starting with "."), except the directory named itself;
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
			out = append(out, p)
		case d.Type()&fs.ModeSymlink != 0:
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				out = append(out, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("expand %s: %w", path, err)
	}
	return out, nil
}
