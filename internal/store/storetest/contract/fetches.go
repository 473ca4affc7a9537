package contract

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Fetches checks st's URL fetches: the current sessions' URLs are pending
// until a fetch names them, oldest first with the session that first named
// them; a fetch is upserted by URL and lists newest first; a fetch with
// content is a "fetched" sample unless the content was there first, and
// every later fetch of it moves its last seen on.
func Fetches(t *testing.T, st store.Store) {
	ctx := context.Background()
	fs := must(store.FetchesOf(st))(t)
	const u1, u2, u3 = "http://198.51.100.1/bins/x.arm7", "tftp://198.51.100.2/y", "ftp://198.51.100.3/z"
	s1 := session.Session{ID: "00000000000000a1", Sensor: "hp", Service: session.Telnet, Src: srcA, Start: mt0,
		URLs: []session.URL{{Time: mt0, URL: u1, Via: "wget"}, {Time: mt0.Add(time.Second), URL: u2, Via: "tftp"}}}
	s2 := session.Session{ID: "00000000000000a2", Sensor: "hp2", Service: session.Telnet, Src: srcB, Start: mt0.Add(time.Hour),
		URLs: []session.URL{{Time: mt0.Add(time.Hour), URL: u1, Via: "wget"}, {Time: mt0.Add(time.Hour), URL: u3, Via: "ftpget"}}}
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "fb1", Sessions: []session.Session{s1, s2}}); err != nil {
		t.Fatal(err)
	}
	wantPending := []store.PendingURL{
		{URL: u1, First: mt0, SessionID: s1.ID, Src: srcA, Sensor: "hp"},
		{URL: u2, First: mt0.Add(time.Second), SessionID: s1.ID, Src: srcA, Sensor: "hp"},
		{URL: u3, First: mt0.Add(time.Hour), SessionID: s2.ID, Src: srcB, Sensor: "hp2"},
	}
	if p := must(fs.PendingURLs(ctx, 10))(t); !reflect.DeepEqual(p, wantPending) {
		t.Fatalf("pending:\n got %+v\nwant %+v", p, wantPending)
	}
	if p := must(fs.PendingURLs(ctx, 2))(t); !reflect.DeepEqual(p, wantPending[:2]) {
		t.Fatalf("pending, limit 2: %+v", p)
	}
	// A session rewritten without a URL no longer names it.
	s2.URLs = s2.URLs[:1]
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "fb2", Sessions: []session.Session{s2}}); err != nil {
		t.Fatal(err)
	}
	if p := must(fs.PendingURLs(ctx, 10))(t); !reflect.DeepEqual(p, wantPending[:2]) {
		t.Fatalf("pending after the session lost %s: %+v", u3, p)
	}
	sha := strings.Repeat("ab", 32)
	f := store.Fetch{URL: u1, Time: mt0.Add(2 * time.Hour), Duration: 1500 * time.Millisecond, Attempts: 1, Status: 200,
		Headers: "Content-Type: application/octet-stream\nServer: x", Server: "198.51.100.1:80", Size: 42, SHA256: strings.ToUpper(sha),
		Type: "elf", SessionID: s1.ID, Src: srcA, Sensor: "hp"}
	if err := fs.RecordFetch(ctx, f); err != nil {
		t.Fatal(err)
	}
	if ok, err := fs.Fetched(ctx, u1); err != nil || !ok {
		t.Fatalf("fetched %s: %v %v", u1, ok, err)
	}
	if ok := must(fs.Fetched(ctx, u2))(t); ok {
		t.Fatalf("%s fetched", u2)
	}
	if p := must(fs.PendingURLs(ctx, 10))(t); !reflect.DeepEqual(p, wantPending[1:2]) {
		t.Fatalf("pending after a fetch: %+v", p)
	}
	wantF := f
	wantF.SHA256 = sha
	if got := must(fs.Fetches(ctx, store.FetchQuery{SHA256: sha[:8]}))(t); !reflect.DeepEqual(got, []store.Fetch{wantF}) {
		t.Fatalf("fetches of %s:\n got %+v\nwant %+v", sha[:8], got, wantF)
	}
	fetched := session.Sample{SHA256: sha, Size: 42, Type: "elf", First: f.Time, Last: f.Time, Count: 1, Via: "fetched",
		SessionID: s1.ID, Src: srcA, Sensor: "hp"}
	if got := must(st.Samples(ctx, store.SampleQuery{SHA256: sha}))(t); !reflect.DeepEqual(got, []session.Sample{fetched}) {
		t.Fatalf("fetched sample:\n got %+v\nwant %+v", got, fetched)
	}
	// The same content from another URL: one sample, last seen later.
	other := f
	other.URL, other.Time, other.SessionID, other.Src, other.Sensor = u2, f.Time.Add(time.Hour), s2.ID, srcB, "hp2"
	if err := fs.RecordFetch(ctx, other); err != nil {
		t.Fatal(err)
	}
	fetched.Last = other.Time
	if got := must(st.Samples(ctx, store.SampleQuery{SHA256: sha}))(t); !reflect.DeepEqual(got, []session.Sample{fetched}) {
		t.Fatalf("sample after a second fetch:\n got %+v\nwant %+v", got, fetched)
	}
	// A URL fetched again: its fetch is replaced, the sample it got stays.
	again := store.Fetch{URL: u1, Time: f.Time.Add(3 * time.Hour), Attempts: 2, Error: "connection refused", SessionID: s1.ID, Src: srcA, Sensor: "hp"}
	if err := fs.RecordFetch(ctx, again); err != nil {
		t.Fatal(err)
	}
	if got := must(fs.Fetches(ctx, store.FetchQuery{URL: u1}))(t); !reflect.DeepEqual(got, []store.Fetch{again}) {
		t.Fatalf("fetch of %s replaced:\n got %+v\nwant %+v", u1, got, again)
	}
	if got := must(st.Samples(ctx, store.SampleQuery{SHA256: sha}))(t); !reflect.DeepEqual(got, []session.Sample{fetched}) {
		t.Fatalf("sample after a failed fetch:\n got %+v\nwant %+v", got, fetched)
	}
	wantOther := other
	wantOther.SHA256 = sha
	if got := must(fs.Fetches(ctx, store.FetchQuery{}))(t); !reflect.DeepEqual(got, []store.Fetch{again, wantOther}) {
		t.Fatalf("fetches, newest first:\n got %+v", got)
	}
	if got := must(fs.Fetches(ctx, store.FetchQuery{Limit: 1, Offset: 1}))(t); !reflect.DeepEqual(got, []store.Fetch{wantOther}) {
		t.Fatalf("fetches, limit 1 offset 1: %+v", got)
	}
	if got := must(fs.Fetches(ctx, store.FetchQuery{SHA256: strings.Repeat("cd", 4)}))(t); len(got) != 0 {
		t.Fatalf("fetches of another content: %+v", got)
	}
	fetchedAndSeen(t, st, fs)
	for _, bad := range []store.Fetch{{URL: ""}, {URL: "http://x/", SHA256: "zz"}, {URL: "http://x/", SHA256: sha[:40]},
		{URL: strings.Repeat("a", 16<<10+1)}} {
		if err := fs.RecordFetch(ctx, bad); err == nil {
			t.Errorf("RecordFetch(%.20q, sha %q) accepted", bad.URL, bad.SHA256)
		}
	}
	if _, err := fs.Fetches(ctx, store.FetchQuery{SHA256: "'; DROP TABLE fetches; --"}); err == nil {
		t.Error("a digest prefix that is not hex was accepted")
	}
}

