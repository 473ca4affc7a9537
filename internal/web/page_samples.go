package web

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/queryparam"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

func init() {
	register(&page{Name: "samples", Pattern: "/samples", Nav: "navSamples", NavOrder: 62,
		Params: []string{"src", "page"}, Build: buildSamples})
	register(&page{Name: "sample", Pattern: "/sample/{sha256}", Params: []string{"sha256"}, Build: buildSample})
	addMessages(map[string][2]string{
		"navSamples":     {"Samples", "検体"},
		"smpTitle":       {"Samples", "検体"},
		"smpLead":        {"The files honeypot intruders downloaded or wrote that were kept as samples (ELF binaries and scripts), most recently seen first.", "ハニーポットへの侵入者がダウンロード・作成し、検体として保存したファイル（ELFバイナリとスクリプト）です。最近観測した順に表示します。"},
		"smpList":        {"Samples", "検体一覧"},
		"smpAllDays":     {"All days (from and to select the days a sample was last seen).", "全期間（開始日・終了日は最終観測日で絞り込みます）。"},
		"smpTitleOne":    {"Sample", "検体"},
		"smpAmbiguous":   {"this prefix matches several samples; give more digits", "この接頭辞に一致する検体が複数あります。桁数を増やしてください"},
		"smpSessions":    {"Sessions that produced it", "この検体を生んだセッション"},
		"smpSources":     {"Sources", "送信元"},
		"smpURLs":        {"URLs it came from", "取得元のURL"},
		"smpURLsAll":     {"No URL was saved under this file's path; the table lists every URL of its sessions.", "このファイルの保存先に対応するURLがないため、セッション中のすべてのURLを表示しています。"},
		"smpFirstSess":   {"First session", "最初のセッション"},
		"smpSessionsCap": {"Only the newest sessions are listed.", "新しいセッションのみを表示しています。"},
	})
}

// samplesData is the paging of the samples page.
type samplesData struct {
	Page       int
	Prev, Next string
}

// HasPaging says whether there is another page to link.
func (d *samplesData) HasPaging() bool { return d.Prev != "" || d.Next != "" }

func buildSamples(q *request, c *content) error {
	sq := store.SampleQuery{Limit: hpPageSize + 1}
	if v := q.arg("src"); v != "" {
		a, ok := parseIP(strings.TrimSpace(v))
		if !ok {
			return &FilterError{Param: "src", Message: q.T("hpBadIP")}
		}
		sq.Src = a
	}
	page, err := q.pageNumber()
	if err != nil {
		return err
	}
	sq.Offset = (page - 1) * hpPageSize
	if sq.From, sq.To, err = q.listRange(c, "smpAllDays"); err != nil {
		return err
	}
	ss, err := q.h.deps.Store.Samples(q.ctx, sq)
	if err != nil {
		return err
	}
	ss, more := onePage(ss)
	c.Title, c.Lead = q.T("smpTitle"), q.T("smpLead")
	d := &samplesData{Page: page}
	if page > 1 {
		d.Prev = q.pageLink("/samples", page-1)
	}
	if more && page < hpMaxPage {
		d.Next = q.pageLink("/samples", page+1)
	}
	c.Data = d
	c.addTable(q.sampleTable("list", q.T("smpList"), ss))
	return nil
}

// pageLink is the list page n of path with the view and the page's
// parameters.
func (q *request) pageLink(path string, n int) string {
	a := q.args(false)
	a.Del("page")
	if n > 1 {
		a.Set("page", strconv.Itoa(n))
	}
	u := q.link(path)
	if e := a.Encode(); e != "" {
		if strings.Contains(u, "?") {
			u += "&" + e
		} else {
			u += "?" + e
		}
	}
	return u
}

// sampleData is what the sample page shows besides its tables.
type sampleData struct {
	SHA256 string
	Facts  []statItem
	// Hashes are the triage's similarity and file hashes (name, value).
	Hashes [][2]string
	// FamiliesHref links the families page.
	FamiliesHref string
}

