package rules

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestDiffSets(t *testing.T) {
	load := func(text string) *Set {
		s := NewSet(Options{IncludeDisabled: true})
		if err := s.Add(strings.NewReader(text), "t.rules"); err != nil {
			t.Fatal(err)
		}
		return s
	}
	old := load(`alert tcp any any -> any any (msg:"kept"; content:"a"; sid:1; rev:1;)
alert tcp any any -> any any (msg:"bumped"; content:"b"; sid:2; rev:1;)
alert tcp any any -> any any (msg:"gone"; content:"c"; sid:3; rev:4;)
#alert tcp any any -> any any (msg:"off, unsupported"; pcre:"/(a)\1/"; sid:4; rev:1;)
alert tcp any any -> any any (msg:"dup"; content:"d"; sid:5; rev:1;)
alert tcp any any -> any any (msg:"dup"; content:"d"; sid:5; rev:2;)
`)
	new := load(`alert tcp any any -> any any (msg:"kept, text edited"; content:"a"; metadata:x y; sid:1; rev:1;)
alert tcp any any -> any any (msg:"bumped"; content:"bb"; sid:2; rev:2;)
alert tcp any any -> any any (msg:"unsupported, rev bumped"; pcre:"/(a)\1/"; sid:4; rev:3;)
alert tcp any any -> any any (msg:"new"; content:"e"; sid:6; rev:1;)
alert tcp any any -> any any (msg:"new gid"; content:"e"; gid:3; sid:1; rev:1;)
alert tcp any any -> any any (msg:"dup"; content:"d"; sid:5; rev:2;)
`)
	d := DiffSets(old, new)
	var got []string
	for _, a := range d.Added {
		got = append(got, "+"+strconv.Itoa(int(a.GID))+":"+strconv.Itoa(int(a.SID))+" "+a.Msg)
	}
	for _, r := range d.Removed {
		got = append(got, "-"+strconv.Itoa(int(r.SID))+" "+r.Msg)
	}
	for _, c := range d.Changed {
		got = append(got, "~"+strconv.Itoa(int(c.SID))+" "+strconv.Itoa(int(c.OldRev))+">"+strconv.Itoa(int(c.Rev))+" "+c.Msg)
	}
	want := []string{"+1:6 new", "+3:1 new gid", "-3 gone", "~2 1>2 bumped", "~4 1>3 unsupported, rev bumped"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("diff\n got %q\nwant %q", got, want)
	}
	if d := DiffSets(new, new); len(d.Added)+len(d.Removed)+len(d.Changed) != 0 {
		t.Errorf("a set against itself: %+v", d)
	}
}

// TestDiffETOpenSnapshots compares the two ET Open snapshots, enabled and
// disabled rules, and checks the counts against the ones the corpus README
// states (computed there by its own script), and the removed sids it lists.
func TestDiffETOpenSnapshots(t *testing.T) {
	dir := sharedPath(t, "rules")
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Skip("no corpus README")
	}
	m := regexp.MustCompile(`\*\*(\d+) sids added, (\d+) removed, (\d+) rev bumps\.\*\*`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no diff summary line")
	}
	want := [3]int{}
	for i := range want {
		want[i], _ = strconv.Atoi(string(m[i+1]))
	}
	load := func(name string) *Set {
		s, err := Load([]string{filepath.Join(dir, name)}, Options{IncludeDisabled: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	old, new := load("et-open-2024-04-21"), load("et-open-2025-08-17")
	if n := len(old.IDs()); n != 4286 { // README: "distinct sids" of the OLD snapshot
		t.Errorf("old snapshot: %d sids, the README's table says 4286", n)
	}
	d := DiffSets(old, new)
	if got := [3]int{len(d.Added), len(d.Removed), len(d.Changed)}; got != want {
		t.Errorf("added, removed, changed %v, README %v", got, want)
	}
	removed := map[uint32]bool{}
	for _, r := range d.Removed {
		removed[r.SID] = true
	}
	for _, sid := range []uint32{2012690, 2021178, 2018372, 2018373, 2018374, 2027267, 2022115, 2044143, 2044144} {
		if !removed[sid] {
			t.Errorf("sid %d not among the removed", sid)
		}
	}
	found := false
	for _, c := range d.Changed {
		if c.SID == 2027063 {
			found = c.OldRev == 2 && c.Rev == 3
		}
	}
	if !found {
		t.Error("2027063 not changed rev 2 -> 3")
	}
}
