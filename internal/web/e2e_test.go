package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// The end-to-end test: the dashboard served on loopback over a
// synthesized store (two sensors, a spike, hostile exploit payloads, AS
// names holding HTML, honeypot sessions of which about one in eight carries
// attacker markup), driven by headless Chromium.

var (
	e2eOnce sync.Once
	e2eErr  error
	e2eDB   string
)

// e2eDays is how many days the end-to-end store covers.
const e2eDays = 14

func buildE2EStore() error {
	e2eDB = filepath.Join(testDir, "e2e.duckdb")
	l, err := geo.Open(geo.Config{})
	if err != nil {
		return err
	}
	defer l.Close()
	locate := func(a netip.Addr) store.Place {
		i := l.Lookup(a)
		p := store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
		if p.ASN != 0 && p.ASN%3 == 0 {
			p.Org = hostileOrg
		}
		return p
	}
	for i, sensor := range []string{"tokyo", "osaka"} {
		capPath := filepath.Join(testDir, "e2e-"+sensor+".pcap")
		sp, _ := synth.ParseSpike("MX:10:30")
		truth, err := synth.WriteFile(capPath, synth.Config{Packets: 30000, Days: e2eDays, Seed: uint64(31 + i), Pool: geoPool{},
			Spikes: []synth.Spike{sp}, Hostile: true})
		if err != nil {
			return err
		}
		ss, _, err := synth.Sessions(synth.SessionOptions{Seed: uint64(41 + i), Days: e2eDays, PerDay: 8, Pool: geoPool{}, Hostile: true,
			Sensors: []synth.SessionSensor{{Name: sensor}}})
		if err != nil {
			return err
		}
		logPath := filepath.Join(testDir, "e2e-"+sensor+".json")
		if err := synth.WriteCowrieFile(logPath, ss); err != nil {
			return err
		}
		nets, _ := ingest.ParseNets([]string{truth.SensorNet, truth.SensorNet6})
		res, err := ingest.Run(context.Background(), ingest.Config{DBPath: e2eDB, Sensor: sensor, TimeZone: "Asia/Tokyo", Locate: locate, SensorNets: nets},
			[]string{capPath, logPath})
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Err != nil || !r.Committed {
				return fmt.Errorf("ingest %s: %+v", r.Path, r)
			}
		}
	}
	return nil
}

// findBrowser is the path of a Chromium or Chrome binary in PATH ("" when
// there is none).
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserEvents collects what the page reports that a test must see: console
// errors and warnings, uncaught exceptions, browser log entries (CSP
// violations among them) and dialogs.
type browserEvents struct {
	mu       sync.Mutex
	problems []string
	dialogs  []string
}

func (b *browserEvents) add(s string) {
	b.mu.Lock()
	b.problems = append(b.problems, s)
	b.mu.Unlock()
}

// since returns the problems reported after the first n, and their count.
func (b *browserEvents) since(n int) ([]string, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.problems[n:]), len(b.problems)
}

func (b *browserEvents) listener(ctx context.Context) func(ev any) {
	return func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeWarning && ev.Type != runtime.ConsoleAPICalledTypeAssert {
				return
			}
			var args []string
			for _, a := range ev.Args {
				if len(a.Value) > 0 {
					args = append(args, string(a.Value))
				} else {
					args = append(args, a.Description)
				}
			}
			b.add("console." + string(ev.Type) + ": " + strings.Join(args, " "))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil {
				text += " " + d.Exception.Description
			}
			b.add(fmt.Sprintf("exception at %s:%d:%d: %s", d.URL, d.LineNumber+1, d.ColumnNumber+1, text))
		case *cdplog.EventEntryAdded:
			e := ev.Entry
			if e.Level == cdplog.EntryLevelError || e.Level == cdplog.EntryLevelWarning || isCSPMessage(e.Text) {
				b.add(fmt.Sprintf("log %s/%s: %s (%s)", e.Source, e.Level, e.Text, e.URL))
			}
		case *cdppage.EventJavascriptDialogOpening:
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
			b.mu.Unlock()
			// A dialog blocks the page: close it from another goroutine
			// (a listener must not run commands).
			go chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: false})
		}
	}
}

