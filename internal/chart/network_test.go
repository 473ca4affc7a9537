package chart

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestNetwork(t *testing.T) {
	c := &Network{Title: "g", Width: 400, Height: 300,
		Nodes: []NetNode{
			{X: -5, Y: -5, Label: "hub<1>", ShowLabel: true, Color: "#f28e2b", R: 10},
			{X: 5, Y: 5, Label: "leaf", Title: "leaf & more", Color: "#9ecae9", Href: "/sessions?q=leaf&x=1", Ring: "#123456"},
			{X: math.NaN(), Y: math.Inf(1), Label: "odd"},
		},
		Edges:  []NetEdge{{0, 1}, {1, 7}, {-1, 0}, {2, 2}},
		Groups: []NetGroup{{Label: "CDN", Color: "#123456", Nodes: []int{1, 99}}},
		Legend: []NetLegend{{"names", "#9ecae9"}},
	}
	svg := string(c.SVG())
	for _, want := range []string{">hub&lt;1&gt;</text>", "<title>leaf &amp; more</title>", `<a href="/sessions?q=leaf&amp;x=1">`,
		`stroke="#123456"`, ">CDN</text>", ">names</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if n := strings.Count(svg, `stroke="`+colEdge+`"`); n != 1 {
		t.Errorf("%d edges drawn, want the one valid edge", n)
	}
	if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
		t.Error("a coordinate is not finite")
	}
	// Negative positions are placed, not clamped: the hub (-5, -5) is
	// drawn up and left of the leaf (5, 5), the odd node (taken as 0, 0)
	// between them.
	var xs, ys []float64
	for _, m := range regexp.MustCompile(`<circle cx="([0-9.]+)" cy="([0-9.]+)" r="[0-9.]+" fill`).FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		y, _ := strconv.ParseFloat(m[2], 64)
		xs, ys = append(xs, x), append(ys, y)
	}
	if len(xs) != 3 || !(xs[0] < xs[2] && xs[2] < xs[1] && ys[0] < ys[2] && ys[2] < ys[1]) {
		t.Errorf("node centres x %v y %v", xs, ys)
	}
	if _, err := c.PNG(1); err != nil {
		t.Fatal(err)
	}
	empty := &Network{Title: "none"}
	if _, err := empty.PNG(1); err != nil || !strings.Contains(string(empty.SVG()), "</svg>") {
		t.Errorf("empty network: %v", err)
	}
}

func TestNetworkLabelsDoNotOverlap(t *testing.T) {
	c := &Network{Width: 400, Height: 300}
	for i := range 20 {
		c.Nodes = append(c.Nodes, NetNode{X: float64(i) * 0.01, Y: 0, Label: "server", ShowLabel: true})
	}
	c.Nodes = append(c.Nodes, NetNode{X: 100, Y: 100})
	if n := strings.Count(string(c.SVG()), ">server</text>"); n < 1 || n > 3 {
		t.Errorf("%d labels drawn over 20 coincident nodes", n)
	}
}
