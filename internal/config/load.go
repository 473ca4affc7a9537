package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/boundedfile"
)

// MaxFileSize is the largest config file read: 1 MiB.
const MaxFileSize = 1 << 20

// maxProblems is how many problems one Error lists.
const maxProblems = 20

// Problem is one thing wrong in a config: where (a line of the file, or
// the command-line flag that gave the value), which key, and what.
type Problem struct {
	Line int    // line in the file (0: not from the file, or unknown)
	Flag string // the flag that gave the value ("--telnet"), when it came from one
	Key  string // key path: "honeypot.telnet.ports[1]" ("" for the whole file)
	Msg  string
}

// Error renders the problem without the file name:
// `line 12: honeypot.telnet.ports[1]: "70000" is not a port (1-65535)`.
func (p *Problem) Error() string {
	var b strings.Builder
	switch {
	case p.Flag != "":
		b.WriteString(p.Flag + ": ")
	case p.Line > 0:
		b.WriteString("line " + strconv.Itoa(p.Line) + ": ")
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error is what Load, Validate and FromFlags return for a config that
// cannot be used: every problem found (at most 20), each naming its key
// and line.
type Error struct {
	Path     string // the file ("" when the config came from flags alone)
	Problems []*Problem
	More     int // problems found beyond those listed
}

// Error renders one line per problem:
// `config honeyscope.yaml: line 12: honeypot.telnet.ports[1]: "70000" is not a port (1-65535)`.
func (e *Error) Error() string {
	prefix := "config: "
	if e.Path != "" {
		prefix = "config " + e.Path + ": "
	}
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(prefix + p.Error())
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n%sand %d more problems", prefix, e.More)
	}
	return b.String()
}

// Format is a config file format.
type Format string

// The formats Load reads.
const (
	YAML Format = "yaml"
	TOML Format = "toml"
)

// FormatOf says which format a file is in: by its extension (.yaml, .yml,
// .json: YAML; .toml: TOML), else by its content (a [table] line or a
// `key = value` line first: TOML; else YAML).
func FormatOf(path string, data []byte) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json":
		return YAML
	case ".toml":
		return TOML
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		l := bytes.TrimSpace(line)
		if len(l) == 0 || l[0] == '#' {
			continue
		}
		if tomlStart.Match(l) {
			return TOML
		}
		return YAML
	}
	return YAML
}

var tomlStart = regexp.MustCompile(`^(\[\[?[A-Za-z0-9_."' -]+\]\]?\s*(#.*)?$|[A-Za-z0-9_."-]+\s*=)`)

// Load reads the config file at path (YAML or TOML, see FormatOf; at most
// MaxFileSize bytes, a regular file), applies the honeypot defaults
// (Honeypot.ApplyDefaults) and validates it (Validate). Every error names
// the file, the key and its line (an *Error); a missing file is an error
// wrapping fs.ErrNotExist.
//
// The returned File remembers which keys the file set, so that FromFlags
// can tell a port list the file gave from a default.
func Load(path string) (*File, error) {
	data, err := boundedfile.Read(path, MaxFileSize, "config file")
	if err != nil {
		var pe *fs.PathError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("config %s: no such file: %w", path, fs.ErrNotExist)
		case errors.As(err, &pe):
			return nil, fmt.Errorf("config %s: %w", path, pe.Err)
		}
		return nil, fmt.Errorf("config %w", err) // boundedfile's errors start with the path
	}
	return Parse(path, data, FormatOf(path, data))
}

// Parse is Load of data already read; name is used in errors and as
// File.Path.
func Parse(name string, data []byte, format Format) (*File, error) {
	var root *node
	var err error
	if format == TOML {
		root, err = parseTOML(data)
	} else {
		root, err = parseYAML(data)
	}
	if err != nil {
		var p *Problem
		if errors.As(err, &p) {
			return nil, &Error{Path: name, Problems: []*Problem{p}}
		}
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	f := &File{Path: name}
	d := newDecoder()
	d.decode(root, "", f)
	if len(d.problems) > 0 {
		return nil, d.error(name)
	}
	f.src = d.src
	f.Honeypot.ApplyDefaults()
	f.Capture.Archive.ApplyDefaults()
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}
