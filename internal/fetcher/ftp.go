package fetcher

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// FTP (RFC 959, passive mode, RFC 2428 EPSV first): anonymous unless the
// URL names a user, binary type, one RETR. The data connection goes to the
// control connection's server address whatever address a PASV answer
// names (an answer naming another host is how FTP bounce attacks work),
// through the same checked dialer.

const (
	ftpMaxLine  = 1024 // bytes of a reply line
	ftpMaxLines = 64   // lines of a multi-line reply
	ftpMaxPath  = 1024 // bytes of the path retrieved
)

// ftpReply is one (possibly multi-line) reply.
type ftpReply struct {
	code int
	text string // the lines, "\n"-joined (bounded)
}

// readFTPReply reads one reply from r: "NNN text" or "NNN-text" ... "NNN
// text". Lines and their number are bounded; it never panics.
func readFTPReply(r *bufio.Reader) (ftpReply, error) {
	var lines []string
	code := 0
	for {
		line, err := readLine(r, ftpMaxLine)
		if err != nil {
			return ftpReply{}, err
		}
		lines = append(lines, line)
		if len(lines) > ftpMaxLines {
			return ftpReply{}, fmt.Errorf("%w: FTP reply of more than %d lines", ErrProtocol, ftpMaxLines)
		}
		if code == 0 {
			if len(line) < 4 || (line[3] != ' ' && line[3] != '-') {
				return ftpReply{}, fmt.Errorf("%w: FTP reply %q", ErrProtocol, clip(line, 64))
			}
			c, err := strconv.Atoi(line[:3])
			if err != nil || c < 100 || c > 599 {
				return ftpReply{}, fmt.Errorf("%w: FTP reply %q", ErrProtocol, clip(line, 64))
			}
			code = c
			if line[3] == ' ' {
				break
			}
			continue
		}
		if len(line) >= 4 && line[:3] == strconv.Itoa(code) && line[3] == ' ' {
			break
		}
	}
	return ftpReply{code: code, text: strings.ToValidUTF8(strings.Join(lines, "\n"), "?")}, nil
}

// readLine reads a line ending in LF (CR dropped) of at most max bytes.
func readLine(r *bufio.Reader, max int) (string, error) {
	var b []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF && len(b) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		if c == '\n' {
			return strings.TrimSuffix(string(b), "\r"), nil
		}
		if len(b) >= max {
			return "", fmt.Errorf("%w: line longer than %d bytes", ErrProtocol, max)
		}
		b = append(b, c)
	}
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// parsePASV returns the port of a 227 answer "(h1,h2,h3,h4,p1,p2)".
func parsePASV(text string) (uint16, error) {
	i, j := strings.IndexByte(text, '('), strings.LastIndexByte(text, ')')
	if i < 0 || j < i {
		// Some servers leave the parentheses out: take the last
		// comma-separated run of six numbers.
		i, j = strings.LastIndexByte(text, ' '), len(text)
	}
	parts := strings.Split(strings.TrimSpace(text[i+1:j]), ",")
	if len(parts) != 6 {
		return 0, fmt.Errorf("%w: PASV answer %q", ErrProtocol, clip(text, 64))
	}
	var n [6]int
	for k, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 || v > 255 {
			return 0, fmt.Errorf("%w: PASV answer %q", ErrProtocol, clip(text, 64))
		}
		n[k] = v
	}
	port := n[4]<<8 | n[5]
	if port == 0 {
		return 0, fmt.Errorf("%w: PASV port 0", ErrProtocol)
	}
	return uint16(port), nil
}

// parseEPSV returns the port of a 229 answer "(|||port|)".
func parseEPSV(text string) (uint16, error) {
	i := strings.Index(text, "(|||")
	if i < 0 {
		return 0, fmt.Errorf("%w: EPSV answer %q", ErrProtocol, clip(text, 64))
	}
	rest := text[i+4:]
	j := strings.IndexByte(rest, '|')
	if j < 0 {
		return 0, fmt.Errorf("%w: EPSV answer %q", ErrProtocol, clip(text, 64))
	}
	p, err := strconv.ParseUint(rest[:j], 10, 16)
	if err != nil || p == 0 {
		return 0, fmt.Errorf("%w: EPSV answer %q", ErrProtocol, clip(text, 64))
	}
	return uint16(p), nil
}