// isCSPMessage reports whether a browser log text is a CSP refusal
// (older Chromes: "Refused to ...", newer: "... violates the following
// Content Security Policy directive ...").
func isCSPMessage(s string) bool {
	return strings.Contains(s, "Refused to") || strings.Contains(s, "Content Security Policy")
}

// e2eInit runs in every document before its own scripts: it records CSP
// violations and calls of the dialog functions (which also open a dialog
// the listener sees) where the test can read them.
const e2eInit = `(() => {
  window.__e2eCSP = [];
  document.addEventListener("securitypolicyviolation", e => {
    window.__e2eCSP.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber);
  });
  window.__e2eDialogs = [];
  for (const name of ["alert", "confirm", "prompt"]) {
    const orig = window[name];
    window[name] = function (m) { window.__e2eDialogs.push(name + ":" + m); return orig.apply(this, arguments); };
  }
})();`

// e2ePage is what the test reads of a page once it has loaded.
type e2ePage struct {
	Path     string   `json:"path"`
	Status   int      `json:"status"`
	Render   float64  `json:"render"` // navigation start to the end of the load event, ms
	Lang     string   `json:"lang"`
	H1       string   `json:"h1"`
	Charts   int      `json:"charts"`   // inline SVG charts
	Unmarked []string `json:"unmarked"` // ids of charts without a mark
	Titles   int      `json:"titles"`   // <title>s app.js left in charts
	Unnamed  []string `json:"unnamed"`  // ids of charts without an accessible name
	Scripts  []struct {
		Src    string `json:"src"`
		Inline int    `json:"inline"`
	} `json:"scripts"`
	Handlers []string `json:"handlers"` // elements with an on* attribute
	CSP      []string `json:"csp"`
	Dialogs  []string `json:"dialogs"`
	Text     string   `json:"text"`
	Overflow float64  `json:"overflow"` // how much wider than the window the page is, px
}

// e2eReadPage reads the page: a mark is a chart element with a tip (a
// <title> that app.js turned into data-tip), a bar segment or a dot.
const e2eReadPage = `(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const svgs = Array.from(document.querySelectorAll("main figure.chart > svg"));
  const handlers = [];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (a.name.toLowerCase().startsWith("on")) handlers.push(el.tagName + "[" + a.name + "]");
    }
  }
  let titles = 0;
  for (const s of svgs) titles += s.querySelectorAll("title").length;
  return {
    path: location.pathname + location.search,
    status: nav ? nav.responseStatus : 0,
    render: nav ? nav.loadEventEnd - nav.startTime : -1,
    lang: document.documentElement.lang,
    h1: (document.querySelector("main h1") || {textContent: ""}).textContent.trim(),
    charts: svgs.length,
    unmarked: svgs.filter(s => !s.querySelector("[data-tip], rect.seg, .dot")).map(s => s.parentNode.id),
    titles: titles,
    unnamed: svgs.filter(s => !s.getAttribute("aria-label")).map(s => s.parentNode.id),
    scripts: Array.from(document.scripts).map(s => ({src: s.getAttribute("src") || "", inline: s.textContent.length})),
    handlers: handlers,
    csp: window.__e2eCSP || ["no CSP recorder"],
    dialogs: window.__e2eDialogs || [],
    text: document.body.innerText,
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  };
})()`

// e2eRun is one browser over one dashboard.
type e2eRun struct {
	t      *testing.T
	ctx    context.Context
	base   string
	events *browserEvents
	// script is the app's script, as the first page gave it.
	script string
	shots  string
	// every screenshots every page checked (HONEYSCOPE_SCREENSHOTS set).
	every bool
	n     int
	times []string
	// mark is how many problems the browser had reported when the page
	// being checked was asked for.
	mark int
}

// begin notes the start of a navigation (see mark).
func (r *e2eRun) begin() { _, r.mark = r.events.since(0) }

// open navigates to target (a path) and checks the page: it loaded with
// 200, has a heading, charts with marks when wantCharts, only the app's
// own script, no inline handler, and no console error, exception, CSP
// violation or dialog.
func (r *e2eRun) open(target string, wantCharts bool) *e2ePage {
	r.t.Helper()
	r.begin()
	start := time.Now()
	if err := chromedp.Do(r.ctx, chromedp.Navigate(r.base+target)); err != nil {
		r.t.Fatalf("%s: %v", target, err)
	}
	return r.check(target, wantCharts, time.Since(start))
}

