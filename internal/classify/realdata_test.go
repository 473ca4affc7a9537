package classify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
)

// sharedData is the real-world test material kept outside the repository.
const sharedData = "../../../shared/data"

// readShared returns the contents of a file under sharedData, skipping the
// test when it is absent.
func readShared(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedData, rel))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("shared data %s not present", rel)
	}
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return b
}

// cowrieCommands parses cowrie_cmd.uniq-counts.txt ("  COUNT \"escaped\"")
// into the distinct unescaped messages.
func cowrieCommands(t *testing.T) []string {
	data := readShared(t, "logs/cowrie-emansih/cowrie_cmd.uniq-counts.txt")
	var out []string
	bad := 0
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		line = strings.TrimSpace(line)
		i := strings.IndexByte(line, ' ')
		if i < 0 {
			bad++
			continue
		}
		s, err := strconv.Unquote(line[i+1:])
		if err != nil {
			bad++
			continue
		}
		out = append(out, s)
	}
	// The file has 715 distinct lines; a handful of forwarded-request lines may
	// use escapes Go does not know.
	if len(out) < 700 {
		t.Fatalf("parsed %d cowrie lines (%d unparsable), want >= 700", len(out), bad)
	}
	return out
}

// busyboxTokenRE is an independent statement of the busybox-token rule.
var busyboxTokenRE = regexp.MustCompile(`/bin/busybox [A-Z]{3,}([^a-z]|$)`)

// loaderRE is the grep expression below (on unescaped text): every command it
// selects must match some pattern.
var loaderRE = regexp.MustCompile(`/bin/busybox [A-Z]{3}|wget http|chmod (777|\+x)|tftp .*-g|tftp .*-c get|curl .*\| ?sh|echo -ne .\\x7f|echo -ne .\\x45\\x4c`)

func TestCowrieCommands(t *testing.T) {
	cmds := cowrieCommands(t)
	m := NewBuiltinExploits()
	busybox := patternID(t, m, "busybox-token")
	matched := 0
	perPattern := map[string]int{}
	for _, c := range cmds {
		id := m.Match([]byte(c))
		if id >= 0 {
			matched++
			n, _ := m.Pattern(id)
			perPattern[n]++
		}
		if busyboxTokenRE.MatchString(c) && (id < 0 || id > busybox) {
			t.Errorf("busybox token not found in %q (got %d)", c, id)
		}
		if loaderRE.MatchString(c) && id < 0 {
			t.Errorf("loader command %q matches nothing", c)
		}
	}
	// Lower bound derived independently from the raw file with
	//   grep -cE '/bin/busybox [A-Z]{3}|wget http|chmod (777|\+x)|tftp .*-g|tftp .*-c get|curl .*\| ?sh|echo -ne .\\\\x7f|echo -ne .\\\\x45\\\\x4c' cowrie_cmd.uniq-counts.txt
	// which prints 538 (of 715 distinct lines; 479 of them have a busybox token).
	const grepCount = 538
	if matched < grepCount {
		t.Errorf("%d distinct commands match a pattern, want >= %d", matched, grepCount)
	}
	if perPattern["busybox-token"] < 479 {
		t.Errorf("busybox-token matched %d commands, want >= 479", perPattern["busybox-token"])
	}
	t.Logf("%d of %d distinct cowrie commands match: %v", matched, len(cmds), perPattern)

	// Benign commands that occur in the file must not match.
	benign := []string{
		"CMD: uname -a", "CMD: uname -a 2>/dev/null", "CMD: cat /proc/cpuinfo", "CMD: sh",
		"CMD: shell", "CMD: system", "CMD: enable", "CMD: busybox", "CMD: which wget 2>/dev/null",
		"CMD: which curl 2>/dev/null", `CMD: echo -e "\x6F\x6B"`, "CMD: ls", "CMD: free -m",
		"CMD: cat /etc/issue", "CMD: wget koficial.tk/info",
		"CMD: /bin/busybox cat /bin/busybox || while read i; do /bin/busybox echo ; done < /bin/busybox || /bin/busybox dd if=/bin/busybox bs=22 count=1",
	}
	present := map[string]bool{}
	for _, c := range cmds {
		present[c] = true
	}
	for _, c := range benign {
		if !present[c] {
			t.Errorf("benign command %q not found in the log", c)
			continue
		}
		if id := m.Match([]byte(c)); id >= 0 {
			n, _ := m.Pattern(id)
			t.Errorf("benign command %q matches %s", c, n)
		}
	}

	// The Mirai chain seen as separate cowrie commands, pipelined into one
	// telnet payload, is an exploit; each command alone is not.
	chain := []byte("CMD: enable\r\nCMD: system\r\nCMD: shell\r\nCMD: sh\r\n")
	chain = bytes.ReplaceAll(chain, []byte("CMD: "), nil)
	if got := matchName(m, chain); got != "mirai-telnet-chain" {
		t.Errorf("pipelined chain matches %q", got)
	}
}