func (c *Client) fetchFTP(ctx context.Context, u *url.URL, r *Result) {
	path := u.Path
	if path == "" || path == "/" || len(path) > ftpMaxPath || strings.ContainsAny(path, "\r\n\x00") {
		r.Err = fmt.Errorf("%w: FTP path %q", ErrBadURL, clip(path, 64))
		return
	}
	user, pass := "anonymous", "anonymous@"
	if u.User != nil {
		user = u.User.Username()
		if p, ok := u.User.Password(); ok {
			pass = p
		}
		if strings.ContainsAny(user+pass, "\r\n\x00") {
			r.Err = fmt.Errorf("%w: FTP user or password", ErrBadURL)
			return
		}
	}
	raw, err := c.dial.dialTCP(ctx, hostPort(u, "21"))
	if err != nil {
		r.Err = fmt.Errorf("ftp: %w", err)
		r.Temporary = isConnError(err)
		return
	}
	ctl := &idleConn{Conn: raw, idle: c.cfg.Idle}
	if d, ok := ctx.Deadline(); ok {
		ctl.end = d
	}
	defer ctl.Close()
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	server := addrPortOf(raw.RemoteAddr())
	br := bufio.NewReaderSize(ctl, 4096)
	cmd := func(line string, want ...int) (ftpReply, error) {
		if line != "" {
			if _, err := io.WriteString(ctl, line+"\r\n"); err != nil {
				return ftpReply{}, err
			}
		}
		rep, err := readFTPReply(br)
		if err != nil {
			return rep, err
		}
		for _, w := range want {
			if rep.code == w {
				return rep, nil
			}
		}
		r.Status = rep.code
		verb, _, _ := strings.Cut(line, " ")
		if verb == "" {
			verb = "greeting"
		}
		return rep, fmt.Errorf("%w: FTP %s: %q", ErrStatus, verb, clip(rep.text, 128))
	}
	fail := func(err error) {
		r.Err = fmt.Errorf("ftp: %w", err)
		r.Temporary = r.Status >= 400 && r.Status < 500 || isConnError(err)
	}
	greet, err := cmd("", 220)
	r.Headers = clip(greet.text, c.cfg.MaxHeaderBytes)
	if err != nil {
		fail(err)
		return
	}
	rep, err := cmd("USER "+user, 230, 331)
	if err != nil {
		fail(err)
		return
	}
	if rep.code == 331 {
		if _, err := cmd("PASS "+pass, 230, 202); err != nil {
			fail(err)
			return
		}
	}
	if _, err := cmd("TYPE I", 200); err != nil {
		fail(err)
		return
	}
	var port uint16
	if rep, err := cmd("EPSV", 229); err == nil {
		port, err = parseEPSV(rep.text)
		if err != nil {
			fail(err)
			return
		}
	} else if rep.code == 0 {
		fail(err)
		return
	} else {
		r.Status = 0
		if server.Addr().Is6() {
			fail(err)
			return
		}
		rep, err := cmd("PASV", 227)
		if err != nil {
			fail(err)
			return
		}
		if port, err = parsePASV(rep.text); err != nil {
			fail(err)
			return
		}
	}
	dataRaw, err := c.dial.dialTCP(ctx, netip.AddrPortFrom(server.Addr(), port).String())
	if err != nil {
		fail(err)
		return
	}
	data := &idleConn{Conn: dataRaw, idle: c.cfg.Idle, end: ctl.end}
	defer data.Close()
	stopData := context.AfterFunc(ctx, func() { dataRaw.Close() })
	defer stopData()
	if _, err := cmd("RETR "+path, 150, 125); err != nil {
		fail(err)
		return
	}
	r.Server = addrPortOf(dataRaw.RemoteAddr()).String()
	out := &limitedBuffer{max: c.cfg.MaxBytes}
	_, err = io.Copy(out, data)
	r.Size = out.n
	if out.over {
		r.Err = fmt.Errorf("%w (%d bytes)", ErrTooLarge, c.cfg.MaxBytes)
		return
	}
	if err != nil {
		fail(err)
		return
	}
	data.Close()
	rep, err = cmd("", 226, 250)
	if err != nil {
		fail(err)
		return
	}
	r.Status = rep.code
	io.WriteString(ctl, "QUIT\r\n")
	r.Content = out.buf
	if r.Content == nil {
		r.Content = []byte{}
	}
}

func addrPortOf(a net.Addr) netip.AddrPort {
	switch v := a.(type) {
	case *net.TCPAddr:
		ap := v.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}
