package shell

import (
	"errors"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// Bounds of the virtual filesystem, besides its byte budget.
const (
	maxNodes     = 2048 // nodes an attacker may create per session
	maxDepth     = 32   // directory depth
	maxNameLen   = 255
	maxPathLen   = 1024
	maxLinkHops  = 8
	maxDirList   = 4096 // entries a glob or listing considers
	devReadBytes = 64 << 10
)

// Errors of the virtual filesystem, worded as BusyBox prints them.
var (
	errNotFound = errors.New("No such file or directory")
	errNotDir   = errors.New("Not a directory")
	errIsDir    = errors.New("Is a directory")
	errExist    = errors.New("File exists")
	errNoSpace  = errors.New("No space left on device")
	errReadOnly = errors.New("Read-only file system")
	errPerm     = errors.New("Permission denied")
	errNotEmpty = errors.New("Directory not empty")
	errTooLong  = errors.New("File name too long")
	errLoop     = errors.New("Too many symbolic links")
	errInvalid  = errors.New("Invalid argument")
	errBusy     = errors.New("Device or resource busy")
)

type nodeKind uint8

const (
	kindFile nodeKind = iota
	kindDir
	kindLink
	kindDev
)

// devKind says what a device node reads as.
type devKind uint8

const (
	devNull devKind = iota
	devZero
	devRandom
	devTTY
)

// node is a file, directory, symlink or device of the virtual filesystem.
type node struct {
	name     string
	kind     nodeKind
	perm     fs.FileMode
	data     []byte // file content; shared read-only with the image when sys
	target   string // symlink target
	dev      devKind
	gen      func() []byte // generated content (/proc)
	children map[string]*node
	parent   *node
	mtime    time.Time
	// sys: the content is the device image's, unchanged by the attacker
	// (such files, and copies of them, are not recorded).
	sys bool
	// mount flags of the filesystem the node is on
	ro      bool // read-only (the squashfs root)
	virtual bool // proc, sysfs, devpts: nothing can be created
	// recording state
	via      string // how the content last arrived ("echo", "download", ...)
	recorded int    // size when last recorded; -1 when never
	pending  bool   // content changed since it was last recorded
}

// vfs is one session's filesystem.
type vfs struct {
	root  *node
	used  int64 // bytes of attacker content
	limit int64
	nodes int // nodes created by the attacker
	now   func() time.Time
}

func (n *node) isDir() bool { return n.kind == kindDir }

// size returns the node's content length.
func (n *node) size() int {
	switch n.kind {
	case kindFile:
		if n.gen != nil {
			return 0 // /proc files report size 0
		}
		return len(n.data)
	case kindLink:
		return len(n.target)
	case kindDir:
		return 0
	}
	return 0
}

// pathOf returns the absolute path of n.
func (n *node) pathOf() string {
	if n.parent == nil {
		return "/"
	}
	var parts []string
	for p := n; p.parent != nil && len(parts) < maxDepth*2; p = p.parent {
		parts = append(parts, p.name)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return "/" + strings.Join(parts, "/")
}

// abs joins p to cwd and cleans it.
func abs(cwd, p string) string {
	if !strings.HasPrefix(p, "/") {
		p = cwd + "/" + p
	}
	return path.Clean(p)
}

// lookup resolves p (absolute and clean) following symlinks, the last one
// too when follow is set.
func (v *vfs) lookup(p string, follow bool) (*node, error) {
	return v.walk(p, follow, 0)
}

func (v *vfs) walk(p string, follow bool, hops int) (*node, error) {
	if len(p) > maxPathLen {
		return nil, errTooLong
	}
	if hops > maxLinkHops {
		return nil, errLoop
	}
	cur := v.root
	parts := splitPath(p)
	if len(parts) > maxDepth*2 {
		return nil, errTooLong
	}
	for i, name := range parts {
		if !cur.isDir() {
			return nil, errNotDir
		}
		switch name {
		case ".":
			continue
		case "..":
			if cur.parent != nil {
				cur = cur.parent
			}
			continue
		}
		next, ok := cur.children[name]
		if !ok {
			return nil, errNotFound
		}
		last := i == len(parts)-1
		if next.kind == kindLink && (!last || follow) {
			t := next.target
			if !strings.HasPrefix(t, "/") {
				t = cur.pathOf() + "/" + t
			}
			rest := strings.Join(parts[i+1:], "/")
			if rest != "" {
				t += "/" + rest
			}
			return v.walk(path.Clean(t), follow, hops+1)
		}
		cur = next
	}
	return cur, nil
}

func splitPath(p string) []string {
	var parts []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return parts
}

// parentOf resolves the directory that would hold p, and p's last name.
func (v *vfs) parentOf(p string) (*node, string, error) {
	dir, name := path.Split(p)
	if name == "" {
		return nil, "", errIsDir
	}
	if len(name) > maxNameLen {
		return nil, "", errTooLong
	}
	d, err := v.lookup(path.Clean("/"+dir), true)
	if err != nil {
		return nil, "", err
	}
	if !d.isDir() {
		return nil, "", errNotDir
	}
	return d, name, nil
}

// depth returns the number of directories above n.
func depth(n *node) int {
	d := 0
	for p := n; p.parent != nil && d <= maxDepth; p = p.parent {
		d++
	}
	return d
}

// create makes a new node under dir (no existing node by that name).
func (v *vfs) create(dir *node, name string, kind nodeKind, perm fs.FileMode) (*node, error) {
	if dir.virtual {
		return nil, errNotFound
	}
	if dir.ro {
		return nil, errReadOnly
	}
	if v.nodes >= maxNodes || len(dir.children) >= maxDirList {
		return nil, errNoSpace
	}
	if kind == kindDir && depth(dir) >= maxDepth {
		return nil, errTooLong
	}
	n := &node{name: name, kind: kind, perm: perm, parent: dir, mtime: v.now(), ro: dir.ro, recorded: -1}
	if kind == kindDir {
		n.children = map[string]*node{}
	}
	dir.children[name] = n
	v.nodes++
	return n, nil
}

// openWrite returns the file at p for writing, creating it when absent.
// created reports a new file.
func (v *vfs) openWrite(p string) (n *node, created bool, err error) {
	n, err = v.lookup(p, true)
	if err == nil {
		switch {
		case n.kind == kindDir:
			return nil, false, errIsDir
		case n.kind == kindDev:
			return n, false, nil
		case n.virtual || n.gen != nil:
			return nil, false, errPerm
		case n.ro:
			return nil, false, errReadOnly
		}
		return n, false, nil
	}
	if err != errNotFound {
		return nil, false, err
	}
	dir, name, err := v.parentOf(p)
	if err != nil {
		return nil, false, err
	}
	if old, ok := dir.children[name]; ok && old.kind == kindLink {
		return nil, false, errNotFound // dangling symlink
	}
	n, err = v.create(dir, name, kindFile, 0o644)
	return n, err == nil, err
}

// setData replaces n's content (or appends), keeping the byte budget. It
// reports whether the content changed.
func (v *vfs) setData(n *node, b []byte, appendTo bool) (bool, error) {
	if n.kind == kindDev {
		return false, nil
	}
	oldLen := int64(len(n.data))
	if n.sys {
		oldLen = 0 // image bytes are not charged
	}
	newLen := int64(len(b))
	if appendTo {
		newLen += int64(len(n.data))
	}
	if v.used-oldLen+newLen > v.limit {
		return false, errNoSpace
	}
	if appendTo {
		if len(b) == 0 {
			return false, nil
		}
		if n.sys {
			n.data = append(append(make([]byte, 0, len(n.data)+len(b)), n.data...), b...)
		} else {
			n.data = append(n.data, b...)
		}
	} else {
		if !n.sys && string(n.data) == string(b) && n.recorded >= 0 {
			return false, nil
		}
		n.data = append([]byte(nil), b...)
	}
	v.used += newLen - oldLen
	n.sys = false
	n.mtime = v.now()
	return true, nil
}

// remove unlinks n from its directory (recursively for a directory).
func (v *vfs) remove(n *node) {
	if n.parent == nil {
		return
	}
	v.release(n)
	delete(n.parent.children, n.name)
}

func (v *vfs) release(n *node) {
	if !n.sys && n.kind == kindFile {
		v.used -= int64(len(n.data))
	}
	if v.nodes > 0 {
		v.nodes--
	}
	for _, c := range n.children {
		v.release(c)
	}
}

// sortedChildren returns dir's entries by name.
func sortedChildren(dir *node) []*node {
	out := make([]*node, 0, len(dir.children))
	for _, c := range dir.children {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// read returns n's content (bounded for devices).
func (n *node) read() []byte {
	switch {
	case n.gen != nil:
		return n.gen()
	case n.kind == kindDev:
		switch n.dev {
		case devZero:
			return make([]byte, devReadBytes)
		case devRandom:
			b := make([]byte, devReadBytes)
			x := uint32(0x9e3779b9)
			for i := range b {
				x ^= x << 13
				x ^= x >> 17
				x ^= x << 5
				b[i] = byte(x)
			}
			return b
		}
		return nil
	}
	return n.data
}
