package web

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

func init() {
	register(&page{Name: "sessions", Pattern: "/sessions", Nav: "navSessions", NavOrder: 60,
		Params: []string{"src", "user", "q", "service", "page"}, Build: buildSessions})
	register(&page{Name: "session", Pattern: "/session/{id}", Params: []string{"id"}, Build: buildSession})
	addMessages(map[string][2]string{
		"navSessions":     {"Sessions", "セッション"},
		"sessTitle":       {"Honeypot sessions", "ハニーポットのセッション"},
		"sessLead":        {"Every connection to the honeypot listeners, newest first; search by source, user name, command text, service, sensor and days.", "ハニーポットへの接続の一覧です（新しい順）。送信元、ユーザー名、コマンド文字列、サービス、センサー、期間で検索できます。"},
		"sessSearch":      {"Search", "検索"},
		"sessCommandText": {"Command, request or URL contains", "コマンド・リクエスト・URLに含む文字列"},
		"sessAny":         {"any", "すべて"},
		"sessList":        {"Sessions", "セッション一覧"},
		"sessBadService":  {"unknown service (telnet, ssh, http or generic)", "不明なサービスです（telnet、ssh、http、generic）"},
		"sessAllDays":     {"All days (give from and to to narrow).", "全期間（開始日・終了日で絞り込めます）。"},
		"sessTitleOne":    {"Session", "セッション"},
		"sessFacts":       {"Session", "セッション"},
		"sessTranscript":  {"Transcript", "記録"},
		"sessKind":        {"Event", "イベント"},
		"sessDetail":      {"Detail", "内容"},
		"sessLogins":      {"Login attempts", "ログイン試行"},
		"sessMethod":      {"Method", "方式"},
		"sessRequests":    {"HTTP requests", "HTTPリクエスト"},
		"sessHost":        {"Host", "Host"},
		"sessStatus":      {"Status", "ステータス"},
		"sessUserAgent":   {"User-Agent", "User-Agent"},
		"sessBody":        {"Body", "ボディ"},
		"sessURLs":        {"URLs", "URL"},
		"sessFiles":       {"Files and downloads", "ファイル・ダウンロード"},
		"sessKnown":       {"Known", "既知"},
		"sessFirstBytes":  {"First bytes sent", "最初に送られたバイト列"},
		"sessDst":         {"Destination", "宛先"},
		"sessDuration":    {"Duration", "接続時間"},
		"sessClient":      {"Client version", "クライアント"},
		"sessHASSH":       {"HASSH", "HASSH"},
		"sessTelnetOpts":  {"Telnet options", "Telnetオプション"},
		"sessArch":        {"Emulated CPU", "エミュレートしたCPU"},
		"sessFiltered":    {"Filtered (not answered)", "フィルタ（応答なし）"},
		"sessBytes":       {"Bytes in / out", "受信／送信バイト"},
		"sessTruncated":   {"Records dropped (lists full)", "上限超過で捨てた記録"},
		"sessOpen":        {"still open", "接続中"},
		"evConnect":       {"connect", "接続"},
		"evLogin":         {"login", "ログイン"},
		"evCommand":       {"command", "コマンド"},
		"evRequest":       {"request", "リクエスト"},
		"evURL":           {"URL", "URL"},
		"evFile":          {"file", "ファイル"},
		"evClosed":        {"closed", "切断"},
	})
}

// services are the values of the service parameter.
var services = []string{session.Telnet, session.SSH, session.HTTP, session.Generic}

// sessionsData is the search form and paging of the sessions page.
type sessionsData struct {
	Src, User, Q, Service string
	Services              []option
	Hidden                [][2]string
	Page                  int
	Prev, Next            string
}

func buildSessions(q *request, c *content) error {
	sq := store.SessionQuery{Sensors: q.F.Sensors, Limit: hpPageSize + 1}
	d := &sessionsData{Src: q.arg("src"), User: q.arg("user"), Q: q.arg("q"), Service: q.arg("service")}
	if d.Src != "" {
		a, ok := parseIP(strings.TrimSpace(d.Src))
		if !ok {
			return &FilterError{Param: "src", Message: q.T("hpBadIP")}
		}
		sq.Src = a
	}
	if d.Service != "" {
		if !slices.Contains(services, d.Service) {
			return &FilterError{Param: "service", Message: q.T("sessBadService")}
		}
		sq.Services = []string{d.Service}
	}
	sq.Username, sq.Contains = d.User, d.Q
	page, err := q.pageNumber()
	if err != nil {
		return err
	}
	d.Page = page
	sq.Offset = (page - 1) * hpPageSize
	if sq.From, sq.To, err = q.listRange(c, "sessAllDays"); err != nil {
		return err
	}
	ss, err := q.h.deps.Store.Sessions(q.ctx, sq)
	if err != nil {
		return err
	}
	ss, more := onePage(ss)
	c.Title, c.Lead = q.T("sessTitle"), q.T("sessLead")
	d.Services = []option{{Value: "", Label: q.T("sessAny"), Selected: d.Service == ""}}
	for _, s := range services {
		d.Services = append(d.Services, option{Value: s, Label: s, Selected: d.Service == s})
	}
	// The search form sends the filters it does not show.
	vals := q.F.Query()
	for _, k := range filterNames {
		if v := vals.Get(k); v != "" {
			d.Hidden = append(d.Hidden, [2]string{k, v})
		}
	}
	if page > 1 {
		d.Prev = q.pageLink("/sessions", page-1)
	}
	if more && page < hpMaxPage {
		d.Next = q.pageLink("/sessions", page+1)
	}
	c.Data = d
	c.addTable(q.sessionTable("list", q.T("sessList"), ss))
	return nil
}

