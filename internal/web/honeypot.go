package web

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/queryparam"
	"github.com/honeyscope/honeyscope/internal/session"
)

// What the honeypot pages (source, sessions, session, samples, sample)
// share: the validation of their path values, the session and sample
// tables, and the messages they have in common. Every string a session
// holds came from an attacker: it goes to templates as text (escaped by
// html/template) and to CSV with formulas defused; URLs are never links.

func init() {
	addMessages(map[string][2]string{
		"hpSession":     {"Session", "セッション"},
		"hpStart":       {"Start", "開始"},
		"hpEnd":         {"End", "終了"},
		"hpSrcPort":     {"Source port", "送信元ポート"},
		"hpPassword":    {"Password", "パスワード"},
		"hpCommands":    {"Commands", "コマンド"},
		"hpEndReason":   {"End reason", "終了理由"},
		"hpLoggedIn":    {"logged in", "ログイン成功"},
		"hpYes":         {"yes", "あり"},
		"hpNo":          {"no", "なし"},
		"hpFirstSeen":   {"First seen", "初観測"},
		"hpLastSeen":    {"Last seen", "最終観測"},
		"hpCount":       {"Sessions", "セッション数"},
		"hpVia":         {"Via", "経路"},
		"hpURL":         {"URL", "URL"},
		"hpTarget":      {"Saved as", "保存先"},
		"hpPath":        {"Path", "パス"},
		"hpSample":      {"Sample", "検体"},
		"hpPattern":     {"Pattern", "パターン"},
		"hpExcerpt":     {"Excerpt", "抜粋"},
		"hpBadIP":       {"not an IP address", "IPアドレスではありません"},
		"hpBadID":       {"not a session id (1 to 64 letters, digits, - or _)", "セッションIDではありません（英数字・-・_の1〜64文字）"},
		"hpBadSHA":      {"not a SHA-256 (8 to 64 hex digits)", "SHA-256ではありません（8〜64桁の16進数）"},
		"hpBadPage":     {"not a page number (1 to 200)", "ページ番号ではありません（1〜200）"},
		"hpPrev":        {"← newer", "← 新しい方"},
		"hpNext":        {"older →", "古い方 →"},
		"hpPageN":       {"Page", "ページ"},
		"hpCredentials": {"Credentials tried", "試行された認証情報"},
		"hpTimes":       {"Times", "回数"},
		"hpSuccess":     {"Succeeded", "成功"},
		"hpURLsNote":    {"URLs sent by attackers are shown as text, never as links.", "攻撃者が送ったURLはリンクにせず、文字列として表示しています。"},
		"hpExploitHits": {"Exploit matches in honeypot sessions", "ハニーポットセッションでのエクスプロイト検知"},
	})
}

// Bounds of the honeypot pages.
const (
	hpPageSize  = 50  // sessions or samples per list page
	hpMaxPage   = 200 // pages of a list
	hpMaxRead   = 500 // sessions one page reads for its tables
	hpExcerpt   = 160 // runes of an excerpt in a table
	hpExcerptTT = 600 // runes of its hover text
)

// parseAddr reads an IP address of a path ("" or anything else: not ok).
func parseIP(s string) (netip.Addr, bool) {
	if len(s) > 64 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// validSessionID accepts 1 to 64 ASCII letters, digits, - and _.
func validSessionID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validSHA accepts 8 to 64 hex digits (a prefix of a SHA-256) and returns
// them in lower case.
func validSHA(s string) (string, bool) {
	if len(s) < 8 || len(s) > 64 {
		return "", false
	}
	s = strings.ToLower(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	return s, true
}

// pageNumber reads the list page parameter (1 when absent).
func (q *request) pageNumber() (int, error) {
	v := q.arg("page")
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > hpMaxPage {
		return 0, &FilterError{Param: "page", Message: q.T("hpBadPage")}
	}
	return n, nil
}

// when is a time in the store's zone, to the second ("" for zero).
func (q *request) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(q.src.Location()).Format("2006-01-02 15:04:05")
}

// utc is a time for CSV ("" for zero).
func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// sourceHref links the source page of addr with the view's period and
// sensors.
func (q *request) sourceHref(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return q.link("/source/"+a.String(), Drop(qClass, qCountry, qPort, qASN))
}

// sessionHref links a session's transcript.
func (q *request) sessionHref(id string) string {
	if !validSessionID(id) {
		return ""
	}
	return q.link("/session/"+id, Drop(qClass, qCountry, qPort, qASN))
}

// sampleHref links a sample's page.
func (q *request) sampleHref(sha string) string {
	if _, ok := validSHA(sha); !ok {
		return ""
	}
	return q.link("/sample/"+sha, Drop(qClass, qCountry, qPort, qASN))
}

// excerpt is a bounded, printable excerpt of attacker text (control
// characters as \xNN), and the longer hover text.
func excerpt(s string) cell {
	p := printable(s, hpExcerptTT)
	c := cell{Text: chart.Shorten(p, hpExcerpt), Wrap: true}
	if c.Text != p {
		c.Title = p
	}
	return c
}

// printable turns attacker bytes into text: invalid UTF-8 and control
// characters become \xNN, at most n runes.
func printable(s string, n int) string {
	var b strings.Builder
	k := 0
	for i := 0; i < len(s) && k < n; {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteString(`\x` + strconv.FormatUint(uint64(s[i]), 16))
		case r == '\t':
			b.WriteRune(' ')
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029 || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069:
			b.WriteString(`\x` + strconv.FormatUint(uint64(r), 16))
		default:
			b.WriteRune(r)
		}
		i += size
		k++
	}
	return b.String()
}