func buildSample(q *request, c *content) error {
	sha, ok := validSHA(q.arg("sha256"))
	if !ok {
		return &FilterError{Param: "sha256", Message: q.T("hpBadSHA")}
	}
	st := q.h.deps.Store
	found, err := st.Samples(q.ctx, store.SampleQuery{SHA256: sha, Limit: 2})
	if err != nil {
		return err
	}
	switch {
	case len(found) == 0:
		return errNotFound
	case len(found) > 1 && found[0].SHA256 != sha:
		return &FilterError{Param: "sha256", Message: q.T("smpAmbiguous")}
	}
	sm := found[0]
	c.Title = q.T("smpTitleOne") + " " + shortSHA(sm.SHA256)
	c.Lead = sm.Type + " · " + strconv.FormatInt(sm.Size, 10) + " B"
	d := &sampleData{SHA256: sm.SHA256}
	c.Data = d
	fact := func(k, v string) {
		if v != "" {
			d.Facts = append(d.Facts, statItem{Name: q.T(k), Value: v})
		}
	}
	fact("fileType", sm.Type)
	fact("size", strconv.FormatInt(sm.Size, 10)+" B")
	fact("hpFirstSeen", q.when(sm.First))
	fact("hpLastSeen", q.when(sm.Last))
	fact("hpCount", strconv.Itoa(sm.Count))
	fact("hpVia", sm.Via)
	fact("sensor", sm.Sensor)
	ss, err := st.Sessions(q.ctx, store.SessionQuery{SHA256: sm.SHA256, Limit: hpMaxRead})
	if err != nil {
		return err
	}
	if len(ss) == hpMaxRead {
		c.Notes = append(c.Notes, q.T("smpSessionsCap"))
	}
	c.addTable(q.sessionTable("sessions", q.T("smpSessions"), ss))
	c.addTable(sampleSources(q, ss))
	// The URLs it came from: those saved under the path of a file with
	// this content in the same session, else every URL of its sessions.
	paths := map[string]map[string]bool{}
	for i := range ss {
		for _, f := range ss[i].Files {
			if f.SHA256 == sm.SHA256 && f.Path != "" {
				if paths[ss[i].ID] == nil {
					paths[ss[i].ID] = map[string]bool{}
				}
				paths[ss[i].ID][f.Path] = true
			}
		}
	}
	keep := func(s *session.Session, u session.URL) bool { return u.Target != "" && paths[s.ID][u.Target] }
	urls := q.urlTable("urls", q.T("smpURLs"), ss, keep)
	if len(urls.Rows) == 0 {
		urls = q.urlTable("urls", q.T("smpURLs"), ss, nil)
		if len(urls.Rows) > 0 {
			c.Notes = append(c.Notes, q.T("smpURLsAll"))
		}
	}
	c.addTable(urls)
	c.Notes = append(c.Notes, q.T("hpURLsNote"))
	d.FamiliesHref = q.link("/families")
	if err := q.sampleTriage(c, d, sm.SHA256); err != nil {
		return err
	}
	if err := q.sampleRuns(c, sm.SHA256); err != nil {
		return err
	}
	return q.sampleFetches(c, sm.SHA256)
}

// sampleSources are the sources of a sample's sessions.
func sampleSources(q *request, ss []session.Session) *table {
	type agg struct {
		src         netip.Addr
		country     string
		n           int
		first, last time.Time
	}
	by := map[netip.Addr]*agg{}
	for i := range ss {
		s := &ss[i]
		a := by[s.Src]
		if a == nil {
			a = &agg{src: s.Src, country: q.sessionCountry(s), first: s.Start, last: s.Start}
			by[s.Src] = a
		}
		a.n++
		if s.Start.Before(a.first) {
			a.first = s.Start
		}
		if s.Start.After(a.last) {
			a.last = s.Start
		}
	}
	rows := make([]*agg, 0, len(by))
	for _, a := range by {
		rows = append(rows, a)
	}
	slices.SortFunc(rows, func(a, b *agg) int { return cmp.Or(cmp.Compare(b.n, a.n), a.src.Compare(b.src)) })
	t := &table{ID: "sources", Caption: q.T("smpSources"),
		Head:    []string{q.T("source"), q.T("country"), q.T("hpCount"), q.T("hpFirstSeen"), q.T("hpLastSeen")},
		Numeric: []bool{false, false, true},
		CSVHead: []string{"src", "country", "sessions", "first", "last"}}
	for _, a := range rows {
		t.Rows = append(t.Rows, []cell{link(a.src.String(), q.sourceHref(a.src)), countryCell(q, a.country), num(float64(a.n)), text(q.when(a.first)), text(q.when(a.last))})
		t.CSVRows = append(t.CSVRows, []string{a.src.String(), a.country, strconv.Itoa(a.n), utc(a.first), utc(a.last)})
	}
	return t
}

// countryCell is a country code linked to its page ("" stays empty).
func countryCell(q *request, cc string) cell {
	if _, ok := queryparam.Country(cc); !ok || cc == "" {
		return text(cc)
	}
	return link(cc, q.keyHref("country", cc, ""))
}
