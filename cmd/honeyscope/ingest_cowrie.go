package main

import (
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/honeyscope/honeyscope/internal/cowrie"
	"github.com/honeyscope/honeyscope/internal/ingest"
)

// cowrieLogsUnder returns the plain-text Cowrie JSON logs under the
// directories among args: capture.Expand takes only files that start like
// a capture (or gzip, which a compressed Cowrie log is already) from a
// directory, and a Cowrie log is recognised by its first line.
func cowrieLogsUnder(args []string) []string {
	var out []string
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil || !fi.IsDir() {
			continue
		}
		filepath.WalkDir(arg, func(p string, d iofs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if p != arg && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || isGzip(p) {
				return nil
			}
			if cowrie.DetectFile(p) {
				out = append(out, p)
			}
			return nil
		})
	}
	return out
}

// reportCowrie says what a committed Cowrie log held, and warns about its
// bad lines (the first few, each as file:line).
func reportCowrie(out, errw io.Writer, r ingest.FileResult) {
	c := r.Cowrie
	if c == nil || !r.Committed {
		return
	}
	fmt.Fprintf(out, "%s: Cowrie log, sensor %s: %s, %s (%d with a login, %d intrusions), %d commands, %d URLs, %d files\n",
		r.Path, c.Sensor, plural(int(c.Events), "event", "events"), plural(c.Sessions, "session", "sessions"),
		c.LoggedIn, c.Intrusions, c.Commands, c.URLs, c.Files)
	if c.BadLines == 0 {
		return
	}
	fmt.Fprintf(errw, "warning: %s: %s skipped (not Cowrie events); the rest was ingested\n", r.Path, plural(int(c.BadLines), "bad line", "bad lines"))
	for i, e := range c.BadErrors {
		if i == 5 {
			fmt.Fprintf(errw, "  ... and %d more\n", c.BadLines-5)
			break
		}
		fmt.Fprintf(errw, "  %v\n", e)
	}
}
