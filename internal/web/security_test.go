package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// hostileQueries are bad or hostile query strings, each with the
// parameter its 400 page must name.
var hostileQueries = []struct{ query, param string }{
	{"from=2026-13-01", "from"},
	{"from=yesterday", "from"},
	{"to=2026-05-01&from=2026-05-09", "to"},
	{"from=2016-01-01&to=2026-05-01", "to"},
	{"from=2026-05-01&from=2026-05-02", "from"},
	{"class=%3Cscript%3E", "class"},
	{"class=mirai&class=zmap", "class"},
	{"country=USA", "country"},
	{"country=%00%01", "country"},
	{"port=70000", "port"},
	{"port=23/bogus", "port"},
	{"port=-1", "port"},
	{"asn=AS-1", "asn"},
	{"asn=4294967296", "asn"},
	{"unit=bytes", "unit"},
	{"lang=fr", "lang"},
	{"refresh=1", "refresh"},
	{"refresh=abc", "refresh"},
	{"sensor=a%00b", "sensor"},
	{"sensor=" + manySensors(40), "sensor"},
	{"sensor=" + strings.Repeat("x", 200), "sensor"},
	{"nope=1", "nope"},
	{"%3Cscript%3Ealert(1)%3C/script%3E=1", "<script>alert(1)</script>"},
	{"from=" + strings.Repeat("9", 300), "from"},
	{strings.Repeat("a=1&", 600), "query"},
	{"from=%zz", "query"},
	{"=1", "query"},
	{"country=%ff", "country"},
}

func manySensors(n int) string {
	var b []string
	for i := range n {
		b = append(b, "s"+strconv.Itoa(i))
	}
	return strings.Join(b, ",")
}

// TestHostileParameters: every bad value is a 400 page naming the
// parameter (escaped), never a 500, on every page and download.
func TestHostileParameters(t *testing.T) {
	h := newTestHandler(t, Dependencies{}, Configuration{})
	targets := []string{"/", "/class/mirai", "/country/US", "/port/23-tcp", "/asn/AS0", "/chart/class.country.svg", "/csv/overview.sensors.csv"}
	for _, c := range hostileQueries {
		for _, tg := range targets {
			rec := get(t, h, tg+"?"+c.query)
			if rec.Code != http.StatusBadRequest {
				t.Errorf("%s?%.60s: %d, want 400", tg, c.query, rec.Code)
				continue
			}
			b := body(rec)
			if !strings.Contains(b, "<code>"+html.EscapeString(c.param)+"</code>") {
				t.Errorf("%s?%.60s: the page does not name %q", tg, c.query, c.param)
			}
			if strings.Contains(b, "<script>alert") {
				t.Errorf("%s?%.60s: unescaped parameter in the page", tg, c.query)
			}
		}
	}
	// Bad path values.
	for _, u := range []string{"/class/nope", "/class/%3Cb%3E", "/country/XYZ", "/port/99999-tcp", "/port/23-nope", "/asn/ASX",
		"/country/%00"} {
		if rec := get(t, h, u); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", u, rec.Code)
		}
	}
	// Well-formed but absent: not 500.
	for _, u := range []string{"/?sensor=nowhere", "/chart/nope.x.svg", "/chart/class.nope.svg?class=mirai",
		"/csv/class.top-country.png?class=mirai", "/chart/a.b.c.d.svg", "/nowhere"} {
		rec := get(t, h, u)
		if rec.Code < 400 || rec.Code >= 500 {
			t.Errorf("%s: %d, want a 4xx", u, rec.Code)
		}
	}
	// Valid filters selecting nothing still answer: an empty view, not
	// an error.
	for _, u := range []string{"/class/intrusion?country=AQ", "/?from=2001-01-01&to=2001-01-07", "/asn/AS4294967295"} {
		if rec := get(t, h, u); rec.Code != 200 {
			t.Errorf("%s: %d", u, rec.Code)
		}
	}
}

// FuzzParseFilters: the parser never panics, accepts only what it can
// write back, and what it writes back reads the same.
func FuzzParseFilters(f *testing.F) {
	for _, c := range hostileQueries {
		f.Add(c.query)
	}
	f.Add("from=2026-05-01&to=2026-05-07&sensor=a,b&class=mirai&country=jp&port=23/tcp&asn=AS13335&unit=sources&lang=ja&refresh=30")
	f.Fuzz(func(t *testing.T, raw string) {
		fl, _, err := ParseFilters(raw)
		if err != nil {
			if fe, ok := err.(*FilterError); !ok || fe.Param == "" {
				t.Fatalf("error %v is not a FilterError naming a parameter", err)
			}
			return
		}
		back, _, err := ParseFilters(fl.Query().Encode())
		if err != nil {
			t.Fatalf("%q: written back as %q, refused: %v", raw, fl.Query().Encode(), err)
		}
		if back.Query().Encode() != fl.Query().Encode() {
			t.Fatalf("%q: %q read back as %q", raw, fl.Query().Encode(), back.Query().Encode())
		}
	})
}

