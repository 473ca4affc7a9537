package decode

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writePcap writes frames as a little-endian microsecond pcap file of the
// given link type.
func writePcap(t *testing.T, path string, link LinkType, frames [][]byte) {
	t.Helper()
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0xa1b2c3d4)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint64(b, 0)
	b = le.AppendUint32(b, 65535)
	b = le.AppendUint32(b, uint32(link))
	for i, f := range frames {
		b = le.AppendUint32(b, uint32(1_767_225_600+i))
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, uint32(len(f)))
		b = le.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLinkTypesTcpdump writes the decodable frames of linkCases, one
// capture per link type, and checks that tcpdump finds in each frame the
// addresses and ports Decode found. Skipped without tcpdump.
func TestLinkTypesTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump not installed")
	}
	byLink := map[LinkType][]decodeCase{}
	for _, tc := range linkCases() {
		if tc.wantErr == nil {
			byLink[tc.link] = append(byLink[tc.link], tc)
		}
	}
	dir := t.TempDir()
	for link, cases := range byLink {
		var frames [][]byte
		for _, tc := range cases {
			frames = append(frames, tc.frame)
		}
		file := filepath.Join(dir, "link.pcap")
		writePcap(t, file, link, frames)
		cmd := exec.Command(tcpdump, "-n", "-r", file)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil && strings.Contains(stderr.String(), "unknown data link type") {
			// This tcpdump does not know the link type (DLT_RAW's
			// OpenBSD value elsewhere): nothing to compare with.
			t.Logf("link %d: %s", link, strings.TrimSpace(stderr.String()))
			continue
		}
		if err != nil {
			t.Fatalf("link %d: tcpdump: %v: %s", link, err, stderr.Bytes())
		}
		var lines []string
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if len(lines) != len(cases) {
			t.Fatalf("link %d: tcpdump printed %d lines for %d frames:\n%s", link, len(lines), len(cases), out)
		}
		for i, tc := range cases {
			var p Packet
			if err := Decode(link, tc.frame, &p); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			src := p.Src.String() + "." + itoa(p.SrcPort)
			dst := p.Dst.String() + "." + itoa(p.DstPort)
			if !strings.Contains(lines[i], src+" > "+dst) {
				t.Errorf("%s: tcpdump reads %q, Decode %s > %s", tc.name, lines[i], src, dst)
			}
		}
	}
}

func itoa(v uint16) string {
	var b [5]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		if v /= 10; v == 0 {
			return string(b[i:])
		}
	}
}
