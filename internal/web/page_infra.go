package web

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/forcelayout"
	"github.com/honeyscope/honeyscope/internal/infra"
	"github.com/honeyscope/honeyscope/internal/store"
)

func init() {
	register(&page{Name: "infra", Pattern: "/infra", Nav: "navInfra", NavOrder: 64, Build: buildInfra})
	addMessages(map[string][2]string{
		"navInfra":      {"Infrastructure", "インフラ"},
		"infTitle":      {"DNS infrastructure", "DNSインフラ"},
		"infLead":       {"The domain names in the URLs intruders used and those sandboxed samples resolved, joined to the name servers their domains are registered at. Names a CDN serves are outlined; hover a dot for its name, click a name for its sessions.", "侵入者が使ったURLのドメイン名およびサンドボックスで検体が名前解決したドメイン名と、そのドメインが登録されているネームサーバを結んだネットワークです。CDNが配信する名前は縁取りで示します。点にカーソルを合わせると名前を、クリックするとその名前が現れたセッションを表示します。"},
		"infAllDays":    {"All days (from and to select the days sessions started).", "全期間（開始日・終了日はセッションの開始日で絞り込みます）。"},
		"infNoStore":    {"This dashboard keeps no DNS resolutions: run honeyscope infra graph on the store to resolve the names.", "このダッシュボードにはDNSの解決結果がありません。ストアに対して honeyscope infra graph を実行して名前を解決してください。"},
		"infUnresolved": {"names seen but not resolved yet (run honeyscope infra graph)", "観測済みで未解決の名前（honeyscope infra graph で解決）"},
		"infCapped":     {"Only the first names are drawn.", "先頭の名前のみを描画しています。"},
		"infGraph":      {"Names and their name servers", "ドメイン名とネームサーバ"},
		"infSub":        {"names · name servers", "ドメイン名・ネームサーバ"},
		"infServers":    {"Name servers with most names", "名前の多いネームサーバ"},
		"infNames":      {"Names", "ドメイン名"},
		"infNS":         {"Name server", "ネームサーバ"},
		"infNameCount":  {"Names", "名前数"},
		"infName":       {"Name", "名前"},
		"infZone":       {"Domain", "ドメイン"},
		"infCNAME":      {"CNAME chain", "CNAMEチェーン"},
		"infAddrs":      {"Addresses (AS)", "アドレス（AS）"},
		"infCDN":        {"CDN", "CDN"},
		"infNone":       {"No resolved names in this period.", "この期間に解決済みの名前はありません。"},
	})
}

// Bounds of the infrastructure page: the names drawn (laying out 10,000
// takes seconds; the page cache keeps the result) and the rows listed.
const (
	infraMaxNames   = 5000
	infraServerRows = 50
	infraNameRows   = 500
)

func buildInfra(q *request, c *content) error {
	c.Title, c.Lead = q.T("infTitle"), q.T("infLead")
	from, to, err := q.listRange(c, "infAllDays")
	if err != nil {
		return err
	}
	var rs []infra.Resolution
	if rstore := q.h.deps.Resolutions; rstore == nil {
		// The graph is drawn empty: the page still has its place.
		c.Notes = append(c.Notes, q.T("infNoStore"))
	} else {
		names, truncated, err := infra.Collect(q.ctx, from, to, infraSources(q.h.deps.Store)...)
		if err != nil {
			return err
		}
		if rs, err = rstore.Resolutions(q.ctx, names); err != nil {
			return err
		}
		if n := len(names) - len(rs); n > 0 {
			c.Notes = append(c.Notes, strconv.Itoa(n)+" "+q.T("infUnresolved"))
		}
		if truncated || len(rs) > infraMaxNames {
			rs = rs[:min(len(rs), infraMaxNames)]
			c.Notes = append(c.Notes, q.T("infCapped"))
		}
	}
	g := infra.BuildGraph(rs)
	g.Layout(forcelayout.Options{Seed: 1})
	sessions := func(name string) string {
		u := q.link("/sessions")
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		return u + sep + "q=" + url.QueryEscape(name)
	}
	sub := strconv.Itoa(g.Names) + " · " + strconv.Itoa(len(g.Nodes)-g.Names) + " " + q.T("infSub")
	c.addFigure(&figure{ID: "graph", Title: q.T("infGraph"),
		Chart: g.Chart(infra.ChartOptions{Title: q.T("infGraph"), Subtitle: sub, Lang: q.Lang, Width: 1100, Height: 800, Href: sessions})})

	// Name servers by their number of names.
	servers := make([]infra.Node, 0, len(g.Nodes)-g.Names)
	servers = append(servers, g.Nodes[g.Names:]...)
	slices.SortStableFunc(servers, func(a, b infra.Node) int { return cmp.Compare(b.Degree, a.Degree) })
	st := &table{ID: "servers", Caption: q.T("infServers"), Head: []string{q.T("infNS"), q.T("infNameCount")},
		Numeric: []bool{false, true}, Empty: q.T("infNone")}
	for _, n := range servers[:min(len(servers), infraServerRows)] {
		st.Rows = append(st.Rows, []cell{{Text: n.ID}, {Text: strconv.Itoa(n.Degree), Num: true}})
	}
	c.addTable(st)

	nt := &table{ID: "names", Caption: q.T("infNames"),
		Head:    []string{q.T("infName"), q.T("infZone"), q.T("infNS"), q.T("infCNAME"), q.T("infAddrs"), q.T("infCDN")},
		Numeric: make([]bool, 6), Empty: q.T("infNone")}
	for _, r := range rs[:min(len(rs), infraNameRows)] {
		var as []string
		for _, a := range r.Addrs {
			s := a.Addr.String()
			if a.ASN != 0 {
				s += " (AS" + strconv.FormatUint(uint64(a.ASN), 10) + ")"
			}
			as = append(as, s)
		}
		nt.Rows = append(nt.Rows, []cell{{Text: r.Name, Href: sessions(r.Name)}, {Text: r.Zone},
			{Text: strings.Join(r.NS, " "), Wrap: true}, {Text: strings.Join(r.CNAME, " → "), Wrap: true},
			{Text: strings.Join(as, " "), Wrap: true}, {Text: r.CDN}})
	}
	c.addTable(nt)
	return nil
}

// infraSources are the names the page draws: the hosts of the honeypot's
// URLs and the domains sandbox runs resolved, when the store keeps runs.
func infraSources(st store.Store) []infra.NameSource {
	out := []infra.NameSource{infra.SessionNames(st)}
	if sb, err := store.SandboxOf(st); err == nil {
		out = append(out, infra.SandboxNames(sb))
	}
	return out
}