// TestHostileHandlerQueries sends random-ish hostile queries to a page:
// never a 500.
func TestHostileHandlerQueries(t *testing.T) {
	h := newTestHandler(t, Dependencies{}, Configuration{})
	parts := []string{"from=", "to=", "sensor=", "class=", "country=", "port=", "asn=", "unit=", "lang=", "refresh="}
	values := []string{"2026-05-03", "2026-05-02", "mirai", "JP", "23/udp", "AS0", "sources", "ja", "0", "", "%00", "%E3%81", "-", "9999-99-99", "tokyo,osaka"}
	n := 0
	for i, p := range parts {
		for j, v := range values {
			q := p + v + "&" + parts[(i+j)%len(parts)] + values[(i*j)%len(values)]
			rec := get(t, h, "/?"+q)
			if rec.Code >= 500 {
				t.Errorf("/?%s: %d %s", q, rec.Code, body(rec))
			}
			n++
		}
	}
	if n < 100 {
		t.Fatal("too few queries")
	}
}

// TestAttackerStringsEscaped: commands, user names, request paths and AS
// organisations from the store appear escaped, never as markup.
func TestAttackerStringsEscaped(t *testing.T) {
	h := newTestHandler(t, Dependencies{}, Configuration{})
	check := func(u string, wants ...string) {
		t.Helper()
		rec := get(t, h, u)
		if rec.Code != 200 {
			t.Fatalf("%s: %d", u, rec.Code)
		}
		b := body(rec)
		for _, raw := range []string{hostileCommand, hostileUser, hostileOrg, "<script>alert(4)", "<b>Evil"} {
			if strings.Contains(b, raw) {
				t.Errorf("%s: %q unescaped", u, raw)
			}
		}
		for _, w := range wants {
			if !strings.Contains(b, w) {
				t.Errorf("%s: escaped %q missing", u, w)
			}
		}
		// Parsed, the page has the hostile strings as text only: no
		// element or attribute came from them.
		doc, _ := html.Parse(bytes.NewReader(rec.Body.Bytes()))
		for n := range doc.Descendants() {
			if n.Type == html.ElementNode && (n.Data == "img" || n.Data == "b" || n.Data == "script" && attr(n, "src") == "") {
				t.Errorf("%s: an element <%s> from a store string", u, n.Data)
			}
		}
	}
	// The sessions are on the fourth day: a period that ends there.
	day := sessionDay.Format("2006-01-02")
	check("/?to="+day, html.EscapeString(hostileCommand), html.EscapeString(hostileUser))
	// Every AS carries the hostile organisation: the AS tables name it.
	org := strings.ReplaceAll(html.EscapeString(hostileOrg), "&#34;", "&#34;")
	check("/class/access", "Evil &amp;")
	check("/country/US", "Evil &amp;")
	_ = org
	// The CSV has the raw strings (CSV is not HTML), defused for
	// spreadsheets where they start with a formula character.
	rec := get(t, h, "/csv/overview.sessions.csv?to="+day)
	if !strings.Contains(body(rec), hostileCommand) {
		t.Error("CSV lacks the command")
	}
	if got := defuse([]string{"=HYPERLINK(1)", "+1", "-x", "-1", "@a", "ok"}); strings.Join(got, "|") != "'=HYPERLINK(1)|'+1|'-x|-1|'@a|ok" {
		t.Errorf("defuse: %q", got)
	}
}

