package rules

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Set is the result of loading rule files: the rules that load, in load
// order, and an entry for every rule that does not.
type Set struct {
	Rules       []*Rule
	Unsupported []Unsupported
	Files       []string // files read, in order
	// Disabled counts rules that are commented out ("#alert ...") and were
	// skipped (Options.IncludeDisabled parses them too).
	Disabled int

	vars  Vars
	opt   Options
	bits  bitNames
	index map[[2]uint32]int // gid,sid -> index in Rules
}

// Unsupported is a rule that did not load and why.
type Unsupported struct {
	File          string
	Line          int
	GID, SID, Rev uint32 // SID 0 when the text gave none
	Msg           string // the rule's msg, when it could be read
	Reason        string
	Disabled      bool // the rule was commented out in the file
}

// String formats the entry as "FILE:LINE: sid N: reason".
func (u Unsupported) String() string {
	loc := u.File
	if u.Line > 0 {
		loc = fmt.Sprintf("%s:%d", u.File, u.Line)
	}
	if u.SID == 0 {
		return fmt.Sprintf("%s: %s", loc, u.Reason)
	}
	return fmt.Sprintf("%s: sid %d: %s", loc, u.SID, u.Reason)
}

// Options controls loading.
type Options struct {
	// Vars resolves $VARIABLES; nil means DefaultVars.
	Vars Vars
	// IncludeDisabled also parses rules that are commented out ("#alert
	// ..."), as a rule-set census does; Suricata skips them.
	IncludeDisabled bool
}

// NewSet returns an empty set.
func NewSet(opt Options) *Set {
	if opt.Vars == nil {
		opt.Vars = DefaultVars()
	}
	return &Set{vars: opt.Vars, opt: opt, index: map[[2]uint32]int{}}
}

// Load reads rule files and directories (the *.rules files in a directory,
// not its subdirectories, in name order).
func Load(paths []string, opt Options) (*Set, error) {
	s := NewSet(opt)
	for _, p := range paths {
		if err := s.AddPath(p); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// AddPath adds a rule file or the *.rules files of a directory.
func (s *Set) AddPath(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	if !fi.IsDir() {
		return s.addFile(path)
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".rules") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return fmt.Errorf("rules: %s: no *.rules files", path)
	}
	for _, n := range names {
		if err := s.addFile(filepath.Join(path, n)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Set) addFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	defer f.Close()
	if err := s.Add(f, path); err != nil {
		return fmt.Errorf("rules: %s: %w", path, err)
	}
	return nil
}

// AddFS adds one rule file from a file system (the embedded built-in file).
func (s *Set) AddFS(fsys fs.FS, name string) error {
	f, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return s.Add(f, name)
}

// Add reads rules from r; name is the file name reported with each rule.
// Lines ending in a backslash continue on the next line. Errors are only
// for reading r: every rule problem is an Unsupported entry.
func (s *Set) Add(r io.Reader, name string) error {
	s.Files = append(s.Files, name)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxRuleLen+1)
	lineNo, start := 0, 0
	var cur strings.Builder
	tooLong := false
	for {
		ok := sc.Scan()
		if !ok {
			if err := sc.Err(); err != nil {
				if errors.Is(err, bufio.ErrTooLong) {
					s.Unsupported = append(s.Unsupported, Unsupported{File: name, Line: lineNo + 1,
						Reason: fmt.Sprintf("line longer than %d bytes (reading stopped)", MaxRuleLen)})
					return nil
				}
				return err
			}
			break
		}
		lineNo++
		line := sc.Text()
		if cur.Len() == 0 {
			start = lineNo
		}
		if strings.HasSuffix(line, `\`) {
			if cur.Len()+len(line) > MaxRuleLen {
				tooLong = true
			} else {
				cur.WriteString(line[:len(line)-1])
			}
			continue
		}
		if cur.Len()+len(line) > MaxRuleLen {
			tooLong = true
		} else {
			cur.WriteString(line)
		}
		text := cur.String()
		cur.Reset()
		if tooLong {
			tooLong = false
			s.Unsupported = append(s.Unsupported, Unsupported{File: name, Line: start,
				Reason: fmt.Sprintf("rule longer than %d bytes", MaxRuleLen)})
			continue
		}
		s.addLine(text, name, start)
	}
	if cur.Len() > 0 {
		s.addLine(cur.String(), name, start)
	}
	return nil
}

// addLine parses one logical line.
func (s *Set) addLine(text, file string, line int) {
	t := strings.TrimSpace(text)
	if t == "" {
		return
	}
	disabled := false
	if strings.HasPrefix(t, "#") {
		body := strings.TrimSpace(strings.TrimLeft(t, "#"))
		if !looksLikeRule(body) {
			return
		}
		if !s.opt.IncludeDisabled {
			s.Disabled++
			return
		}
		disabled, t = true, body
	}
	r, err := parseRule(t, s.vars, &s.bits)
	if err != nil {
		u := Unsupported{File: file, Line: line, Reason: err.Error(), Disabled: disabled}
		var re *RuleError
		if errors.As(err, &re) {
			u.GID, u.SID, u.Rev, u.Msg, u.Reason = re.GID, re.SID, re.Rev, re.Msg, re.Reason
		}
		s.Unsupported = append(s.Unsupported, u)
		return
	}
	r.File, r.Line = file, line
	key := [2]uint32{r.GID, r.SID}
	if i, dup := s.index[key]; dup {
		old := s.Rules[i]
		if r.Rev > old.Rev {
			// Suricata keeps the higher revision.
			s.Unsupported = append(s.Unsupported, Unsupported{File: old.File, Line: old.Line, GID: old.GID, SID: old.SID, Rev: old.Rev, Msg: old.Msg,
				Reason: fmt.Sprintf("duplicate sid: replaced by rev %d at %s:%d", r.Rev, file, line), Disabled: disabled})
			s.Rules[i] = r
			return
		}
		s.Unsupported = append(s.Unsupported, Unsupported{File: file, Line: line, GID: r.GID, SID: r.SID, Rev: r.Rev, Msg: r.Msg,
			Reason: fmt.Sprintf("duplicate sid: rev %d already loaded from %s:%d", old.Rev, old.File, old.Line), Disabled: disabled})
		return
	}
	s.index[key] = len(s.Rules)
	s.Rules = append(s.Rules, r)
}

// looksLikeRule reports whether a commented line is a disabled rule: an
// action, then a '(' later on.
func looksLikeRule(t string) bool {
	sp := strings.IndexAny(t, " \t")
	if sp <= 0 {
		return false
	}
	if _, ok := actionNames[t[:sp]]; !ok {
		return false
	}
	return strings.Contains(t, "(") && strings.Contains(t, "sid:")
}

// FlowbitNames returns the flowbit names used by the set's rules, by id.
func (s *Set) FlowbitNames() []string { return slices.Clone(s.bits.names) }