// commandsSection returns the lines of the "Raw Commands:" section of a
// honeypot-ai commands.txt.
func commandsSection(t *testing.T, rel string) []string {
	data := string(readShared(t, rel))
	i := strings.Index(data, "Raw Commands:")
	if i < 0 {
		t.Fatalf("%s: no Raw Commands section", rel)
	}
	data = data[i+len("Raw Commands:"):]
	if j := strings.Index(data, "Split Commands:"); j >= 0 {
		data = data[:j]
	}
	var out []string
	for _, l := range strings.Split(data, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func TestHoneypotAICommands(t *testing.T) {
	m := NewBuiltinExploits()
	for _, dir := range []string{"ssh-bruteforce-wget-tftp", "telnet-wget-tftp-loader", "ssh-mirai-like-204.76.203.13"} {
		t.Run(dir, func(t *testing.T) {
			cmds := commandsSection(t, filepath.Join("logs/honeypot-ai", dir, "commands.txt"))
			var chain []string
			loaders := 0
			for _, c := range cmds {
				switch c {
				case "enable", "system", "shell", "sh":
					chain = append(chain, c)
					if id := m.Match([]byte(c + "\r\n")); id >= 0 {
						t.Errorf("single chain word %q matches %d", c, id)
					}
					continue
				}
				if strings.Contains(c, "wget http") || strings.Contains(c, "tftp -g") || strings.Contains(c, "chmod 777") {
					loaders++
					if id := m.Match([]byte(c)); id < 0 {
						t.Errorf("loader command %q matches nothing", c)
					}
				}
			}
			if loaders == 0 {
				t.Error("no loader command found")
			}
			if len(chain) >= 2 {
				p := []byte(strings.Join(chain, "\r\n") + "\r\n")
				if got := matchName(m, p); got != "mirai-telnet-chain" {
					t.Errorf("chain %q matches %q", p, got)
				}
			}
		})
	}
}

// httpRequests splits a honeypot-ai http_requests.txt into raw requests with
// CRLF line ends.
func httpRequests(t *testing.T, rel string) []string {
	data := strings.TrimPrefix(strings.TrimSpace(string(readShared(t, rel))), "HTTP Requests:")
	var out []string
	for _, block := range strings.Split(data, "\n\n") {
		block = strings.TrimSpace(block)
		if block != "" {
			out = append(out, strings.ReplaceAll(block, "\n", "\r\n")+"\r\n\r\n")
		}
	}
	return out
}

func TestHoneypotAIHTTPRequests(t *testing.T) {
	m := NewBuiltinExploits()
	tests := []struct {
		dir      string
		contains string // requests selected by this substring
		want     string // pattern they must match, "" for none
	}{
		{"web-netgear-setupcgi-mozi", "setup.cgi?", "netgear-setup-cgi"},
		{"web-shellshock-tomcat", "() {", "shellshock"},
		{"web-shellshock-tomcat", "GET /manager/html", ""},
		{"web-freepbx-lfi", "invokefunction", "thinkphp-invokefunction"},
		{"web-freepbx-lfi", "/actuator/gateway/routes", ""},
		{"web-log4shell", "${", "log4shell-jndi"},
	}
	for _, tt := range tests {
		t.Run(tt.dir+"/"+tt.contains, func(t *testing.T) {
			n := 0
			for _, r := range httpRequests(t, filepath.Join("logs/honeypot-ai", tt.dir, "http_requests.txt")) {
				if !strings.Contains(r, tt.contains) {
					continue
				}
				n++
				if got := matchName(m, []byte(r)); got != tt.want {
					t.Errorf("request %.120q matches %q, want %q", r, got, tt.want)
				}
			}
			if n == 0 {
				t.Errorf("no request contains %q", tt.contains)
			}
		})
	}
}

// webRequest rebuilds a raw HTTP request from one honeypot-ai web-honeypot
// JSON record (headers are either an object or a Python repr string).
func webRequest(rec map[string]any) string {
	var b strings.Builder
	str := func(v any) string { s, _ := v.(string); return s }
	b.WriteString(str(rec["method"]) + " " + str(rec["url"]) + " " + str(rec["version"]) + "\r\n")
	switch h := rec["headers"].(type) {
	case map[string]any:
		for k, v := range h {
			b.WriteString(k + ": " + str(v) + "\r\n")
		}
	case string:
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n" + str(rec["data"]))
	return b.String()
}

func TestHoneypotAILog4Shell(t *testing.T) {
	m := NewBuiltinExploits()
	files, _ := filepath.Glob(filepath.Join(sharedData, "logs/honeypot-ai/web-log4shell/web/*.json"))
	if len(files) == 0 {
		t.Skip("honeypot-ai web-log4shell logs not present")
	}
	records, matched := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var rec map[string]any
			if err := json.Unmarshal(line, &rec); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			records++
			if matchName(m, []byte(webRequest(rec))) == "log4shell-jndi" {
				matched++
			}
		}
	}
	// grep -c '\${\${\|\${jndi' over the three files counts 310 of 310 lines.
	if records != 310 || matched != 310 {
		t.Errorf("log4shell matched %d of %d records, want 310 of 310", matched, records)
	}
}

// pcapFrames returns the frames of a classic pcap file under sharedData.
func pcapFrames(t *testing.T, rel string) [][]byte {
	f, err := os.Open(filepath.Join(sharedData, rel))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("shared data %s not present", rel)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReader(f))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	var frames [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: frame %d: %v", rel, len(frames), err)
		}
		frames = append(frames, data)
	}
	return frames
}

