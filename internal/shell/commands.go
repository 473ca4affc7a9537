package shell

import (
	"path"
	"sort"
	"strings"
)

// cmdFunc runs one command and returns its exit status.
type cmdFunc func(c *call) int

var (
	// builtins are the shell's own commands (always there).
	builtins map[string]cmdFunc
	// applets are the BusyBox applets emulated; other applets of the image
	// answer like a command that did nothing.
	applets map[string]cmdFunc
	// allApplets is every applet the image links to /bin/busybox.
	allApplets map[string]bool
)

func init() {
	builtins = map[string]cmdFunc{
		"cd": cmdCd, "pwd": cmdPwd, "exit": cmdExit, "logout": cmdExit, "export": cmdExport, "unset": cmdUnset,
		"set": cmdSet, "history": cmdHistory, "echo": cmdEcho, "printf": cmdPrintf, ":": cmdTrue, "true": cmdTrue,
		"false": cmdFalse, "test": cmdTest, "[": cmdTest, "[[": cmdTest, "type": cmdType, "command": cmdCommand,
		"eval": cmdEval, "exec": cmdExec, ".": cmdSource, "source": cmdSource, "read": cmdRead, "ulimit": cmdTrue,
		"umask": cmdUmask, "trap": cmdTrue, "wait": cmdTrue, "jobs": cmdTrue, "shift": cmdTrue, "return": cmdTrue,
		"break": cmdTrue, "continue": cmdTrue, "local": cmdExport, "alias": cmdTrue, "unalias": cmdTrue,
		"hash": cmdTrue, "let": cmdTrue, "kill": cmdKill, "enable": cmdTrue, "system": cmdTrue, "shell": cmdTrue,
		"linuxshell": cmdTrue, "help": cmdHelp,
	}
	applets = map[string]cmdFunc{
		"busybox": cmdBusybox, "sh": cmdSh, "ash": cmdSh, "bash": cmdSh, "su": cmdTrue, "cat": cmdCat,
		"ls": cmdLs, "cp": cmdCp, "mv": cmdMv, "rm": cmdRm, "mkdir": cmdMkdir, "rmdir": cmdRmdir,
		"chmod": cmdChmod, "chown": cmdChown, "chgrp": cmdChown, "touch": cmdTouch, "ln": cmdLn, "dd": cmdDd,
		"ps": cmdPs, "kill": cmdKill, "killall": cmdKillall, "pkill": cmdKillall, "uname": cmdUname, "id": cmdId,
		"whoami": cmdWhoami, "nproc": cmdNproc, "free": cmdFree, "w": cmdW, "uptime": cmdUptime,
		"hostname": cmdHostname, "wget": cmdWget, "curl": cmdCurl, "tftp": cmdTftp, "ftpget": cmdFtpget,
		"echo": cmdEcho, "printf": cmdPrintf, "grep": cmdGrep, "egrep": cmdGrep, "fgrep": cmdGrep,
		"head": cmdHead, "tail": cmdTail, "wc": cmdWc, "sort": cmdSort, "uniq": cmdUniq, "base64": cmdBase64,
		"tee": cmdTee, "more": cmdCat, "less": cmdCat, "which": cmdWhich, "sleep": cmdTrue, "sync": cmdTrue,
		"true": cmdTrue, "false": cmdFalse, "test": cmdTest, "[": cmdTest, "[[": cmdTest, "date": cmdDate,
		"df": cmdDf, "mount": cmdMount, "ifconfig": cmdIfconfig, "netstat": cmdNetstat, "pidof": cmdPidof,
		"env": cmdEnv, "basename": cmdBasename, "dirname": cmdDirname, "md5sum": cmdMd5sum, "yes": cmdTrue,
		"nohup": cmdNohup, "dmesg": cmdTrue, "reboot": cmdTrue, "halt": cmdTrue, "poweroff": cmdTrue,
		"seq": cmdSeq, "tr": cmdTr, "cut": cmdCut, "top": cmdPs, "login": cmdTrue, "stty": cmdTrue,
	}
	allApplets = map[string]bool{"busybox": true}
	for _, l := range [][]string{appletsBin, appletsSbin, appletsUsrBin, appletsUsrSbin} {
		for _, a := range l {
			allApplets[a] = true
		}
	}
	// curl is not a BusyBox applet, but devices that have it answer as
	// curl does; the emulation has it in /usr/bin.
	allApplets["curl"] = true
}

// resolution is what a command name refers to.
type resolution struct {
	builtin cmdFunc
	applet  string // BusyBox applet name
	file    *node  // an attacker's file to "execute"
	isDir   bool
	found   bool
}

