package duckstore

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// PathError says why a store path was refused before DuckDB saw it.
type PathError struct {
	Path   string
	Reason string
}

func (e *PathError) Error() string { return fmt.Sprintf("store path %q: %s", e.Path, e.Reason) }

// uriScheme matches a leading "name:" that DuckDB would take for a scheme
// or a remote catalog (md:, s3://, https://...) rather than a file name.
// One letter is a Windows drive, not a scheme.
var uriScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]+:`)

// CheckPath checks that path names a store file and nothing else. DuckDB
// reads more into the string it is given than a file name: ":memory:"
// (and ":memory:name") is a database that vanishes when closed, everything
// after a "?" is a list of settings ("x?threads=1" opens x with one
// thread, while commands that add their own settings open another file),
// "md:" and "s3://", "https://" and the like reach over the network. A
// store path is refused here with a *PathError when it is empty, holds a
// NUL byte, a "?" or an escape DuckDB's DSN parser rejects, starts like
// one of those names (write "./md:x" for a file called "md:x"), or names
// something that exists and is not a regular file (a directory, a device).
//
// Open calls it first, so every command and every caller refuses such a
// path the same way.
func CheckPath(path string) error {
	bad := func(reason string) error { return &PathError{Path: path, Reason: reason} }
	switch {
	case path == "":
		return bad("empty")
	case strings.HasPrefix(path, ":memory:"):
		return bad("an in-memory database keeps nothing; give a file name")
	case strings.ContainsRune(path, 0):
		return bad("contains a NUL byte")
	case strings.Contains(path, "?"):
		return bad(`contains "?": DuckDB would read what follows as settings, not as part of the name; a store path is a file name only`)
	case uriScheme.MatchString(path):
		return bad(`starts like a URL or a remote database name (` + uriScheme.FindString(path) + `); for a file of that name write ./` + path)
	}
	if _, err := url.Parse(path); err != nil {
		return bad(`DuckDB cannot take this name (a "%" not followed by two hex digits?); rename the file`)
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		what := "not a regular file"
		if fi.IsDir() {
			what = "a directory, not a store file"
		}
		return bad(what)
	}
	return nil
}
