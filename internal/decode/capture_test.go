package decode

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
)

// pcapDir holds the shared real-world captures; tests skip when it is absent.
const pcapDir = "../../../shared/data/pcaps"

type capturedFrame struct {
	link LinkType
	data []byte
}

// readCapture returns the frames of a pcap or pcapng file.
func readCapture(tb testing.TB, path string) []capturedFrame {
	tb.Helper()
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		tb.Skipf("capture %s not available", path)
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var (
		link LinkType
		next func() ([]byte, error)
	)
	if r, err := pcapgo.NewReader(f); err == nil {
		link = LinkType(r.LinkType())
		next = func() ([]byte, error) { b, _, err := r.ReadPacketData(); return b, err }
	} else {
		if _, serr := f.Seek(0, io.SeekStart); serr != nil {
			tb.Fatal(serr)
		}
		ng, ngErr := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
		if ngErr != nil {
			tb.Fatalf("read %s: not pcap (%v) nor pcapng (%v)", path, err, ngErr)
		}
		link = LinkType(ng.LinkType())
		next = func() ([]byte, error) { b, _, err := ng.ReadPacketData(); return b, err }
	}
	var frames []capturedFrame
	for {
		b, err := next()
		if err == io.EOF {
			return frames
		}
		if err != nil {
			tb.Fatalf("read %s: frame %d: %v", path, len(frames), err)
		}
		frames = append(frames, capturedFrame{link: link, data: b})
	}
}

func TestMiraiCapture(t *testing.T) {
	frames := readCapture(t, filepath.Join(pcapDir, "mirai/sv_mac-eve-packet_mirai-syn23.pcap"))
	if len(frames) != 2 {
		t.Fatalf("%d frames, want 2", len(frames))
	}
	wantSrc := netip.MustParseAddr("116.90.231.16")
	for i, fr := range frames {
		var p Packet
		if err := Decode(fr.link, fr.data, &p); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !p.HasTransport || p.Proto != ProtoTCP || p.TCPFlags&(TCPSyn|TCPAck) != TCPSyn || p.DstPort != 23 {
			t.Errorf("frame %d: not a TCP SYN to 23: %+v", i, p)
		}
		if p.Seq != p.DstV4() || p.Seq == 0 {
			t.Errorf("frame %d: seq %#x, destination %#x", i, p.Seq, p.DstV4())
		}
		if p.Src != wantSrc {
			t.Errorf("frame %d: source %v, want %v", i, p.Src, wantSrc)
		}
		if len(p.Payload) != 0 {
			t.Errorf("frame %d: payload %x, want none (data offset past capture)", i, p.Payload)
		}
	}
}

func TestMasscanVLANCapture(t *testing.T) {
	frames := readCapture(t, filepath.Join(pcapDir, "scanners/esnet_masscan_tcp_0_1000.pcap"))
	syns, masscan := 0, 0
	for i, fr := range frames {
		var p Packet
		if err := Decode(fr.link, fr.data, &p); err != nil {
			continue
		}
		if p.VLANs == 0 {
			t.Errorf("frame %d: no VLAN tag stripped", i)
		}
		if p.Proto == ProtoTCP && p.HasTransport && p.TCPFlags == TCPSyn {
			syns++
			if p.IPID == uint16(p.DstV4()^uint32(p.DstPort)^p.Seq) {
				masscan++
			}
		}
	}
	// The data README: 1,001 SYNs, all satisfying the masscan relation.
	if syns != 1001 || masscan != 1001 {
		t.Errorf("%d SYNs, %d with the masscan IP ID; want 1001 and 1001", syns, masscan)
	}
}

func TestZMapCapture(t *testing.T) {
	frames := readCapture(t, filepath.Join(pcapDir, "scanners/scanrec_zmap_syn80.pcap"))
	zmap := 0
	for _, fr := range frames {
		var p Packet
		if Decode(fr.link, fr.data, &p) != nil {
			continue
		}
		if p.HasTransport && p.TCPFlags == TCPSyn && p.DstPort == 80 && p.IPID == 54321 {
			zmap++
		}
	}
	if zmap != 10000 {
		t.Errorf("%d ZMap SYNs to 80 with IP ID 54321, want 10000", zmap)
	}
}

// payloadCapture decodes every frame of a capture and reports whether one
// carries needle in its payload, and the first such packet.
func payloadCapture(t *testing.T, rel, needle string) (Packet, []capturedFrame) {
	t.Helper()
	frames := readCapture(t, filepath.Join(pcapDir, rel))
	for _, fr := range frames {
		var p Packet
		if Decode(fr.link, fr.data, &p) == nil && bytes.Contains(p.Payload, []byte(needle)) {
			return p, frames
		}
	}
	t.Fatalf("%s: no payload contains %q", rel, needle)
	return Packet{}, nil
}

func TestERSPANCapture(t *testing.T) {
	p, frames := payloadCapture(t, "exploits/sv_bug-5437-02_jaws-dvr-shell-wget.pcap", "GET /shell?")
	if p.Proto != ProtoTCP || !p.HasTransport || p.Encap != 1 || p.DstPort == 0 {
		t.Errorf("exploit packet: %+v", p)
	}
	for i, fr := range frames {
		var q Packet
		if err := Decode(fr.link, fr.data, &q); err != nil || q.Encap != 1 {
			t.Errorf("frame %d: encap %d, err %v; want every frame decapsulated", i, q.Encap, err)
		}
	}
}

func TestLog4ShellSLLCapture(t *testing.T) {
	// The capture carries the lookup URL-encoded in a form body
	// ("%24%7Bjndi%3A" is "${jndi:") and bare in the User-Agent.
	for _, needle := range []string{"%24%7Bjndi%3Aldap", "User-Agent: jndi:ldap://"} {
		p, _ := payloadCapture(t, "exploits/sv_output-multi-eve_log4shell.pcap", needle)
		if p.Proto != ProtoTCP || !p.HasTransport || p.DstPort != 8080 {
			t.Errorf("exploit packet for %q: %+v", needle, p)
		}
	}
}

// TestAllCapturesAllocs decodes every shared capture without allocating.
func TestAllCapturesAllocs(t *testing.T) {
	frames := allCaptureFrames(t)
	if len(frames) == 0 {
		t.Skipf("no captures under %s", pcapDir)
	}
	var p Packet
	allocs := testing.AllocsPerRun(1, func() {
		for _, fr := range frames {
			_ = Decode(fr.link, fr.data, &p)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations decoding %d frames, want 0", allocs, len(frames))
	}
}

// allCaptureFrames returns the frames of every capture under pcapDir, or
// none when the folder is absent.
func allCaptureFrames(tb testing.TB) []capturedFrame {
	tb.Helper()
	var all []capturedFrame
	err := filepath.WalkDir(pcapDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng")) {
			all = append(all, readCapture(tb, path)...)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		tb.Fatal(err)
	}
	return all
}
