package web

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// pageURLs are every page of the registry with a subject that has data.
var pageURLs = []string{
	"/", "/class/access", "/class/mirai", "/class/zmap", "/class/masscan", "/class/backscatter", "/class/exploit", "/class/intrusion",
	"/country/US", "/port/23-tcp", "/asn/AS0",
	"/class/mirai?country=US", "/class/access?port=23/tcp&sensor=tokyo", "/port/23?country=US&class=mirai", "/country/MX?unit=sources",
	"/sessions", "/samples", "/compare", "/domestic", "/findings", "/infra", "/families",
}

// testedElsewhere are the pages about one honeypot record or source,
// fetched over the honeypot store by honeypot_test.go.
var testedElsewhere = map[string]bool{"source": true, "session": true, "sample": true}

// TestEveryPageEveryRoute fetches every page in both languages, then every
// chart and table download it links, and checks answers and types.
func TestEveryPageEveryRoute(t *testing.T) {
	h := newTestHandler(t, Dependencies{}, Configuration{})
	seen := map[string]bool{}
	pngOf := map[string]bool{} // PNGs are slow to draw: one per page
	// Every registered page is covered by pageURLs.
	for _, p := range pages {
		found := false
		for _, u := range pageURLs {
			path, _, _ := strings.Cut(u, "?")
			if pageFor(path) == p {
				found = true
			}
		}
		if !found && !testedElsewhere[p.Name] {
			t.Errorf("page %s has no URL in the test", p.Name)
		}
	}
	for _, u := range pageURLs {
		for _, lang := range []string{"en", "ja"} {
			target := u + sep(u) + "lang=" + lang
			rec := get(t, h, target)
			if rec.Code != 200 {
				t.Fatalf("%s: %d %s", target, rec.Code, body(rec))
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("%s: content type %q", target, ct)
			}
			for _, href := range hrefs(t, rec.Body.Bytes()) {
				if (strings.HasPrefix(href, "/chart/") || strings.HasPrefix(href, "/csv/")) && !seen[href] {
					seen[href] = true
					if strings.Contains(href, ".png") {
						pg, _, _ := strings.Cut(strings.TrimPrefix(href, "/chart/"), ".")
						if pngOf[pg] {
							continue
						}
						pngOf[pg] = true
					}
					checkDownload(t, h, href)
				}
			}
		}
	}
	var charts, csvs int
	for href := range seen {
		if strings.HasPrefix(href, "/chart/") {
			charts++
		} else {
			csvs++
		}
	}
	if charts < 20 || csvs < 20 {
		t.Errorf("only %d chart and %d CSV downloads linked", charts, csvs)
	}
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

func pageFor(path string) *page {
	for _, p := range pages {
		pat := strings.TrimSuffix(p.Pattern, "{$}")
		if i := strings.Index(pat, "{"); i >= 0 {
			if strings.HasPrefix(path, pat[:i]) && path != pat[:i] {
				return p
			}
			continue
		}
		if path == pat {
			return p
		}
	}
	return nil
}

func checkDownload(t *testing.T, h http.Handler, href string) {
	t.Helper()
	rec := get(t, h, href)
	if rec.Code != 200 {
		t.Fatalf("%s: %d %s", href, rec.Code, body(rec))
	}
	cd := rec.Header().Get("Content-Disposition")
	if !strings.HasPrefix(cd, `attachment; filename="honeyscope-`) {
		t.Errorf("%s: disposition %q", href, cd)
	}
	ct := rec.Header().Get("Content-Type")
	b := rec.Body.Bytes()
	switch {
	case strings.Contains(href, ".svg"):
		if ct != "image/svg+xml" || !bytes.HasPrefix(b, []byte("<svg ")) || !strings.Contains(cd, `.svg"`) {
			t.Errorf("%s: %q %q %.20q", href, ct, cd, b)
		}
	case strings.Contains(href, ".png"):
		if ct != "image/png" || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || !strings.Contains(cd, `.png"`) {
			t.Errorf("%s: %q %q %.8q", href, ct, cd, b)
		}
	case strings.Contains(href, ".csv"):
		if ct != "text/csv; charset=utf-8" || !strings.Contains(cd, `.csv"`) {
			t.Errorf("%s: %q %q", href, ct, cd)
		}
		if _, err := csv.NewReader(bytes.NewReader(b)).ReadAll(); err != nil {
			t.Errorf("%s: not CSV: %v", href, err)
		}
	default:
		t.Errorf("%s: unknown download", href)
	}
}

// hrefs are the link targets of a page (a, link, script, form).
func hrefs(t *testing.T, page []byte) []string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		for _, a := range n.Attr {
			if a.Key == "href" || a.Key == "src" || a.Key == "action" {
				out = append(out, a.Val)
			}
		}
	}
	return out
}