// firstInput is a session's first command or request line.
func firstInput(s *session.Session) string {
	switch {
	case len(s.Commands) > 0:
		return s.Commands[0].Input
	case len(s.Requests) > 0:
		return s.Requests[0].Method + " " + s.Requests[0].Path
	case len(s.FirstBytes) > 0:
		return string(s.FirstBytes)
	}
	return ""
}

// yesNo is a flag in words.
func (q *request) yesNo(b bool) string {
	if b {
		return q.T("hpYes")
	}
	return q.T("hpNo")
}

// sessionCountry is the country of a session's source: as stored, else
// where GeoIP places the address (Dependencies.Locate), else "".
func (q *request) sessionCountry(s *session.Session) string {
	if s.Country != "" || q.h.deps.Locate == nil || !s.Src.IsValid() {
		return s.Country
	}
	return q.h.deps.Locate(s.Src.Unmap())
}

// countryCell is a country code linked to its page, titled with its name.
func (q *request) countryCell(cc string) cell {
	if _, ok := queryparam.Country(cc); !ok || cc == "" {
		return text(cc)
	}
	c := link(cc, q.keyHref(analysis.DimCountry, cc, ""))
	c.Title = geo.CountryName(cc, q.Lang)
	return c
}

// sessionTable lists sessions, each linked to its transcript and its
// source to the source page.
func (q *request) sessionTable(id, caption string, ss []session.Session) *table {
	t := &table{ID: id, Caption: caption, Empty: q.T("noSessions"),
		Head: []string{q.T("hpSession"), q.T("hpStart"), q.T("sensor"), q.T("service"), q.T("port"), q.T("source"), q.T("country"),
			q.T("username"), q.T("hpPassword"), q.T("hpLoggedIn"), q.T("hpCommands"), q.T("firstCommand"), q.T("hpEndReason")},
		Numeric: []bool{false, false, false, false, true, false, false, false, false, false, true},
		CSVHead: []string{"id", "start", "end", "sensor", "service", "port", "src", "src_port", "country", "username", "password",
			"logged_in", "commands", "first", "end_reason", "bytes_in", "bytes_out"}}
	for i := range ss {
		s := &ss[i]
		first := firstInput(s)
		country := q.sessionCountry(s)
		t.Rows = append(t.Rows, []cell{link(s.ID, q.sessionHref(s.ID)), text(q.when(s.Start)), text(s.Sensor), text(s.Service),
			intCell(int(s.Port)), link(s.Src.String(), q.sourceHref(s.Src)), q.countryCell(country),
			text(chart.Shorten(printable(s.Username, 64), 32)), text(chart.Shorten(printable(s.Password, 64), 32)),
			text(q.yesNo(s.LoggedIn)), num(float64(len(s.Commands))), excerpt(first), text(q.endReason(s.EndReason))})
		t.CSVRows = append(t.CSVRows, []string{s.ID, utc(s.Start), utc(s.End), s.Sensor, s.Service, strconv.Itoa(int(s.Port)),
			s.Src.String(), strconv.Itoa(int(s.SrcPort)), country, s.Username, s.Password, strconv.FormatBool(s.LoggedIn),
			strconv.Itoa(len(s.Commands)), first, s.EndReason, strconv.FormatInt(s.BytesIn, 10), strconv.FormatInt(s.BytesOut, 10)})
	}
	return t
}

// sampleTable lists samples, each linked to its page.
func (q *request) sampleTable(id, caption string, ss []session.Sample) *table {
	t := &table{ID: id, Caption: caption, Empty: q.T("noSamples"),
		Head:    []string{q.T("sha256"), q.T("fileType"), q.T("size"), q.T("hpFirstSeen"), q.T("hpLastSeen"), q.T("hpCount"), q.T("hpVia"), q.T("source"), q.T("sensor")},
		Numeric: []bool{false, false, true, false, false, true},
		CSVHead: []string{"sha256", "type", "size", "first", "last", "sessions", "via", "first_session", "src", "sensor"}}
	for _, s := range ss {
		t.Rows = append(t.Rows, []cell{{Text: shortSHA(s.SHA256), Title: s.SHA256, Href: q.sampleHref(s.SHA256)}, text(s.Type),
			num(float64(s.Size)), text(q.when(s.First)), text(q.when(s.Last)), num(float64(s.Count)), text(s.Via),
			link(s.Src.String(), q.sourceHref(s.Src)), text(s.Sensor)})
		t.CSVRows = append(t.CSVRows, []string{s.SHA256, s.Type, strconv.FormatInt(s.Size, 10), utc(s.First), utc(s.Last),
			strconv.Itoa(s.Count), s.Via, s.SessionID, s.Src.String(), s.Sensor})
	}
	return t
}

