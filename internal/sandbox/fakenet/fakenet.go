// Package fakenet is the world a sandboxed sample sees instead of the
// Internet: a DNS server that answers every address query with a sink
// address and records the names asked, and TCP and UDP sinks that accept
// everything sent to any address and port and record where it was meant to
// go. It runs inside the sandbox's network namespace, where a local route
// for every address keeps all traffic on the loopback interface and a
// TPROXY rule hands every connection to the sinks (see package sandbox);
// nothing here sends a packet anywhere else.
//
// Everything is bounded: the events kept, the connections served at once,
// the bytes read from each and the time each stays open.
package fakenet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits of the fake world.
const (
	// MaxEvents is the number of events a Recorder keeps by default.
	MaxEvents = 20000
	// HeadSize is the number of bytes of a connection's or datagram's
	// payload an event keeps.
	HeadSize = 256
	// MaxConns is the number of TCP connections a sink serves at once;
	// more are recorded and closed at once.
	MaxConns = 256
	// ReadLimit is the number of bytes a TCP sink reads from one connection.
	ReadLimit = 64 << 10
	// ConnTimeout is how long a TCP sink keeps a connection open.
	ConnTimeout = 20 * time.Second
	// MaxScriptLines and MaxAnswer bound a script of C2 answers.
	MaxScriptLines = 1000
	MaxAnswer      = 64 << 10
)

// Event kinds.
const (
	KindDNS = "dns"
	KindTCP = "tcp"
	KindUDP = "udp"
)

// Event is one thing the sample did to the fake world.
type Event struct {
	Time  time.Time      `json:"time"`
	Kind  string         `json:"kind"`           // dns, tcp or udp
	Name  string         `json:"name,omitempty"` // DNS: the name asked (lower case, no final dot)
	QType string         `json:"qtype,omitempty"`
	Src   netip.AddrPort `json:"src"`
	Dst   netip.AddrPort `json:"dst"`             // the original destination
	Bytes int            `json:"bytes,omitempty"` // payload bytes received (up to ReadLimit)
	Head  []byte         `json:"head,omitempty"`  // the first HeadSize bytes of them
}

// Recorder keeps events, at most its bound; the rest are counted.
type Recorder struct {
	mu      sync.Mutex
	max     int
	events  []Event
	dropped int
}

// NewRecorder returns a recorder keeping at most max events (0: MaxEvents).
func NewRecorder(max int) *Recorder {
	if max <= 0 {
		max = MaxEvents
	}
	return &Recorder{max: max}
}

// Add records e (stamped with the current time when its Time is zero).
func (r *Recorder) Add(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	if len(e.Head) > HeadSize {
		e.Head = e.Head[:HeadSize]
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) >= r.max {
		r.dropped++
		return
	}
	r.events = append(r.events, e)
}

// Events returns a copy of the events recorded and the number dropped.
func (r *Recorder) Events() ([]Event, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...), r.dropped
}

// Script holds scripted C2 answers: what a TCP sink sends on a
// connection to a port as soon as it is accepted.
type Script map[uint16][]byte

// ParseScript reads a script: one answer per line, "PORT ANSWER" where
// ANSWER is a Go double-quoted string ("\r\n", "\x00" escapes); empty
// lines and lines starting with # are skipped. A later line for the same
// port replaces the earlier one.
func ParseScript(r io.Reader) (Script, error) {
	s := Script{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 4*MaxAnswer+64)
	n := 0
	for sc.Scan() {
		n++
		if n > MaxScriptLines {
			return nil, fmt.Errorf("script: more than %d lines", MaxScriptLines)
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		p, q, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("script line %d: want PORT \"ANSWER\"", n)
		}
		port, err := strconv.ParseUint(p, 10, 16)
		if err != nil || port == 0 {
			return nil, fmt.Errorf("script line %d: bad port %q", n, truncate(p, 20))
		}
		ans, err := strconv.Unquote(strings.TrimSpace(q))
		if err != nil {
			return nil, fmt.Errorf("script line %d: answer: %w (want a double-quoted string)", n, err)
		}
		if len(ans) > MaxAnswer {
			return nil, fmt.Errorf("script line %d: answer over %d bytes", n, MaxAnswer)
		}
		s[uint16(port)] = []byte(ans)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("script line %d: too long", n+1)
		}
		return nil, fmt.Errorf("script: %w", err)
	}
	return s, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
