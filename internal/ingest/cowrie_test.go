package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/cowrie"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// fakeStore is a store that keeps session batches in memory. The methods
// it does not implement come from the nil embedded Store and panic: a
// Cowrie ingest must not call them.
type fakeStore struct {
	store.Store
	loc *time.Location

	mu      sync.Mutex
	batches []store.SessionBatch
	known   map[int64][]store.KnownIngest
}

func newFakeStore(loc *time.Location) *fakeStore {
	return &fakeStore{loc: loc, known: map[int64][]store.KnownIngest{}}
}

func (f *fakeStore) Path() string             { return "fake" }
func (f *fakeStore) TimeZone() string         { return f.loc.String() }
func (f *fakeStore) Location() *time.Location { return f.loc }
func (f *fakeStore) Close() error             { return nil }

func (f *fakeStore) KnownSizes(context.Context) (map[int64][]store.KnownIngest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int64][]store.KnownIngest{}
	for k, v := range f.known {
		out[k] = append([]store.KnownIngest(nil), v...)
	}
	return out, nil
}

func (f *fakeStore) CommitSessions(_ context.Context, b store.SessionBatch) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := b.Hits.Ingest
	for _, k := range f.known[in.Size] {
		if k.Hash == in.Hash && !b.Hits.Replace {
			return store.ErrDuplicate
		}
	}
	f.known[in.Size] = append(f.known[in.Size], store.KnownIngest{Path: in.Path, Hash: in.Hash, Size: in.Size})
	f.batches = append(f.batches, b)
	return nil
}

func (f *fakeStore) Sessions(context.Context, store.SessionQuery) ([]session.Session, error) {
	return nil, nil
}

func (f *fakeStore) Samples(context.Context, store.SampleQuery) ([]session.Sample, error) {
	return nil, nil
}

// plainStore is a store without session tables.
type plainStore struct{ *fakeStoreNoSessions }

type fakeStoreNoSessions struct {
	store.Store
}

func (f *fakeStoreNoSessions) Path() string             { return "plain" }
func (f *fakeStoreNoSessions) Location() *time.Location { return time.UTC }
func (f *fakeStoreNoSessions) Close() error             { return nil }
func (f *fakeStoreNoSessions) KnownSizes(context.Context) (map[int64][]store.KnownIngest, error) {
	return nil, nil
}

func sharedLogsDir(t *testing.T) string {
	t.Helper()
	dir, _ := filepath.Abs(".")
	for {
		for _, c := range []string{filepath.Join(dir, "shared", "data", "logs"), filepath.Join(dir, "..", "shared", "data", "logs")} {
			if fi, err := os.Stat(c); err == nil && fi.IsDir() {
				return c
			}
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Skip("shared/data/logs not found")
		}
		dir = up
	}
}

