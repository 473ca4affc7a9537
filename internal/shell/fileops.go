package shell

import (
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// opts splits BusyBox-style arguments into single-letter flags and
// operands ("-rf" is r and f; "--" ends options). Flags in withArg take the
// next argument as their value.
func opts(args []string, withArg string) (flags map[byte]string, operands []string) {
	flags = map[byte]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			operands = append(operands, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' || strings.HasPrefix(a, "--") {
			if strings.HasPrefix(a, "--") && len(a) > 2 {
				flags['-'] = a
				continue
			}
			operands = append(operands, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			f := a[j]
			if strings.IndexByte(withArg, f) >= 0 {
				v := a[j+1:]
				if v == "" && i+1 < len(args) {
					i++
					v = args[i]
				}
				flags[f] = v
				break
			}
			flags[f] = "1"
		}
	}
	return flags, operands
}

func has(flags map[byte]string, f byte) bool { _, ok := flags[f]; return ok }

func cmdCat(c *call) int {
	_, files := opts(c.args[1:], "")
	if len(files) == 0 {
		c.write(c.stdin)
		return 0
	}
	st := 0
	name := path.Base(c.args[0])
	for _, f := range files {
		if f == "-" {
			c.write(c.stdin)
			continue
		}
		n, err := c.s.fs.lookup(abs(c.s.cwd, f), true)
		if err != nil {
			c.errorf(name, ": can't open '", f, "': ", err.Error())
			st = 1
			continue
		}
		if n.isDir() {
			c.errorf(name, ": read error: ", errIsDir.Error())
			st = 1
			continue
		}
		c.write(n.read())
	}
	return st
}

// modeString renders a node's mode as ls does.
func modeString(n *node) string {
	b := []byte("----------")
	switch n.kind {
	case kindDir:
		b[0] = 'd'
	case kindLink:
		b[0] = 'l'
	case kindDev:
		b[0] = 'c'
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if n.perm&(1<<uint(8-i)) != 0 {
			b[i+1] = rwx[i]
		}
	}
	return string(b)
}

func (s *Shell) lsTime(t time.Time) string {
	if s.now().Sub(t) > 180*24*time.Hour {
		return t.Format("Jan _2  2006")
	}
	return t.Format("Jan _2 15:04")
}

func (s *Shell) lsLong(n *node, name string) string {
	nlink := 1
	if n.isDir() {
		nlink = 2 + len(n.children)/8
	}
	size := itoa(n.size())
	if n.kind == kindDev {
		size = "1,   3"
	}
	line := modeString(n) + " " + pad(itoa(nlink), 4) + " " + padRight("root", 8) + " " + padRight("root", 8) + " " +
		pad(size, 9) + " " + s.lsTime(n.mtime) + " " + name
	if n.kind == kindLink {
		line += " -> " + n.target
	}
	return line + "\n"
}

func cmdLs(c *call) int {
	flags, ops := opts(c.args[1:], "")
	long := has(flags, 'l') || has(flags, 'n')
	all := has(flags, 'a')
	almost := has(flags, 'A')
	dirOnly := has(flags, 'd')
	if len(ops) == 0 {
		ops = []string{"."}
	}
	st := 0
	var files []string
	var dirs []*node
	var dirNames []string
	for _, o := range ops {
		p := abs(c.s.cwd, o)
		ln, err := c.s.fs.lookup(p, false)
		if err != nil {
			c.errorf("ls: ", o, ": ", err.Error())
			st = 1
			continue
		}
		n := ln
		if ln.kind == kindLink && (!long || strings.HasSuffix(o, "/")) {
			if t, err := c.s.fs.lookup(p, true); err == nil {
				n = t
			}
		}
		if n.isDir() && !dirOnly {
			dirs = append(dirs, n)
			dirNames = append(dirNames, o)
			continue
		}
		if long {
			files = append(files, c.s.lsLong(ln, o))
		} else {
			files = append(files, o)
		}
	}
	if long {
		for _, f := range files {
			c.print(f)
		}
	} else if len(files) > 0 {
		c.print(columns(files))
	}
	for i, d := range dirs {
		if len(ops) > 1 {
			if i > 0 || len(files) > 0 {
				c.print("\n")
			}
			c.print(dirNames[i], ":\n")
		}
		var names []string
		var nodes []*node
		if all {
			names = append(names, ".", "..")
			parent := d.parent
			if parent == nil {
				parent = d
			}
			nodes = append(nodes, d, parent)
		}
		for _, ch := range sortedChildren(d) {
			if strings.HasPrefix(ch.name, ".") && !all && !almost {
				continue
			}
			names = append(names, ch.name)
			nodes = append(nodes, ch)
		}
		if long {
			c.print("total ", itoa(len(nodes)), "\n")
			for j, n := range nodes {
				c.print(c.s.lsLong(n, names[j]))
			}
		} else if len(names) > 0 {
			c.print(columns(names))
		}
	}
	return st
}

// columns lays names out as ls does on an 80-column terminal.
func columns(names []string) string {
	w := 0
	for _, n := range names {
		w = max(w, len(n))
	}
	w += 2
	per := max(1, 80/w)
	rows := (len(names) + per - 1) / per
	var b strings.Builder
	for r := 0; r < rows; r++ {
		for col := 0; col < per; col++ {
			i := col*rows + r
			if i >= len(names) {
				continue
			}
			if col == per-1 || (col+1)*rows+r >= len(names) {
				b.WriteString(names[i])
			} else {
				b.WriteString(padRight(names[i], w))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// copyNode copies src into dir under name (recursively when rec),
// returning the new node.
func (s *Shell) copyNode(src, dir *node, name string, rec bool, budget *int) (*node, error) {
	*budget--
	if *budget < 0 {
		return nil, errNoSpace
	}
	if old, ok := dir.children[name]; ok {
		if old.isDir() && src.isDir() {
			return old, s.copyChildren(src, old, budget)
		}
		if old.isDir() {
			return nil, errIsDir
		}
		if old.ro {
			return nil, errReadOnly
		}
		s.fs.remove(old)
	}
	kind := src.kind
	if kind == kindDev {
		kind = kindFile
	}
	n, err := s.fs.create(dir, name, kind, src.perm)
	if err != nil {
		return nil, err
	}
	switch src.kind {
	case kindDir:
		if err := s.copyChildren(src, n, budget); err != nil {
			return n, err
		}
	case kindLink:
		n.target = src.target
	default:
		data := src.read()
		if src.sys && src.gen == nil {
			n.data, n.sys = data, true // the image's bytes, shared and not charged
		} else if _, err := s.fs.setData(n, data, false); err != nil {
			s.fs.remove(n)
			return nil, err
		}
	}
	return n, nil
}

func (s *Shell) copyChildren(src, dst *node, budget *int) error {
	if depth(dst) >= maxDepth {
		return errTooLong
	}
	for _, ch := range sortedChildren(src) {
		if _, err := s.copyNode(ch, dst, ch.name, true, budget); err != nil {
			return err
		}
	}
	return nil
}

// recordTree records every file at or under n (after cp or mv).
func (s *Shell) recordTree(n *node, via string, budget int) int {
	if budget <= 0 {
		return 0
	}
	switch n.kind {
	case kindFile:
		if !n.sys {
			n.via = via
			s.recordFile(n)
			budget--
		}
	case kindDir:
		for _, ch := range sortedChildren(n) {
			budget = s.recordTree(ch, via, budget)
		}
	}
	return budget
}

// destFor resolves the destination of cp/mv for src: into dest when dest
// is a directory (or several sources are given).
func (s *Shell) destFor(src, dest string, many bool) (dir *node, name string, err error) {
	dp := abs(s.cwd, dest)
	if d, err := s.fs.lookup(dp, true); err == nil && d.isDir() {
		return d, path.Base(abs(s.cwd, src)), nil
	} else if many {
		return nil, "", errNotDir
	}
	return s.fs.parentOf(dp)
}

func cmdCp(c *call) int {
	s := c.s
	flags, ops := opts(c.args[1:], "")
	rec := has(flags, 'r') || has(flags, 'R') || has(flags, 'a')
	if len(ops) < 2 {
		c.errorf("BusyBox v1.24.1 (2017-03-23 10:05:44 CST) multi-call binary.\n\nUsage: cp [OPTIONS] SOURCE... DEST")
		return 1
	}
	dest := ops[len(ops)-1]
	st := 0
	budget := maxNodes
	for _, src := range ops[:len(ops)-1] {
		sn, err := s.fs.lookup(abs(s.cwd, src), true)
		if err != nil {
			c.errorf("cp: can't stat '", src, "': ", err.Error())
			st = 1
			continue
		}
		if sn.isDir() && !rec {
			c.errorf("cp: omitting directory '", src, "'")
			st = 1
			continue
		}
		dir, name, err := s.destFor(src, dest, len(ops) > 2)
		if err != nil {
			c.errorf("cp: can't create '", dest, "': ", err.Error())
			st = 1
			continue
		}
		if dir.children[name] == sn {
			c.errorf("cp: '", src, "' and '", dest, "' are the same file")
			st = 1
			continue
		}
		n, err := s.copyNode(sn, dir, name, rec, &budget)
		if n != nil {
			s.recordTree(n, "cp", s.lim.Files)
		}
		if err != nil {
			c.errorf("cp: can't create '", path.Join(dir.pathOf(), name), "': ", err.Error())
			st = 1
		}
	}
	return st
}

func cmdMv(c *call) int {
	s := c.s
	_, ops := opts(c.args[1:], "")
	if len(ops) < 2 {
		c.errorf("BusyBox v1.24.1 (2017-03-23 10:05:44 CST) multi-call binary.\n\nUsage: mv [-fin] SOURCE DEST")
		return 1
	}
	dest := ops[len(ops)-1]
	st := 0
	for _, src := range ops[:len(ops)-1] {
		sn, err := s.fs.lookup(abs(s.cwd, src), false)
		if err != nil {
			c.errorf("mv: can't rename '", src, "': ", err.Error())
			st = 1
			continue
		}
		dir, name, err := s.destFor(src, dest, len(ops) > 2)
		if err != nil {
			c.errorf("mv: can't rename '", src, "': ", err.Error())
			st = 1
			continue
		}
		if sn.ro || sn.parent == nil || dir.ro || dir.virtual || sn.virtual {
			c.errorf("mv: can't rename '", src, "': ", errReadOnly.Error())
			st = 1
			continue
		}
		if sn.isDir() {
			for p := dir; p != nil; p = p.parent {
				if p == sn {
					c.errorf("mv: can't rename '", src, "': ", errInvalid.Error())
					st = 1
					break
				}
			}
			if st == 1 {
				continue
			}
		}
		if old, ok := dir.children[name]; ok {
			if old == sn {
				continue
			}
			if old.isDir() {
				c.errorf("mv: can't rename '", src, "': ", errIsDir.Error())
				st = 1
				continue
			}
			s.fs.remove(old)
		}
		delete(sn.parent.children, sn.name)
		sn.name, sn.parent = name, dir
		dir.children[name] = sn
		s.recordTree(sn, "mv", s.lim.Files)
	}
	return st
}

func cmdRm(c *call) int {
	s := c.s
	flags, ops := opts(c.args[1:], "")
	force := has(flags, 'f')
	rec := has(flags, 'r') || has(flags, 'R')
	st := 0
	for _, o := range ops {
		p := abs(s.cwd, o)
		n, err := s.fs.lookup(p, false)
		if err != nil {
			if !force {
				c.errorf("rm: can't remove '", o, "': ", err.Error())
				st = 1
			}
			continue
		}
		if n.isDir() && !rec {
			c.errorf("rm: can't remove '", o, "': ", errIsDir.Error())
			st = 1
			continue
		}
		if err := s.removeTree(n); err != nil {
			c.errorf("rm: can't remove '", o, "': ", err.Error())
			st = 1
		}
	}
	return st
}

// removeTree removes n and what is under it, keeping mount points and
// read-only files (the first error is returned).
func (s *Shell) removeTree(n *node) error {
	if n.parent == nil {
		var first error
		for _, ch := range sortedChildren(n) {
			if err := s.removeTree(ch); err != nil && first == nil {
				first = err
			}
		}
		if first == nil {
			first = errReadOnly
		}
		return first
	}
	if n.virtual || n.parent.virtual {
		return errPerm
	}
	var first error
	if n.isDir() {
		for _, ch := range sortedChildren(n) {
			if err := s.removeTree(ch); err != nil && first == nil {
				first = err
			}
		}
		if isMountPoint(n) {
			if first == nil {
				first = errBusy
			}
			return first
		}
		if len(n.children) > 0 {
			if first == nil {
				first = errNotEmpty
			}
			return first
		}
	}
	if n.parent.ro {
		return errReadOnly
	}
	s.flushNode(n)
	s.fs.remove(n)
	return first
}

// flushNode records a pending file before it disappears.
func (s *Shell) flushNode(n *node) {
	if n.pending {
		s.recordFile(n)
	}
}

func isMountPoint(n *node) bool {
	switch n.pathOf() {
	case "/tmp", "/var", "/dev", "/mnt", "/proc", "/sys", "/dev/pts", "/dev/shm":
		return true
	}
	return false
}

func cmdMkdir(c *call) int {
	s := c.s
	flags, ops := opts(c.args[1:], "m")
	parents := has(flags, 'p')
	st := 0
	for _, o := range ops {
		p := abs(s.cwd, o)
		if parents {
			cur := s.fs.root
			for _, name := range splitPath(p) {
				next, err := s.fs.lookup(path.Join(cur.pathOf(), name), true)
				if err == nil {
					if !next.isDir() {
						c.errorf("mkdir: can't create directory '", o, "': ", errNotDir.Error())
						st = 1
						break
					}
					cur = next
					continue
				}
				if len(name) > maxNameLen {
					c.errorf("mkdir: can't create directory '", o, "': ", errTooLong.Error())
					st = 1
					break
				}
				nn, err := s.fs.create(cur, name, kindDir, 0o755)
				if err != nil {
					c.errorf("mkdir: can't create directory '", o, "': ", err.Error())
					st = 1
					break
				}
				cur = nn
			}
			continue
		}
		if _, err := s.fs.lookup(p, false); err == nil {
			c.errorf("mkdir: can't create directory '", o, "': ", errExist.Error())
			st = 1
			continue
		}
		dir, name, err := s.fs.parentOf(p)
		if err == nil {
			_, err = s.fs.create(dir, name, kindDir, 0o755)
		}
		if err != nil {
			c.errorf("mkdir: can't create directory '", o, "': ", err.Error())
			st = 1
		}
	}
	return st
}

func cmdRmdir(c *call) int {
	s := c.s
	_, ops := opts(c.args[1:], "")
	st := 0
	for _, o := range ops {
		n, err := s.fs.lookup(abs(s.cwd, o), false)
		switch {
		case err != nil:
		case !n.isDir():
			err = errNotDir
		case len(n.children) > 0:
			err = errNotEmpty
		case n.parent == nil || isMountPoint(n):
			err = errBusy
		case n.parent.ro:
			err = errReadOnly
		}
		if err != nil {
			c.errorf("rmdir: '", o, "': ", err.Error())
			st = 1
			continue
		}
		s.fs.remove(n)
	}
	return st
}

// parseMode applies an octal or symbolic chmod mode to old.
func parseMode(m string, old fs.FileMode) (fs.FileMode, bool) {
	if m == "" {
		return old, false
	}
	if v, err := strconv.ParseUint(m, 8, 32); err == nil {
		return fs.FileMode(v) & 0o7777, true
	}
	mode := old
	for _, clause := range strings.Split(m, ",") {
		i := 0
		var who fs.FileMode
		for i < len(clause) && strings.IndexByte("ugoa", clause[i]) >= 0 {
			switch clause[i] {
			case 'u':
				who |= 0o700
			case 'g':
				who |= 0o070
			case 'o':
				who |= 0o007
			case 'a':
				who |= 0o777
			}
			i++
		}
		if who == 0 {
			who = 0o777
		}
		if i >= len(clause) || strings.IndexByte("+-=", clause[i]) < 0 {
			return old, false
		}
		for i < len(clause) && strings.IndexByte("+-=", clause[i]) >= 0 {
			op := clause[i]
			i++
			var bits fs.FileMode
			for i < len(clause) && strings.IndexByte("rwxXst", clause[i]) >= 0 {
				switch clause[i] {
				case 'r':
					bits |= 0o444
				case 'w':
					bits |= 0o222
				case 'x', 'X':
					bits |= 0o111
				}
				i++
			}
			bits &= who
			switch op {
			case '+':
				mode |= bits
			case '-':
				mode &^= bits
			case '=':
				mode = mode&^who | bits
			}
		}
		if i != len(clause) {
			return old, false
		}
	}
	return mode, true
}

func cmdChmod(c *call) int {
	s := c.s
	args := c.args[1:]
	for len(args) > 0 && (args[0] == "-R" || args[0] == "-f" || args[0] == "-v") {
		args = args[1:]
	}
	if len(args) < 2 {
		c.errorf("BusyBox v1.24.1 (2017-03-23 10:05:44 CST) multi-call binary.\n\nUsage: chmod [-Rcvf] MODE[,MODE]... FILE...")
		return 1
	}
	st := 0
	for _, o := range args[1:] {
		n, err := s.fs.lookup(abs(s.cwd, o), true)
		if err != nil {
			c.errorf("chmod: ", o, ": ", err.Error())
			st = 1
			continue
		}
		m, ok := parseMode(args[0], n.perm)
		if !ok {
			c.errorf("chmod: invalid mode '", args[0], "'")
			return 1
		}
		if n.ro || n.virtual {
			c.errorf("chmod: ", o, ": ", errReadOnly.Error())
			st = 1
			continue
		}
		n.perm = m
	}
	return st
}

func cmdChown(c *call) int {
	s := c.s
	_, ops := opts(c.args[1:], "")
	st := 0
	if len(ops) < 2 {
		return 1
	}
	for _, o := range ops[1:] {
		if _, err := s.fs.lookup(abs(s.cwd, o), true); err != nil {
			c.errorf(path.Base(c.args[0]), ": ", o, ": ", err.Error())
			st = 1
		}
	}
	return st
}

func cmdTouch(c *call) int {
	s := c.s
	_, ops := opts(c.args[1:], "rdt")
	st := 0
	for _, o := range ops {
		p := abs(s.cwd, o)
		if n, err := s.fs.lookup(p, true); err == nil {
			n.mtime = s.now()
			continue
		}
		n, created, err := s.fs.openWrite(p)
		if err != nil {
			c.errorf("touch: ", o, ": ", err.Error())
			st = 1
			continue
		}
		if created {
			n.via = "touch"
			s.recordFile(n)
		}
	}
	return st
}

func cmdLn(c *call) int {
	s := c.s
	flags, ops := opts(c.args[1:], "")
	if len(ops) < 1 {
		return 1
	}
	target := ops[0]
	link := path.Base(target)
	if len(ops) > 1 {
		link = ops[1]
	}
	p := abs(s.cwd, link)
	if d, err := s.fs.lookup(p, true); err == nil && d.isDir() {
		p = path.Join(p, path.Base(target))
	}
	if old, err := s.fs.lookup(p, false); err == nil {
		if !has(flags, 'f') {
			c.errorf("ln: ", link, ": ", errExist.Error())
			return 1
		}
		if old.isDir() || old.ro {
			c.errorf("ln: ", link, ": ", errReadOnly.Error())
			return 1
		}
		s.fs.remove(old)
	}
	dir, name, err := s.fs.parentOf(p)
	if err != nil {
		c.errorf("ln: ", link, ": ", err.Error())
		return 1
	}
	if has(flags, 's') {
		if len(target) > maxPathLen {
			c.errorf("ln: ", link, ": ", errTooLong.Error())
			return 1
		}
		n, err := s.fs.create(dir, name, kindLink, 0o777)
		if err != nil {
			c.errorf("ln: ", link, ": ", err.Error())
			return 1
		}
		n.target = target
		return 0
	}
	src, err := s.fs.lookup(abs(s.cwd, target), true)
	if err != nil {
		c.errorf("ln: ", target, ": ", err.Error())
		return 1
	}
	budget := 1
	n, err := s.copyNode(src, dir, name, false, &budget)
	if err != nil {
		c.errorf("ln: ", link, ": ", err.Error())
		return 1
	}
	s.recordTree(n, "cp", 1)
	return 0
}

// parseSize reads a dd size ("52", "1k", "4M", "2x512").
func parseSize(v string) (int64, bool) {
	if v == "" {
		return 0, false
	}
	if a, b, ok := strings.Cut(v, "x"); ok {
		x, ok1 := parseSize(a)
		y, ok2 := parseSize(b)
		if !ok1 || !ok2 || x > 1<<31 || y > 1<<31 {
			return 0, false
		}
		return x * y, true
	}
	mult := int64(1)
	switch v[len(v)-1] {
	case 'c':
		v = v[:len(v)-1]
	case 'w':
		mult, v = 2, v[:len(v)-1]
	case 'b':
		mult, v = 512, v[:len(v)-1]
	case 'k', 'K':
		mult, v = 1024, v[:len(v)-1]
	case 'M':
		mult, v = 1<<20, v[:len(v)-1]
	case 'G':
		mult, v = 1<<30, v[:len(v)-1]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return 0, false
	}
	return n * mult, true
}

func humanBytes(n int64) string {
	switch {
	case n < 1024:
		return itoa(int(n)) + "B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + "KB"
	default:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + "MB"
	}
}

func cmdDd(c *call) int {
	s := c.s
	var ifile, ofile string
	bs, count, skip, seek := int64(512), int64(-1), int64(0), int64(0)
	notrunc := false
	for _, a := range c.args[1:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			c.errorf("dd: invalid argument '", a, "'")
			return 1
		}
		var n int64
		var good = true
		switch k {
		case "if":
			ifile = v
		case "of":
			ofile = v
		case "bs", "ibs", "obs":
			n, good = parseSize(v)
			if good && n > 0 && k != "obs" {
				bs = n
			}
		case "count":
			count, good = parseSize(v)
		case "skip":
			skip, good = parseSize(v)
		case "seek":
			seek, good = parseSize(v)
		case "conv":
			notrunc = strings.Contains(v, "notrunc")
		case "status", "iflag", "oflag":
		default:
			c.errorf("dd: invalid argument '", a, "'")
			return 1
		}
		if !good {
			c.errorf("dd: invalid number '", v, "'")
			return 1
		}
	}
	var in []byte
	if ifile == "" {
		in = c.stdin
	} else {
		n, err := s.fs.lookup(abs(s.cwd, ifile), true)
		if err != nil {
			c.errorf("dd: can't open '", ifile, "': ", err.Error())
			return 1
		}
		if n.isDir() {
			c.errorf("dd: read error: ", errIsDir.Error())
			return 1
		}
		if n.kind == kindDev && (n.dev == devZero || n.dev == devRandom) && count >= 0 {
			// Devices read as much as asked, within what could be stored.
			want := bs * count
			if want > s.fs.limit+1 {
				want = s.fs.limit + 1
			}
			in = make([]byte, want)
			if n.dev == devRandom {
				copy(in, n.read())
			}
		} else {
			in = n.read()
		}
	}
	off := skip * bs
	if off > int64(len(in)) || skip > 1<<31 {
		off = int64(len(in))
	}
	in = in[off:]
	if count >= 0 && count <= 1<<31 && count*bs < int64(len(in)) {
		in = in[:count*bs]
	}
	full := int64(len(in)) / bs
	part := int64(0)
	if int64(len(in))%bs != 0 {
		part = 1
	}
	records := itoa(int(full)) + "+" + itoa(int(part))
	if ofile == "" {
		c.write(in)
	} else {
		p := abs(s.cwd, ofile)
		n, created, err := s.fs.openWrite(p)
		if err != nil {
			c.errorf("dd: can't open '", ofile, "': ", err.Error())
			return 1
		}
		if n.kind != kindDev {
			var data []byte
			start := seek * bs
			if start > s.fs.limit {
				c.errorf("dd: error writing '", ofile, "': ", errNoSpace.Error())
				return 1
			}
			if notrunc || seek > 0 {
				data = append(data, n.data...)
			}
			if int64(len(data)) < start {
				data = append(data, make([]byte, start-int64(len(data)))...)
			}
			end := start + int64(len(in))
			if int64(len(data)) < end {
				data = append(data[:start], in...)
			} else {
				copy(data[start:], in)
			}
			if !notrunc && int64(len(data)) > end {
				data = data[:end]
			}
			changed, err := s.fs.setData(n, data, false)
			if err != nil {
				c.errorf("dd: error writing '", ofile, "': ", err.Error())
				return 1
			}
			if changed || created {
				n.via = "dd"
				s.recordFile(n)
			}
		}
	}
	c.s.write(c.err, []byte(records+" records in\n"+records+" records out\n"+itoa(len(in))+" bytes ("+
		humanBytes(int64(len(in)))+") copied, 0.000"+itoa(100+len(in)%800)+" seconds, "+humanBytes(int64(len(in))*2000)+"/s\n"))
	return 0
}
