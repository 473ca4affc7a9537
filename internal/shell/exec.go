package shell

import (
	"path"
	"sort"
	"strings"
)

type sinkKind uint8

const (
	sinkTerm sinkKind = iota
	sinkPipe
	sinkNull
	sinkFile
)

// sink is where a file descriptor's bytes go.
type sink struct {
	kind    sinkKind
	buf     []byte
	n       *node
	appendF bool // >> (the file was not truncated)
	created bool // the redirection created or truncated the file
	nospace bool
}

func (s *Shell) terminal() *sink { return &sink{kind: sinkTerm} }

// write sends b to k, bounded: a pipe keeps maxCmdOutput bytes, a file
// what the filesystem has room for (a write that does not fit fails as a
// whole: "No space left on device").
func (s *Shell) write(k *sink, b []byte) {
	if len(b) == 0 {
		return
	}
	switch k.kind {
	case sinkTerm:
		s.printTerm(b)
	case sinkPipe:
		room := maxCmdOutput - len(k.buf)
		if room > 0 {
			k.buf = append(k.buf, b[:min(room, len(b))]...)
		}
	case sinkFile:
		if k.nospace {
			return
		}
		if k.n.kind == kindDev {
			return
		}
		if s.fs.used+int64(len(k.buf))+int64(len(b)) > s.fs.limit {
			k.nospace = true
			return
		}
		k.buf = append(k.buf, b...)
	}
}

// call is one running simple command.
type call struct {
	s       *Shell
	args    []string // args[0] is the command name as typed
	stdin   []byte
	out     *sink
	err     *sink
	via     string // how output redirected to a file arrives ("echo", "printf", "download")
	printed int
}

// print writes to the command's standard output (bounded per command).
func (c *call) print(parts ...string) {
	for _, p := range parts {
		c.write([]byte(p))
	}
}

func (c *call) write(b []byte) {
	if c.out.kind != sinkFile {
		room := maxCmdOutput - c.printed
		if room <= 0 {
			return
		}
		if len(b) > room {
			b = b[:room]
		}
		c.printed += len(b)
	}
	c.s.write(c.out, b)
}

// errorf writes a line to the command's standard error.
func (c *call) errorf(parts ...string) {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p)
	}
	b.WriteByte('\n')
	c.s.write(c.err, []byte(b.String()))
}

// ---- running the tree ----

func (s *Shell) runList(l *cmdList, stdin []byte, out *sink) {
	for _, ao := range l.items {
		if s.stopped() {
			return
		}
		s.runAndOr(ao, stdin, out)
	}
}

func (s *Shell) runAndOr(ao *andOr, stdin []byte, out *sink) {
	for i, pl := range ao.pipes {
		if s.stopped() {
			return
		}
		if i > 0 {
			op := ao.ops[i-1]
			if (op == "&&" && s.status != 0) || (op == "||" && s.status == 0) {
				s.skipPipeline(pl)
				continue
			}
		}
		s.runPipeline(pl, stdin, out)
	}
}

// skipPipeline records the commands a short-circuit skipped: the attacker
// sent them (a fallback download is still worth its URL).
func (s *Shell) skipPipeline(pl *pipeline) {
	for _, c := range pl.cmds {
		s.skipCommand(c, pl.raw)
	}
}

func (s *Shell) skipCommand(c *command, context string) {
	if s.stopped() {
		return
	}
	if c.group != nil {
		for _, ao := range c.group.items {
			for _, pl := range ao.pipes {
				s.skipPipeline(pl)
			}
		}
		return
	}
	args := s.expandWords(c.words, false)
	known := false
	if len(args) > 0 {
		known = s.knownCommand(args)
	}
	if !s.recordCommand(c.raw, context, known) {
		return
	}
	s.recordTextURLs(c.raw)
}

func (s *Shell) runPipeline(pl *pipeline, stdin []byte, out *sink) {
	in := stdin
	for i, c := range pl.cmds {
		if s.stopped() {
			return
		}
		o := out
		if i < len(pl.cmds)-1 {
			o = &sink{kind: sinkPipe}
		}
		ctx := ""
		if len(pl.cmds) > 1 && i == 0 {
			ctx = pl.raw
		}
		s.runCommand(c, in, o, ctx)
		if o.kind == sinkPipe {
			in = o.buf
		}
	}
	if pl.bang {
		if s.status == 0 {
			s.status = 1
		} else {
			s.status = 0
		}
	}
}