func fileSHA(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func cowrieConfig(st store.Store) Config {
	return Config{
		SkipVerify: true,
		Open:       func(context.Context, string) (store.Store, error) { return st, nil },
		Locate: func(a netip.Addr) store.Place {
			if a.Is4() && a.As4()[0] == 61 {
				return store.Place{Country: "AU", ASN: 64500}
			}
			return store.Place{Country: "ZZ"}
		},
		Version: "test",
	}
}

func TestIngestCowrieLogs(t *testing.T) {
	logs := sharedLogsDir(t)
	kareiva := filepath.Join(logs, "cowrie-kareiva", "cowrie.json.2018-06-12")
	telnet := filepath.Join(logs, "honeypot-ai", "telnet-wget-tftp-loader", "cowrie", "cowrie.2023-12-13.json")
	// The same Kareiva log gzip-compressed: other bytes, the same sessions.
	raw, err := os.ReadFile(kareiva)
	if err != nil {
		t.Fatal(err)
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(raw)
	zw.Close()
	gz := filepath.Join(t.TempDir(), "kareiva-2018-06-12.json.gz")
	os.WriteFile(gz, zb.Bytes(), 0o600)

	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	fs := newFakeStore(tokyo)
	cfg := cowrieConfig(fs)
	results, err := Run(context.Background(), cfg, []string{kareiva, telnet})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Committed || r.Err != nil || r.Cowrie == nil {
			t.Fatalf("%s: committed %v err %v cowrie %v", r.Path, r.Committed, r.Err, r.Cowrie)
		}
	}
	if len(fs.batches) != 2 {
		t.Fatalf("%d batches committed, want 2", len(fs.batches))
	}
	byPath := map[string]store.SessionBatch{}
	for _, b := range fs.batches {
		byPath[filepath.Base(b.Hits.Ingest.Path)] = b
	}
	for _, c := range []struct {
		path, sensor  string
		res           FileResult
		events        int64
		sessions, int int
	}{
		// The Kareiva log: 1,783 events, 408 sessions, 8 intrusions; its
		// sensor field names the sensor.
		{kareiva, "920497a79896", results[0], 1783, 408, 8},
		// honeypot-ai's telnet loader log: empty sensor fields, so the
		// name comes from the file name ("cowrie.2023-12-13.json").
		{telnet, "cowrie", results[1], 16, 3, 1},
	} {
		b, ok := byPath[filepath.Base(c.path)]
		if !ok {
			t.Fatalf("no batch for %s", c.path)
		}
		sum := fileSHA(t, c.path)
		if b.ID != "cowrie:"+sum {
			t.Errorf("%s: batch ID %q, want cowrie:%s", c.path, b.ID, sum)
		}
		in := b.Hits.Ingest
		abs, _ := filepath.Abs(c.path)
		if in.Path != abs || in.Hash != "sha256:"+sum || in.Format != "cowrie" || in.Sensor != c.sensor || b.Hits.Sensor.Name != c.sensor {
			t.Errorf("%s: ingest %+v", c.path, in)
		}
		fi, _ := os.Stat(c.path)
		if in.Size != fi.Size() || in.Frames != uint64(c.events) || in.Undecodable != 0 || in.Error != "" {
			t.Errorf("%s: size %d frames %d undecodable %d error %q", c.path, in.Size, in.Frames, in.Undecodable, in.Error)
		}
		if in.First.IsZero() || in.Last.Before(in.First) || in.Version != "test" || !strings.HasPrefix(in.Detection, "builtin-") {
			t.Errorf("%s: first %v last %v version %q detection %q", c.path, in.First, in.Last, in.Version, in.Detection)
		}
		if len(b.Sessions) != c.sessions || c.res.Cowrie.Sessions != c.sessions || c.res.Cowrie.Intrusions != c.int {
			t.Errorf("%s: %d sessions in the batch, result %+v; want %d sessions, %d intrusions", c.path, len(b.Sessions), c.res.Cowrie, c.sessions, c.int)
		}
		placed := 0
		for _, s := range b.Sessions {
			if s.Sensor != c.sensor {
				t.Fatalf("%s: session sensor %q", c.path, s.Sensor)
			}
			// Each session's source is placed as the hits' sources are
			// (cfg.Locate), so the sessions pages show its country.
			if want := cfg.Locate(s.Src).Country; s.Country != want {
				t.Errorf("%s: session %s from %v placed in %q, want %q", c.path, s.ID, s.Src, s.Country, want)
			}
			if s.Country == "AU" {
				placed++
			}
		}
		if c.path == kareiva && placed == 0 {
			t.Errorf("%s: no session placed in AU by the test's GeoIP: the check compared nothing but ZZ", c.path)
		}
		// The hits count each intrusion session once, on its day in the
		// store's zone, at its source and port.
		checkHits(t, c.path, b, tokyo)
		if c.res.Classes[classify.Intrusion] != uint64(c.int) || c.res.Packets != uint64(c.int) {
			t.Errorf("%s: classes %v packets %d", c.path, c.res.Classes, c.res.Packets)
		}
	}

	// Again: both are skipped as duplicates (found before reading), and
	// the gzip copy, other bytes, is a new ingest.
	results, err = Run(context.Background(), cfg, []string{kareiva, telnet, gz})
	if err != nil {
		t.Fatal(err)
	}
	if !results[0].Skipped || !results[1].Skipped || results[0].Committed || results[1].Committed {
		t.Errorf("re-ingest: %+v / %+v, want skipped", results[0], results[1])
	}
	if !results[2].Committed || results[2].Cowrie.Intrusions != 8 || results[2].Sensor != "920497a79896" {
		t.Errorf("gzip copy: %+v", results[2])
	}
	if len(fs.batches) != 3 {
		t.Errorf("%d batches after the second run, want 3", len(fs.batches))
	}
	// --force commits the same content again (the store replaces it).
	cfg.Force = true
	results, _ = Run(context.Background(), cfg, []string{telnet})
	if !results[0].Committed || !results[0].Replaced || len(fs.batches) != 4 || !fs.batches[3].Hits.Replace {
		t.Errorf("--force: %+v, %d batches", results[0], len(fs.batches))
	}
}

// checkHits recounts the intrusion sessions of b per day × source × port
// and compares them with b's hits.
func checkHits(t *testing.T, path string, b store.SessionBatch, loc *time.Location) {
	t.Helper()
	type key struct {
		src  netip.Addr
		day  civil.Day
		port uint16
	}
	want := map[key]uint64{}
	var total uint64
	for _, s := range b.Sessions {
		if s.Intrusion() {
			want[key{s.Src, civil.FromTime(s.Start, loc), s.Port}]++
			total++
		}
	}
	r := b.Hits.Result
	if len(b.Hits.Places) != len(r.Sources) {
		t.Fatalf("%s: %d places for %d sources", path, len(b.Hits.Places), len(r.Sources))
	}
	got := map[key]uint64{}
	var hourly uint64
	for _, h := range r.Hits {
		sd := r.Sources[h.Source]
		if h.Proto != 6 || h.Tags != classify.Intrusion.Bit() {
			t.Errorf("%s: hit %+v", path, h)
		}
		got[key{sd.Addr, sd.Day, h.Port}] += h.Packets
	}
	for _, h := range r.Hourly {
		hourly += h.Packets
	}
	if len(got) != len(want) || r.Inbound != total || hourly != total {
		t.Errorf("%s: %d cells, %d inbound, %d hourly; want %d cells, %d", path, len(got), r.Inbound, hourly, len(want), total)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %v: %d, want %d", path, k, got[k], n)
		}
	}
	for i, sd := range r.Sources {
		p := b.Hits.Places[i]
		if sd.Addr.Is4() && sd.Addr.As4()[0] == 61 && p.Country != "AU" {
			t.Errorf("%s: %v placed %+v: the ingest's locator was not used", path, sd.Addr, p)
		}
	}
}