// resolve finds what name runs.
func (s *Shell) resolve(name string) resolution {
	if name == "" {
		return resolution{}
	}
	if !strings.Contains(name, "/") {
		if f, ok := builtins[name]; ok {
			return resolution{builtin: f, found: true}
		}
		if name == "curl" && !s.missing["curl"] {
			return resolution{applet: "curl", found: true}
		}
		for _, d := range strings.Split(s.vars["PATH"], ":") {
			if d == "" || len(d) > maxPathLen {
				continue
			}
			if r := s.resolvePath(abs(s.cwd, d+"/"+name), name); r.found && !r.isDir {
				return r
			}
		}
		return resolution{}
	}
	return s.resolvePath(abs(s.cwd, name), path.Base(name))
}

func (s *Shell) resolvePath(p, base string) resolution {
	n, err := s.fs.lookup(p, true)
	if err != nil {
		return resolution{}
	}
	if n.isDir() {
		return resolution{isDir: true, found: true}
	}
	if n.kind == kindFile && n.sys && n.gen == nil && len(n.data) > 0 && &n.data[0] == &s.bb[0] {
		if base == "busybox" || !allApplets[base] || s.missing[base] {
			return resolution{applet: "busybox", found: true}
		}
		return resolution{applet: base, found: true}
	}
	return resolution{file: n, found: true}
}

// knownCommand reports whether the emulation knows args[0].
func (s *Shell) knownCommand(args []string) bool {
	r := s.resolve(args[0])
	switch {
	case r.builtin != nil, r.file != nil:
		return true
	case r.applet == "busybox":
		if len(args) < 2 || !allApplets[args[1]] || s.missing[args[1]] {
			return true // help, --list, or the "applet not found" probe
		}
		_, ok := applets[args[1]]
		return ok
	case r.applet != "":
		_, ok := applets[r.applet]
		return ok
	}
	return false
}

// dispatch runs a call.
func (s *Shell) dispatch(c *call) int {
	name := c.args[0]
	r := s.resolve(name)
	switch {
	case r.builtin != nil:
		return r.builtin(c)
	case r.applet == "busybox" && path.Base(name) != "busybox" && allApplets[path.Base(name)]:
		// a link to busybox for an applet the device lacks
		c.errorf("sh: ", name, ": not found")
		return 127
	case r.applet != "":
		return s.runApplet(c, r.applet)
	case r.isDir:
		c.errorf("sh: ", name, ": Permission denied")
		return 126
	case r.file != nil:
		return s.execFile(c, r.file)
	}
	c.errorf("sh: ", name, ": not found")
	return 127
}

// runApplet runs a BusyBox applet.
func (s *Shell) runApplet(c *call, name string) int {
	if f, ok := applets[name]; ok {
		return f(c)
	}
	return 0 // an applet of the image the emulation does not model: silent success
}

// execFile answers running an attacker's file. Nothing is executed: an
// ELF for the device's CPU "starts" (it is listed by ps) and prints
// nothing, an ELF for another CPU fails as ash reports it, a truncated ELF
// crashes.
func (s *Shell) execFile(c *call, n *node) int {
	name := c.args[0]
	if n.kind == kindDev {
		c.errorf("sh: ", name, ": Permission denied")
		return 126
	}
	if n.perm&0o111 == 0 {
		c.errorf("sh: ", name, ": Permission denied")
		return 126
	}
	s.recordFileIfPending(n)
	data := n.read()
	class, _, machine, isELF := elfMachine(data)
	if isELF {
		if class != s.arch.class || machine != s.arch.machine || data[5] != s.arch.data {
			c.errorf(name, ": line 1: syntax error: unexpected word (expecting \")\")")
			return 2
		}
		if len(data) < 1024 {
			c.errorf("Segmentation fault")
			return 139
		}
		s.startProc(strings.Join(c.args, " "))
		return 0
	}
	return 0
}

func (s *Shell) recordFileIfPending(n *node) {
	if n.pending {
		s.recordFile(n)
	}
}

// startProc adds an emulated process (bounded).
func (s *Shell) startProc(cmd string) int {
	pid := s.nextPID
	s.nextPID++
	if len(cmd) > 128 {
		cmd = cmd[:128]
	}
	if len(s.procs) < maxProcs {
		s.procs = append(s.procs, proc{pid: pid, vsz: 1200 + len(cmd)*8, stat: "S", cmd: cmd})
	}
	return pid
}

// ---- shell builtins ----

