package report

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	cv "github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
)

// TestIntrusionSection builds a report over a honeypot sensor's captures
// and intrusion sessions: the intrusion class gets its section, named as
// sessions in both languages.
func TestIntrusionSection(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hp.duckdb")
	st, err := duckstore.Open(ctx, path, duckstore.Options{TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	m := classify.Access.Bit() | classify.Mirai.Bit()
	for d := range 10 {
		ts := start.AddDate(0, 0, d)
		r := &aggregate.Result{Packets: 100, Inbound: 100, First: ts.UnixNano(), Last: ts.Add(23 * time.Hour).UnixNano()}
		var places []store.Place
		for i := range 20 {
			a := netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})
			r.Sources = append(r.Sources, aggregate.SourceDay{Addr: a, Day: cv.Of(ts), Packets: 5, First: ts.UnixNano(), Last: ts.UnixNano(), Tags: m})
			r.Hits = append(r.Hits, aggregate.Hit{Source: uint32(i), Proto: 6, Port: 23, Tags: m, Packets: 5})
			places = append(places, store.Place{Country: []string{"CN", "US", "BR"}[i%3]})
		}
		if _, err := st.Commit(ctx, &store.Batch{Result: r, Places: places, Sensor: store.Sensor{Name: "hp"},
			Ingest: store.Ingest{Path: fmt.Sprintf("d%d.pcap", d), Hash: fmt.Sprintf("sha256:%d", d), Sensor: "hp", Format: "pcap",
				Packets: 100, First: ts, Last: ts.Add(23 * time.Hour), ErrorOffset: -1}}); err != nil {
			t.Fatal(err)
		}
		var ss []session.Session
		for i := range 3 + d {
			src := netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
			ss = append(ss, storetest.Telnet(fmt.Sprintf("%02d%014d", d, i), "hp", src, ts.Add(time.Duration(i)*time.Minute), nil, "sh"))
		}
		id := fmt.Sprintf("b%d", d)
		if err := st.CommitSessions(ctx, store.SessionBatch{ID: id, Sessions: ss, Hits: storetest.IntrusionHits(id, "hp", ss, time.UTC)}); err != nil {
			t.Fatal(err)
		}
	}
	for lang, want := range map[string][]string{
		"en": {"Intrusion sessions", "the counts below are sessions, not packets"},
		"ja": {"侵入セッション", "セッション数です"},
	} {
		out := t.TempDir()
		_, err := Build(ctx, st, Options{Lang: lang, Out: out, From: start.AddDate(0, 0, 3), To: start.AddDate(0, 0, 9),
			Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }})
		if err != nil {
			t.Fatal(err)
		}
		page := readFile(t, filepath.Join(out, "index.html"))
		for _, w := range want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: index.html lacks %q", lang, w)
			}
		}
		if !strings.Contains(page, `id="class-intrusion"`) {
			t.Errorf("%s: no intrusion section", lang)
		}
		if _, err := os.Stat(filepath.Join(out, "intrusion-country.svg")); err != nil {
			t.Errorf("%s: %v", lang, err)
		}
	}
}