func TestIngestCowrieBadLinesAndSensors(t *testing.T) {
	dir := t.TempDir()
	line := func(id, sensor, extra string) string {
		return `{"eventid":"` + id + `","session":"s1","src_ip":"192.0.2.1","sensor":"` + sensor + `","timestamp":"2026-05-01T00:00:00.000000Z"` + extra + "}\n"
	}
	bad := filepath.Join(dir, "honey-2026-05-01.json")
	os.WriteFile(bad, []byte(line("cowrie.session.connect", "", `,"dst_port":22`)+"garbage\n"+
		line("cowrie.login.success", "", `,"username":"root","password":"x"`)+
		line("cowrie.command.input", "", `,"input":"/bin/busybox MIRAI"`)), 0o600)
	two := filepath.Join(dir, "two.json")
	os.WriteFile(two, []byte(line("cowrie.session.connect", "a", "")+
		strings.Replace(line("cowrie.session.connect", "b", ""), "s1", "s2", 1)), 0o600)
	fs := newFakeStore(time.UTC)
	results, err := Run(context.Background(), cowrieConfig(fs), []string{bad, two})
	if err != nil {
		t.Fatal(err)
	}
	r := results[0]
	if !r.Committed || r.Sensor != "honey" || r.Cowrie.BadLines != 1 || len(r.Cowrie.BadErrors) != 1 ||
		!strings.Contains(r.Cowrie.BadErrors[0].Error(), bad+":2:") {
		t.Fatalf("bad-line log: %+v %+v", r, r.Cowrie)
	}
	in := fs.batches[0].Hits.Ingest
	if in.Undecodable != 1 || !strings.Contains(in.Error, "1 bad lines") {
		t.Errorf("ingest log of a file with a bad line: %+v", in)
	}
	// The built-in exploit patterns were matched on the command.
	s := fs.batches[0].Sessions[0]
	if len(s.Commands) != 1 || len(s.Commands[0].Patterns) == 0 {
		t.Errorf("command patterns: %+v", s.Commands)
	}
	if r := results[1]; r.Committed || r.Err == nil || !strings.Contains(r.Err.Error(), "several sensors") {
		t.Errorf("two sensors: %+v", r)
	}
	cfg := cowrieConfig(fs)
	cfg.Sensor = "joined"
	results, _ = Run(context.Background(), cfg, []string{two})
	if !results[0].Committed || results[0].Sensor != "joined" {
		t.Errorf("two sensors with --sensor: %+v", results[0])
	}
}

