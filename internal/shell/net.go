package shell

import (
	"hash/fnv"
	"net/netip"
	"path"
	"strconv"
	"strings"
)

// Downloads. The honeypot never fetches anything: wget, curl, tftp and
// ftpget record the URL and the target file, answer like a finished
// download and leave placeholder content in the virtual filesystem.

// PlaceholderPrefix starts the content of every file a download "created"
// (the placeholder is never a sample: it is neither ELF nor a script).
const PlaceholderPrefix = "#honeyscope-placeholder: not downloaded: "

func placeholder(u string) []byte {
	return []byte(PlaceholderPrefix + u + "\n")
}

// hostOf returns the host and port of a URL.
func hostOf(u string, defPort int) (host string, port int) {
	rest := u
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	host, port = rest, defPort
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		if p, err := strconv.Atoi(rest[i+1:]); err == nil && p > 0 && p < 65536 {
			host, port = rest[:i], p
		}
	}
	return strings.Trim(host, "[]"), port
}

// fakeIP returns the address a name "resolves" to: the name itself when it
// is an address, else a stable made-up public address.
func fakeIP(host string) string {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.String()
	}
	h := fnv.New32a()
	h.Write([]byte(host))
	v := h.Sum32()
	return itoa(int(45+v%150)) + "." + itoa(int(v>>8&0xff)) + "." + itoa(int(v>>16&0xff)) + "." + itoa(int(1+v>>24%253))
}

// remoteName is the file name a URL downloads to.
func remoteName(u string) string {
	rest := u
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return "index.html"
	}
	b := path.Base(rest[i:])
	if b == "/" || b == "." || b == "" {
		return "index.html"
	}
	return b
}

// normURL adds http:// to a URL given without a scheme.
func normURL(u, scheme string) string {
	if strings.Contains(u, "://") {
		return u
	}
	return scheme + "://" + u
}

// saveDownload creates target with placeholder content for u and records
// the URL; it returns the content size.
func (c *call) saveDownload(u, via, target string) (int, error) {
	s := c.s
	p := abs(s.cwd, target)
	n, _, err := s.fs.openWrite(p)
	if err != nil {
		s.recordURL(u, via, p)
		return 0, err
	}
	data := placeholder(u)
	if n.kind != kindDev {
		if _, err := s.fs.setData(n, data, false); err != nil {
			s.recordURL(u, via, p)
			return 0, err
		}
		n.via = "download"
		s.recordFile(n)
	}
	s.recordURL(u, via, p)
	return len(data), nil
}

// streamDownload writes placeholder content for u to standard output.
func (c *call) streamDownload(u, via string) int {
	data := placeholder(u)
	c.via = "download"
	target := ""
	if c.out.kind == sinkFile && c.out.n != nil {
		target = c.out.n.pathOf()
	}
	c.s.recordURL(u, via, target)
	c.write(data)
	return len(data)
}

func progressLine(name string, size int) string {
	if len(name) > 20 {
		name = name[:20]
	}
	return padRight(name, 20) + " 100% |" + strings.Repeat("*", 31) + "| " + pad(humanKB(size), 5) + "  0:00:00 ETA\n"
}

func humanKB(n int) string {
	if n < 1024 {
		return itoa(n)
	}
	return itoa(n/1024) + "k"
}

func cmdWget(c *call) int {
	args := c.args[1:]
	var urls []string
	out, dir := "", ""
	quiet := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case a == "-O" || a == "--output-document":
			out = val()
		case strings.HasPrefix(a, "-O") && len(a) > 2:
			out = a[2:]
		case strings.HasPrefix(a, "--output-document="):
			out = a[len("--output-document="):]
		case a == "-P" || a == "--directory-prefix":
			dir = val()
		case strings.HasPrefix(a, "--directory-prefix="):
			dir = a[len("--directory-prefix="):]
		case a == "-q" || a == "--quiet":
			quiet = true
		case a == "-qO" || a == "-qO-":
			quiet = true
			if a == "-qO-" {
				out = "-"
			} else {
				out = val()
			}
		case a == "-o" || a == "-U" || a == "-T" || a == "-t" || a == "-Y" || a == "--header" || a == "--user-agent" ||
			a == "--post-data" || a == "-e" || a == "--tries" || a == "--timeout":
			val()
		case strings.HasPrefix(a, "-") && len(a) > 1:
			// -c, -S, -s, --no-check-certificate, --spider, ...
			if strings.Contains(a, "q") && !strings.HasPrefix(a, "--") {
				quiet = true
			}
			if !strings.HasPrefix(a, "--") && strings.HasSuffix(a, "O") {
				out = val()
			}
		default:
			urls = append(urls, a)
		}
	}
	if len(urls) == 0 {
		c.errorf("BusyBox v1.24.1 (2017-03-23 10:05:44 CST) multi-call binary.\n\n",
			"Usage: wget [-c|--continue] [-s|--spider] [-q|--quiet] [-O|--output-document FILE]\n",
			"\t[--header 'header: value'] [-Y|--proxy on/off] [-P DIR]\n",
			"\t[-U|--user-agent AGENT] [-T SEC] URL...\n\n",
			"Retrieve files via HTTP or FTP\n\n",
			"\t-s\tSpider mode - only check file existence\n",
			"\t-c\tContinue retrieval of aborted transfer\n",
			"\t-q\tQuiet\n",
			"\t-P DIR\tSave to DIR (default .)\n",
			"\t-T SEC\tNetwork read timeout is SEC seconds\n",
			"\t-O FILE\tSave to FILE ('-' for stdout)\n",
			"\t-U STR\tUse STR for User-Agent header\n",
			"\t-Y\tUse proxy ('on' or 'off')")
		return 1
	}
	st := 0
	for _, raw := range urls {
		u := normURL(raw, "http")
		host, port := hostOf(u, 80)
		if strings.HasPrefix(strings.ToLower(u), "https://") && port == 80 {
			port = 443
		}
		if host == "" {
			c.errorf("wget: bad address '", raw, "'")
			st = 1
			continue
		}
		if !quiet {
			c.errorf("Connecting to ", host, " (", fakeIP(host), ":", itoa(port), ")")
		}
		if out == "-" {
			size := c.streamDownload(u, "wget")
			if !quiet {
				c.s.write(c.err, []byte(progressLine("-", size)))
			}
			continue
		}
		target := out
		if target == "" {
			target = remoteName(u)
			if dir != "" {
				target = dir + "/" + target
			}
		}
		size, err := c.saveDownload(u, "wget", target)
		if err != nil {
			c.errorf("wget: can't open '", target, "': ", err.Error())
			st = 1
			continue
		}
		if !quiet {
			c.s.write(c.err, []byte(progressLine(path.Base(target), size)))
		}
	}
	return st
}

