package infra

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/forcelayout"
)

// Node colours, as in the seed's graph.
const (
	ColorNS   = "#f28e2b" // name servers: orange
	ColorName = "#9ecae9" // names: light blue
)

// NodeKind says what a node is.
type NodeKind string

// The node kinds.
const (
	KindName NodeKind = "name"
	KindNS   NodeKind = "ns"
)

// Node is one node of the graph.
type Node struct {
	ID   string   `json:"id"`
	Kind NodeKind `json:"kind"`
	// CDN is the CDN serving a name ("" for none and for name servers).
	CDN string `json:"cdn,omitempty"`
	// Degree is the number of edges at the node.
	Degree int `json:"degree"`
	// X and Y are the layout position (0 before Layout).
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Edge joins a name to one authoritative name server of its zone. Its
// fields are the columns of edges.csv and the keys of edges.json, in this
// order.
type Edge struct {
	Name  string `json:"name"`
	Zone  string `json:"zone"`
	NS    string `json:"ns"`
	CDN   string `json:"cdn"`
	CDNBy string `json:"cdn_by"`
	// Addrs are the name's addresses and ASNs their AS numbers, in the
	// same order (0 for unknown), ';'-separated in CSV.
	Addrs []string `json:"addrs"`
	ASNs  []uint32 `json:"asns"`
}

// EdgeFields are the CSV header of edges.csv.
var EdgeFields = []string{"name", "zone", "ns", "cdn", "cdn_by", "addrs", "asns"}

// Graph is the bipartite network of names and name servers.
type Graph struct {
	// Nodes: names first (sorted), then name servers (sorted).
	Nodes []Node
	// Edges sorted by name, then name server.
	Edges []Edge
	// Names is how many names there are (the first Names nodes);
	// Unlinked counts the resolutions left out for want of a name server.
	Names, Unlinked int
	index           map[string]int
}

func nodeKey(k NodeKind, id string) string { return string(k) + "\x00" + id }

// Index returns the node of kind k and id, or -1.
func (g *Graph) Index(k NodeKind, id string) int {
	if i, ok := g.index[nodeKey(k, id)]; ok {
		return i
	}
	return -1
}

// BuildGraph makes the graph of the resolutions: a node per name with at
// least one name server, a node per name server, an edge from each name to
// each name server of its zone. A name resolved twice counts once (the
// first resolution).
func BuildGraph(rs []Resolution) *Graph {
	g := &Graph{index: map[string]int{}}
	seen := map[string]bool{}
	var keep []Resolution
	for _, r := range rs {
		if r.Name == "" || seen[r.Name] {
			continue
		}
		seen[r.Name] = true
		if len(r.NS) == 0 {
			g.Unlinked++
			continue
		}
		keep = append(keep, r)
	}
	slices.SortFunc(keep, func(a, b Resolution) int { return cmp.Compare(a.Name, b.Name) })
	nsSet := map[string]bool{}
	for _, r := range keep {
		g.index[nodeKey(KindName, r.Name)] = len(g.Nodes)
		g.Nodes = append(g.Nodes, Node{ID: r.Name, Kind: KindName, CDN: r.CDN})
		for _, ns := range r.NS {
			nsSet[ns] = true
		}
	}
	g.Names = len(g.Nodes)
	for _, ns := range slices.Sorted(maps.Keys(nsSet)) {
		g.index[nodeKey(KindNS, ns)] = len(g.Nodes)
		g.Nodes = append(g.Nodes, Node{ID: ns, Kind: KindNS})
	}
	for _, r := range keep {
		var as []string
		var asns []uint32
		for _, a := range r.Addrs {
			as = append(as, a.Addr.String())
			asns = append(asns, a.ASN)
		}
		ns := slices.Clone(r.NS)
		slices.Sort(ns)
		for _, n := range slices.Compact(ns) {
			g.Edges = append(g.Edges, Edge{Name: r.Name, Zone: r.Zone, NS: n, CDN: r.CDN, CDNBy: r.CDNBy, Addrs: as, ASNs: asns})
			g.Nodes[g.index[nodeKey(KindName, r.Name)]].Degree++
			g.Nodes[g.index[nodeKey(KindNS, n)]].Degree++
		}
	}
	return g
}

// Layout places the nodes (deterministically for the same graph and
// options).
func (g *Graph) Layout(opt forcelayout.Options) {
	es := make([][2]int, 0, len(g.Edges))
	for _, e := range g.Edges {
		es = append(es, [2]int{g.Index(KindName, e.Name), g.Index(KindNS, e.NS)})
	}
	pos := forcelayout.Layout(len(g.Nodes), es, opt)
	for i := range pos {
		g.Nodes[i].X, g.Nodes[i].Y = pos[i].X, pos[i].Y
	}
}

// WriteCSV writes the edges with a header line (EdgeFields).
func (g *Graph) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(EdgeFields); err != nil {
		return err
	}
	for _, e := range g.Edges {
		asns := make([]string, len(e.ASNs))
		for i, a := range e.ASNs {
			asns[i] = strconv.FormatUint(uint64(a), 10)
		}
		if err := cw.Write([]string{e.Name, e.Zone, e.NS, e.CDN, e.CDNBy, strings.Join(e.Addrs, ";"), strings.Join(asns, ";")}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes the edges as a JSON array of objects (Edge's keys).
func (g *Graph) WriteJSON(w io.Writer) error {
	edges := g.Edges
	if edges == nil {
		edges = []Edge{}
	}
	for i := range edges {
		if edges[i].Addrs == nil {
			edges[i].Addrs = []string{}
		}
		if edges[i].ASNs == nil {
			edges[i].ASNs = []uint32{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(edges)
}

// ChartOptions shape the drawing of a graph.
type ChartOptions struct {
	Title, Subtitle string
	// Lang is "ja" for Japanese legend labels.
	Lang string
	// Width and Height in CSS pixels (0: the chart's default).
	Width, Height int
	// Hubs is how many of the busiest name servers get a label (0: 15).
	Hubs int
	// Href, when set, links each name's dot (SVG).
	Href func(name string) string
}

// serverCDNs names, for each name server most of whose names (and at
// least two) one CDN serves, that CDN: the CDN's own DNS.
func (g *Graph) serverCDNs() map[string]string {
	count := map[string]map[string]int{}
	for _, e := range g.Edges {
		if e.CDN == "" {
			continue
		}
		if count[e.NS] == nil {
			count[e.NS] = map[string]int{}
		}
		count[e.NS][e.CDN]++
	}
	out := map[string]string{}
	for ns, by := range count {
		deg := g.Nodes[g.Index(KindNS, ns)].Degree
		for cdn, k := range by {
			if k >= 2 && 2*k > deg {
				out[ns] = cdn
			}
		}
	}
	return out
}

// Chart draws the laid-out graph: names light blue, name servers orange
// and sized by their number of names, the busiest name servers labelled,
// names served by a CDN outlined in the CDN's colour, each CDN's name
// written among its names when they lie together, and a name server most
// of whose names one CDN serves outlined and labelled with the CDN.
func (g *Graph) Chart(o ChartOptions) *chart.Network {
	if o.Hubs <= 0 {
		o.Hubs = 15
	}
	nameR := 2.6
	if g.Names > 3000 {
		nameR = 1.6
	}
	ns := make([]int, 0, len(g.Nodes)-g.Names)
	for i := g.Names; i < len(g.Nodes); i++ {
		ns = append(ns, i)
	}
	slices.SortStableFunc(ns, func(a, b int) int { return cmp.Compare(g.Nodes[b].Degree, g.Nodes[a].Degree) })
	hub := map[int]bool{}
	for _, i := range ns[:min(o.Hubs, len(ns))] {
		hub[i] = true
	}
	nameWord, nsWord := "names", "name servers"
	if strings.HasPrefix(o.Lang, "ja") {
		nameWord, nsWord = "ドメイン名", "ネームサーバ"
	}
	c := &chart.Network{Title: o.Title, Subtitle: o.Subtitle, Lang: o.Lang, Width: o.Width, Height: o.Height,
		Legend: []chart.NetLegend{{Label: nameWord, Color: ColorName}, {Label: nsWord, Color: ColorNS}}}
	cdnNodes := map[string][]int{}
	nsCDN := g.serverCDNs()
	for i, n := range g.Nodes {
		nn := chart.NetNode{X: n.X, Y: n.Y, Label: n.ID}
		if n.Kind == KindNS {
			nn.Color, nn.Class = ColorNS, "ns"
			nn.R = math.Min(2.5+math.Sqrt(float64(n.Degree))*0.9, 18)
			nn.Title = n.ID + " · " + strconv.Itoa(n.Degree)
			if cdn := nsCDN[n.ID]; cdn != "" {
				nn.Label += " (" + cdn + ")"
				nn.Title += " · " + cdn
				nn.Ring = chart.ColorFor(cdn)
			}
			nn.ShowLabel = hub[i]
		} else {
			nn.Color, nn.Class, nn.R = ColorName, "name", nameR
			if n.CDN != "" {
				nn.Ring = chart.ColorFor(n.CDN)
				nn.Title = n.ID + " · " + n.CDN
				cdnNodes[n.CDN] = append(cdnNodes[n.CDN], i)
			}
			if o.Href != nil {
				nn.Href = o.Href(n.ID)
			}
		}
		c.Nodes = append(c.Nodes, nn)
	}
	for _, e := range g.Edges {
		c.Edges = append(c.Edges, chart.NetEdge{A: g.Index(KindName, e.Name), B: g.Index(KindNS, e.NS)})
	}
	for _, cdn := range slices.Sorted(maps.Keys(cdnNodes)) {
		c.Groups = append(c.Groups, chart.NetGroup{Label: cdn, Color: chart.ColorFor(cdn), Nodes: cdnNodes[cdn]})
		c.Legend = append(c.Legend, chart.NetLegend{Label: cdn, Color: chart.ColorFor(cdn)})
	}
	return c
}
