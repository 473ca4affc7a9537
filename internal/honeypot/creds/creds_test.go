package creds

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/config"
)

func sharedData(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		for _, p := range []string{filepath.Join(dir, "shared", "data"), filepath.Join(dir, "..", "shared", "data")} {
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				return p
			}
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Skip("shared/data not found")
		}
		dir = up
	}
}

func TestPolicies(t *testing.T) {
	cases := []struct {
		name    string
		cfg     config.Credentials
		attempt int
		user    string
		pass    string
		want    bool
	}{
		{"list hit", config.Credentials{Policy: "list", Accept: []string{"root:xc3511"}}, 1, "root", "xc3511", true},
		{"list miss", config.Credentials{Policy: "list", Accept: []string{"root:xc3511"}}, 9, "root", "vizxv", false},
		{"list wildcard password", config.Credentials{Policy: "list", Accept: []string{"admin:*"}}, 1, "admin", "x", true},
		{"list wildcard user", config.Credentials{Policy: "list", Accept: []string{"*:1234"}}, 1, "x", "1234", true},
		{"list password with colon", config.Credentials{Policy: "list", Accept: []string{"u:a:b"}}, 1, "u", "a:b", true},
		{"any", config.Credentials{Policy: "any"}, 1, "x", "y", true},
		{"after default first", config.Credentials{}, 1, "x", "y", false},
		{"after default second", config.Credentials{}, 2, "x", "y", false},
		{"after default third", config.Credentials{}, 3, "x", "y", true},
		{"after 0", config.Credentials{Policy: "after", AfterTries: 1}, 2, "x", "y", true},
		{"after listed at once", config.Credentials{Policy: "after", AfterTries: 5, Accept: []string{"root:root"}}, 1, "root", "root", true},
		{"mirai hit", config.Credentials{Policy: "mirai"}, 1, "root", "xc3511", true},
		{"mirai empty password", config.Credentials{Policy: "mirai"}, 1, "root", "", true},
		{"mirai last", config.Credentials{Policy: "mirai"}, 1, "mother", "fucker", true},
		{"mirai miss", config.Credentials{Policy: "mirai"}, 50, "root", "hunter2", false},
		{"mirai plus accept", config.Credentials{Policy: "mirai", Accept: []string{"root:hunter2"}}, 1, "root", "hunter2", true},
	}
	for _, c := range cases {
		p, err := FromConfig(c.cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := p.Check(nil, c.attempt, c.user, c.pass); got != c.want {
			t.Errorf("%s: Check(%d, %q, %q) = %v, want %v", c.name, c.attempt, c.user, c.pass, got, c.want)
		}
	}
}

func TestFromConfigErrors(t *testing.T) {
	for _, c := range []config.Credentials{
		{Policy: "list"},
		{Policy: "bogus"},
		{Policy: "list", Accept: []string{"nocolon"}},
		{Policy: "mirai", MiraiTable: filepath.Join(t.TempDir(), "absent")},
	} {
		if _, err := FromConfig(c); err == nil {
			t.Errorf("FromConfig(%+v): no error", c)
		}
	}
}

// The built-in table is the decoded table of the Mirai source.
func TestMiraiTableMatchesDecoded(t *testing.T) {
	path := filepath.Join(sharedData(t), "mirai", "mirai_credentials_decoded.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	got, err := ReadTable(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(MiraiTable) {
		t.Fatalf("decoded table has %d pairs, built-in %d", len(got), len(MiraiTable))
	}
	for i := range got {
		if got[i] != MiraiTable[i] {
			t.Errorf("pair %d: decoded %v, built-in %v", i, got[i], MiraiTable[i])
		}
	}
	p, err := FromConfig(config.Credentials{Policy: "mirai", MiraiTable: path})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Check(nil, 1, "root", "vizxv") || p.Check(nil, 1, "root", "nope") {
		t.Error("table read from file decides wrongly")
	}
}

func TestReadTable(t *testing.T) {
	got, err := ReadTable(strings.NewReader("# c\n\nroot\tpw\n7\tadmin\t\t3\tnote\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Pair{{"root", "pw"}, {"admin", ""}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := ReadTable(strings.NewReader("one field\n")); err == nil {
		t.Error("bad line accepted")
	}
	if _, err := ReadTable(strings.NewReader(strings.Repeat("a\tb\n", maxTableBytes/4+1))); err == nil {
		t.Error("oversized table accepted")
	}
}