// sessionData is what the transcript page shows besides its tables.
type sessionData struct {
	Facts []statItem
	// SrcHref links the source page.
	Src, SrcHref string
}

func buildSession(q *request, c *content) error {
	id := q.arg("id")
	if !validSessionID(id) {
		return &FilterError{Param: "id", Message: q.T("hpBadID")}
	}
	ss, err := q.h.deps.Store.Sessions(q.ctx, store.SessionQuery{ID: id, Limit: 1})
	if err != nil {
		return err
	}
	if len(ss) == 0 {
		return errNotFound
	}
	s := &ss[0]
	c.Title = q.T("sessTitleOne") + " " + s.ID
	c.Lead = s.Service + " · " + s.Sensor + " · " + q.when(s.Start)
	d := &sessionData{Src: s.Src.String(), SrcHref: q.sourceHref(s.Src)}
	c.Data = d
	end, dur := q.T("sessOpen"), ""
	if !s.End.IsZero() {
		end, dur = q.when(s.End), s.End.Sub(s.Start).Round(time.Millisecond).String()
	}
	fact := func(k, v string) {
		if v != "" {
			d.Facts = append(d.Facts, statItem{Name: q.T(k), Value: v})
		}
	}
	fact("sensor", s.Sensor)
	fact("service", s.Service)
	fact("hpSrcPort", strconv.Itoa(int(s.SrcPort)))
	if s.Dst.IsValid() {
		fact("sessDst", s.Dst.String()+":"+strconv.Itoa(int(s.Port)))
	}
	if cc := q.sessionCountry(s); cc != "" {
		fact("country", q.name(analysis.DimCountry, cc, nil))
	}
	fact("hpStart", q.when(s.Start))
	fact("hpEnd", end)
	fact("sessDuration", dur)
	fact("hpEndReason", q.endReason(s.EndReason))
	fact("hpLoggedIn", q.yesNo(s.LoggedIn))
	if s.LoggedIn {
		fact("username", chart.Shorten(printable(s.Username, 200), 64))
		fact("hpPassword", chart.Shorten(printable(s.Password, 200), 64))
	}
	fact("sessClient", chart.Shorten(printable(s.ClientVersion, 400), 120))
	fact("sessHASSH", s.HASSH)
	fact("sessTelnetOpts", chart.Shorten(printable(s.TelnetOptions, 400), 120))
	fact("sessArch", s.Arch)
	if s.Filtered {
		fact("sessFiltered", q.T("hpYes"))
	}
	fact("sessBytes", strconv.FormatInt(s.BytesIn, 10)+" / "+strconv.FormatInt(s.BytesOut, 10))
	if s.Truncated > 0 {
		fact("sessTruncated", strconv.Itoa(s.Truncated))
	}
	c.addTable(transcript(q, s))
	logins := &table{ID: "logins", Caption: q.T("sessLogins"),
		Head:    []string{q.T("time"), q.T("sessMethod"), q.T("username"), q.T("hpPassword"), q.T("hpSuccess")},
		CSVHead: []string{"time", "method", "username", "password", "success"}}
	for _, l := range s.Logins {
		logins.Rows = append(logins.Rows, []cell{text(q.when(l.Time)), text(l.Method), excerpt(l.Username), excerpt(l.Password), text(q.yesNo(l.Success))})
		logins.CSVRows = append(logins.CSVRows, []string{utc(l.Time), l.Method, l.Username, l.Password, strconv.FormatBool(l.Success)})
	}
	c.addTable(logins)
	cmds := &table{ID: "commands", Caption: q.T("hpCommands"),
		Head:    []string{q.T("time"), q.T("hpCommands"), q.T("sessKnown"), q.T("hpPattern")},
		CSVHead: []string{"time", "input", "known", "patterns"}}
	for _, x := range s.Commands {
		cmds.Rows = append(cmds.Rows, []cell{text(q.when(x.Time)), excerpt(x.Input), text(q.yesNo(x.Known)), text(strings.Join(x.Patterns, " "))})
		cmds.CSVRows = append(cmds.CSVRows, []string{utc(x.Time), x.Input, strconv.FormatBool(x.Known), strings.Join(x.Patterns, " ")})
	}
	c.addTable(cmds)
	reqs := &table{ID: "requests", Caption: q.T("sessRequests"),
		Head:    []string{q.T("time"), q.T("sessMethod"), q.T("hpPath"), q.T("sessHost"), q.T("sessUserAgent"), q.T("sessStatus"), q.T("hpPattern"), q.T("sessBody")},
		Numeric: []bool{false, false, false, false, false, true},
		CSVHead: []string{"time", "method", "path", "version", "host", "headers", "status", "patterns", "body_size", "body"}}
	for _, r := range s.Requests {
		reqs.Rows = append(reqs.Rows, []cell{text(q.when(r.Time)), text(chart.Shorten(printable(r.Method, 32), 16)), excerpt(r.Path), excerpt(r.Host),
			excerpt(headerValue(r.Headers, "User-Agent")), num(float64(r.Status)), text(strings.Join(r.Patterns, " ")), excerpt(string(r.Body))})
		reqs.CSVRows = append(reqs.CSVRows, []string{utc(r.Time), r.Method, r.Path, r.Version, r.Host, r.Headers, strconv.Itoa(r.Status),
			strings.Join(r.Patterns, " "), strconv.FormatInt(r.BodySize, 10), printable(string(r.Body), 8192)})
	}
	c.addTable(reqs)
	c.addTable(q.urlTable("urls", q.T("sessURLs"), ss, nil))
	files := &table{ID: "files", Caption: q.T("sessFiles"),
		Head:    []string{q.T("time"), q.T("hpPath"), q.T("size"), q.T("sha256"), q.T("fileType"), q.T("hpVia"), q.T("hpSample")},
		Numeric: []bool{false, false, true},
		CSVHead: []string{"time", "path", "size", "sha256", "type", "via", "sample"}}
	for _, f := range s.Files {
		sha := cell{Text: shortSHA(f.SHA256), Title: f.SHA256}
		if f.Sample {
			sha.Href = q.sampleHref(f.SHA256)
		}
		files.Rows = append(files.Rows, []cell{text(q.when(f.Time)), excerpt(f.Path), num(float64(f.Size)), sha, text(f.Type), text(f.Via), text(q.yesNo(f.Sample))})
		files.CSVRows = append(files.CSVRows, []string{utc(f.Time), f.Path, strconv.FormatInt(f.Size, 10), f.SHA256, f.Type, f.Via, strconv.FormatBool(f.Sample)})
	}
	c.addTable(files)
	if len(s.FirstBytes) > 0 {
		fb := &table{ID: "firstbytes", Caption: q.T("sessFirstBytes"), Head: []string{q.T("hpExcerpt")}, CSVHead: []string{"first_bytes"}}
		fb.Rows = [][]cell{{excerpt(string(s.FirstBytes))}}
		fb.CSVRows = [][]string{{printable(string(s.FirstBytes), 8192)}}
		c.addTable(fb)
	}
	c.Notes = append(c.Notes, q.T("hpURLsNote"))
	return nil
}

