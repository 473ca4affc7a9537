package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// sessionTexts are the fixed texts of the sessions and samples commands,
// English and Japanese.
var sessionTexts = map[string][2]string{
	"start":      {"start", "開始"},
	"end":        {"end", "終了"},
	"sensor":     {"sensor", "センサー"},
	"service":    {"service", "サービス"},
	"port":       {"port", "ポート"},
	"source":     {"source", "送信元"},
	"country":    {"country", "国"},
	"login":      {"login", "ログイン"},
	"cmds":       {"cmds", "コマンド"},
	"urls":       {"urls", "URL"},
	"samples":    {"samples", "検体"},
	"classes":    {"classes/patterns", "分類/パターン"},
	"reason":     {"end reason", "終了理由"},
	"noSessions": {"(no sessions)", "（セッションはありません）"},
	"noSamples":  {"(no samples)", "（検体はありません）"},
	"session":    {"session", "セッション"},
	"client":     {"client", "クライアント"},
	"hassh":      {"HASSH", "HASSH"},
	"telnetOpts": {"telnet options", "telnetオプション"},
	"arch":       {"architecture", "アーキテクチャ"},
	"bytes":      {"bytes", "バイト数"},
	"bytesInOut": {"in %s, out %s", "受信 %s、送信 %s"},
	"truncated":  {"records dropped", "記録しきれなかった件数"},
	"filtered":   {"filtered (no answer)", "フィルタ済み（応答なし）"},
	"firstBytes": {"first bytes", "最初のバイト列"},
	"logins":     {"login attempts", "ログイン試行"},
	"commands":   {"commands", "コマンド"},
	"requests":   {"HTTP requests", "HTTPリクエスト"},
	"urlsSeen":   {"URLs", "URL"},
	"files":      {"files", "ファイル"},
	"ok":         {"success", "成功"},
	"failed":     {"failed", "失敗"},
	"unknownCmd": {"(not emulated)", "（未対応コマンド）"},
	"open":       {"(open)", "（継続中）"},
	"body":       {"body %s bytes", "本文 %sバイト"},
	"sample":     {"sample", "検体"},
	"sha256":     {"sha256", "SHA-256"},
	"type":       {"type", "種類"},
	"size":       {"size", "サイズ"},
	"count":      {"sessions", "セッション数"},
	"firstSeen":  {"first seen", "初観測"},
	"lastSeen":   {"last seen", "最終観測"},
	"via":        {"via", "経路"},
	"firstSrc":   {"first source", "最初の送信元"},
	"sources":    {"sources", "送信元"},
	"paths":      {"paths", "パス"},
	"none":       {"(none)", "（なし）"},
}

// sessionText returns the text of key in lang.
func sessionText(lang, key string) string {
	m, ok := sessionTexts[key]
	if !ok {
		return key
	}
	if lang == "ja" {
		return m[1]
	}
	return m[0]
}

// maxCell is the widest an attacker's text is shown in a table cell.
const maxCell = 48