// check checks the page now shown (see open); nav is how long getting
// there took.
func (r *e2eRun) check(target string, wantCharts bool, nav time.Duration) *e2ePage {
	r.t.Helper()
	if _, err := chromedp.Run(r.ctx, chromedp.Poll[bool](`(() => { const n = performance.getEntriesByType("navigation")[0]; return n && n.loadEventEnd > 0; })()`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		r.t.Fatalf("%s: no load event: %v", target, err)
	}
	p, err := chromedp.Run(r.ctx, chromedp.Evaluate[*e2ePage](e2eReadPage))
	if err != nil {
		r.t.Fatalf("%s: %v", target, err)
	}
	r.times = append(r.times, fmt.Sprintf("%-44s %6.0f ms (navigate %4d ms)", p.Path, p.Render, nav.Milliseconds()))
	if p.Status != 200 {
		r.t.Errorf("%s: status %d", p.Path, p.Status)
	}
	if p.H1 == "" {
		r.t.Errorf("%s: no heading", p.Path)
	}
	if wantCharts {
		if p.Charts == 0 {
			r.t.Errorf("%s: no chart", p.Path)
		}
		if len(p.Unmarked) > 0 {
			r.t.Errorf("%s: charts without marks: %v", p.Path, p.Unmarked)
		}
	}
	if p.Overflow > 0 {
		r.t.Errorf("%s: the page is %.0f px wider than the window", p.Path, p.Overflow)
	}
	if p.Titles > 0 {
		r.t.Errorf("%s: %d chart <title>s were not turned into tips (app.js did not run?)", p.Path, p.Titles)
	}
	if len(p.Unnamed) > 0 {
		r.t.Errorf("%s: charts without an aria-label: %v", p.Path, p.Unnamed)
	}
	if len(p.Scripts) != 1 || p.Scripts[0].Inline != 0 || !strings.HasPrefix(p.Scripts[0].Src, "/static/") || !strings.HasSuffix(p.Scripts[0].Src, ".js") {
		r.t.Errorf("%s: scripts %+v, want only the app's", p.Path, p.Scripts)
	} else if r.script == "" {
		r.script = p.Scripts[0].Src
	} else if p.Scripts[0].Src != r.script {
		r.t.Errorf("%s: script %s, other pages %s", p.Path, p.Scripts[0].Src, r.script)
	}
	if len(p.Handlers) > 0 {
		r.t.Errorf("%s: elements with event handler attributes: %v", p.Path, p.Handlers)
	}
	if len(p.CSP) > 0 {
		r.t.Errorf("%s: CSP violations: %v", p.Path, p.CSP)
	}
	if len(p.Dialogs) > 0 {
		r.t.Errorf("%s: dialogs called: %v", p.Path, p.Dialogs)
	}
	r.checkEvents(p.Path, r.mark)
	if r.every {
		r.n++
		name := strings.Map(func(c rune) rune {
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
				return c
			}
			return '_'
		}, strings.Trim(p.Path, "/"))
		if len(name) > 60 {
			name = name[:60]
		}
		r.screenshot(fmt.Sprintf("page-%02d-%s", r.n, name))
	}
	return p
}

// checkEvents fails on what the browser reported (after the first n
// problems) and on any dialog so far.
func (r *e2eRun) checkEvents(where string, n int) {
	r.t.Helper()
	// The browser's events arrive on their own: give the last ones a
	// moment to come in.
	time.Sleep(50 * time.Millisecond)
	probs, _ := r.events.since(n)
	for _, pr := range probs {
		r.t.Errorf("%s: %s", where, pr)
	}
	r.events.mu.Lock()
	d := slices.Clone(r.events.dialogs)
	r.events.dialogs = nil
	r.events.mu.Unlock()
	if len(d) > 0 {
		r.t.Errorf("%s: dialogs opened: %v", where, d)
	}
}