func cmdCurl(c *call) int {
	args := c.args[1:]
	var urls []string
	var outs []string
	remote, silent := false, false
	withArg := "oAHdXumxeTwrEKbcCyYzQ"
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case a == "--output":
			outs = append(outs, next())
		case a == "--remote-name" || a == "--remote-name-all":
			remote = true
		case a == "--silent":
			silent = true
		case a == "--url":
			urls = append(urls, next())
		case strings.HasPrefix(a, "--"):
			switch a {
			case "--user-agent", "--header", "--data", "--data-binary", "--connect-timeout", "--max-time", "--retry",
				"--proxy", "--user", "--request", "--referer", "--cookie", "--write-out":
				next()
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				f := a[j]
				switch f {
				case 'O':
					remote = true
				case 's':
					silent = true
				}
				if strings.IndexByte(withArg, f) >= 0 {
					v := a[j+1:]
					if v == "" {
						v = next()
					}
					if f == 'o' {
						outs = append(outs, v)
					}
					break
				}
			}
		default:
			urls = append(urls, a)
		}
	}
	if len(urls) == 0 {
		c.errorf("curl: try 'curl --help' or 'curl --manual' for more information")
		return 2
	}
	st := 0
	for i, raw := range urls {
		u := normURL(raw, "http")
		var target string
		switch {
		case i < len(outs):
			target = outs[i]
		case remote:
			target = remoteName(u)
		}
		var size int
		if target == "" || target == "-" {
			size = c.streamDownload(u, "curl")
		} else {
			var err error
			size, err = c.saveDownload(u, "curl", target)
			if err != nil {
				c.errorf("curl: (23) Failed writing body (0 != ", itoa(len(placeholder(u))), ")")
				st = 23
				continue
			}
		}
		if !silent && (target != "" && target != "-" || c.out.kind != sinkTerm) {
			sz := pad(itoa(size), 5)
			c.s.write(c.err, []byte("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"+
				"                                 Dload  Upload   Total   Spent    Left  Speed\n"+
				"100 "+sz+"  100 "+sz+"    0     0  "+pad(itoa(size*9), 5)+"      0 --:--:-- --:--:-- --:--:-- "+pad(itoa(size*9), 5)+"\n"))
		}
	}
	return st
}

func tftpUsage(c *call) int {
	c.errorf("BusyBox v1.24.1 (2017-03-23 10:05:44 CST) multi-call binary.\n\n",
		"Usage: tftp [OPTIONS] HOST [PORT]\n\n",
		"Transfer a file from/to tftp server\n\n",
		"\t-l FILE\tLocal FILE\n",
		"\t-r FILE\tRemote FILE\n",
		"\t-g\tGet file\n",
		"\t-p\tPut file\n",
		"\t-b SIZE\tTransfer blocks of SIZE octets")
	return 1
}

