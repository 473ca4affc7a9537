package ruleset

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/capture"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/rules"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// geoPool draws synthetic sources from the built-in GeoIP table, as
// honeyscope synth does.
type geoPool struct{}

func (geoPool) Countries() []string { return geo.DefaultCountries() }
func (geoPool) Addr(cc string, n uint64) (netip.Addr, bool) {
	return geo.DefaultAddr(cc, n)
}
func (geoPool) Addr6(cc string, n uint64) (netip.Addr, bool) { return geo.DefaultAddr6(cc, n) }

// agreement classifies every packet of a capture with the built-in pattern
// list and with the built-in rule file and counts the packets whose
// classes differ, or whose exploit match is another pattern.
type agreement struct {
	old, new  classify.Classifier
	rules     []*rules.Rule
	packets   int
	exploits  int
	disagree  int
	firstDiff string
}

func newAgreement(t *testing.T) *agreement {
	a, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return &agreement{old: classify.Classifier{Exploits: classify.NewBuiltinExploits()},
		new: classify.Classifier{Exploits: a}, rules: a.Engine().Rules()}
}

func (g *agreement) packet(p *decode.Packet) {
	g.packets++
	c1, id1 := g.old.Classify(p)
	c2, id2 := g.new.Classify(p)
	same := c1 == c2
	if same && c1.Has(classify.Exploit) {
		g.exploits++
		name, _ := g.old.Exploits.Pattern(id1)
		same = id2 >= 0 && g.rules[id2].Pattern() == name
	}
	if !same {
		if g.disagree++; g.disagree == 1 {
			g.firstDiff = string(p.Payload)
		}
	}
}

func (g *agreement) check(t *testing.T, what string) {
	t.Helper()
	if g.disagree > 0 {
		t.Errorf("%s: %d of %d packets classified otherwise by the built-in rules (first payload %q)", what, g.disagree, g.packets, g.firstDiff)
	}
}

// TestBuiltinRulesAgreeOnSynth: on the synthetic capture (plain and
// hostile payloads), the built-in rule file gives every packet the classes
// and the exploit pattern the built-in pattern list gives, so the synthetic
// truth holds with either as the pipeline's matcher.
func TestBuiltinRulesAgreeOnSynth(t *testing.T) {
	for _, hostile := range []bool{false, true} {
		var buf bytes.Buffer
		if _, err := synth.Write(&buf, synth.Config{Packets: 200000, Days: 3, Seed: 17, Pool: geoPool{}, Hostile: hostile}); err != nil {
			t.Fatal(err)
		}
		r, err := capture.NewReader(bytes.NewReader(buf.Bytes()), "synth.pcap")
		if err != nil {
			t.Fatal(err)
		}
		g := newAgreement(t)
		readAll(t, r, g)
		g.check(t, "synth")
		t.Logf("hostile %v: %d packets, %d exploit packets agree", hostile, g.packets, g.exploits)
		if g.exploits == 0 {
			t.Errorf("hostile %v: no exploit packet in the synthetic capture", hostile)
		}
	}
}

// TestBuiltinRulesAgreeOnCaptures does the same on the shared captures.
func TestBuiltinRulesAgreeOnCaptures(t *testing.T) {
	dir := sharedData(t, "pcaps")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap*"))
	if len(files) == 0 {
		t.Skip("no shared captures")
	}
	exploits := 0
	for _, f := range files {
		r, err := capture.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		g := newAgreement(t)
		readAll(t, r, g)
		r.Close()
		g.check(t, filepath.Base(f))
		exploits += g.exploits
	}
	if exploits == 0 {
		t.Error("no exploit packet in the shared captures")
	}
}

type packetReader interface {
	Next() ([]byte, int64, decode.LinkType, int, error)
}

func readAll(t *testing.T, r packetReader, g *agreement) {
	t.Helper()
	var p decode.Packet
	for {
		data, _, link, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if decode.Decode(link, data, &p) == nil {
			g.packet(&p)
		}
	}
}

// sharedData returns a directory of the shared test data, skipping the
// test when it is absent.
func sharedData(t *testing.T, rel string) string {
	t.Helper()
	dir, _ := filepath.Abs(".")
	for {
		for _, c := range []string{filepath.Join(dir, "shared", "data", rel), filepath.Join(dir, "..", "shared", "data", rel)} {
			if fi, err := os.Stat(c); err == nil && fi.IsDir() {
				return c
			}
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Skip("shared/data not present")
		}
		dir = up
	}
}