func cmdTrue(c *call) int  { return 0 }
func cmdFalse(c *call) int { return 1 }

func cmdCd(c *call) int {
	s := c.s
	target := s.vars["HOME"]
	if len(c.args) > 1 {
		target = c.args[1]
		if target == "-" {
			target = s.vars["OLDPWD"]
			if target == "" {
				target = s.cwd
			}
		}
	}
	if target == "" {
		target = "/"
	}
	if target == "~" || strings.HasPrefix(target, "~/") {
		target = s.vars["HOME"] + target[1:]
	}
	p := abs(s.cwd, target)
	n, err := s.fs.lookup(p, true)
	if err != nil {
		c.errorf("sh: cd: can't cd to ", target, ": ", err.Error())
		return 2
	}
	if !n.isDir() {
		c.errorf("sh: cd: can't cd to ", target, ": ", errNotDir.Error())
		return 2
	}
	s.setVar("OLDPWD", s.cwd)
	s.cwd = n.pathOf()
	return 0
}

func cmdPwd(c *call) int {
	c.print(c.s.cwd, "\n")
	return 0
}

func cmdExit(c *call) int {
	c.s.exitReason = ReasonExit
	return 0
}

func cmdExport(c *call) int {
	for _, a := range c.args[1:] {
		if k, v, ok := strings.Cut(a, "="); ok && isAssignment(a) {
			c.s.setVar(k, v)
		}
	}
	return 0
}

func cmdUnset(c *call) int {
	for _, a := range c.args[1:] {
		if a != "PATH" {
			delete(c.s.vars, a)
		}
	}
	return 0
}

func cmdSet(c *call) int {
	if len(c.args) > 1 {
		return 0
	}
	return cmdEnv(c)
}

func cmdEnv(c *call) int {
	keys := make([]string, 0, len(c.s.vars))
	for k := range c.s.vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c.print(k, "=", c.s.vars[k], "\n")
	}
	return 0
}

func cmdHistory(c *call) int {
	s := c.s
	if len(c.args) > 1 && strings.HasPrefix(c.args[1], "-c") {
		s.history = s.history[:0]
		return 0
	}
	for i, h := range s.history {
		c.print(pad(itoa(i+1), 5), "  ", h, "\n")
	}
	return 0
}

func cmdHelp(c *call) int {
	c.print("Built-in commands:\n------------------\n\t. : [ [[ alias bg break cd chdir command continue echo eval exec\n",
		"\texit export false fg getopts hash help history jobs kill let\n\tlocal printf pwd read readonly return set shift source test times\n",
		"\ttrap true type ulimit umask unalias unset wait\n\n")
	return 0
}

func cmdUmask(c *call) int {
	if len(c.args) == 1 {
		c.print("0022\n")
	}
	return 0
}

func cmdType(c *call) int {
	st := 0
	for _, a := range c.args[1:] {
		r := c.s.resolve(a)
		switch {
		case r.builtin != nil:
			c.print(a, " is a shell builtin\n")
		case r.found && !r.isDir:
			c.print(a, " is ", c.s.whichPath(a), "\n")
		default:
			c.print(a, ": not found\n")
			st = 1
		}
	}
	return st
}

func cmdCommand(c *call) int {
	args := c.args[1:]
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		if args[0] == "-v" || args[0] == "-V" {
			st := 0
			for _, a := range args[1:] {
				if p := c.s.whichPath(a); p != "" {
					c.print(p, "\n")
				} else if builtins[a] != nil {
					c.print(a, "\n")
				} else {
					st = 1
				}
			}
			return st
		}
		args = args[1:]
	}
	if len(args) == 0 {
		return 0
	}
	c.args = args
	return c.s.dispatch(c)
}

// whichPath returns the path a PATH search finds for name ("" if none).
func (s *Shell) whichPath(name string) string {
	if strings.Contains(name, "/") {
		if r := s.resolve(name); r.found && !r.isDir {
			return name
		}
		return ""
	}
	if name == "curl" && !s.missing["curl"] {
		return "/usr/bin/curl"
	}
	for _, d := range strings.Split(s.vars["PATH"], ":") {
		if d == "" || len(d) > maxPathLen {
			continue
		}
		p := abs(s.cwd, d+"/"+name)
		if r := s.resolvePath(p, name); r.found && !r.isDir {
			if r.applet == "busybox" && name != "busybox" {
				continue
			}
			return p
		}
	}
	return ""
}

