package fetcher

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/samplestore"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// memStore is a store.FetchStore in memory, with URLs "recorded in
// sessions" for the backlog pass.
type memStore struct {
	mu      sync.Mutex
	urls    []store.PendingURL
	fetches map[string]store.Fetch
	records int
}

func newMemStore(urls ...store.PendingURL) *memStore {
	return &memStore{urls: urls, fetches: map[string]store.Fetch{}}
}

func (m *memStore) RecordFetch(ctx context.Context, f store.Fetch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fetches[f.URL] = f
	m.records++
	return nil
}

func (m *memStore) PendingURLs(ctx context.Context, limit int) ([]store.PendingURL, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.PendingURL
	for _, u := range m.urls {
		if _, ok := m.fetches[u.URL]; !ok && len(out) < limit {
			out = append(out, u)
		}
	}
	return out, nil
}

func (m *memStore) Fetched(ctx context.Context, url string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.fetches[url]
	return ok, nil
}

func (m *memStore) Fetches(ctx context.Context, q store.FetchQuery) ([]store.Fetch, error) {
	return nil, nil
}

func (m *memStore) get(url string) (store.Fetch, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fetches[url]
	return f, ok
}

func (m *memStore) count() (fetches, records int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.fetches), m.records
}

// waitFor polls until ok or fails the test after a generous deadline (a
// bound on a hang, not a timing assertion).
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func startComponent(t *testing.T, cfg Configuration, st store.FetchStore) (*Component, *samplestore.Store) {
	t.Helper()
	ss, err := samplestore.Open(t.TempDir(), samplestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(nil, cfg, Dependencies{Store: st, Samples: ss})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop(context.Background()) })
	return c, ss
}

