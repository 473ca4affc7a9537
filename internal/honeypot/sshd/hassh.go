package sshd

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"net"
	"strings"
	"sync"
)

// Hello is what a client says before the key exchange: its version line and
// the algorithm lists of its first SSH_MSG_KEXINIT.
type Hello struct {
	Version string // the version line without its line end ("SSH-2.0-...")
	// The client-to-server lists HASSH is made of, and the host key list.
	Kex, HostKey, Enc, MAC, Comp string
}

// Algos returns the string HASSH is the MD5 of: "kex;enc;mac;cmp".
func (h *Hello) Algos() string {
	return h.Kex + ";" + h.Enc + ";" + h.MAC + ";" + h.Comp
}

// HASSH returns the hex MD5 of Algos.
func (h *Hello) HASSH() string {
	sum := md5.Sum([]byte(h.Algos()))
	return hex.EncodeToString(sum[:])
}

// HelloStatus is how far ParseHello got.
type HelloStatus int

// ParseHello's answers.
const (
	HelloMore    HelloStatus = iota // more bytes are needed
	HelloDone                       // the version and the KEXINIT were parsed
	HelloVersion                    // the version line was parsed; the first packet is not a valid KEXINIT
	HelloInvalid                    // no version line can be found
)

// Bounds of the hello parser.
const (
	maxVersionLine = 255        // RFC 4253 4.2
	maxPreLines    = 32         // lines before the version line we skip
	maxPacket      = 35000      // RFC 4253 6.1 (the largest packet we must accept)
	maxHello       = 64 << 10   // bytes of the client's stream the tee keeps
	msgKexInit     = 20         // SSH_MSG_KEXINIT
	kexInitLists   = 10         // name-lists in a KEXINIT
	kexInitCookie  = 16         // cookie bytes
	packetHeader   = 4 + 1      // packet_length, padding_length
	minKexInitBody = 1 + 16 + 4 // message number, cookie, one list length at least
)

// ParseHello parses the start of a client's byte stream: lines before the
// version line are skipped (at most 32), the version line (at most 255
// bytes, ended by LF or CRLF), then the first binary packet, which must be
// an unencrypted SSH_MSG_KEXINIT. It returns the hello and one of: more
// bytes needed, done, version only (the packet is not a KEXINIT), invalid.
// It never panics and reads only within b.
func ParseHello(b []byte) (Hello, HelloStatus) {
	var h Hello
	rest := b
	for lines := 0; ; lines++ {
		if lines > maxPreLines {
			return h, HelloInvalid
		}
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if len(rest) > maxVersionLine+1 {
				return h, HelloInvalid
			}
			return h, HelloMore
		}
		line := rest[:i]
		rest = rest[i+1:]
		if len(line) > maxVersionLine+1 {
			return h, HelloInvalid
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if bytes.HasPrefix(line, []byte("SSH-")) {
			h.Version = printable(line)
			break
		}
	}
	if len(rest) < packetHeader {
		return h, HelloMore
	}
	plen := binary.BigEndian.Uint32(rest)
	if plen < 1+minKexInitBody || plen > maxPacket {
		return h, HelloVersion
	}
	if uint32(len(rest)-4) < plen {
		return h, HelloMore
	}
	pad := uint32(rest[4])
	if pad+1 > plen {
		return h, HelloVersion
	}
	payload := rest[5 : 4+plen-pad]
	if len(payload) < 1+kexInitCookie || payload[0] != msgKexInit {
		return h, HelloVersion
	}
	p := payload[1+kexInitCookie:]
	var lists [kexInitLists]string
	for i := range lists {
		if len(p) < 4 {
			return h, HelloVersion
		}
		n := binary.BigEndian.Uint32(p)
		p = p[4:]
		if n > uint32(len(p)) {
			return h, HelloVersion
		}
		lists[i] = printable(p[:n])
		p = p[n:]
	}
	h.Kex, h.HostKey, h.Enc, h.MAC, h.Comp = lists[0], lists[1], lists[2], lists[4], lists[6]
	return h, HelloDone
}

// printable returns b as a string with bytes outside printable ASCII
// replaced by '?' (the values go to logs and tables).
func printable(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// teeConn keeps the first bytes the client sends (bounded) until the hello
// is parsed, then calls onHello once. It also remembers the first read
// error, which tells why the connection ended.
type teeConn struct {
	net.Conn
	onHello func(h Hello, status HelloStatus, raw []byte)

	mu      sync.Mutex
	buf     []byte
	done    bool
	readErr error
}

func (t *teeConn) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	t.mu.Lock()
	if !t.done && n > 0 {
		t.buf = append(t.buf, p[:min(n, maxHello-len(t.buf))]...)
		if h, st := ParseHello(t.buf); st != HelloMore || len(t.buf) >= maxHello {
			t.finishLocked(h, st)
		}
	}
	if err != nil && t.readErr == nil {
		t.readErr = err
	}
	t.mu.Unlock()
	return n, err
}

// finish reports whatever was seen when the connection ends before the
// hello was complete.
func (t *teeConn) finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.done {
		h, st := ParseHello(t.buf)
		if st == HelloMore {
			st = HelloInvalid
			if h.Version != "" {
				st = HelloVersion
			}
		}
		t.finishLocked(h, st)
	}
}

func (t *teeConn) finishLocked(h Hello, st HelloStatus) {
	t.done = true
	if st == HelloMore {
		st = HelloInvalid
		if h.Version != "" {
			st = HelloVersion
		}
	}
	if t.onHello != nil {
		t.onHello(h, st, t.buf)
	}
	t.buf = nil
}

func (t *teeConn) err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.readErr
}
