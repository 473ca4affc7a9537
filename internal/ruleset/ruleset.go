// Package ruleset turns rule files into the exploit matcher of the packet
// pipeline: it reads rule files and directories into named texts (what the
// store keeps of a rule set), hashes them, and compiles them together with
// the built-in rule file into a classify.ExploitMatcher whose pattern names
// are the rules' gid:sid:rev.
package ruleset

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/honeyscope/honeyscope/internal/rules"
)

// MaxBytes bounds the rule text read for one rule set (all files).
const MaxBytes = 64 << 20

// File is one rule file of a set: its name (the path as given, or the
// name in a directory) and its text.
type File struct {
	Name string
	Text string
}

// Read reads rule files and the *.rules files of directories (in name
// order, not their subdirectories), as rules.Load does.
func Read(paths []string) ([]File, error) {
	var out []File
	total := 0
	add := func(path string) error {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("rules: %w", err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, int64(MaxBytes-total)+1))
		if err != nil {
			return fmt.Errorf("rules: %s: %w", path, err)
		}
		if total += len(b); total > MaxBytes {
			return fmt.Errorf("rules: more than %d MiB of rule text", MaxBytes>>20)
		}
		out = append(out, File{Name: path, Text: string(b)})
		return nil
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		if !fi.IsDir() {
			if err := add(p); err != nil {
				return nil, err
			}
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		var names []string
		for _, e := range ents {
			if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".rules") {
				names = append(names, e.Name())
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("rules: %s: no *.rules files", p)
		}
		slices.Sort(names)
		for _, n := range names {
			if err := add(filepath.Join(p, n)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Hash is the content hash of a rule set: "sha256:" and the hex SHA-256
// over the files' texts in order (names left out, so the same files read
// from another directory hash alike).
func Hash(files []File) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%d\n", len(f.Text))
		io.WriteString(h, f.Text)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Load parses the files into one set, after the built-in rules when
// builtin is set.
func Load(files []File, builtin bool, opt rules.Options) (*rules.Set, error) {
	var s *rules.Set
	if builtin {
		var err error
		if s, err = rules.LoadBuiltin(opt); err != nil {
			return nil, err
		}
	} else {
		s = rules.NewSet(opt)
	}
	for _, f := range files {
		if err := s.Add(strings.NewReader(f.Text), f.Name); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Matcher compiles the built-in rules and the files into the pipeline's
// exploit matcher. The set is returned too, for its Unsupported list.
func Matcher(files []File, opt rules.Options) (*rules.ExploitAdapter, *rules.Set, error) {
	s, err := Load(files, true, opt)
	if err != nil {
		return nil, nil, err
	}
	e, err := rules.Compile(s)
	if err != nil {
		return nil, nil, err
	}
	return rules.NewExploitAdapter(e), s, nil
}
