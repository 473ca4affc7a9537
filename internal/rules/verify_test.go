package rules

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// runCapture loads rule files and returns, per sid, the 1-based numbers of
// the packets it alerted on (directions as rules test learns them: the
// first packet of a flow is from its client).
func runCapture(t *testing.T, vars Vars, ruleFiles []string, pcap string) (map[uint32][]int, []decode.Packet, *Set) {
	t.Helper()
	s, err := Load(ruleFiles, Options{Vars: vars})
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	pkts := readPackets(t, pcap)
	m := NewMatcher(e)
	st := NewState(1024, 1024)
	clients := map[[2]uint16]bool{}
	out := map[uint32][]int{}
	for i := range pkts {
		p := &pkts[i]
		ctx := Context{State: st, Flow: uint64(p.SrcPort) ^ uint64(p.DstPort)<<16 | 1}
		if p.Proto == decode.ProtoTCP {
			k := [2]uint16{min(p.SrcPort, p.DstPort), max(p.SrcPort, p.DstPort)}
			if _, seen := clients[k]; !seen {
				clients[k] = p.SrcPort > p.DstPort // client port, as first seen
			}
			if (p.SrcPort > p.DstPort) != clients[k] {
				ctx.Dir = DirToClient
			}
		}
		for _, a := range m.Packet(p, &ctx, nil) {
			sid := e.Rules()[a.Rule].SID
			out[sid] = append(out[sid], i+1)
		}
	}
	return out, pkts, s
}

// packetsWith returns the numbers of the packets whose payload satisfies f.
func packetsWith(pkts []decode.Packet, f func(p []byte) bool) []int {
	var out []int
	for i := range pkts {
		if len(pkts[i].Payload) > 0 && f(pkts[i].Payload) {
			out = append(out, i+1)
		}
	}
	return out
}

// yamlAlertCount reads the count of the first event_type alert check of a
// suricata-verify test.yaml (filename optional), -1 when none.
func yamlAlertCount(t *testing.T, path, filename string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(b), "- filter:")
	for _, bl := range blocks[1:] {
		if !regexp.MustCompile(`event_type:\s*"?alert"?`).MatchString(bl) {
			continue
		}
		if filename != "" && !strings.Contains(bl, "filename: "+filename) {
			continue
		}
		m := regexp.MustCompile(`count:\s*(\d+)`).FindStringSubmatch(bl)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return -1
}

func TestSuricataVerifyJAWS(t *testing.T) {
	for _, c := range []struct{ test, pcap string }{
		{"sv_bug-5437-02", "pcaps/exploits/sv_bug-5437-02_jaws-dvr-shell-wget.pcap"},
		{"sv_bug-5437-01", "pcaps/exploits/sv_bug-5437-01_jaws-midstream.pcap"},
	} {
		t.Run(c.test, func(t *testing.T) {
			rf := sharedPath(t, filepath.Join("suricata-verify-expected", c.test, "test.rules"))
			got, pkts, s := runCapture(t, nil, []string{rf}, sharedPath(t, c.pcap))
			// The ipv4-csum rule is outside the subset; the other two load.
			if len(s.Rules) != 2 || len(s.Unsupported) != 1 || s.Unsupported[0].SID != 2200073 {
				t.Fatalf("loaded %d, unsupported %v", len(s.Rules), s.Unsupported)
			}
			// The test's two HTTP flows: each GET carries the JAWS shell
			// command and the Mirai "Hello, world" user agent.
			jaws := packetsWith(pkts, func(p []byte) bool { return bytes.HasPrefix(p, []byte("GET /shell?cd+/tmp;rm+-rf+*;wget+")) })
			ua := packetsWith(pkts, func(p []byte) bool {
				return bytes.HasPrefix(p, []byte("GET ")) && bytes.Contains(p, []byte("\r\nUser-Agent: Hello, world\r\n"))
			})
			if len(jaws) != 2 || len(ua) != 2 {
				t.Fatalf("capture has %d JAWS requests and %d with the Mirai user agent, want 2 and 2", len(jaws), len(ua))
			}
			if !slices.Equal(got[2030092], jaws) {
				t.Errorf("JAWS rule 2030092 alerted on packets %v, want %v", got[2030092], jaws)
			}
			if !slices.Equal(got[58992], ua) {
				t.Errorf("Mirai user-agent rule 58992 alerted on packets %v, want %v", got[58992], ua)
			}
		})
	}
}