// TestLanguage: ?lang=ja and Accept-Language give Japanese pages, with no
// English text of the catalogue left; links keep the language chosen.
func TestLanguage(t *testing.T) {
	h := newTestHandler(t, Dependencies{}, Configuration{})
	for _, u := range pageURLs {
		for _, how := range []string{"query", "header"} {
			var rec *httptest.ResponseRecorder
			if how == "query" {
				rec = get(t, h, u+sep(u)+"lang=ja")
			} else {
				rec = get(t, h, u, "Accept-Language: ja-JP,ja;q=0.9,en;q=0.5")
			}
			b := rec.Body.Bytes()
			if rec.Code != 200 || !bytes.Contains(b, []byte(`<html lang="ja">`)) {
				t.Fatalf("%s (%s): %d, not Japanese", u, how, rec.Code)
			}
			texts := visibleTexts(t, b)
			for key, m := range messages {
				en := m[0]
				if en == m[1] || len(en) < 4 || !strings.ContainsAny(en, "abcdefghijklmnopqrstuvwxyz") {
					continue
				}
				for _, tx := range texts {
					if strings.Contains(tx, en) && !strings.Contains(tx, m[1]) {
						t.Errorf("%s (%s): English %q (%s) in %q", u, how, en, key, tx)
					}
				}
			}
			if how == "query" {
				for _, href := range anchors(t, b) {
					if strings.HasPrefix(href, "/") && !strings.HasPrefix(href, "/static/") && href != "/" && !strings.Contains(href, "lang=") {
						t.Errorf("%s: link %q drops the language", u, href)
					}
				}
			}
		}
	}
	en := get(t, h, "/", "Accept-Language: fr-FR,de;q=0.8")
	if !strings.Contains(body(en), `<html lang="en">`) {
		t.Error("an unsupported Accept-Language is not English")
	}
	ja := body(get(t, h, "/?lang=ja"))
	for _, w := range []string{"概要", "開始日", "センサー", "ダウンロード"[:0]} {
		if w != "" && !strings.Contains(ja, w) {
			t.Errorf("Japanese page lacks %q", w)
		}
	}
	if !strings.Contains(body(get(t, h, "/country/JP?lang=ja")), "日本") {
		t.Error("country names are not localised")
	}
	if !strings.Contains(body(get(t, h, "/country/JP")), "Japan") {
		t.Error("English country name missing")
	}
}

// anchors are the targets of a page's <a> elements.
func anchors(t *testing.T, page []byte) []string {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "a" {
			out = append(out, attr(n, "href"))
		}
	}
	return out
}

