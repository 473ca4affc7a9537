// Package shell emulates the BusyBox shell of an IoT device for the
// honeypot's telnet and SSH sessions: a per-session virtual filesystem and
// the commands bots and loaders use. Nothing an attacker sends is executed:
// every command is interpreted here, on bounded in-memory state, and
// downloads are answered with placeholder content without any network
// access.
//
// What a session does is written to its session.Recorder: every simple
// command (each part of a chain) with the exploit pattern it matched, every
// URL (the downloads wget, curl, tftp and ftpget were asked for, and URLs
// seen anywhere else in a command), and every file the attacker created or
// changed in the virtual filesystem (so an ELF uploaded in echo -ne chunks
// ends as one file, with its SHA-256 and type).
package shell

import (
	"hash/fnv"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/session"
)

// Config configures one session's shell.
type Config struct {
	Arch     string // emulated CPU: "arm", "arm7", "mips", "mipsel", "x86", "x86_64", ... (default "arm7"); see Arches
	Hostname string // prompt host name (default "localhost")
	User     string // logged-in user (default "root")
	FSBytes  int64  // virtual filesystem bytes (default: the recorder's Limits.FSBytes, else 8 MiB)
	// Missing names BusyBox applets the device does not have ("wget",
	// "tftp"): "/bin/busybox wget" answers "wget: applet not found" and
	// loaders fall back to other upload methods (tftp, echo).
	Missing []string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Bounds of one line's work.
const (
	maxCmdOutput  = 64 << 10  // bytes a command may print
	maxLineOutput = 256 << 10 // bytes one line may print
	maxShDepth    = 4         // nested sh -c / eval
	maxVars       = 64
	maxVarLen     = 4 << 10
	maxHistory    = 200
	maxProcs      = 32
	maxURLsSeen   = 512
	smallRecord   = 4 << 10 // files up to this size are recorded on every change
)

// Exit reasons (see ExitReason).
const (
	ReasonExit     = "exit"
	ReasonCommands = "commands"
)

// proc is an emulated process shown by ps.
type proc struct {
	pid  int
	vsz  int
	stat string
	cmd  string
}

// Shell is one session's emulated shell. It is not safe for concurrent use.
type Shell struct {
	cfg      Config
	rec      *session.Recorder
	lim      session.Limits
	arch     *archInfo
	bb       []byte // the image's /bin/busybox
	hostname string
	user     string
	now      func() time.Time
	boot     time.Time
	matcher  classify.ExploitMatcher
	missing  map[string]bool

	fs      *vfs
	cwd     string
	vars    map[string]string
	status  int
	history []string
	procs   []proc
	nextPID int

	exitReason string
	urlSeen    map[string]bool
	pending    map[*node]bool
	// samplePaths are the paths whose recorded content is a sample.
	samplePaths map[string]bool
	depth       int // sh -c nesting

	term    []byte // what the current line prints
	termCut bool
}

// New returns a shell recording into rec (nil: nothing recorded).
func New(cfg Config, rec *session.Recorder) *Shell {
	s := &Shell{cfg: cfg, rec: rec, matcher: classify.NewBuiltinExploits()}
	if rec != nil {
		s.lim = rec.Limits()
	} else {
		s.lim = session.DefaultLimits()
	}
	s.arch = lookupArch(cfg.Arch)
	s.bb = busyboxImage(s.arch)
	s.hostname = sanitizeName(cfg.Hostname, "localhost")
	s.user = sanitizeName(cfg.User, "root")
	s.now = cfg.Now
	if s.now == nil {
		s.now = time.Now
	}
	h := fnv.New32a()
	h.Write([]byte(s.hostname + s.arch.name))
	s.boot = s.now().Add(-time.Duration(3600*24*3+h.Sum32()%(3600*24*40)) * time.Second)
	s.missing = map[string]bool{}
	for _, m := range cfg.Missing {
		s.missing[m] = true
	}
	limit := cfg.FSBytes
	if limit <= 0 {
		limit = s.lim.FSBytes
	}
	if limit <= 0 {
		limit = 8 << 20
	}
	s.nextPID = 1300 + int(h.Sum32()%400)
	s.fs = &vfs{limit: limit, now: s.now}
	s.fs.root = s.buildImage(s.missing)
	s.cwd = "/"
	if s.user != "root" {
		s.cwd = "/tmp"
	}
	s.vars = map[string]string{
		"PATH": "/bin:/sbin:/usr/bin:/usr/sbin", "HOME": "/root", "SHELL": "/bin/sh",
		"USER": s.user, "LOGNAME": s.user, "TERM": "vt100", "PWD": s.cwd, "HOSTNAME": s.hostname, "PS1": "\\u@\\h:\\w\\$ ",
	}
	s.urlSeen = map[string]bool{}
	s.pending = map[*node]bool{}
	s.samplePaths = map[string]bool{}
	return s
}

// sanitizeName keeps a configured name printable and short.
func sanitizeName(v, def string) string {
	var b strings.Builder
	for i := 0; i < len(v) && b.Len() < 64; i++ {
		c := v[i]
		if c > ' ' && c < 0x7f && c != '/' {
			b.WriteByte(c)
		}
	}
	if b.Len() == 0 {
		return def
	}
	return b.String()
}

// Prompt returns the prompt to print before reading a line, BusyBox's
// "user@host:cwd# " ("$ " for a user other than root).
func (s *Shell) Prompt() string {
	cwd := s.cwd
	if home := s.vars["HOME"]; home != "" && (cwd == home || strings.HasPrefix(cwd, home+"/")) {
		cwd = "~" + cwd[len(home):]
	}
	end := "# "
	if s.user != "root" {
		end = "$ "
	}
	return s.user + "@" + s.hostname + ":" + cwd + end
}

// Arch returns the emulated architecture's canonical name.
func (s *Shell) Arch() string { return s.arch.name }

// Cwd returns the current directory.
func (s *Shell) Cwd() string { return s.cwd }

// ExitReason says why Run last returned exit: ReasonExit (exit, logout)
// or ReasonCommands (the session's command limit); "" while the session
// goes on.
func (s *Shell) ExitReason() string { return s.exitReason }

// Close records the files whose last changes were not recorded yet (large
// uploads written in many appends are recorded as they settle, not at
// every chunk). The front end calls it when the session ends, however it
// ends.
func (s *Shell) Close() { s.flushPending() }

// Run interprets one input line (it may chain commands with ; && || |),
// records each command, and returns what the device prints. exit is true
// when the line ends the session (exit, logout) or the session's command
// limit was reached (the caller closes with reason ExitReason()).
func (s *Shell) Run(line string) (output []byte, exit bool) {
	if s.exitReason != "" {
		return nil, true
	}
	if s.lim.Line > 0 && len(line) > s.lim.Line {
		line = line[:s.lim.Line]
	}
	line = strings.TrimRight(line, "\r\n")
	s.term, s.termCut = nil, false
	if strings.TrimSpace(line) != "" {
		if len(s.history) >= maxHistory {
			s.history = append(s.history[:0], s.history[1:]...)
		}
		s.history = append(s.history, line)
	}
	l := parseLine(line)
	s.runList(l, nil, s.terminal())
	if s.exitReason != "" {
		s.flushPending()
	}
	return s.term, s.exitReason != ""
}

// printTerm appends b to the line's output, bounded.
func (s *Shell) printTerm(b []byte) {
	room := maxLineOutput - len(s.term)
	if room <= 0 {
		s.termCut = true
		return
	}
	if len(b) > room {
		b = b[:room]
		s.termCut = true
	}
	s.term = append(s.term, b...)
}

// stopped reports whether the line must stop running (exit or limits).
func (s *Shell) stopped() bool { return s.exitReason != "" }

// uptime returns the time since the emulated boot.
func (s *Shell) uptime() time.Duration { return s.now().Sub(s.boot) }

// ---- recording ----

// recordCommand records one simple command; false when the session's
// command limit is reached (the session then ends).
func (s *Shell) recordCommand(raw, context string, known bool) bool {
	if s.rec == nil {
		return true
	}
	c := session.Command{Input: raw, Known: known}
	if id := s.matcher.Match([]byte(raw)); id >= 0 {
		name, _ := s.matcher.Pattern(id)
		c.Patterns = []string{name}
	} else if context != "" && context != raw {
		if id := s.matcher.Match([]byte(context)); id >= 0 {
			name, _ := s.matcher.Pattern(id)
			c.Patterns = []string{name}
		}
	}
	if !s.rec.Command(c) {
		s.exitReason = ReasonCommands
		return false
	}
	return true
}

// recordURL records a URL once per (URL, via, target).
func (s *Shell) recordURL(u, via, target string) {
	if s.rec == nil || u == "" {
		return
	}
	key := u + "\x00" + via + "\x00" + target
	if s.urlSeen[key] || len(s.urlSeen) >= maxURLsSeen {
		return
	}
	s.urlSeen[key] = true
	s.urlSeen[u+"\x00"] = true // any via: not again as "command"
	s.rec.URL(session.URL{URL: u, Via: via, Target: target})
}

// recordTextURLs records the URLs in a command's text not already
// recorded by a download.
func (s *Shell) recordTextURLs(raw string) {
	for _, u := range findURLs(raw) {
		if !s.urlSeen[u+"\x00"] {
			s.recordURL(u, "command", "")
		}
	}
}

// noteWrite records a changed file. Appends to a large file are recorded
// when the file settles (it is used, or the session ends) or has doubled
// since it was last recorded, so a chunked upload costs linear time.
func (s *Shell) noteWrite(n *node, via string, appendOnly bool) {
	if n.kind != kindFile || n.sys {
		return
	}
	if via != "" && (n.via == "" || !appendOnly) {
		n.via = via
	}
	if appendOnly && len(n.data) > smallRecord && n.recorded > 0 && len(n.data) < 2*n.recorded {
		n.pending = true
		s.pending[n] = true
		return
	}
	s.recordFile(n)
}

// recordFile records n's content. Two changes are not recorded, so a
// session's record keeps the evidence: an empty file (nothing arrived; a
// chunked upload is recorded from its first bytes), and content that would
// replace a recorded sample (ELF or script) with something that is not one
// (a cleanup such as "> dvrHelper" or a later download placeholder).
func (s *Shell) recordFile(n *node) {
	n.pending = false
	delete(s.pending, n)
	n.recorded = len(n.data)
	if s.rec == nil || len(n.data) == 0 {
		return
	}
	p := n.pathOf()
	sample := session.IsSample(session.FileType(n.data))
	if s.samplePaths[p] && !sample {
		return
	}
	if sample && len(s.samplePaths) < maxURLsSeen {
		s.samplePaths[p] = true
	}
	via := n.via
	if via == "" {
		via = "redirect"
	}
	s.rec.File(p, via, n.data)
}

// settle records the pending files at or under the paths a command names.
func (s *Shell) settle(paths []string) {
	if len(s.pending) == 0 {
		return
	}
	for n := range s.pending {
		p := n.pathOf()
		for _, a := range paths {
			if a == p || strings.HasPrefix(p, strings.TrimSuffix(a, "/")+"/") {
				s.recordFile(n)
				break
			}
		}
	}
}

func (s *Shell) flushPending() {
	for n := range s.pending {
		s.recordFile(n)
	}
}

// findURLs returns the URLs in text (http, https, ftp, tftp), bounded.
func findURLs(text string) []string {
	var out []string
	for i := 0; i < len(text) && len(out) < 32; {
		j := strings.Index(text[i:], "://")
		if j < 0 {
			break
		}
		j += i
		k := j
		for k > 0 && isSchemeByte(text[k-1]) {
			k--
		}
		scheme := strings.ToLower(text[k:j])
		end := j + 3
		for end < len(text) && isURLByte(text[end]) {
			end++
		}
		switch scheme {
		case "http", "https", "ftp", "tftp":
			u := strings.TrimRight(text[k:end], ".,;:)]}'\"")
			if len(u) > len(scheme)+3 {
				out = append(out, u)
			}
		}
		i = end
		if i <= j {
			i = j + 3
		}
	}
	return out
}

func isSchemeByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isURLByte(c byte) bool {
	return c > ' ' && c < 0x7f && strings.IndexByte("'\"`<>|;&(){}\\", c) < 0
}
