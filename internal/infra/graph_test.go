package infra

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/forcelayout"
)

func fixtureGraph(t *testing.T) *Graph {
	t.Helper()
	s := startServer(t, fixtureZones)
	cdns := append(DefaultCDNs(), CDN{Name: "FakeCDN", Suffixes: []string{"fakecdn.test"}})
	r := newTestResolver(t, s, Config{CDNs: cdns})
	names := []string{"c2.evil.test", "www.evil.test", "static.cf.test", "asn.evil.test", "nope.missing.test", "c2.evil.test"}
	return BuildGraph(r.ResolveAll(context.Background(), names, nil))
}

func TestBuildGraph(t *testing.T) {
	g := fixtureGraph(t)
	var ids []string
	for _, n := range g.Nodes {
		ids = append(ids, string(n.Kind)+":"+n.ID)
	}
	want := []string{"name:asn.evil.test", "name:c2.evil.test", "name:static.cf.test", "name:www.evil.test",
		"ns:ns1.dnshost.test", "ns:ns2.dnshost.test"}
	if !slices.Equal(ids, want) {
		t.Fatalf("nodes %v, want %v", ids, want)
	}
	if g.Names != 4 || g.Unlinked != 1 {
		t.Errorf("names %d unlinked %d", g.Names, g.Unlinked)
	}
	if len(g.Edges) != 7 {
		t.Errorf("%d edges, want 7", len(g.Edges))
	}
	if d := g.Nodes[g.Index(KindNS, "ns1.dnshost.test")].Degree; d != 4 {
		t.Errorf("ns1 degree %d", d)
	}
	if n := g.Nodes[g.Index(KindName, "www.evil.test")]; n.CDN != "FakeCDN" || n.Degree != 2 {
		t.Errorf("www: %+v", n)
	}
	if g.Index(KindName, "nope.missing.test") != -1 || g.Index(KindNS, "c2.evil.test") != -1 {
		t.Error("Index found what is not there")
	}
}

func TestEdgesCSVAndJSON(t *testing.T) {
	g := BuildGraph([]Resolution{
		{Name: "b.evil.test", Zone: "evil.test", NS: []string{"ns2.h.test", "ns1.h.test"}, CDN: "Fastly", CDNBy: "cname",
			Addrs: []Address{{Addr: netip.MustParseAddr("192.0.2.1"), ASN: 54113}, {Addr: netip.MustParseAddr("2001:db8::1")}}},
		{Name: "a.evil.test", Zone: "evil.test", NS: []string{"ns1.h.test"}},
	})
	var cb bytes.Buffer
	if err := g.WriteCSV(&cb); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&cb).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{EdgeFields,
		{"a.evil.test", "evil.test", "ns1.h.test", "", "", "", ""},
		{"b.evil.test", "evil.test", "ns1.h.test", "Fastly", "cname", "192.0.2.1;2001:db8::1", "54113;0"},
		{"b.evil.test", "evil.test", "ns2.h.test", "Fastly", "cname", "192.0.2.1;2001:db8::1", "54113;0"},
	}
	if len(recs) != len(want) {
		t.Fatalf("csv %v", recs)
	}
	for i := range want {
		if !slices.Equal(recs[i], want[i]) {
			t.Errorf("row %d: %v, want %v", i, recs[i], want[i])
		}
	}
	var jb bytes.Buffer
	if err := g.WriteJSON(&jb); err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(jb.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 3 {
		t.Fatalf("json %s", jb.Bytes())
	}
	for _, e := range back {
		for _, f := range EdgeFields {
			if _, ok := e[f]; !ok {
				t.Errorf("json edge lacks %q: %v", f, e)
			}
		}
	}
	if back[1]["ns"] != "ns1.h.test" || back[2]["cdn"] != "Fastly" || back[0]["addrs"] == nil {
		t.Errorf("json edges %v", back)
	}
}

func TestGraphChart(t *testing.T) {
	g := fixtureGraph(t)
	g.Layout(forcelayout.Options{Seed: 1})
	c := g.Chart(ChartOptions{Title: "Infrastructure", Hubs: 1, Href: func(n string) string { return "/sessions?q=" + n }})
	svg := string(c.SVG())
	for _, want := range []string{ColorNS, ColorName, "<title>www.evil.test · FakeCDN</title>", `href="/sessions?q=c2.evil.test"`,
		">ns1.dnshost.test</text>", ">FakeCDN</text>", ">Amazon CloudFront</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	// Only the busiest name server is labelled.
	if strings.Contains(svg, ">ns2.dnshost.test</text>") {
		t.Error("a second hub was labelled with Hubs 1")
	}
	if n := strings.Count(svg, "<circle"); n < len(g.Nodes) {
		t.Errorf("%d circles for %d nodes", n, len(g.Nodes))
	}
	b, err := c.PNG(1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// Some pixel is the name servers' orange.
	found := false
	bb := img.Bounds()
	for y := bb.Min.Y; y < bb.Max.Y && !found; y++ {
		for x := bb.Min.X; x < bb.Max.X; x++ {
			r, gg, b, _ := img.At(x, y).RGBA()
			if r>>8 == 0xf2 && gg>>8 == 0x8e && b>>8 == 0x2b {
				found = true
				break
			}
		}
	}
	if !found {
		t.Error("no orange pixel in the PNG")
	}
}

func TestLayoutDeterministic(t *testing.T) {
	a, b := fixtureGraph(t), fixtureGraph(t)
	a.Layout(forcelayout.Options{Seed: 3})
	b.Layout(forcelayout.Options{Seed: 3})
	for i := range a.Nodes {
		if a.Nodes[i] != b.Nodes[i] {
			t.Fatalf("node %d: %+v and %+v", i, a.Nodes[i], b.Nodes[i])
		}
	}
}

func TestServerCDNLabel(t *testing.T) {
	r := func(name, ns, cdn string) Resolution {
		return Resolution{Name: name, Zone: name, NS: []string{ns}, CDN: cdn}
	}
	g := BuildGraph([]Resolution{
		r("a.test", "kim.ns.cloudflare.test", "Cloudflare"), r("b.test", "kim.ns.cloudflare.test", "Cloudflare"),
		r("c.test", "kim.ns.cloudflare.test", ""), r("d.test", "ns1.h.test", "Cloudflare"), r("e.test", "ns1.h.test", ""),
		r("f.test", "ns1.h.test", ""),
	})
	if got := g.serverCDNs(); len(got) != 1 || got["kim.ns.cloudflare.test"] != "Cloudflare" {
		t.Errorf("server CDNs %v", got)
	}
	svg := string(g.Chart(ChartOptions{}).SVG())
	if !strings.Contains(svg, ">kim.ns.cloudflare.test (Cloudflare)</text>") || strings.Contains(svg, "ns1.h.test (") {
		t.Error("the CDN's name server is not labelled with it, or another is")
	}
}