// runCommand runs a simple command or a group with its redirections.
func (s *Shell) runCommand(c *command, stdin []byte, out *sink, context string) {
	errSink := s.terminal()
	if out.kind == sinkNull {
		errSink = s.terminal()
	}
	if c.group != nil {
		in, o, e, files, ok := s.applyRedirs(c.redirs, stdin, out, errSink, nil)
		if !ok {
			return
		}
		saved := s.cwd
		s.runList(c.group, in, o)
		if c.sub {
			s.cwd = saved
		}
		s.finishRedirs(files, "", e)
		return
	}
	args := s.expandWords(c.words, true)
	// Leading NAME=value words are assignments.
	assigns := 0
	for assigns < len(args) && isAssignment(args[assigns]) {
		assigns++
	}
	for _, a := range args[:assigns] {
		k, v, _ := strings.Cut(a, "=")
		s.setVar(k, v)
	}
	args = args[assigns:]
	if len(args) > 0 {
		args = stripKeyword(args)
	}
	known := len(args) == 0 || s.knownCommand(args)
	if !s.recordCommand(c.raw, context, known) {
		return
	}
	paths := make([]string, 0, len(args))
	for _, a := range args {
		if a != "" && a[0] != '-' {
			paths = append(paths, abs(s.cwd, a))
		}
	}
	s.settle(paths)
	cl := &call{s: s, args: args}
	in, o, e, files, ok := s.applyRedirs(c.redirs, stdin, out, errSink, cl)
	if !ok {
		s.status = 1
		s.recordTextURLs(c.raw)
		return
	}
	cl.stdin, cl.out, cl.err = in, o, e
	if len(args) > 0 {
		s.status = s.dispatch(cl)
	} else {
		s.status = 0
	}
	s.finishRedirs(files, cl.via, e)
	s.recordTextURLs(c.raw)
}

// stripKeyword drops a leading reserved word (the shell's compound
// commands are not run as such: a loop body runs once, both branches of an
// if run).
func stripKeyword(args []string) []string {
	switch args[0] {
	case "if", "then", "else", "elif", "do", "while", "until", "!":
		return args[1:]
	case "for", "case", "done", "fi", "esac", "{", "}", "function", "in", ";;":
		return []string{":"}
	}
	if strings.HasSuffix(args[0], "()") || len(args) > 1 && args[1] == "()" {
		return []string{":"} // function definition
	}
	return args
}

func isAssignment(a string) bool {
	i := strings.IndexByte(a, '=')
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		if !isNameByte(a[j]) || j == 0 && a[j] >= '0' && a[j] <= '9' {
			return false
		}
	}
	return true
}

// applyRedirs opens a command's redirections. Files opened for output are
// truncated (">") or created now, as the shell does before the command
// runs; their bytes are written by finishRedirs.
func (s *Shell) applyRedirs(rs []redir, stdin []byte, out, errS *sink, cl *call) (in []byte, o, e *sink, files []*sink, ok bool) {
	in, o, e = stdin, out, errS
	fds := map[int]*sink{1: o, 2: e}
	for _, r := range rs {
		target := s.expandOne(r.target)
		switch r.op {
		case "<":
			n, err := s.fs.lookup(abs(s.cwd, target), true)
			if err != nil {
				s.write(e, []byte("sh: can't open '"+target+"': "+err.Error()+"\n"))
				return nil, nil, nil, files, false
			}
			if n.isDir() {
				s.write(e, []byte("sh: can't open '"+target+"': "+errIsDir.Error()+"\n"))
				return nil, nil, nil, files, false
			}
			s.settle([]string{n.pathOf()})
			in = n.read()
		case "<<", "<&":
			in = nil
		case ">&", "<>":
			switch target {
			case "1", "2":
				fds[r.fd] = fds[int(target[0]-'0')]
			case "-":
				fds[r.fd] = &sink{kind: sinkNull}
			default:
				k, err := s.openSink(target, false)
				if err != nil {
					s.write(e, []byte("sh: can't create "+target+": "+err.Error()+"\n"))
					return nil, nil, nil, files, false
				}
				files = append(files, k)
				fds[r.fd] = k
			}
		case ">", ">>", "&>", "&>>":
			if target == "" {
				s.write(e, []byte("sh: syntax error: unexpected newline\n"))
				return nil, nil, nil, files, false
			}
			k, err := s.openSink(target, r.op == ">>" || r.op == "&>>")
			if err != nil {
				s.write(e, []byte("sh: can't create "+target+": "+err.Error()+"\n"))
				return nil, nil, nil, files, false
			}
			files = append(files, k)
			if r.op[0] == '&' {
				fds[1], fds[2] = k, k
			} else {
				fds[r.fd] = k
			}
		}
	}
	return in, fds[1], fds[2], files, true
}

// openSink opens path for a redirection.
func (s *Shell) openSink(target string, appendTo bool) (*sink, error) {
	p := abs(s.cwd, target)
	n, created, err := s.fs.openWrite(p)
	if err != nil {
		return nil, err
	}
	if n.kind == kindDev {
		return &sink{kind: sinkNull}, nil
	}
	k := &sink{kind: sinkFile, n: n, appendF: appendTo && !created, created: created}
	if !appendTo {
		changed, err := s.fs.setData(n, nil, false)
		if err != nil {
			return nil, err
		}
		k.created = k.created || changed
	}
	return k, nil
}