// fetchedAndSeen checks a fetch of content the honeypot dropped or a user
// added first: the sample keeps its story, its last seen moves on.
func fetchedAndSeen(t *testing.T, st store.Store, fs store.FetchStore) {
	ctx := context.Background()
	tr, err := store.TriageOf(st)
	if err != nil {
		t.Logf("no samples added by hand: %v", err)
		return
	}
	dropped := strings.Repeat("d1", 32)
	s := session.Session{ID: "00000000000000a3", Sensor: "hp", Service: session.Telnet, Src: srcA, Start: mt0,
		Files: []session.File{{Time: mt0.Add(time.Minute), Path: "/tmp/d", Size: 7, SHA256: dropped, Type: "elf32-mips-be", Via: "echo", Sample: true}}}
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "fb3", Sessions: []session.Session{s}}); err != nil {
		t.Fatal(err)
	}
	added := strings.Repeat("ad", 32)
	if _, err := tr.AddSamples(ctx, []store.SampleAdd{{SHA256: added, Size: 9, Type: "elf64-x86_64", Time: mt0.Add(time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	for i, h := range []string{dropped, added} {
		if err := fs.RecordFetch(ctx, store.Fetch{URL: "http://198.51.100.7/" + h[:4], Time: mt0.Add(5 * time.Hour), Size: int64(7 + 2*i),
			SHA256: h, Type: "elf", SessionID: "00000000000000ff", Src: srcB, Sensor: "hp9"}); err != nil {
			t.Fatal(err)
		}
	}
	want := []session.Sample{
		{SHA256: added, Size: 9, Type: "elf64-x86_64", First: mt0.Add(time.Minute), Last: mt0.Add(5 * time.Hour), Via: "added"},
		{SHA256: dropped, Size: 7, Type: "elf32-mips-be", First: mt0.Add(time.Minute), Last: mt0.Add(5 * time.Hour), Count: 1,
			Via: "echo", SessionID: s.ID, Src: srcA, Sensor: "hp"},
	}
	for _, w := range want {
		if got := must(st.Samples(ctx, store.SampleQuery{SHA256: w.SHA256}))(t); !reflect.DeepEqual(got, []session.Sample{w}) {
			t.Errorf("fetched after it was there:\n got %+v\nwant %+v", got, w)
		}
	}
	// An add of fetched content is not new, and leaves its story (even
	// when dated before the fetch).
	sha := strings.Repeat("ab", 32)
	before := must(st.Samples(ctx, store.SampleQuery{SHA256: sha}))(t)
	if n, err := tr.AddSamples(ctx, []store.SampleAdd{{SHA256: sha, Size: 1, Type: "script", Time: mt0}}); err != nil || n != 0 {
		t.Errorf("add of a fetched content: %d new (%v), want 0", n, err)
	}
	if got := must(st.Samples(ctx, store.SampleQuery{SHA256: sha}))(t); len(before) != 1 || !reflect.DeepEqual(got, before) {
		t.Errorf("an add changed a fetched sample:\n got %+v\nwant %+v", got, before)
	}
}