func TestSuricataVerifyIoTRulesOnJAWS(t *testing.T) {
	vars := DefaultVars().With(map[string]string{"HOME_NET": "any", "EXTERNAL_NET": "any"})
	got, pkts, _ := runCapture(t, vars, []string{sharedPath(t, "rules/iot-relevant.rules")},
		sharedPath(t, "pcaps/exploits/sv_bug-5437-02_jaws-dvr-shell-wget.pcap"))
	jaws := packetsWith(pkts, func(p []byte) bool { return bytes.HasPrefix(p, []byte("GET /shell?cd+/tmp;rm+-rf+*;wget+")) })
	// 2030093: the JAWS request; 2025883: any /shell? without Referer;
	// 2029022: the "Hello, world" user agent (nocase, startswith, pcre).
	for _, sid := range []uint32{2030093, 2025883, 2029022} {
		if !slices.Equal(got[sid], jaws) {
			t.Errorf("sid %d alerted on %v, want the JAWS requests %v", sid, got[sid], jaws)
		}
	}
	// 2025576 wants a POST; 2029008 another JAWS loader's %20 form.
	for _, sid := range []uint32{2025576, 2029008} {
		if len(got[sid]) != 0 {
			t.Errorf("sid %d alerted on %v, want none", sid, got[sid])
		}
	}
}

func TestSuricataVerifyMultiEve(t *testing.T) {
	dir := sharedPath(t, "suricata-verify-expected/sv_output-multi-eve")
	got, pkts, s := runCapture(t, nil, []string{filepath.Join(dir, "test.rules")},
		sharedPath(t, "pcaps/exploits/sv_output-multi-eve_log4shell.pcap"))
	if len(s.Unsupported) != 0 {
		t.Fatalf("unsupported: %v", s.Unsupported)
	}
	want := yamlAlertCount(t, filepath.Join(dir, "test.yaml"), "eve-ips.json")
	n := 0
	for _, v := range got {
		n += len(v)
	}
	if n != want {
		t.Errorf("%d alerts (%v), test.yaml expects %d", n, got, want)
	}
	// The log4j rule fires on the request with the encoded lookup; the
	// SimpleHTTP banner rule on the responses whose Server header has it.
	enc := packetsWith(pkts, func(p []byte) bool { return bytes.Contains(bytes.ToLower(p), []byte("%7bjndi%3a")) })
	if !slices.Equal(got[2034781], enc) {
		t.Errorf("2034781 on %v, want %v", got[2034781], enc)
	}
	srv := packetsWith(pkts, func(p []byte) bool {
		return bytes.HasPrefix(p, []byte("HTTP/")) && regexp.MustCompile(`(?m)^Server: SimpleHTTP/\S* Python/`).Match(p)
	})
	if !slices.Equal(got[2034636], srv) {
		t.Errorf("2034636 on %v, want %v", got[2034636], srv)
	}
}

func TestSuricataVerifyMirai(t *testing.T) {
	dir := sharedPath(t, "suricata-verify-expected/sv_mac-eve-packet")
	got, _, _ := runCapture(t, nil, []string{filepath.Join(dir, "test.rules")},
		sharedPath(t, "pcaps/mirai/sv_mac-eve-packet_mirai-syn23.pcap"))
	if want := yamlAlertCount(t, filepath.Join(dir, "test.yaml"), ""); len(got[1]) != want {
		t.Errorf("sid 1 alerted %d times, test.yaml expects %d", len(got[1]), want)
	}
}

func TestSuricataVerifyTelnetUnsupported(t *testing.T) {
	rf := sharedPath(t, "suricata-verify-expected/sv_telnet_telnet-01/test.rules")
	s, err := Load([]string{rf}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rules) != 0 || len(s.Unsupported) != 1 || !strings.Contains(s.Unsupported[0].Reason, "telnet") && !strings.Contains(s.Unsupported[0].Reason, "frame") {
		t.Fatalf("telnet frame rule: loaded %d, unsupported %v; want it unsupported (app-layer frames)", len(s.Rules), s.Unsupported)
	}
}

func TestLog4ShellCapture(t *testing.T) {
	vars := DefaultVars().With(map[string]string{"HOME_NET": "any", "EXTERNAL_NET": "any"})
	got, pkts, _ := runCapture(t, vars, []string{sharedPath(t, "rules/iot-relevant.rules")},
		sharedPath(t, "pcaps/exploits/sv_output-multi-eve_log4shell.pcap"))
	enc := packetsWith(pkts, func(p []byte) bool { return bytes.Contains(bytes.ToLower(p), []byte("%7bjndi%3a")) })
	if len(enc) == 0 || !slices.Equal(got[2034659], enc) {
		t.Errorf("2034659 on %v, want %v", got[2034659], enc)
	}
	lit := packetsWith(pkts, func(p []byte) bool { return bytes.Contains(bytes.ToLower(p), []byte("${jndi:ldap://")) })
	if !slices.Equal(got[2034647], lit) {
		t.Errorf("2034647 on %v, want %v", got[2034647], lit)
	}
}
