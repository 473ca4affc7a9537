package duckstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// TestFetches: URLs of stored sessions are pending until a fetch of them
// is recorded; a fetch with content adds a "fetched" sample, and a second
// fetch of the same content only moves its last seen.
func TestFetches(t *testing.T) {
	ctx := context.Background()
	st := openSessions(t)
	const u1, u2 = "http://198.51.100.1/bins/x.arm7", "tftp://198.51.100.2/y"
	s1 := session.Session{ID: "00000000000000a1", Sensor: "hp", Service: session.Telnet, Src: srcA, Start: t0,
		URLs: []session.URL{{Time: t0, URL: u1, Via: "wget"}, {Time: t0.Add(time.Second), URL: u2, Via: "tftp"}}}
	s2 := session.Session{ID: "00000000000000a2", Sensor: "hp", Service: session.Telnet, Src: srcB, Start: t0.Add(time.Hour),
		URLs: []session.URL{{Time: t0.Add(time.Hour), URL: u1, Via: "wget"}}}
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b1", Sessions: []session.Session{s1, s2}}); err != nil {
		t.Fatal(err)
	}
	p, err := st.PendingURLs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 2 || p[0].URL != u1 || p[0].SessionID != s1.ID || p[0].Src != srcA || p[0].Sensor != "hp" || !p[0].First.Equal(t0) || p[1].URL != u2 {
		t.Fatalf("pending %+v", p)
	}
	sha := strings.Repeat("ab", 32)
	f := store.Fetch{URL: u1, Time: t0.Add(2 * time.Hour), Duration: 1500 * time.Millisecond, Attempts: 1, Status: 200,
		Headers: "Content-Type: application/octet-stream\n\xff", Server: "198.51.100.1:80", Size: 42, SHA256: strings.ToUpper(sha),
		Type: "elf", SessionID: s1.ID, Src: srcA, Sensor: "hp"}
	if err := st.RecordFetch(ctx, f); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.Fetched(ctx, u1); err != nil || !ok {
		t.Fatalf("fetched %v %v", ok, err)
	}
	if ok, _ := st.Fetched(ctx, u2); ok {
		t.Fatal("u2 fetched")
	}
	p, _ = st.PendingURLs(ctx, 10)
	if len(p) != 1 || p[0].URL != u2 {
		t.Fatalf("pending after fetch %+v", p)
	}
	got, err := st.Fetches(ctx, store.FetchQuery{SHA256: sha[:8]})
	if err != nil || len(got) != 1 {
		t.Fatalf("fetches %v %v", got, err)
	}
	g := got[0]
	if g.URL != u1 || g.Status != 200 || g.Server != f.Server || g.Size != 42 || g.SHA256 != sha || g.Duration != f.Duration ||
		g.Src != srcA || !g.Time.Equal(f.Time) || !strings.HasPrefix(g.Headers, "Content-Type: application/octet-stream\n") {
		t.Fatalf("fetch read back %+v", g)
	}
	samples, err := st.Samples(ctx, store.SampleQuery{SHA256: sha})
	if err != nil || len(samples) != 1 {
		t.Fatalf("samples %v %v", samples, err)
	}
	if sm := samples[0]; sm.Via != "fetched" || sm.SessionID != s1.ID || sm.Size != 42 || sm.Src != srcA || !sm.Last.Equal(f.Time) {
		t.Fatalf("sample %+v", sm)
	}
	// The same content from the other URL: one sample, last seen later.
	later := f
	later.URL, later.Time = u2, f.Time.Add(time.Hour)
	if err := st.RecordFetch(ctx, later); err != nil {
		t.Fatal(err)
	}
	samples, _ = st.Samples(ctx, store.SampleQuery{SHA256: sha})
	if len(samples) != 1 || !samples[0].Last.Equal(later.Time) || !samples[0].First.Equal(f.Time) {
		t.Fatalf("sample after second fetch %+v", samples)
	}
	// A failed fetch is recorded too (and not pending), without a sample.
	if err := st.RecordFetch(ctx, store.Fetch{URL: "http://x/", Time: t0, Error: "refused"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, `SELECT count(*) FROM samples`); n != 1 {
		t.Fatalf("%d samples", n)
	}
	for _, bad := range []store.Fetch{{URL: ""}, {URL: "http://x/", SHA256: "zz"}, {URL: strings.Repeat("a", maxFetchURL+1)}} {
		if err := st.RecordFetch(ctx, bad); err == nil {
			t.Errorf("RecordFetch(%.20q, sha %q) accepted", bad.URL, bad.SHA256)
		}
	}
}