// runNested runs text as a line (sh -c, eval), bounded in depth.
func (s *Shell) runNested(c *call, text string) int {
	if s.depth >= maxShDepth {
		c.errorf("sh: out of memory")
		return 2
	}
	s.depth++
	defer func() { s.depth-- }()
	s.runList(parseLine(text), c.stdin, c.out)
	return s.status
}

func cmdEval(c *call) int {
	return c.s.runNested(c, strings.Join(c.args[1:], " "))
}

func cmdExec(c *call) int {
	if len(c.args) < 2 {
		return 0
	}
	c.args = c.args[1:]
	return c.s.dispatch(c)
}

func cmdSource(c *call) int {
	if len(c.args) < 2 {
		c.errorf("sh: .: filename argument required")
		return 2
	}
	n, err := c.s.fs.lookup(abs(c.s.cwd, c.args[1]), true)
	if err != nil || n.isDir() {
		c.errorf("sh: .: can't open '", c.args[1], "'")
		return 2
	}
	c.s.recordFileIfPending(n)
	return 0 // scripts are never interpreted
}

func cmdRead(c *call) int {
	if len(c.stdin) == 0 {
		return 1
	}
	line, _, _ := strings.Cut(string(c.stdin), "\n")
	names := []string{}
	for _, a := range c.args[1:] {
		if !strings.HasPrefix(a, "-") {
			names = append(names, a)
		}
	}
	if len(names) > 0 {
		c.s.setVar(names[0], line)
	}
	return 0
}

// cmdSh answers sh, ash and bash: with no operand it stays in the same
// shell (the Mirai escape chain); "-c TEXT" runs TEXT; a script operand is
// never interpreted.
func cmdSh(c *call) int {
	args := c.args[1:]
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		if args[0] == "-c" || strings.HasPrefix(args[0], "-") && strings.Contains(args[0], "c") && len(args[0]) <= 4 {
			if len(args) < 2 {
				c.errorf("sh: -c requires an argument")
				return 2
			}
			return c.s.runNested(c, args[1])
		}
		args = args[1:]
	}
	if len(args) == 0 {
		return 0
	}
	p := abs(c.s.cwd, args[0])
	n, err := c.s.fs.lookup(p, true)
	if err != nil {
		c.errorf(c.args[0], ": can't open '", args[0], "': ", err.Error())
		return 2
	}
	if n.isDir() {
		c.errorf(c.args[0], ": can't open '", args[0], "': ", errIsDir.Error())
		return 2
	}
	c.s.recordFileIfPending(n)
	if _, _, _, isELF := elfMachine(n.read()); isELF {
		c.errorf(args[0], ": line 1: syntax error: unexpected word (expecting \")\")")
		return 2
	}
	return 0
}

// cmdBusybox answers /bin/busybox: an applet runs, an unknown name (the
// bots' random upper-case token) is "applet not found".
func cmdBusybox(c *call) int {
	s := c.s
	if len(c.args) < 2 {
		c.print(busyboxVersion[:strings.Index(busyboxVersion, " multi")], " multi-call binary.\n",
			"BusyBox is copyrighted by many authors between 1998-2015.\nLicensed under GPLv2.\n",
			"See source distribution for detailed copyright notices.\n\n",
			"Usage: busybox [function [arguments]...]\n   or: busybox --list[-full]\n   or: busybox --install [-s] [DIR]\n",
			"   or: function [arguments]...\n\n\tBusyBox is a multi-call binary that combines many common Unix\n",
			"\tutilities into a single executable.  Most people will create a\n\tlink to busybox for each function they wish to use and BusyBox\n",
			"\twill act like whatever it was invoked as.\n\nCurrently defined functions:\n")
		c.print(wrapList(s.appletNames(), "\t", 70))
		return 0
	}
	name := c.args[1]
	switch name {
	case "--list", "--list-full":
		for _, a := range s.appletNames() {
			c.print(a, "\n")
		}
		return 0
	case "--help":
		c.args = c.args[:1]
		return cmdBusybox(c)
	}
	if !allApplets[name] || s.missing[name] {
		c.errorf(name, ": applet not found")
		return 127
	}
	c.args = c.args[1:]
	return s.runApplet(c, name)
}

func (s *Shell) appletNames() []string {
	var out []string
	for a := range allApplets {
		if !s.missing[a] && a != "curl" {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

func wrapList(items []string, indent string, width int) string {
	var b strings.Builder
	line := indent
	for i, it := range items {
		sep := ", "
		if i == len(items)-1 {
			sep = ""
		}
		if len(line)+len(it)+len(sep) > width && line != indent {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		line += it + sep
	}
	b.WriteString(line + "\n")
	return b.String()
}