// visibleTexts are the texts of a page outside scripts and SVGs (chart
// texts are the chart package's, tested there) and the values of title
// and aria-label attributes.
func visibleTexts(t *testing.T, page []byte) []string {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "svg" || n.Data == "script") {
			return
		}
		if n.Type == html.TextNode {
			if s := strings.TrimSpace(n.Data); s != "" {
				out = append(out, s)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// TestChartLinks: chart elements link to their drill-downs, the links
// keep the filters, and following one leads to a page with data.
func TestChartLinks(t *testing.T) {
	h := newTestHandler(t, Dependencies{}, Configuration{})
	b := body(get(t, h, "/class/mirai?sensor=tokyo&unit=sources"))
	i := strings.Index(b, `<figure class="chart" id="fig-country"`)
	if i < 0 {
		t.Fatal("no country chart")
	}
	fig := b[i : i+strings.Index(b[i:], "</figure>")]
	var country, day string
	for _, href := range hrefs(t, []byte(fig)) {
		switch {
		case strings.HasPrefix(href, "/country/") && country == "":
			country = href
		case strings.HasPrefix(href, "/class/mirai?") && strings.Contains(href, "from=") && day == "":
			day = href
		}
	}
	if country == "" || day == "" {
		t.Fatalf("the country chart lacks segment or day links")
	}
	for _, want := range []string{"class=mirai", "sensor=tokyo", "unit=sources"} {
		if !strings.Contains(country, want) {
			t.Errorf("segment link %q drops %s", country, want)
		}
	}
	u, _ := url.Parse(day)
	if u.Query().Get("from") != u.Query().Get("to") || u.Query().Get("sensor") != "tokyo" {
		t.Errorf("day link %q is not that day of the same view", day)
	}
	for _, target := range []string{country, day} {
		if rec := get(t, h, target); rec.Code != 200 {
			t.Errorf("%s: %d", target, rec.Code)
		}
	}
	// Daily charts carry their days for brushing; the dot plot links its
	// ports.
	if !strings.Contains(b, `data-brush="1"`) || !strings.Contains(b, `class="daycol" data-day="`) {
		t.Error("no brushable daily chart")
	}
	j := strings.Index(b, `id="fig-portdays"`)
	if j < 0 || !strings.Contains(b[j:], `<a href="/port/`) {
		t.Error("the dot plot does not link its ports")
	}
}

// TestLoginFlow: the login page, CSRF on the form, wrong passwords
// counted per address up to 429, the session cookie's flags, pages
// behind the login, Authenticated for the API, logout.
func TestLoginFlow(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	login := func(_ context.Context, user, pass string) bool { return user == "admin" && pass == "s3cret" }
	h := newTestHandler(t, Dependencies{Login: login, Now: clock}, Configuration{})
	if r := get(t, h, "/class/mirai?lang=ja"); r.Code != http.StatusSeeOther || !strings.HasPrefix(r.Header().Get("Location"), "/login?next=") {
		t.Fatalf("a page without login: %d %q", r.Code, r.Header().Get("Location"))
	}
	for _, u := range []string{"/chart/class.country.svg?class=mirai", "/csv/overview.sensors.csv"} {
		if r := get(t, h, u); r.Code != http.StatusSeeOther {
			t.Errorf("%s without login: %d", u, r.Code)
		}
	}
	if r := post(t, h, "/report", nil); r.Code != http.StatusUnauthorized {
		t.Errorf("POST /report without login: %d", r.Code)
	}
	page := get(t, h, "/login?next=/class/mirai")
	if page.Code != 200 {
		t.Fatalf("login page: %d", page.Code)
	}
	cookie, token, _ := formOf(t, page)
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Errorf("CSRF cookie flags: %+v", cookie)
	}
	// No token: refused and not counted... but a refused form is not a
	// password check either.
	if r := postFrom(t, h, "192.0.2.9:1", "/login", []*http.Cookie{cookie}, "user", "admin", "password", "s3cret"); r.Code != http.StatusForbidden {
		t.Errorf("login without CSRF token: %d", r.Code)
	}
	bad := func(addr string) int {
		return postFrom(t, h, addr, "/login", []*http.Cookie{cookie}, "csrf", token, "user", "admin", "password", "wrong").Code
	}
	for i := range 5 {
		if c := bad("192.0.2.9:1"); c != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, c)
		}
	}
	if c := bad("192.0.2.9:2"); c != http.StatusTooManyRequests {
		t.Errorf("sixth try: %d, want 429", c)
	}
	// Even the right password is refused while blocked.
	if r := postFrom(t, h, "192.0.2.9:3", "/login", []*http.Cookie{cookie}, "csrf", token, "user", "admin", "password", "s3cret"); r.Code != http.StatusTooManyRequests {
		t.Errorf("right password while blocked: %d", r.Code)
	}
	// Another address is not blocked; a minute later neither is this one.
	if c := bad("198.51.100.1:1"); c != http.StatusUnauthorized {
		t.Errorf("another address: %d", c)
	}
	now = now.Add(61 * time.Second)
	if c := bad("192.0.2.9:4"); c != http.StatusUnauthorized {
		t.Errorf("after the window: %d", c)
	}
	// The right password: a session cookie, back to the page asked for.
	ok := postFrom(t, h, "192.0.2.10:1", "/login", []*http.Cookie{cookie}, "csrf", token, "user", "admin", "password", "s3cret", "next", "/class/mirai")
	if ok.Code != http.StatusSeeOther || ok.Header().Get("Location") != "/class/mirai" {
		t.Fatalf("login: %d %q", ok.Code, ok.Header().Get("Location"))
	}
	var sess *http.Cookie
	for _, c := range ok.Result().Cookies() {
		if c.Name == sessionCookie {
			sess = c
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Secure || len(sess.Value) != 64 {
		t.Fatalf("session cookie: %+v", sess)
	}
	req := httptest.NewRequest("GET", "http://dash.test/class/mirai", nil)
	req.AddCookie(sess)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("a page with the session: %d", rec.Code)
	}
	if !h.Authenticated(req) {
		t.Error("Authenticated is false with the session cookie")
	}
	forged := httptest.NewRequest("GET", "http://dash.test/", nil)
	forged.AddCookie(&http.Cookie{Name: sessionCookie, Value: strings.Repeat("ab", 32)})
	if h.Authenticated(forged) || h.Authenticated(httptest.NewRequest("GET", "/", nil)) {
		t.Error("Authenticated without a live session")
	}
	// An open redirect is not followed.
	evil := postFrom(t, h, "192.0.2.11:1", "/login", []*http.Cookie{cookie}, "csrf", token, "user", "admin", "password", "s3cret", "next", "//evil.example/")
	if evil.Header().Get("Location") != "/" {
		t.Errorf("next=//evil.example/ redirected to %q", evil.Header().Get("Location"))
	}
	// Over TLS the cookies are Secure.
	treq := httptest.NewRequest("POST", "https://dash.test/login", strings.NewReader(url.Values{"csrf": {token}, "user": {"admin"}, "password": {"s3cret"}}.Encode()))
	treq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	treq.TLS = &tls.ConnectionState{}
	treq.RemoteAddr = "192.0.2.12:1"
	treq.AddCookie(cookie)
	trec := httptest.NewRecorder()
	h.ServeHTTP(trec, treq)
	secureSeen := false
	for _, c := range trec.Result().Cookies() {
		if c.Name == sessionCookie {
			secureSeen = c.Secure
		}
	}
	if !secureSeen {
		t.Error("session cookie over TLS is not Secure")
	}
	// Sessions expire unused.
	now = now.Add(13 * time.Hour)
	if h.Authenticated(req) {
		t.Error("a session unused for 13 h is still valid")
	}
	// Logout needs the token and ends the session.
	ok2 := postFrom(t, h, "192.0.2.10:1", "/login", []*http.Cookie{cookie}, "csrf", token, "user", "admin", "password", "s3cret")
	for _, c := range ok2.Result().Cookies() {
		if c.Name == sessionCookie {
			sess = c
		}
	}
	if r := postFrom(t, h, "192.0.2.10:1", "/logout", []*http.Cookie{cookie, sess}); r.Code != http.StatusForbidden {
		t.Errorf("logout without token: %d", r.Code)
	}
	if r := postFrom(t, h, "192.0.2.10:1", "/logout", []*http.Cookie{cookie, sess}, "csrf", token); r.Code != http.StatusSeeOther {
		t.Errorf("logout: %d", r.Code)
	}
	after := httptest.NewRequest("GET", "/", nil)
	after.AddCookie(sess)
	if h.Authenticated(after) {
		t.Error("the session outlived logout")
	}
	// Without Login there is no login page and Authenticated is false.
	open := newTestHandler(t, Dependencies{}, Configuration{})
	if r := get(t, open, "/login"); r.Code != http.StatusSeeOther {
		t.Errorf("/login without authentication: %d", r.Code)
	}
	if open.Authenticated(req) {
		t.Error("Authenticated true without authentication")
	}
}