func newSessionsCmd(g *globals) *cobra.Command {
	var (
		q      store.SessionQuery
		src    string
		format string
		lang   string
		geoOpt geoOptions
	)
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "Honeypot sessions: logins, commands, URLs, samples",
		Long: `List the sessions the honeypot recorded (or Cowrie logs brought in), newest
first: when and where, the login that succeeded, how many commands, URLs and
samples, the classes and exploit patterns they matched, and why the session
ended. A session stored without its source's country (a honeypot run
without GeoIP, a Cowrie log ingested before countries were kept) is shown
with the country the GeoIP databases (--geoip, --asn, default the built-in
ones) place its source in, as ingest places packet sources. --id shows one
session's whole transcript: every login attempt,
command, HTTP request, URL and file, in order. Times are in the store's time
zone; --from and --to select the days sessions started on.

Whatever the attacker sent is shown with control and formatting characters
escaped (\xNN, \uNNNN), so a transcript cannot drive the terminal; cells of
the list are cut at ` + strconv.Itoa(maxCell) + ` characters (--id and --format json show everything).`,
		Example: `  honeyscope sessions --from 2026-05-01 --to 2026-05-07
  honeyscope sessions --intrusions --source 198.51.100.7
  honeyscope sessions --service telnet,ssh --sensor tokyo --limit 50
  honeyscope sessions --id 3fa9c0d2b1e84a77
  honeyscope sessions --intrusions --format json`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPeriod(q.From, q.To); err != nil {
				return err
			}
			var err error
			if q.Src, err = parseSource(src); err != nil {
				return err
			}
			q.Sensors, q.Services = splitList(q.Sensors), splitList(q.Services)
			for _, s := range q.Services {
				if !slices.Contains([]string{session.Telnet, session.SSH, session.HTTP, session.Generic}, s) {
					return fmt.Errorf("--service %q: want telnet, ssh, http or generic", s)
				}
			}
			if q.Limit < 0 || q.Limit > 10000 {
				return fmt.Errorf("--limit %d: want 1 to 10000 (0: 1000)", q.Limit)
			}
			return checkFormat(format)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openStore(cmd.Context(), g.dbPath(), false)
			if err != nil {
				return err
			}
			defer st.Close()
			ss, err := st.Sessions(cmd.Context(), q)
			if err != nil {
				return err
			}
			geoOpt.applyConfig(g)
			if err := placeSessions(ss, geoOpt.open); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if q.ID != "" {
				if len(ss) == 0 {
					return fmt.Errorf("no session %s in the store", escapeText(q.ID))
				}
				if format == "json" {
					return writeJSON(w, ss[0])
				}
				return writeTranscript(w, lang, st.Location(), &ss[0])
			}
			if format == "json" {
				if ss == nil {
					ss = []session.Session{}
				}
				return writeJSON(w, ss)
			}
			return writeSessions(w, lang, st.Location(), ss)
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.From, "from", "", "first day sessions started on, YYYY-MM-DD (inclusive)")
	f.StringVar(&q.To, "to", "", "last day, YYYY-MM-DD (inclusive)")
	f.StringVar(&src, "source", "", "only sessions from this `IP` address")
	f.StringSliceVar(&q.Sensors, "sensor", nil, "only these sensors")
	f.StringSliceVar(&q.Services, "service", nil, "only these services: telnet, ssh, http, generic")
	f.StringVar(&q.ID, "id", "", "show this session's transcript")
	f.BoolVar(&q.Intrusions, "intrusions", false, "only intrusions (a successful login that ran at least one command)")
	f.BoolVar(&q.LoggedIn, "logged-in", false, "only sessions with a successful login")
	f.StringVar(&q.SHA256, "sha256", "", "only sessions that produced this file (SHA-256, or a prefix of at least 8 hex digits)")
	f.IntVar(&q.Limit, "limit", 0, "at most N sessions, newest first (0: 1000; at most 10000)")
	f.IntVar(&q.Offset, "offset", 0, "skip the N newest sessions first")
	f.StringVar(&format, "format", "table", "output format: table or json")
	f.StringVar(&lang, "lang", "en", "language of the labels and country names: en or ja")
	geoOpt.register(f)
	return cmd
}

func checkFormat(format string) error {
	switch format {
	case "table", "json":
		return nil
	}
	return fmt.Errorf("--format %q: want table or json", format)
}

// parseSource parses --source ("" = any).
func parseSource(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("--source %q: want an IPv4 or IPv6 address", s)
	}
	return a.Unmap(), nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// escapeText makes s safe to print on a terminal: invalid UTF-8 bytes as
// \xNN, control characters as \xNN (\t, \n, \r as such), and format
// characters (bidirectional overrides, zero-width spaces) as \uNNNN.
// Everything else, backslashes included, is left as it is.
func escapeText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// cell is an attacker's text as a table cell: escaped and cut.
func cell(s string) string { return chart.Shorten(escapeText(s), maxCell) }