// TestPcaps runs the matcher over whole captured frames (headers included;
// the decoder is another package). Exploit captures must yield the expected
// pattern; scans, benign telnet and SMB must yield nothing at all.
func TestPcaps(t *testing.T) {
	m := NewBuiltinExploits()
	tests := []struct {
		file string
		want string // pattern at least one frame matches; "" = no frame matches anything
	}{
		{"pcaps/exploits/corelight_shellshock_exploit.pcap", "shellshock"},
		{"pcaps/exploits/sv_bug-5437-01_jaws-midstream.pcap", "jaws-shell"},
		{"pcaps/exploits/sv_bug-5437-02_jaws-dvr-shell-wget.pcap", "jaws-shell"},
		{"pcaps/exploits/sv_output-multi-eve_log4shell.pcap", "log4shell-jndi"},
		{"pcaps/mirai/sv_mac-eve-packet_mirai-syn23.pcap", ""},
		{"pcaps/telnet/sv_telnet-01_telnet.pcap", ""},
		{"pcaps/smb/ndpi_smbv1.pcap", ""},
		{"pcaps/scanners/ndpi_synscan_nmap.pcap", ""},
		{"pcaps/scanners/scanrec_zmap_syn80.pcap", ""},
		{"pcaps/scanners/scanrec_masscan.pcap", ""},
		{"pcaps/scanners/esnet_masscan_tcp_0_1000.pcap", ""},
		{"pcaps/scanners/esnet_masscan_udp_0_1000.pcap", ""},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			found := 0
			for i, fr := range pcapFrames(t, tt.file) {
				got := matchName(m, fr)
				if tt.want == "" && got != "" {
					t.Errorf("frame %d matches %s", i, got)
				}
				if tt.want != "" && got == tt.want {
					found++
				}
			}
			if tt.want != "" && found == 0 {
				t.Errorf("no frame matches %s", tt.want)
			}
		})
	}
}

// ruleContents returns the content:"..." strings of a Suricata rules file
// with |hex| escapes decoded.
func ruleContents(t *testing.T, rel string) []string {
	data := string(readShared(t, rel))
	var out []string
	for _, m := range regexp.MustCompile(`content:"([^"]*)"`).FindAllStringSubmatch(data, -1) {
		s := m[1]
		var b strings.Builder
		for {
			i := strings.IndexByte(s, '|')
			if i < 0 {
				b.WriteString(s)
				break
			}
			j := strings.IndexByte(s[i+1:], '|')
			if j < 0 {
				t.Fatalf("%s: unbalanced | in %q", rel, m[1])
			}
			b.WriteString(s[:i])
			for _, h := range strings.Fields(s[i+1 : i+1+j]) {
				v, err := strconv.ParseUint(h, 16, 8)
				if err != nil {
					t.Fatalf("%s: bad hex %q", rel, h)
				}
				b.WriteByte(byte(v))
			}
			s = s[i+2+j:]
		}
		out = append(out, b.String())
	}
	return out
}

// TestSuricataRuleContents checks the matcher against the literal contents of
// the suricata-verify rules shipped with the exploit captures.
func TestSuricataRuleContents(t *testing.T) {
	m := NewBuiltinExploits()
	tests := []struct {
		rules    string
		contains string // rule content selected by this substring
		prefix   string // text put before the content to form a request
		want     string
	}{
		{"suricata-verify-expected/sv_bug-5437-01/test.rules", "/shell?", "GET ", "jaws-shell"},
		{"suricata-verify-expected/sv_bug-5437-02/test.rules", "/shell?", "GET ", "jaws-shell"},
		{"suricata-verify-expected/sv_output-multi-eve/test.rules", "jndi", "$", "log4shell-jndi"},
		{"suricata-verify-expected/sv_output-multi-eve/test.rules", "jndi", "%24", "log4shell-jndi"},
		{"suricata-verify-expected/sv_bug-5437-01/test.rules", "Hello, world", "GET / HTTP/1.1\r\n", ""},
		{"suricata-verify-expected/sv_telnet_telnet-01/test.rules", "ping", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.rules+"/"+tt.prefix+tt.contains, func(t *testing.T) {
			n := 0
			for _, c := range ruleContents(t, tt.rules) {
				if !strings.Contains(c, tt.contains) {
					continue
				}
				n++
				p := tt.prefix + c + " HTTP/1.1\r\n\r\n"
				if got := matchName(m, []byte(p)); got != tt.want {
					t.Errorf("%q matches %q, want %q", p, got, tt.want)
				}
			}
			if n == 0 {
				t.Errorf("no content contains %q", tt.contains)
			}
		})
	}
}