// TestCSVMatchesTable checks that a table's CSV has the table's rows: the
// same keys in the same order as the page shows.
func TestCSVMatchesTable(t *testing.T) {
	h := newTestHandler(t, Dependencies{}, Configuration{})
	for _, u := range []string{"/class/mirai", "/country/US", "/"} {
		rec := get(t, h, u)
		if rec.Code != 200 {
			t.Fatalf("%s: %d", u, rec.Code)
		}
		doc, _ := html.Parse(bytes.NewReader(rec.Body.Bytes()))
		tables := 0
		for n := range doc.Descendants() {
			if n.Type != html.ElementNode || n.Data != "div" || attr(n, "class") != "tablewrap" {
				continue
			}
			var firsts []string
			var csvHref string
			for m := range n.Descendants() {
				if m.Type == html.ElementNode && m.Data == "tr" && m.Parent.Data == "tbody" {
					td := firstChild(m, "td")
					if td != nil && attr(td, "colspan") == "" {
						firsts = append(firsts, textOf(td))
					}
				}
				if m.Type == html.ElementNode && m.Data == "a" && strings.HasPrefix(attr(m, "href"), "/csv/") {
					csvHref = attr(m, "href")
				}
			}
			if csvHref == "" {
				t.Fatalf("%s: a table without CSV link", u)
			}
			tables++
			r := get(t, h, csvHref)
			recs, err := csv.NewReader(r.Body).ReadAll()
			if err != nil || len(recs) == 0 {
				t.Fatalf("%s: %v", csvHref, err)
			}
			if len(recs)-1 != len(firsts) {
				t.Errorf("%s: %d CSV rows, the table shows %d", csvHref, len(recs)-1, len(firsts))
				continue
			}
			for i, f := range firsts {
				// Shown keys are names ("United States (US)"); the CSV
				// has the raw key, which the shown text contains.
				if key := recs[i+1][0]; !strings.Contains(f, key) && !strings.Contains(key, strings.TrimSuffix(f, "…")) {
					t.Errorf("%s row %d: CSV %q, table %q", csvHref, i, key, f)
				}
			}
		}
		if tables == 0 {
			t.Errorf("%s: no tables", u)
		}
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func firstChild(n *html.Node, tag string) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == tag {
			return c
		}
	}
	return nil
}

func textOf(n *html.Node) string {
	var b strings.Builder
	for m := range n.Descendants() {
		if m.Type == html.TextNode {
			b.WriteString(m.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

// TestCSPAndNoInline checks the security headers of every page and that
// no page has an inline script, a style element or attribute, or an event
// handler attribute, and that scripts and styles come from /static/.
func TestCSPAndNoInline(t *testing.T) {
	h := newTestHandler(t, Dependencies{}, Configuration{})
	urls := append(slices.Clone(pageURLs), "/class/nope", "/?from=bad", "/nowhere")
	for _, u := range urls {
		rec := get(t, h, u)
		hd := rec.Header()
		if hd.Get("Content-Security-Policy") != "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'" {
			t.Errorf("%s: CSP %q", u, hd.Get("Content-Security-Policy"))
		}
		if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", u, hd)
		}
		doc, err := html.Parse(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		scripts := 0
		for n := range doc.Descendants() {
			if n.Type != html.ElementNode {
				continue
			}
			switch n.Data {
			case "script":
				scripts++
				if src := attr(n, "src"); !strings.HasPrefix(src, "/static/") || n.FirstChild != nil {
					t.Errorf("%s: inline or foreign script %q", u, src)
				}
			case "style":
				t.Errorf("%s: a <style> element", u)
			case "link":
				if attr(n, "rel") == "stylesheet" && !strings.HasPrefix(attr(n, "href"), "/static/") {
					t.Errorf("%s: foreign stylesheet", u)
				}
			}
			for _, a := range n.Attr {
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s: <%s %s=%q>", u, n.Data, a.Key, a.Val)
				}
				if (a.Key == "href" || a.Key == "src") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
					t.Errorf("%s: javascript: URL", u)
				}
			}
		}
		if scripts != 1 {
			t.Errorf("%s: %d scripts", u, scripts)
		}
	}
}

// TestStatic checks the embedded assets: hashed names cached for a year,
// plain names revalidated, ETags answered 304.
func TestStatic(t *testing.T) {
	h := newTestHandler(t, Dependencies{}, Configuration{})
	for _, name := range []string{"app.css", "app.js"} {
		hashed := assetURL(name)
		rec := get(t, h, hashed)
		if rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d %q", hashed, rec.Code, rec.Header().Get("Cache-Control"))
		}
		want, _ := staticFS.ReadFile("static/" + name)
		if !bytes.Equal(rec.Body.Bytes(), want) {
			t.Errorf("%s: wrong content", hashed)
		}
		ct := rec.Header().Get("Content-Type")
		if name == "app.js" && !strings.Contains(ct, "javascript") || name == "app.css" && !strings.HasPrefix(ct, "text/css") {
			t.Errorf("%s: content type %q", name, ct)
		}
		plain := get(t, h, "/static/"+name)
		if plain.Code != 200 || plain.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("/static/%s: %d %q", name, plain.Code, plain.Header().Get("Cache-Control"))
		}
		if r := get(t, h, hashed, "If-None-Match: "+rec.Header().Get("ETag")); r.Code != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d", hashed, r.Code)
		}
	}
	if r := get(t, h, "/static/../root.go"); r.Code == 200 {
		t.Error("a path outside the assets was served")
	}
	if r := get(t, h, "/static/nope.js"); r.Code != 404 {
		t.Errorf("unknown asset: %d", r.Code)
	}
}