// timeText is t in loc as "2006-01-02 15:04:05" ("" for the zero time).
func timeText(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(time.DateTime)
}

// sessionSamples is the number of distinct samples s produced.
func sessionSamples(s *session.Session) int {
	seen := map[string]bool{}
	for _, f := range s.Files {
		if f.Sample {
			seen[f.SHA256] = true
		}
	}
	return len(seen)
}

// sessionTags are the classes of s and the exploit patterns its commands
// and requests matched, in order of first match.
func sessionTags(s *session.Session) []string {
	var out []string
	if s.Intrusion() {
		out = append(out, classify.Intrusion.String())
	}
	add := func(ps []string) {
		for _, p := range ps {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	for _, c := range s.Commands {
		add(c.Patterns)
	}
	for _, r := range s.Requests {
		add(r.Patterns)
	}
	return out
}

func loginText(s *session.Session) string {
	if !s.LoggedIn {
		return ""
	}
	return s.Username + ":" + s.Password
}

func writeSessions(w io.Writer, lang string, loc *time.Location, ss []session.Session) error {
	var head []string
	for _, k := range []string{"start", "sensor", "service", "port", "source", "country", "login", "cmds", "urls", "samples", "classes", "reason"} {
		head = append(head, sessionText(lang, k))
	}
	right := map[int]bool{3: true, 7: true, 8: true, 9: true}
	rows := make([][]string, 0, len(ss))
	for i := range ss {
		s := &ss[i]
		reason := s.EndReason
		if s.End.IsZero() {
			reason = sessionText(lang, "open")
		}
		country := s.Country
		if country != "" {
			country += " " + countryName(country, lang)
		}
		rows = append(rows, []string{timeText(s.Start, loc), cell(s.Sensor), cell(s.Service), strconv.Itoa(int(s.Port)),
			addrString(s.Src), cell(country), cell(loginText(s)), strconv.Itoa(len(s.Commands)), strconv.Itoa(len(s.URLs)),
			strconv.Itoa(sessionSamples(s)), cell(strings.Join(sessionTags(s), ",")), cell(reason)})
	}
	if err := writeTable(w, head, rows, right); err != nil {
		return err
	}
	if len(ss) == 0 {
		fmt.Fprintln(w, sessionText(lang, "noSessions"))
	}
	return nil
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// writeTranscript writes one session in full: its header, then every
// list in the order it happened.
func writeTranscript(w io.Writer, lang string, loc *time.Location, s *session.Session) error {
	tr := func(k string) string { return sessionText(lang, k) }
	var kv [][]string
	add := func(k, v string) {
		if v != "" {
			kv = append(kv, []string{tr(k), v})
		}
	}
	add("session", escapeText(s.ID))
	add("sensor", escapeText(s.Sensor))
	add("service", fmt.Sprintf("%s %d/tcp", escapeText(s.Service), s.Port))
	src := addrString(s.Src)
	if s.SrcPort != 0 {
		src = netip.AddrPortFrom(s.Src, s.SrcPort).String()
	}
	if s.Country != "" {
		src += " (" + escapeText(s.Country) + " " + countryName(s.Country, lang) + ")"
	}
	add("source", src)
	add("start", timeText(s.Start, loc)+" "+loc.String())
	if s.End.IsZero() {
		add("end", tr("open"))
	} else {
		add("end", timeText(s.End, loc)+" ("+escapeText(s.EndReason)+")")
	}
	if s.Filtered {
		add("filtered", "✓")
	}
	add("client", escapeText(s.ClientVersion))
	if s.HASSH != "" {
		add("hassh", escapeText(s.HASSH)+" "+escapeText(s.HASSHAlgos))
	}
	add("telnetOpts", escapeText(s.TelnetOptions))
	add("arch", escapeText(s.Arch))
	add("login", escapeText(loginText(s)))
	add("bytes", fmt.Sprintf(tr("bytesInOut"), thousands(uint64(max(s.BytesIn, 0))), thousands(uint64(max(s.BytesOut, 0)))))
	if s.Truncated > 0 {
		add("truncated", strconv.Itoa(s.Truncated))
	}
	if tags := sessionTags(s); len(tags) > 0 {
		add("classes", escapeText(strings.Join(tags, ", ")))
	}
	add("firstBytes", escapeText(string(s.FirstBytes)))
	writeKV(w, kv)
	at := func(t time.Time) string {
		if t.IsZero() {
			return "        "
		}
		return t.In(loc).Format(time.TimeOnly)
	}
	section := func(k string, n int) bool {
		if n == 0 {
			return false
		}
		fmt.Fprintf(w, "\n%s (%d)\n", tr(k), n)
		return true
	}
	patterns := func(ps []string) string {
		if len(ps) == 0 {
			return ""
		}
		return "  [" + escapeText(strings.Join(ps, ", ")) + "]"
	}
	if section("logins", len(s.Logins)) {
		for _, l := range s.Logins {
			res := tr("failed")
			if l.Success {
				res = tr("ok")
			}
			fmt.Fprintf(w, "  %s  %s  %s:%s  %s\n", at(l.Time), escapeText(l.Method), escapeText(l.Username), escapeText(l.Password), res)
		}
	}
	if section("commands", len(s.Commands)) {
		for _, c := range s.Commands {
			note := ""
			if !c.Known {
				note = "  " + tr("unknownCmd")
			}
			fmt.Fprintf(w, "  %s  %s%s%s\n", at(c.Time), escapeText(c.Input), patterns(c.Patterns), note)
		}
	}
	if section("requests", len(s.Requests)) {
		for _, r := range s.Requests {
			fmt.Fprintf(w, "  %s  %s %s %s  %s → %d%s\n", at(r.Time), escapeText(r.Method), escapeText(r.Path), escapeText(r.Version),
				escapeText(r.Host), r.Status, patterns(r.Patterns))
			for _, h := range strings.Split(r.Headers, "\n") {
				if h = strings.TrimRight(h, "\r"); h != "" {
					fmt.Fprintf(w, "            %s\n", escapeText(h))
				}
			}
			if r.BodySize > 0 || len(r.Body) > 0 {
				fmt.Fprintf(w, "            %s: %s\n", fmt.Sprintf(tr("body"), thousands(uint64(max(r.BodySize, int64(len(r.Body)))))), escapeText(string(r.Body)))
			}
		}
	}
	if section("urlsSeen", len(s.URLs)) {
		for _, u := range s.URLs {
			target := ""
			if u.Target != "" {
				target = " → " + escapeText(u.Target)
			}
			fmt.Fprintf(w, "  %s  %s  %s%s\n", at(u.Time), escapeText(u.Via), escapeText(u.URL), target)
		}
	}
	if section("files", len(s.Files)) {
		for _, f := range s.Files {
			flag := ""
			if f.Sample {
				flag = "  " + tr("sample")
			}
			fmt.Fprintf(w, "  %s  %s  %s  %s  %s  %s%s\n", at(f.Time), escapeText(f.Path), thousands(uint64(max(f.Size, 0))),
				escapeText(f.Type), escapeText(f.Via), escapeText(f.SHA256), flag)
		}
	}
	return nil
}

// writeKV writes label-value pairs, the values aligned.
func writeKV(w io.Writer, kv [][]string) {
	n := 0
	for _, r := range kv {
		n = max(n, displayWidth(r[0]))
	}
	for _, r := range kv {
		fmt.Fprintf(w, "%s%s  %s\n", r[0], strings.Repeat(" ", n-displayWidth(r[0])), r[1])
	}
}