// finishRedirs writes the bytes of the command's file redirections and
// records the files that changed.
func (s *Shell) finishRedirs(files []*sink, via string, errS *sink) {
	done := map[*sink]bool{}
	for _, k := range files {
		if done[k] || k.kind != sinkFile {
			continue
		}
		done[k] = true
		changed := k.created
		if len(k.buf) > 0 {
			ch, err := s.fs.setData(k.n, k.buf, true)
			if err != nil {
				k.nospace = true
			}
			changed = changed || ch
		}
		if k.nospace {
			s.write(s.terminal(), []byte("sh: write error: "+errNoSpace.Error()+"\n"))
		}
		if changed {
			v := via
			if v == "" {
				v = "redirect"
			}
			s.noteWrite(k.n, v, k.appendF && !k.created)
		}
	}
}

// ---- expansion ----

// expandWords expands variables and (when glob) file name patterns.
func (s *Shell) expandWords(ws []word, glob bool) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		var b strings.Builder
		var pat strings.Builder
		hasGlob, onlyVars, anyQuoted := false, true, false
		wantGlob := false
		if glob {
			for _, p := range w.parts {
				wantGlob = wantGlob || p.glob
			}
		}
		for _, p := range w.parts {
			var v string
			if p.varRef != "" {
				v = s.getVar(p.varRef)
				if p.quoted {
					anyQuoted = true
				}
			} else {
				v = p.lit
				onlyVars = false
				if p.quoted {
					anyQuoted = true
				}
			}
			if b.Len()+len(v) > s.maxWord() {
				v = v[:max(0, s.maxWord()-b.Len())]
			}
			b.WriteString(v)
			if !wantGlob {
				continue
			}
			if p.glob {
				hasGlob = true
				pat.WriteString(v)
			} else {
				pat.WriteString(escapeGlob(v))
			}
		}
		word := b.String()
		if word == "" && onlyVars && !anyQuoted {
			continue
		}
		if glob && hasGlob {
			if m := s.glob(pat.String()); len(m) > 0 {
				out = append(out, m...)
				continue
			}
		}
		out = append(out, word)
	}
	return out
}

func (s *Shell) maxWord() int {
	if s.lim.Line > 0 {
		return s.lim.Line
	}
	return 16 << 10
}

// expandOne expands a redirection target (no globbing).
func (s *Shell) expandOne(w word) string {
	if len(w.parts) == 0 {
		return ""
	}
	r := s.expandWords([]word{w}, false)
	if len(r) == 0 {
		return ""
	}
	return r[0]
}

func escapeGlob(v string) string {
	if !strings.ContainsAny(v, "*?[\\") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if strings.IndexByte("*?[\\", v[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// glob expands a pattern against the virtual filesystem (sorted, bounded).
func (s *Shell) glob(pat string) []string {
	absPat := pat
	prefix := ""
	if !strings.HasPrefix(pat, "/") {
		absPat = s.cwd + "/" + pat
		prefix = s.cwd
	}
	parts := splitPath(absPat)
	if len(parts) > maxDepth*2 {
		return nil
	}
	type cand struct {
		n    *node
		path string
	}
	cur := []cand{{s.fs.root, "/"}}
	for _, comp := range parts {
		var next []cand
		for _, c := range cur {
			d := c.n
			if d.kind == kindLink {
				if r, err := s.fs.lookup(c.path, true); err == nil {
					d = r
				}
			}
			if !d.isDir() {
				continue
			}
			if !strings.ContainsAny(comp, "*?[") {
				name := unescapeGlob(comp)
				if name == "." || name == ".." {
					if r, err := s.fs.lookup(path.Join(c.path, name), true); err == nil {
						next = append(next, cand{r, path.Join(c.path, name)})
					}
					continue
				}
				if ch, ok := d.children[name]; ok {
					next = append(next, cand{ch, path.Join(c.path, name)})
				}
				continue
			}
			for _, ch := range sortedChildren(d) {
				if strings.HasPrefix(ch.name, ".") && !strings.HasPrefix(comp, ".") {
					continue
				}
				if ok, err := path.Match(comp, ch.name); err == nil && ok {
					next = append(next, cand{ch, path.Join(c.path, ch.name)})
					if len(next) >= maxDirList {
						break
					}
				}
			}
		}
		cur = next
		if len(cur) == 0 {
			return nil
		}
	}
	out := make([]string, 0, len(cur))
	for _, c := range cur {
		p := c.path
		if prefix != "" {
			rel := strings.TrimPrefix(p, strings.TrimSuffix(prefix, "/")+"/")
			if prefix == "/" {
				rel = strings.TrimPrefix(p, "/")
			}
			p = rel
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func unescapeGlob(v string) string {
	if !strings.Contains(v, "\\") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// ---- variables ----

func (s *Shell) getVar(name string) string {
	switch name {
	case "?":
		return itoa(s.status)
	case "$":
		return itoa(s.nextPID - 1)
	case "#":
		return "0"
	case "0":
		return "-sh"
	case "!":
		return itoa(s.nextPID - 1)
	case "RANDOM":
		return itoa(int(s.now().UnixNano()/1000) % 32768)
	case "PWD":
		return s.cwd
	}
	return s.vars[name]
}

func (s *Shell) setVar(k, v string) {
	if len(v) > maxVarLen {
		v = v[:maxVarLen]
	}
	if _, ok := s.vars[k]; !ok && len(s.vars) >= maxVars {
		return
	}
	s.vars[k] = v
}