func TestComponent(t *testing.T) {
	elf := append([]byte("\x7fELF\x01\x01\x01"), bytes.Repeat([]byte{0}, 200)...)
	var hits, busy503 atomic.Int32
	var mu sync.Mutex
	inFlight, maxInFlight := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		time.Sleep(20 * time.Millisecond) // let fetches overlap if the per-host limit fails
		switch r.URL.Path {
		case "/flaky":
			if busy503.Add(1) <= 2 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
		case "/down":
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write(elf)
	}))
	defer srv.Close()
	src := netip.MustParseAddr("198.51.100.9")
	backlogURL := srv.URL + "/backlog.sh"
	st := newMemStore(store.PendingURL{URL: backlogURL, SessionID: "00000000000000b1", Src: src, Sensor: "hp"})
	cfg := testConfig()
	cfg.Concurrency, cfg.PerHost = 4, 1
	cfg.Retries, cfg.Backoff = 2, time.Millisecond
	c, ss := startComponent(t, cfg, st)

	sess := &session.Session{ID: "00000000000000a1", Sensor: "hp", Src: src}
	urls := []string{srv.URL + "/bins/a", srv.URL + "/bins/b", srv.URL + "/flaky", srv.URL + "/down"}
	for _, u := range urls {
		for range 3 { // the same URL thrice: fetched once
			c.Event(session.Event{Kind: session.EventURL, Session: sess, URL: &session.URL{URL: u, Via: "wget"}})
		}
	}
	c.Event(session.Event{Kind: session.EventCommand, Session: sess})
	all := append(urls, backlogURL)
	waitFor(t, "every URL recorded", func() bool { n, _ := st.count(); return n == len(all) })
	if _, records := st.count(); records != len(all) {
		t.Errorf("%d records for %d URLs", records, len(all))
	}
	for _, u := range append(urls[:2], backlogURL) {
		f, _ := st.get(u)
		if f.Error != "" || f.SHA256 != hexSHA(elf) || f.Status != 200 || f.Type != session.FileType(elf) || f.Attempts != 1 || f.Src != src || f.Sensor != "hp" {
			t.Errorf("%s: %+v", u, f)
		}
		if !ss.Has(f.SHA256) {
			t.Errorf("%s: content not in the sample store", u)
		}
	}
	if f, _ := st.get(urls[0]); f.SessionID != sess.ID {
		t.Errorf("session %q", f.SessionID)
	}
	if f, _ := st.get(srv.URL + "/flaky"); f.Error != "" || f.Attempts != 3 || f.SHA256 == "" {
		t.Errorf("flaky: %+v", f)
	}
	if f, _ := st.get(srv.URL + "/down"); f.Error == "" || f.Attempts != cfg.Retries+1 || f.Status != 503 || f.SHA256 != "" {
		t.Errorf("down: %+v", f)
	}
	// 3 plain URLs once each, flaky thrice, down Retries+1 times.
	if n, want := hits.Load(), int32(3+3+cfg.Retries+1); n != want {
		t.Errorf("%d requests, want %d", n, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if maxInFlight != 1 {
		t.Errorf("%d fetches at once to one host (per-host limit 1)", maxInFlight)
	}
	// Fetched URLs are not fetched again.
	c.Event(session.Event{Kind: session.EventURL, Session: sess, URL: &session.URL{URL: urls[0]}})
	waitFor(t, "the queue to empty", func() bool { q, _ := c.Stats(); return q == 0 })
	time.Sleep(50 * time.Millisecond)
	if _, records := st.count(); records != len(all) {
		t.Errorf("a fetched URL was fetched again (%d records)", records)
	}
}

// TestComponentDenied: a URL of a private address is recorded as refused,
// with nothing fetched.
func TestComponentDenied(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	st := newMemStore()
	cfg := testConfig()
	cfg.Allow = nil
	c, _ := startComponent(t, cfg, st)
	for _, u := range []string{srv.URL + "/x", "http://192.168.0.1/x"} {
		c.Enqueue(store.PendingURL{URL: u})
	}
	waitFor(t, "both recorded", func() bool { n, _ := st.count(); return n == 2 })
	for _, u := range []string{srv.URL + "/x", "http://192.168.0.1/x"} {
		if f, _ := st.get(u); f.Error == "" || f.Attempts != 1 || f.SHA256 != "" {
			t.Errorf("%s: %+v", u, f)
		}
	}
	if hits.Load() != 0 {
		t.Error("a denied server was reached")
	}
}

func TestNewLimits(t *testing.T) {
	ss, err := samplestore.Open(t.TempDir(), samplestore.Options{MaxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfiguration()
	c, err := New(nil, cfg, Dependencies{Store: newMemStore(), Samples: ss})
	if err != nil {
		t.Fatal(err)
	}
	if c.Client().cfg.MaxBytes != 1<<20 {
		t.Errorf("max bytes %d above the sample store's limit", c.Client().cfg.MaxBytes)
	}
	if _, err := New(nil, cfg, Dependencies{Samples: ss}); err == nil {
		t.Error("no store accepted")
	}
	for _, p := range []string{"ftp://h:1", "socks5://", "::"} {
		cfg.Proxy = p
		if _, err := NewClient(cfg); err == nil {
			t.Errorf("proxy %q accepted", p)
		}
	}
}

// TestQueueBound: the queue holds at most Queue URLs, each once; events
// of other kinds are ignored.
func TestQueueBound(t *testing.T) {
	ss, err := samplestore.Open(t.TempDir(), samplestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Queue = 2
	c, err := New(nil, cfg, Dependencies{Store: newMemStore(), Samples: ss})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, true, false} {
		u := []string{"http://a/1", "http://a/1", "http://b/2", "http://c/3"}[i]
		if got := c.Enqueue(store.PendingURL{URL: u}); got != want {
			t.Errorf("Enqueue(%s) #%d = %v, want %v", u, i, got, want)
		}
	}
	c.Event(session.Event{Kind: session.EventCommand, Session: &session.Session{}, URL: &session.URL{URL: "http://d/4"}})
	if q, d := c.Stats(); q != 2 || d != 1 {
		t.Errorf("queued %d, dropped %d; want 2 and 1", q, d)
	}
}