// TestSessionTableBounded: the session table never grows past its bound.
func TestSessionTableBounded(t *testing.T) {
	st := newSessionTable(3, time.Hour, time.Now)
	var ids []string
	for range 10 {
		ids = append(ids, st.create("u"))
	}
	if st.len() != 3 {
		t.Errorf("%d sessions, bound 3", st.len())
	}
	if !st.valid(ids[9]) || st.valid(ids[0]) {
		t.Error("the newest session was dropped or the oldest kept")
	}
	l := newLimiter(2, time.Minute, time.Now)
	for i := range maxLimiterEntries + 10 {
		l.fail(strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if len(l.m) > maxLimiterEntries {
		t.Errorf("limiter holds %d addresses", len(l.m))
	}
}

// TestFindingsLinked: the overview tells the planted spike in a sentence
// that links to its drill-down, and the drill-down answers.
func TestFindingsLinked(t *testing.T) {
	h := newTestHandler(t, Dependencies{}, Configuration{})
	for _, lang := range []string{"en", "ja"} {
		b := get(t, h, "/?lang="+lang).Body.Bytes()
		doc, _ := html.Parse(bytes.NewReader(b))
		var found []string
		for n := range doc.Descendants() {
			if n.Type == html.ElementNode && n.Data == "ul" && attr(n, "class") == "findings" {
				for a := range n.Descendants() {
					if a.Type == html.ElementNode && a.Data == "a" {
						found = append(found, attr(a, "href")+" "+textOf(a))
					}
				}
			}
		}
		var mx string
		for _, f := range found {
			if strings.HasPrefix(f, "/country/MX?") {
				mx = f
			}
		}
		if mx == "" {
			t.Fatalf("%s: no finding links to Mexico: %q", lang, found)
		}
		href, sentence, _ := strings.Cut(mx, " ")
		if lang == "ja" && !strings.Contains(sentence, "メキシコ") || lang == "en" && !strings.Contains(sentence, "Mexico") {
			t.Errorf("%s: sentence %q does not name the country", lang, sentence)
		}
		u, _ := url.Parse(href)
		if u.Query().Get("class") == "" || u.Query().Get("from") == "" || u.Query().Get("lang") != lang {
			t.Errorf("finding link %q lacks its class, days or language", href)
		}
		if rec := get(t, h, href); rec.Code != 200 {
			t.Errorf("%s: %d", href, rec.Code)
		}
	}
}