// intCell is a right-aligned number without a thousands separator (a
// port).
func intCell(n int) cell { return cell{Text: strconv.Itoa(n), Num: true} }

// shortSHA is the first 16 hex digits of a hash and an ellipsis.
func shortSHA(s string) string {
	if len(s) <= 16 {
		return s
	}
	return s[:16] + "…"
}

// urlTable lists URLs seen in sessions, as text.
func (q *request) urlTable(id, caption string, ss []session.Session, keep func(*session.Session, session.URL) bool) *table {
	t := &table{ID: id, Caption: caption,
		Head:    []string{q.T("time"), q.T("hpURL"), q.T("hpVia"), q.T("hpTarget"), q.T("hpSession"), q.T("source")},
		CSVHead: []string{"time", "url", "via", "target", "session", "src"}}
	for i := range ss {
		s := &ss[i]
		for _, u := range s.URLs {
			if keep != nil && !keep(s, u) {
				continue
			}
			t.Rows = append(t.Rows, []cell{text(q.when(u.Time)), excerpt(u.URL), text(u.Via), excerpt(u.Target),
				link(s.ID, q.sessionHref(s.ID)), link(s.Src.String(), q.sourceHref(s.Src))})
			t.CSVRows = append(t.CSVRows, []string{utc(u.Time), u.URL, u.Via, u.Target, s.ID, s.Src.String()})
		}
	}
	return t
}

// exploitHitTable lists the commands and requests of sessions that
// matched exploit patterns, with the text that matched.
func (q *request) exploitHitTable(id string, ss []session.Session) *table {
	t := &table{ID: id, Caption: q.T("hpExploitHits"),
		Head:    []string{q.T("time"), q.T("hpSession"), q.T("hpPattern"), q.T("hpExcerpt")},
		CSVHead: []string{"time", "session", "src", "patterns", "excerpt"}}
	add := func(s *session.Session, at time.Time, pats []string, what string) {
		p := strings.Join(pats, " ")
		t.Rows = append(t.Rows, []cell{text(q.when(at)), link(s.ID, q.sessionHref(s.ID)), text(chart.Shorten(p, 60)), excerpt(what)})
		t.CSVRows = append(t.CSVRows, []string{utc(at), s.ID, s.Src.String(), p, printable(what, 4096)})
	}
	for i := range ss {
		s := &ss[i]
		for _, c := range s.Commands {
			if len(c.Patterns) > 0 {
				add(s, c.Time, c.Patterns, c.Input)
			}
		}
		for _, r := range s.Requests {
			if len(r.Patterns) > 0 {
				what := r.Method + " " + r.Path
				if len(r.Body) > 0 {
					what += " " + string(r.Body)
				}
				add(s, r.Time, r.Patterns, what)
			}
		}
	}
	return t
}

func init() {
	addMessages(map[string][2]string{
		"endclosed":   {"closed by the client", "クライアントが切断"},
		"endexit":     {"logged out", "ログアウト"},
		"endidle":     {"idle too long", "無通信で切断"},
		"endtimeout":  {"session too long", "時間超過"},
		"endbytes":    {"too many bytes", "受信量の上限"},
		"endcommands": {"too many commands", "コマンド数の上限"},
		"endline":     {"line too long", "行長の上限"},
		"endshutdown": {"honeypot stopped", "ハニーポット停止"},
		"endrefused":  {"refused", "拒否"},
	})
}

// endReason is a session's end reason in the page's language (an
// unknown one as recorded).
func (q *request) endReason(r string) string {
	if r == "" {
		return ""
	}
	if _, ok := messages["end"+r]; ok {
		return q.T("end" + r)
	}
	return r
}

// listRange is the period a list page (sessions, samples) shows: the
// filters' days when given, else every day, said in a note (allKey).
func (q *request) listRange(c *content, allKey string) (from, to string, err error) {
	if !q.F.HasFrom && !q.F.HasTo {
		c.Notes = append(c.Notes, q.T(allKey))
		return "", "", nil
	}
	r, err := q.Range()
	if err != nil {
		return "", "", err
	}
	c.Range, c.HasRange = r, true
	return r.From.String(), r.To.String(), nil
}

// onePage cuts a list asked with one row more than a page (hpPageSize+1)
// to the page, saying whether there are more.
func onePage[T any](xs []T) ([]T, bool) {
	if len(xs) > hpPageSize {
		return xs[:hpPageSize], true
	}
	return xs, false
}