// headerValue is the value of one header in a header block ("" if none).
func headerValue(block, name string) string {
	for line := range strings.SplitSeq(block, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// event is one step of a transcript.
type event struct {
	at           time.Time
	order        int
	kind, detail string
}

// transcript is every event of a session in time order.
func transcript(q *request, s *session.Session) *table {
	var evs []event
	add := func(at time.Time, kind, detail string) {
		evs = append(evs, event{at: at, order: len(evs), kind: kind, detail: detail})
	}
	add(s.Start, "evConnect", s.Src.String()+":"+strconv.Itoa(int(s.SrcPort))+" → "+s.Dst.String()+":"+strconv.Itoa(int(s.Port)))
	for _, l := range s.Logins {
		ok := "✗"
		if l.Success {
			ok = "✓"
		}
		add(l.Time, "evLogin", ok+" "+l.Method+" "+l.Username+" / "+l.Password)
	}
	for _, c := range s.Commands {
		add(c.Time, "evCommand", c.Input)
	}
	for _, r := range s.Requests {
		add(r.Time, "evRequest", r.Method+" "+r.Path+" "+r.Version)
	}
	for _, u := range s.URLs {
		add(u.Time, "evURL", u.Via+" "+u.URL)
	}
	for _, f := range s.Files {
		add(f.Time, "evFile", f.Via+" "+f.Path+" "+strconv.FormatInt(f.Size, 10)+" B "+f.Type+" "+f.SHA256)
	}
	if !s.End.IsZero() {
		add(s.End, "evClosed", q.endReason(s.EndReason))
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.order, b.order))
	})
	t := &table{ID: "transcript", Caption: q.T("sessTranscript"),
		Head: []string{q.T("time"), q.T("sessKind"), q.T("sessDetail")}, CSVHead: []string{"time", "event", "detail"}}
	for _, e := range evs {
		t.Rows = append(t.Rows, []cell{text(q.when(e.at)), text(q.T(e.kind)), excerpt(e.detail)})
		t.CSVRows = append(t.CSVRows, []string{utc(e.at), strings.TrimPrefix(e.kind, "ev"), e.detail})
	}
	return t
}

// HasPaging says whether there is another page to link.
func (d *sessionsData) HasPaging() bool { return d.Prev != "" || d.Next != "" }