func TestIntrusionResult(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("::ffff:192.0.2.2")
	intr := func(src netip.Addr, sport, port uint16, start string) session.Session {
		t0, _ := time.Parse(time.RFC3339, start)
		return session.Session{Src: src, SrcPort: sport, Port: port, Start: t0, LoggedIn: true, Commands: []session.Command{{Input: "sh"}}}
	}
	ss := []session.Session{
		intr(a, 1000, 23, "2026-05-01T14:59:00Z"), // May 1 in Tokyo
		intr(a, 1000, 23, "2026-05-01T15:01:00Z"), // May 2 in Tokyo
		intr(a, 1001, 23, "2026-05-01T16:00:00Z"), // May 2, another source port
		intr(a, 1001, 2323, "2026-05-01T16:30:00Z"),
		intr(b, 5, 22, "2026-05-01T16:00:00Z"),
		{Src: a, Port: 23, Start: time.Date(2026, 5, 1, 16, 0, 0, 0, time.UTC), LoggedIn: true},                             // no command
		{Src: a, Port: 23, Start: time.Date(2026, 5, 1, 16, 0, 0, 0, time.UTC), Commands: []session.Command{{Input: "sh"}}}, // no login
	}
	r := aggregate.Intrusions(ss, tokyo)
	if r.Inbound != 5 || len(r.Sources) != 3 {
		t.Fatalf("inbound %d, %d source-days; want 5, 3: %+v", r.Inbound, len(r.Sources), r.Sources)
	}
	may1, may2 := civil.FromDate(2026, 5, 1), civil.FromDate(2026, 5, 2)
	type key struct {
		addr netip.Addr
		day  aggregate.Day
		port uint16
	}
	got := map[key]uint64{}
	for _, h := range r.Hits {
		got[key{r.Sources[h.Source].Addr, r.Sources[h.Source].Day, h.Port}] += h.Packets
	}
	want := map[key]uint64{
		{a, may1, 23}: 1, {a, may2, 23}: 2, {a, may2, 2323}: 1, {b.Unmap(), may2, 22}: 1,
	}
	if len(got) != len(want) {
		t.Errorf("hits %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("hits %v: %d, want %d", k, got[k], n)
		}
	}
	for _, sd := range r.Sources {
		wantState := uint8(1)
		if sd.Addr == a && sd.Day == may2 {
			wantState = 2
		}
		if sd.PortState != wantState || sd.Tags != classify.Intrusion.Bit() {
			t.Errorf("source-day %+v: port state %d, want %d", sd, sd.PortState, wantState)
		}
	}
	var hourly uint64
	for _, h := range r.Hourly {
		if h.Hour%3600 != 0 {
			t.Errorf("hour %d not on the hour", h.Hour)
		}
		hourly += h.Packets
	}
	if hourly != 5 || len(r.Hourly) != 3 { // hours 14, 15 and 16 UTC
		t.Errorf("hourly %+v", r.Hourly)
	}
}

func TestCowrieDetectionLeavesCaptures(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.pcap")
	os.WriteFile(p, []byte("\xd4\xc3\xb2\xa1\x02\x00\x04\x00"), 0o600)
	if isCowrie(p) {
		t.Error("a pcap header detected as a Cowrie log")
	}
	j := filepath.Join(dir, "notcowrie.json")
	os.WriteFile(j, []byte(`{"time":"2024-02-02T21:10:04","headers":{}}`), 0o600)
	if isCowrie(j) {
		t.Error("a JSON line without a cowrie eventid detected as a Cowrie log")
	}
	if !cowrie.Detect(strings.NewReader(`{"eventid":"cowrie.session.connect"}`)) {
		t.Error("a Cowrie line not detected")
	}
}
