package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// The honeypot test store: one synthetic sensor's captures (12 days with
// a spike) and honeypot
// sessions from the capture's busiest source, whose user names,
// passwords, commands, URLs and request targets are HTML and javascript:
// URLs.

// Hostile strings the sessions hold; each must appear only escaped.
const (
	hpScript  = `<script>alert(1)</script>`
	hpImg     = `"><img src=x onerror=alert(1)>`
	hpJSURL   = `javascript:alert(document.cookie)`
	hpSHAUser = `<svg onload=alert(7)>`
)

var (
	hpOnce sync.Once
	hpErr  error
	hpDB   string
	// hpSrc is the source of the sessions (with capture data too);
	// hpSHA the sample its telnet session dropped.
	hpSrc netip.Addr
	hpSHA string
)

// hpSpike is the spike planted in the honeypot store's captures: China
// on day 9, after enough days for a baseline.
const hpSpike = "CN:9:6"

// hpSessionIDs are the sessions of the honeypot test store.
var hpSessionIDs = []string{"00000000000000b1", "00000000000000b2", "00000000000000b3"}

func buildHoneypotStore() error {
	hpDB = filepath.Join(testDir, "hp.duckdb")
	l, err := geo.Open(geo.Config{})
	if err != nil {
		return err
	}
	defer l.Close()
	locate := func(a netip.Addr) store.Place {
		i := l.Lookup(a)
		return store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
	}
	capPath := filepath.Join(testDir, "hp.pcap")
	sp, _ := synth.ParseSpike(hpSpike)
	truth, err := synth.WriteFile(capPath, synth.Config{Packets: 100000, Days: 12, Seed: 77, Pool: geoPool{}, Spikes: []synth.Spike{sp}})
	if err != nil {
		return err
	}
	nets, _ := ingest.ParseNets([]string{truth.SensorNet, truth.SensorNet6})
	res, err := ingest.Run(context.Background(), ingest.Config{DBPath: hpDB, Sensor: "hp", TimeZone: "Asia/Tokyo", Locate: locate, SensorNets: nets}, []string{capPath})
	if err != nil || res[0].Err != nil || !res[0].Committed {
		return fmt.Errorf("ingest: %v %+v", err, res)
	}
	ctx := context.Background()
	st, err := duckstore.Open(ctx, hpDB, duckstore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.Stats(ctx, store.StatsQuery{By: []string{"src"}, Top: 1, NoSources: true})
	if err != nil || len(rows) == 0 {
		return fmt.Errorf("busiest source: %v %v", rows, err)
	}
	hpSrc = netip.MustParseAddr(rows[0].Keys[0].(string))
	first, _, _, err := st.DataRange(ctx, nil)
	if err != nil {
		return err
	}
	at := first.Start(st.Location()).Add(6 * time.Hour)
	elf := storetest.ELF("hp-web")
	hpSHA = storetest.SHA256(elf)
	tel := storetest.Telnet(hpSessionIDs[0], "hp", hpSrc, at, elf, hpScript, "wget "+hpJSURL, `echo "`+hpImg+`"`)
	tel.Username, tel.Password = hpImg, hpScript
	tel.Logins = append(tel.Logins, session.Login{Time: at.Add(time.Second), Method: "telnet", Username: hpSHAUser, Password: hpImg})
	tel.URLs = append(tel.URLs, session.URL{Time: at.Add(4 * time.Second), URL: hpJSURL, Via: "wget", Target: "/tmp/" + hpImg})
	tel.Commands[0].Patterns = []string{"busybox-" + hpImg}
	web := storetest.HTTP(hpSessionIDs[1], "hp", hpSrc, at.Add(time.Hour), `/cgi-bin/`+hpImg+`?u=`+hpJSURL)
	web.Requests[0].Headers = "User-Agent: " + hpScript + "\nHost: x"
	web.Requests[0].Body = []byte(hpScript + "\x00\x1b[2J")
	web.FirstBytes = []byte("GET /\x00" + hpScript)
	other := storetest.Telnet(hpSessionIDs[2], "hp", netip.MustParseAddr("198.51.100.30"), at.Add(2*time.Hour), nil, "uname -a")
	batch := []session.Session{tel, web, other}
	hits := storetest.IntrusionHits("hp-b1", "hp", batch, st.Location())
	return st.CommitSessions(ctx, store.SessionBatch{ID: "hp-b1", Sessions: batch, Hits: hits})
}

// newHoneypotHandler is a dashboard over the honeypot test store.
func newHoneypotHandler(t testing.TB) *Handler {
	t.Helper()
	hpOnce.Do(func() { hpErr = buildHoneypotStore() })
	if hpErr != nil {
		t.Fatal(hpErr)
	}
	st, err := duckstore.Open(context.Background(), hpDB, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newTestHandler(t, Dependencies{Store: st}, Configuration{})
}

// hostileRaw are the attacker strings that must never appear unescaped
// in a page.
var hostileRaw = []string{hpScript, hpImg, hpSHAUser, "<img", "<svg onload", `href="javascript`, `href="` + hpJSURL}

// checkEscaped fails when a page holds an attacker string unescaped.
func checkEscaped(t *testing.T, target, page string) {
	t.Helper()
	for _, s := range hostileRaw {
		if strings.Contains(page, s) {
			t.Errorf("%s: holds %q unescaped", target, s)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Errorf("%s: holds a script tag", target)
	}
}

func TestHoneypotPages(t *testing.T) {
	h := newHoneypotHandler(t)
	src := hpSrc.String()
	// Each page with the escaped forms it must show (html/template
	// escapes < > " as &lt; &gt; &#34;).
	escScript := "&lt;script&gt;alert(1)&lt;/script&gt;"
	escImg := "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"
	for _, c := range []struct {
		target string
		want   []string
	}{
		{"/sessions", []string{escImg, hpSessionIDs[0], `href="/session/` + hpSessionIDs[0], `href="/source/` + src}},
		{"/sessions?user=" + escapeQ(hpImg), []string{hpSessionIDs[0]}},
		{"/sessions?q=" + escapeQ("wget "+hpJSURL), []string{hpSessionIDs[0]}},
		{"/sessions?service=http&src=" + src, []string{hpSessionIDs[1]}},
		{"/session/" + hpSessionIDs[0], []string{escScript, escImg, hpJSURL, `href="/sample/` + hpSHA, "&lt;svg onload=alert(7)&gt;"}},
		{"/session/" + hpSessionIDs[1], []string{escScript, `\x0\x1b[2J`, "/cgi-bin/" + escImg}},
		{"/samples", []string{`href="/sample/` + hpSHA}},
		{"/sample/" + hpSHA, []string{hpSessionIDs[0], `href="/source/` + src, "http://198.51.100.9/bins/x.arm7"}},
		{"/sample/" + hpSHA[:12], []string{hpSessionIDs[0]}},
		{"/source/" + src, []string{hpSessionIDs[0], hpSessionIDs[1], escScript, escImg, hpJSURL, `href="/sample/` + hpSHA, "<svg", `href="/port/`}},
	} {
		for _, lang := range []string{"en", "ja"} {
			u := c.target
			if strings.Contains(u, "?") {
				u += "&lang=" + lang
			} else {
				u += "?lang=" + lang
			}
			rec := get(t, h, u)
			b := body(rec)
			if rec.Code != 200 {
				t.Errorf("%s: %d %s", u, rec.Code, b)
				continue
			}
			checkEscaped(t, u, b)
			for _, w := range c.want {
				if !strings.Contains(b, w) {
					t.Errorf("%s: no %q", u, w)
				}
			}
		}
	}
	// A search that matches nothing lists nothing.
	if b := body(get(t, h, "/sessions?user=nobody-at-all")); strings.Contains(b, hpSessionIDs[0]) {
		t.Error("user=nobody-at-all lists the sessions")
	}
	// The other source's session is not on the first source's page.
	if b := body(get(t, h, "/source/"+src)); strings.Contains(b, hpSessionIDs[2]) {
		t.Error("the source page lists another source's session")
	}
}

// escapeQ escapes a query or path value.
func escapeQ(s string) string { return url.QueryEscape(s) }

func TestHoneypotBadValues(t *testing.T) {
	h := newHoneypotHandler(t)
	for _, c := range []struct {
		target string
		code   int
	}{
		{"/source/not-an-ip", 400},
		{"/source/1.2.3.4.5", 400},
		{"/source/" + escapeQ(hpScript), 400},
		{"/source/fe80::1%25eth0", 400},
		{"/session/" + escapeQ(hpScript), 400},
		{"/session/" + strings.Repeat("a", 65), 400},
		{"/session/ffffffffffffffff", 404},
		{"/sample/xyz", 400},
		{"/sample/" + strings.Repeat("g", 64), 400},
		{"/sample/1234", 400},
		{"/sample/" + strings.Repeat("0", 64), 404},
		{"/sessions?src=nope", 400},
		{"/sessions?service=" + escapeQ(hpScript), 400},
		{"/sessions?page=0", 400},
		{"/sessions?page=201", 400},
		{"/sessions?page=x", 400},
		{"/samples?src=1.2.3", 400},
		{"/sessions?nope=1", 400},
	} {
		rec := get(t, h, c.target)
		if rec.Code != c.code {
			t.Errorf("%s: %d, want %d", c.target, rec.Code, c.code)
		}
		checkEscaped(t, c.target, body(rec))
	}
}

func TestHoneypotCSV(t *testing.T) {
	h := newHoneypotHandler(t)
	rec := get(t, h, "/csv/sessions.list.csv")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("%d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(body(rec))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+len(hpSessionIDs) {
		t.Fatalf("%d records, want a header and %d sessions", len(recs), len(hpSessionIDs))
	}
	head := recs[0]
	col := func(name string) int {
		for i, h := range head {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s in %v", name, head)
		return -1
	}
	byID := map[string][]string{}
	for _, r := range recs[1:] {
		if len(r) != len(head) {
			t.Fatalf("record of %d fields, head of %d", len(r), len(head))
		}
		byID[r[col("id")]] = r
	}
	tel := byID[hpSessionIDs[0]]
	if tel == nil {
		t.Fatalf("no session %s in %v", hpSessionIDs[0], byID)
	}
	// The raw values, as the attacker sent them.
	if tel[col("username")] != hpImg || tel[col("password")] != hpScript || tel[col("src")] != hpSrc.String() || tel[col("first")] != hpScript {
		t.Errorf("telnet session record %v", tel)
	}
	// The search narrows the CSV too.
	rec = get(t, h, "/csv/sessions.list.csv?service=http")
	recs, err = csv.NewReader(strings.NewReader(body(rec))).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != hpSessionIDs[1] {
		t.Errorf("service=http: %v %v", recs, err)
	}
	// A transcript downloads with its id as a query parameter.
	rec = get(t, h, "/csv/session.transcript.csv?id="+hpSessionIDs[0])
	recs, err = csv.NewReader(strings.NewReader(body(rec))).ReadAll()
	if rec.Code != 200 || err != nil || len(recs) < 5 {
		t.Fatalf("transcript: %d %v %v", rec.Code, recs, err)
	}
	if recs[1][1] != "Connect" || recs[len(recs)-1][1] != "Closed" {
		t.Errorf("first event %v, last %v", recs[1], recs[len(recs)-1])
	}
	// The source page's chart and tables download with the address.
	for _, u := range []string{"/chart/source.timeline.svg?ip=" + hpSrc.String(), "/csv/source.days.csv?ip=" + hpSrc.String()} {
		rec := get(t, h, u)
		if rec.Code != 200 || len(rec.Body.Bytes()) < 100 {
			t.Errorf("%s: %d %d bytes", u, rec.Code, len(rec.Body.Bytes()))
		}
	}
	if rec := get(t, h, "/csv/source.days.csv?ip=bad"); rec.Code != 400 {
		t.Errorf("source download of a bad address: %d", rec.Code)
	}
}

// TestHoneypotLinks: the download links of a page with a path value carry
// it, and the language links keep the search.
func TestHoneypotLinks(t *testing.T) {
	h := newHoneypotHandler(t)
	b := body(get(t, h, "/source/"+hpSrc.String()))
	if !strings.Contains(b, "/csv/source.days.csv?lang=en&amp;ip="+hpSrc.String()) {
		t.Error("source page: the days CSV link has no address")
	}
	b = body(get(t, h, "/sessions?service=http"))
	if !strings.Contains(b, `href="/sessions?lang=ja&amp;service=http"`) {
		t.Error("sessions page: the language link drops the search")
	}
}
