package rules

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/classify/exploitcases"
)

// builtinCases are the payloads of internal/classify's pattern tests
// (internal/classify/exploitcases), with the pattern each must give.
func builtinCases() []struct {
	name    string
	payload []byte
	want    string
} {
	var out []struct {
		name    string
		payload []byte
		want    string
	}
	for _, c := range exploitcases.Cases() {
		out = append(out, struct {
			name    string
			payload []byte
			want    string
		}{c.Name, c.Payload, c.Want})
	}
	return out
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
