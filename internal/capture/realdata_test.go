package capture

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/honeyscope/honeyscope/internal/decode"
)

// pcapDir holds the real captures described in shared/data/README.md.
const pcapDir = "../../../shared/data/pcaps"

// realCaptures lists the real captures with the packet counts and link
// types that the data README states (from capinfos).
var realCaptures = []struct {
	path    string
	packets int
	link    decode.LinkType
}{
	{"mirai/sv_mac-eve-packet_mirai-syn23.pcap", 2, decode.LinkEthernet},
	{"scanners/scanrec_zmap_syn80.pcap", 10055, decode.LinkEthernet},
	{"scanners/scanrec_masscan.pcap", 612, decode.LinkEthernet},
	{"scanners/esnet_masscan_tcp_0_1000.pcap", 1005, decode.LinkEthernet},
	{"scanners/esnet_masscan_udp_0_1000.pcap", 1001, decode.LinkEthernet},
	{"scanners/ndpi_synscan_nmap.pcap", 2011, decode.LinkEthernet},
	{"exploits/sv_bug-5437-02_jaws-dvr-shell-wget.pcap", 60, decode.LinkEthernet},
	{"exploits/sv_bug-5437-01_jaws-midstream.pcap", 2, decode.LinkEthernet},
	{"exploits/sv_output-multi-eve_log4shell.pcap", 426, decode.LinkSLL},
	{"exploits/corelight_shellshock_exploit.pcap", 31, decode.LinkEthernet},
	{"telnet/sv_telnet-01_telnet.pcap", 92, decode.LinkEthernet},
	{"smb/ndpi_smbv1.pcap", 7, decode.LinkEthernet},
}

func skipWithoutData(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(pcapDir); err != nil {
		t.Skipf("real captures not available: %v", err)
	}
}

// TestRealCaptures reads every real capture to EOF, plain and gzipped, and
// checks the count, the link type, and every packet against pcapgo.
func TestRealCaptures(t *testing.T) {
	skipWithoutData(t)
	for _, c := range realCaptures {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			path := filepath.Join(pcapDir, c.path)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// Reference: gopacket's reader.
			ref, err := pcapgo.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			var want []pkt
			for {
				data, ci, err := ref.ReadPacketData()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, pkt{data: data, ts: ci.Timestamp.UnixNano(), link: decode.LinkType(ref.LinkType()), orig: ci.Length})
			}

			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := readAll(t, r)
			if err != io.EOF {
				t.Fatalf("read: %v", err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if len(got) != c.packets {
				t.Errorf("%d packets, want %d", len(got), c.packets)
			}
			for i, p := range got {
				if p.link != c.link {
					t.Fatalf("packet %d: link %d, want %d", i, p.link, c.link)
				}
			}
			comparePkts(t, got, want)

			zr, err := NewReader(bytes.NewReader(gz(t, raw)), c.path+".gz")
			if err != nil {
				t.Fatal(err)
			}
			zgot, _, err := readAll(t, zr)
			if err != io.EOF {
				t.Fatalf("read gzip: %v", err)
			}
			comparePkts(t, zgot, got)
		})
	}
}