// TestMakeReport posts the report form: without a token it is refused;
// with one, the report folder is written under ReportDir; without a
// ReportDir the action is disabled.
func TestMakeReport(t *testing.T) {
	dir := t.TempDir()
	h := newTestHandler(t, Dependencies{}, Configuration{ReportDir: dir})
	page := get(t, h, "/class/mirai?lang=ja&sensor=tokyo")
	cookie, token, view := formOf(t, page)
	if !strings.Contains(view, "class=mirai") || !strings.Contains(view, "sensor=tokyo") {
		t.Fatalf("form view %q lacks the page's filters", view)
	}
	if r := post(t, h, "/report", cookie, "view", view); r.Code != http.StatusForbidden {
		t.Errorf("report without token: %d", r.Code)
	}
	// Another token: the first hex digit changed (a fixed "00" prefix
	// would be the real token once in 256 runs).
	wrong := string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", token[0])+1)%16]) + token[1:]
	if r := post(t, h, "/report", cookie, "csrf", wrong, "view", view); r.Code != http.StatusForbidden {
		t.Errorf("report with a wrong token: %d", r.Code)
	}
	if r := post(t, h, "/report", nil, "csrf", token, "view", view); r.Code != http.StatusForbidden {
		t.Errorf("report without the CSRF cookie: %d", r.Code)
	}
	if n, _ := os.ReadDir(dir); len(n) != 0 {
		t.Fatal("a refused report wrote files")
	}
	r := post(t, h, "/report", cookie, "csrf", token, "view", view)
	if r.Code != 200 {
		t.Fatalf("report: %d %s", r.Code, body(r))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d report folders", len(entries))
	}
	out := filepath.Join(dir, entries[0].Name())
	idx, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(idx), `lang="ja"`) || !strings.Contains(string(idx), "tokyo") {
		t.Error("the report is not of the view (language, sensor)")
	}
	if !strings.Contains(body(r), out) {
		t.Error("the answer does not say where the report went")
	}
	off := newTestHandler(t, Dependencies{}, Configuration{})
	page = get(t, off, "/")
	if !strings.Contains(body(page), messages["reportDisabled"][0]) {
		t.Error("a disabled report action is not said so")
	}
	cookie, token, view = formOf(t, page)
	if r := post(t, off, "/report", cookie, "csrf", token, "view", view); r.Code != http.StatusForbidden {
		t.Errorf("disabled report: %d", r.Code)
	}
}

// formOf returns a page's CSRF cookie, its form token and report view.
func formOf(t *testing.T, rec *httptestRecorder) (*http.Cookie, string, string) {
	t.Helper()
	var cookie *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == csrfCookie {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no CSRF cookie")
	}
	doc, _ := html.Parse(bytes.NewReader(rec.Body.Bytes()))
	var token, view string
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "input" {
			switch attr(n, "name") {
			case "csrf":
				token = attr(n, "value")
			case "view":
				view = attr(n, "value")
			}
		}
	}
	if token == "" {
		t.Fatal("no CSRF token in the page")
	}
	return cookie, token, view
}