// eval evaluates expr, failing the test on an error.
func eval[T any](r *e2eRun, what, expr string) T {
	r.t.Helper()
	v, err := chromedp.Run(r.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		r.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// follow runs trigger (a click) and waits for the page it leads to.
func (r *e2eRun) follow(what string, trigger chromedp.Action[chromedp.Void]) {
	r.t.Helper()
	r.begin()
	ctx, cancel := context.WithTimeout(r.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil, trigger)); err != nil {
		r.t.Fatalf("%s: %v", what, err)
	}
}

// screenshot writes the whole page as name.png.
func (r *e2eRun) screenshot(name string) {
	r.t.Helper()
	buf, err := chromedp.Run(r.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		r.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(r.shots, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		r.t.Fatal(err)
	}
	r.t.Logf("screenshot %s", p)
}

// TestBrowserEndToEnd drives headless Chromium over the dashboard on
// loopback: every page of the navigation and the drill-down pages load
// with charts that have marks, only the app's script, no console error,
// exception, CSP violation or dialog, and no horizontal overflow; a top
// table link, a chart segment, the language switch and the sessions search
// lead where they should; attacker markup shows as text; app.js's tips,
// brushing and auto-refresh work. It logs each page's first render time and
// writes screenshots to a temporary directory, or to HONEYSCOPE_SCREENSHOTS
// (then one of every page checked). It skips without a Chromium or Chrome
// binary in PATH.
func TestBrowserEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test skipped in short mode")
	}
	bin := findBrowser()
	if bin == "" {
		t.Skip("no chromium, chromium-browser or google-chrome in PATH: the browser test needs one (Debian: apt-get install chromium)")
	}
	e2eOnce.Do(func() { e2eErr = buildE2EStore() })
	if e2eErr != nil {
		t.Fatal(e2eErr)
	}
	st, err := duckstore.Open(context.Background(), e2eDB, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(newTestHandler(t, Dependencies{Store: st}, Configuration{}))
	t.Cleanup(srv.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.WindowSize(1366, 900),
		chromedp.DisableGPU,
		chromedp.Flag("lang", "en-US"),
		chromedp.Flag("no-proxy-server", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	ev := &browserEvents{}
	if err := chromedp.Listen(bctx, ev.listener(bctx)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: e2eInit}); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("HONEYSCOPE_SCREENSHOTS")
	every := shots != ""
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &e2eRun{t: t, ctx: bctx, base: srv.URL, events: ev, shots: shots, every: every}
	defer func() { t.Logf("first render (navigation start to load event end):\n%s", strings.Join(r.times, "\n")) }()

	// The overview, in English (the browser asks for en-US), and the
	// pages of its navigation.
	ov := r.open("/", true)
	if ov.Lang != "en" {
		t.Errorf("overview: lang %q, want en", ov.Lang)
	}
	if want := messages["overviewTitle"][0]; ov.H1 != want {
		t.Errorf("overview: heading %q, want %q", ov.H1, want)
	}
	r.screenshot("overview")
	nav := eval[[]string](r, "navigation", `Array.from(document.querySelectorAll("header.top nav > a")).map(a => a.getAttribute("href"))`)
	var classes []string
	seen := map[string]bool{"/": true}
	for _, href := range nav {
		u, err := url.Parse(href)
		if err != nil || seen[u.Path] {
			continue
		}
		seen[u.Path] = true
		if c, ok := strings.CutPrefix(u.Path, "/class/"); ok {
			classes = append(classes, c)
		}
		// Every page of the navigation has charts but the honeypot lists
		// and the infrastructure graph and the families (empty: the test
		// store keeps no DNS resolutions and no triaged sample;
		// TestInfraPage draws one).
		r.open(href, u.Path != "/sessions" && u.Path != "/samples" && u.Path != "/infra" && u.Path != "/families")
	}
	for _, want := range []string{"/sessions", "/samples", "/compare", "/domestic", "/findings"} {
		if !seen[want] {
			t.Errorf("the navigation has no %s (it has %v)", want, nav)
		}
	}
	if len(classes) == 0 {
		t.Fatalf("no class in the navigation %v", nav)
	}

	// A class page; from its top tables, a port, an AS and a source.
	class := classes[0]
	if slices.Contains(classes, "mirai") {
		class = "mirai"
	}
	r.open("/class/"+class, true)
	r.screenshot("class-" + class)
	firstLink := func(where, prefix string) string {
		href := eval[string](r, where, `(() => { const a = document.querySelector('main a[href^="`+prefix+`"]'); return a ? a.getAttribute("href") : ""; })()`)
		if href == "" {
			t.Fatalf("%s: no link to %s", where, prefix)
		}
		return href
	}
	port := firstLink("class page", "/port/")
	asn := firstLink("class page", "/asn/")

	// Drill down: a country of the class page's top table.
	sel := `#tab-top-country a[href^="/country/"]`
	country := eval[string](r, "top country", `(() => { const a = document.querySelector('`+sel+`'); return a ? a.getAttribute("href") : ""; })()`)
	if country == "" {
		t.Fatalf("class page: no country link in its top table")
	}
	r.follow("click a top country", chromedp.Click(chromedp.CSS(sel)))
	cp := r.check("country page from the class page", true, 0)
	if cp.Path != country {
		t.Errorf("the country link %s led to %s", country, cp.Path)
	}
	cu, _ := url.Parse(country)
	cc := strings.TrimPrefix(cu.Path, "/country/")
	if want := geo.CountryName(cc, "en") + " (" + cc + ")"; !strings.Contains(cp.H1, want) {
		t.Errorf("country page %s: heading %q, want it to name %q", cp.Path, cp.H1, want)
	}
	source := firstLink("country page", "/source/")
	for _, target := range []string{port, asn, source} {
		r.open(target, true)
	}

	// Drill down: a bar segment of the overview's daily chart is a link to
	// its class.
	r.open("/", true)
	segHref := eval[string](r, "chart segment", `(() => {
	  for (const rect of document.querySelectorAll("#fig-daily svg a rect.seg")) {
	    rect.scrollIntoView({block: "center"});
	    const b = rect.getBoundingClientRect();
	    if (b.width < 3 || b.height < 3) continue;
	    const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
	    if (hit !== rect) continue;
	    rect.setAttribute("data-e2e", "seg");
	    return rect.closest("a").getAttribute("href");
	  }
	  return "";
	})()`)
	if segHref == "" {
		t.Fatal("overview: no clickable linked segment in the daily chart")
	}
	r.follow("click a chart segment", chromedp.Click(chromedp.CSS(`[data-e2e="seg"]`)))
	sp := r.check("page of a chart segment", true, 0)
	if sp.Path != segHref {
		t.Errorf("the chart segment's link %s led to %s", segHref, sp.Path)
	}
	if !strings.HasPrefix(segHref, "/class/") {
		t.Errorf("a segment of the daily chart links %s, want a class page", segHref)
	}

	// The honeypot pages: search the sessions for attacker markup with
	// the search form, open a session found and see the markup shown as
	// text; a sample.
	r.open("/sessions", false)
	r.screenshot("sessions")
	const needle = "<script>alert("
	if err := chromedp.Do(r.ctx, chromedp.SendKeys(chromedp.CSS(`main form.search input[name="q"]`), needle)); err != nil {
		t.Fatal(err)
	}
	r.follow("search the sessions", chromedp.Click(chromedp.CSS(`main form.search button[type="submit"]`)))
	found := r.check("sessions search", false, 0)
	if u, _ := url.Parse(found.Path); u.Query().Get("q") != needle {
		t.Errorf("the search form led to %s, want q=%q", found.Path, needle)
	}
	if v := eval[string](r, "search field", `document.querySelector('main form.search input[name="q"]').value`); v != needle {
		t.Errorf("the search field shows %q after the search, want %q", v, needle)
	}
	sessionHref := firstLink("sessions search", "/session/")
	sess := r.open(sessionHref, false)
	r.screenshot("session")
	if !strings.Contains(sess.Text, needle) {
		t.Errorf("session %s (found searching %q): the markup is not shown as text", sessionHref, needle)
	}
	r.open("/samples", false)
	r.open(firstLink("samples", "/sample/"), false)

	r.checkTooltip()
	r.checkBrush()
	r.checkLanguage()
	r.checkCanary()
	r.checkRefresh()
}

// checkCanary makes sure the watch on the browser works: markup with an
// inline handler put into a page by hand must be refused by the CSP, and
// the test must see the refusal (as an event and in the browser's log)
// and no dialog.
func (r *e2eRun) checkCanary() {
	t := r.t
	r.open("/", true)
	r.begin()
	eval[chromedp.Void](r, "canary", `document.querySelector("main").insertAdjacentHTML("beforeend", '<img src="/nothing-here.png" onerror="alert(9)">')`)
	var csp []string
	for range 40 {
		if csp = eval[[]string](r, "canary", `window.__e2eCSP`); len(csp) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(csp) == 0 {
		t.Error("canary: an inline handler ran or was refused without a securitypolicyviolation event")
	}
	time.Sleep(100 * time.Millisecond)
	probs, _ := r.events.since(r.mark)
	refused := false
	for _, p := range probs {
		refused = refused || isCSPMessage(p)
	}
	if !refused {
		t.Errorf("canary: the browser log has no CSP refusal; the test would miss one (saw %q)", probs)
	}
	r.events.mu.Lock()
	d := r.events.dialogs
	r.events.mu.Unlock()
	if len(d) > 0 {
		t.Errorf("canary: the inline handler ran: %v", d)
	}
}

// checkTooltip hovers over a mark of the overview's daily chart: app.js's
// tip shows the mark's text, and hides when the pointer leaves the chart.
func (r *e2eRun) checkTooltip() {
	t := r.t
	r.open("/", true)
	type hover struct {
		X, Y float64
		Tip  string
	}
	h := eval[hover](r, "hover target", `(() => {
	  for (const el of document.querySelectorAll("#fig-daily svg [data-tip]")) {
	    el.scrollIntoView({block: "center"});
	    const b = el.getBoundingClientRect();
	    if (b.width < 3 || b.height < 3) continue;
	    const x = b.left + b.width / 2, y = b.top + b.height / 2;
	    const hit = document.elementFromPoint(x, y);
	    if (!hit || hit.closest("[data-tip]") !== el) continue;
	    return {X: x, Y: y, Tip: el.getAttribute("data-tip")};
	  }
	  return {X: -1, Y: -1, Tip: ""};
	})()`)
	if h.Tip == "" {
		t.Fatal("overview: no mark with a tip to hover")
	}
	if err := chromedp.Do(r.ctx, chromedp.MouseEvent(chromedp.MouseMoved, h.X-1, h.Y), chromedp.MouseEvent(chromedp.MouseMoved, h.X, h.Y)); err != nil {
		t.Fatal(err)
	}
	type tipState struct {
		Hidden bool
		Text   string
		W, H   float64
	}
	const readTip = `(() => { const t = document.querySelector("div.tip"); return t ? {Hidden: t.classList.contains("hidden"), Text: t.textContent, W: t.offsetWidth, H: t.offsetHeight} : {Hidden: true, Text: "no tip element"}; })()`
	s := eval[tipState](r, "tip", readTip)
	if s.Hidden || s.W == 0 || s.H == 0 {
		t.Errorf("hovering a mark: the tip is not shown (%+v)", s)
	}
	if s.Text != h.Tip {
		t.Errorf("hovering a mark: tip %q, want the mark's %q", s.Text, h.Tip)
	}
	// Leave the chart: over the page heading.
	if err := chromedp.Do(r.ctx, chromedp.MouseEvent(chromedp.MouseMoved, 5, 5)); err != nil {
		t.Fatal(err)
	}
	if s := eval[tipState](r, "tip", readTip); !s.Hidden {
		t.Errorf("the tip stays after the pointer left the chart: %+v", s)
	}
	_, n := r.events.since(0)
	r.checkEvents("hovering", n)
}

// checkBrush drags over days of the overview's daily chart: the page
// becomes the view of those days (from and to), other parameters kept.
func (r *e2eRun) checkBrush() {
	t := r.t
	r.open("/?unit=sources", true)
	type cols struct {
		X        []float64
		Y        float64
		Days     []string
		Brushing bool
	}
	c := eval[cols](r, "day columns", `(() => {
	  const fig = document.querySelector("figure.chart[data-brush]");
	  if (!fig) return {X: [], Y: 0, Days: []};
	  fig.scrollIntoView({block: "center"});
	  const cs = Array.from(fig.querySelectorAll("rect.daycol"));
	  const out = {X: [], Y: 0, Days: [], Brushing: fig.classList.contains("brushable")};
	  for (const c of cs) {
	    const b = c.getBoundingClientRect();
	    out.X.push(b.left + b.width / 2);
	    out.Y = b.top + b.height / 2;
	    out.Days.push(c.getAttribute("data-day"));
	  }
	  return out;
	})()`)
	if len(c.X) < 6 {
		t.Fatalf("overview: %d day columns in the brushable chart, want 6 or more", len(c.X))
	}
	if !c.Brushing {
		t.Error("overview: app.js did not make the daily chart brushable")
	}
	left := func(p *input.DispatchMouseEventParams) {
		p.Button = input.MouseButtonLeft
		p.Buttons = 1
		p.ClickCount = 1
	}
	if err := chromedp.Do(r.ctx,
		chromedp.MouseEvent(chromedp.MouseMoved, c.X[2], c.Y),
		chromedp.MouseEvent(chromedp.MousePressed, c.X[2], c.Y, left),
		chromedp.MouseEvent(chromedp.MouseMoved, c.X[3], c.Y, left),
		chromedp.MouseEvent(chromedp.MouseMoved, c.X[5], c.Y, left),
	); err != nil {
		t.Fatal(err)
	}
	band := eval[bool](r, "brush band", `(() => { const b = document.querySelector("figure.chart[data-brush] .brush"); return !!b && !b.classList.contains("hidden") && b.offsetWidth > 0; })()`)
	if !band {
		t.Error("dragging over days: no brush band shown")
	}
	r.follow("release the brush", chromedp.MouseEvent(chromedp.MouseReleased, c.X[5], c.Y, left))
	p := r.check("brushed view", true, 0)
	u, _ := url.Parse(p.Path)
	q := u.Query()
	if q.Get("from") != c.Days[2] || q.Get("to") != c.Days[5] || q.Get("unit") != "sources" || u.Path != "/" {
		t.Errorf("brushing days %s..%s of %s led to %s", c.Days[2], c.Days[5], "/?unit=sources", p.Path)
	}
	got := eval[[]string](r, "filter bar", `[document.querySelector('form.filters input[name="from"]').value, document.querySelector('form.filters input[name="to"]').value]`)
	if !slices.Equal(got, []string{c.Days[2], c.Days[5]}) {
		t.Errorf("brushed view: the filter bar shows %v, want %s..%s", got, c.Days[2], c.Days[5])
	}
}

// checkLanguage switches the overview to Japanese with the language link,
// then follows a navigation link: the language stays.
func (r *e2eRun) checkLanguage() {
	t := r.t
	r.open("/", true)
	r.follow("click 日本語", chromedp.Click(chromedp.CSS(`header.top .lang a[hreflang="ja"]`)))
	p := r.check("Japanese overview", true, 0)
	if u, _ := url.Parse(p.Path); u.Query().Get("lang") != "ja" {
		t.Errorf("the language link led to %s, want lang=ja", p.Path)
	}
	if p.Lang != "ja" {
		t.Errorf("Japanese overview: lang %q", p.Lang)
	}
	if want := messages["overviewTitle"][1]; p.H1 != want {
		t.Errorf("Japanese overview: heading %q, want %q", p.H1, want)
	}
	for _, key := range []string{"navSessions", "navFindings", "apply"} {
		if ja := messages[key][1]; !strings.Contains(p.Text, ja) {
			t.Errorf("Japanese overview: no %q (%s)", ja, key)
		}
	}
	r.screenshot("overview-ja")
	r.follow("click セッション", chromedp.Click(chromedp.CSS(`header.top nav > a[href^="/sessions"]`)))
	s := r.check("Japanese sessions", false, 0)
	if want := messages["sessTitle"][1]; s.Lang != "ja" || s.H1 != want {
		t.Errorf("sessions after the switch: lang %q, heading %q, want ja, %q", s.Lang, s.H1, want)
	}
}

// checkRefresh opens the overview with refresh=5: the page reloads itself.
func (r *e2eRun) checkRefresh() {
	t := r.t
	r.open("/?refresh=5", true)
	r.begin()
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.Evaluate[chromedp.Void](`window.__e2eMark = 1`))); err != nil {
		t.Fatalf("refresh=5: the page did not reload: %v", err)
	}
	p := r.check("refreshed overview", true, time.Since(start))
	typ := eval[string](r, "navigation type", `[performance.getEntriesByType("navigation")[0].type, window.__e2eMark === 1 ? "same document" : "new document"].join(" ")`)
	if typ != "reload new document" {
		t.Errorf("refresh=5: navigation %q, want a reload", typ)
	}
	if u, _ := url.Parse(p.Path); u.Query().Get("refresh") != "5" {
		t.Errorf("refresh=5 reloaded as %s", p.Path)
	}
	t.Logf("refresh=5 reloaded after %v", time.Since(start).Round(100*time.Millisecond))
}