// cmdTftp is BusyBox tftp (-g -r REMOTE -l LOCAL HOST [PORT]); the
// tftp-hpa form "tftp HOST -c get FILE" that scripts also use is accepted.
func cmdTftp(c *call) int {
	flags, ops := opts(c.args[1:], "lrbm")
	remote, local := flags['r'], flags['l']
	get := has(flags, 'g')
	if has(flags, 'c') {
		// tftp HOST -c get FILE [LOCAL]
		var rest []string
		for i, o := range ops {
			if o == "get" || o == "put" {
				get = o == "get"
				rest = ops[i+1:]
				ops = ops[:i]
				break
			}
		}
		if len(rest) > 0 {
			remote = rest[0]
		}
		if len(rest) > 1 {
			local = rest[1]
		}
	}
	if len(ops) == 0 || (!get && !has(flags, 'p')) {
		return tftpUsage(c)
	}
	host := ops[0]
	port := 69
	if len(ops) > 1 {
		if p, err := strconv.Atoi(ops[1]); err == nil && p > 0 && p < 65536 {
			port = p
		}
	}
	if has(flags, 'p') && !get {
		return 0 // an upload: nothing to record but the command
	}
	if remote == "" {
		remote = local
	}
	if remote == "" {
		return tftpUsage(c)
	}
	if local == "" {
		local = path.Base(remote)
	}
	u := "tftp://" + host
	if port != 69 {
		u += ":" + itoa(port)
	}
	u += "/" + strings.TrimPrefix(remote, "/")
	if local == "-" {
		c.streamDownload(u, "tftp")
		return 0
	}
	if _, err := c.saveDownload(u, "tftp", local); err != nil {
		c.errorf("tftp: can't open '", local, "': ", err.Error())
		return 1
	}
	return 0
}

// cmdFtpget is BusyBox ftpget [-cv] [-u USER -p PASS] [-P PORT] HOST
// [LOCAL_FILE] REMOTE_FILE.
func cmdFtpget(c *call) int {
	flags, ops := opts(c.args[1:], "upP")
	if len(ops) < 2 {
		c.errorf("BusyBox v1.24.1 (2017-03-23 10:05:44 CST) multi-call binary.\n\n",
			"Usage: ftpget [OPTIONS] HOST [LOCAL_FILE] REMOTE_FILE\n\n",
			"Download a file via FTP\n\n",
			"\t-c\tContinue previous transfer\n\t-v\tVerbose\n\t-u USER\tUsername\n\t-p PASS\tPassword\n\t-P NUM\tPort")
		return 1
	}
	host := ops[0]
	local, remote := ops[1], ops[len(ops)-1]
	if len(ops) == 2 {
		local = path.Base(remote)
	}
	u := "ftp://"
	if user := flags['u']; user != "" && user != "anonymous" {
		u += user + "@"
	}
	u += host
	if p := flags['P']; p != "" && p != "21" {
		u += ":" + p
	}
	u += "/" + strings.TrimPrefix(remote, "/")
	if has(flags, 'v') {
		port := flags['P']
		if port == "" {
			port = "21"
		}
		c.errorf("Connecting to ", host, " (", fakeIP(host), ":", port, ")")
	}
	if local == "-" {
		c.streamDownload(u, "ftpget")
		return 0
	}
	if _, err := c.saveDownload(u, "ftpget", local); err != nil {
		c.errorf("ftpget: can't open '", local, "': ", err.Error())
		return 1
	}
	return 0
}

// cmdTest is test and [ with the file, string and integer tests.
func cmdTest(c *call) int {
	args := c.args[1:]
	if c.args[0] == "[" || c.args[0] == "[[" {
		if len(args) == 0 || args[len(args)-1] != "]" && args[len(args)-1] != "]]" {
			c.errorf("sh: missing ]")
			return 2
		}
		args = args[:len(args)-1]
	}
	neg := false
	for len(args) > 0 && args[0] == "!" {
		neg = !neg
		args = args[1:]
	}
	r := c.testExpr(args)
	if neg {
		r = !r
	}
	if r {
		return 0
	}
	return 1
}

func (c *call) testExpr(a []string) bool {
	switch len(a) {
	case 0:
		return false
	case 1:
		return a[0] != ""
	case 2:
		op, v := a[0], a[1]
		switch op {
		case "-z":
			return v == ""
		case "-n":
			return v != ""
		}
		n, err := c.s.fs.lookup(abs(c.s.cwd, v), op != "-L" && op != "-h")
		if err != nil {
			return false
		}
		switch op {
		case "-e", "-a":
			return true
		case "-f":
			return n.kind == kindFile
		case "-d":
			return n.isDir()
		case "-L", "-h":
			return n.kind == kindLink
		case "-x":
			return n.perm&0o111 != 0
		case "-r", "-w":
			return !(op == "-w" && (n.ro || n.virtual))
		case "-s":
			return n.size() > 0
		case "-c":
			return n.kind == kindDev
		}
		return false
	}
	x, op, y := a[0], a[1], a[2]
	switch op {
	case "=", "==":
		return x == y
	case "!=":
		return x != y
	}
	xi, e1 := strconv.Atoi(x)
	yi, e2 := strconv.Atoi(y)
	if e1 != nil || e2 != nil {
		return false
	}
	switch op {
	case "-eq":
		return xi == yi
	case "-ne":
		return xi != yi
	case "-lt":
		return xi < yi
	case "-le":
		return xi <= yi
	case "-gt":
		return xi > yi
	case "-ge":
		return xi >= yi
	}
	return false
}
