package shell

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/session"
)

// newRecorder opens a telnet session on a fresh hub.
func newRecorder(t testing.TB, lim session.Limits) *session.Recorder {
	t.Helper()
	h := session.NewHub(session.HubConfig{})
	return h.Open(session.Session{
		Sensor: "test", Service: session.Telnet, Port: 23,
		Src: netip.MustParseAddr("198.51.100.7"), SrcPort: 40000, Dst: netip.MustParseAddr("192.0.2.1"),
	}, lim)
}

// device drives a Shell the way the telnet front end does: each line's
// output is followed by the prompt.
type device struct {
	t     testing.TB
	sh    *Shell
	exits int
}

func newDevice(t testing.TB, cfg Config, rec *session.Recorder) *device {
	return &device{t: t, sh: New(cfg, rec)}
}

// send writes data (one or more CRLF-terminated lines) and returns all
// the device printed in answer, prompts included.
func (d *device) send(data string) []byte {
	var out []byte
	for _, line := range strings.SplitAfter(data, "\n") {
		if line == "" {
			continue
		}
		o, exit := d.sh.Run(line)
		out = append(out, o...)
		if exit {
			d.exits++
			return out
		}
		out = append(out, d.sh.Prompt()...)
	}
	return out
}

// testELF builds an ELF executable for the test (never a real binary):
// a header for class/data/machine/flags and size bytes in all.
func testELF(class, data byte, machine uint16, flags uint32, size int, seed byte) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if data == 2 {
		bo = binary.BigEndian
	}
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = class, data, 1
	for i := 7; i < 16; i++ {
		b[i] = 0
	}
	bo.PutUint16(b[16:], 2)
	bo.PutUint16(b[18:], machine)
	bo.PutUint32(b[20:], 1)
	if class == 1 {
		bo.PutUint32(b[36:], flags)
		bo.PutUint16(b[40:], 52)
	} else {
		bo.PutUint32(b[48:], flags)
		bo.PutUint16(b[52:], 64)
	}
	return b
}

// sharedData returns the shared data directory, or skips the test.
func sharedData(t testing.TB, rel string) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Skip(err)
	}
	for {
		for _, cand := range []string{filepath.Join(dir, "shared", "data"), filepath.Join(dir, "..", "shared", "data")} {
			p := filepath.Join(cand, rel)
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skipf("shared data %s not found", rel)
		}
		dir = parent
	}
}
