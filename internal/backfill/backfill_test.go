package backfill

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify/exploitcases"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/rules"
	"github.com/honeyscope/honeyscope/internal/ruleset"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

var start = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

const days = 7

// longPayload is longer than the evidence keeps (evidence.DefaultMaxLen):
// kept cut, and what the rules below see of it is in its first bytes.
var longPayload = append([]byte("GET /shells HTTP/1.1\r\nX-Pad: "), bytes.Repeat([]byte{'a'}, 5000)...)

// writeCapture writes a pcap of TCP packets to 192.0.2.10 over the days,
// carrying every exploitcases payload (and longPayload) from sources and in
// numbers that vary with the payload and the day.
func writeCapture(t *testing.T, path string) {
	t.Helper()
	var b bytes.Buffer
	b.Write(pcapHeader())
	var payloads [][]byte
	for _, c := range exploitcases.Cases() {
		payloads = append(payloads, c.Payload)
	}
	payloads = append(payloads, longPayload)
	n := 0
	for d := 0; d < days; d++ {
		for i, p := range payloads {
			for k := 0; k < 1+(i+d)%3; k++ {
				for rep := 0; rep < 1+(i*d+k)%4; rep++ {
					ts := start.Add(time.Duration(d)*24*time.Hour + time.Duration(n%80000)*time.Second)
					n++
					src := [4]byte{198, 51, byte(100 + k), byte(1 + (i*5+d)%250)}
					port := uint16(80 + (i % 3))
					if i%7 == 0 {
						port = 23
					}
					writePacket(&b, ts, src, port, p)
				}
			}
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pcapHeader is the header of a pcap of Ethernet frames.
func pcapHeader() []byte {
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	return hdr
}

func writePacket(b *bytes.Buffer, ts time.Time, src [4]byte, port uint16, payload []byte) {
	frame := make([]byte, 14+20+20+len(payload))
	binary.BigEndian.PutUint16(frame[12:], 0x0800)
	ip := frame[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(40+len(payload)))
	binary.BigEndian.PutUint16(ip[4:], 1234)
	ip[6] = 0x40
	ip[8] = 64
	ip[9] = 6
	copy(ip[12:16], src[:])
	copy(ip[16:20], []byte{192, 0, 2, 10})
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], 40000+uint16(src[3]))
	binary.BigEndian.PutUint16(tcp[2:], port)
	binary.BigEndian.PutUint32(tcp[4:], 1)
	binary.BigEndian.PutUint32(tcp[8:], 1)
	tcp[12] = 0x50
	tcp[13] = 0x18
	binary.BigEndian.PutUint16(tcp[14:], 1024)
	copy(tcp[20:], payload)
	rec := make([]byte, 16)
	binary.LittleEndian.PutUint32(rec[0:], uint32(ts.Unix()))
	binary.LittleEndian.PutUint32(rec[4:], uint32(ts.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(frame)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
	b.Write(rec)
	b.Write(frame)
}

// ruleB adds to the built-in rules: rules for payloads the built-in ones
// leave alone (the lower-case GPON path, the JAWS near miss and the long
// payload, the benign request) and one the built-in rules win first.
const ruleB = `alert tcp any any -> any any (msg:"TEST gpon lower case"; content:"/gponform/diag_form"; nocase; sid:1000001; rev:1;)
alert tcp any any -> any any (msg:"TEST shells"; content:"GET /shells"; sid:1000002; rev:1;)
alert tcp any any -> any any (msg:"TEST benign root"; content:"GET / HTTP/1.1|0d 0a|Host: example.com"; sid:1000003; rev:2;)
alert tcp any any -> any any (msg:"TEST jaws too"; content:"GET /shell?"; sid:1000004; rev:1;)
`

// ruleA is another set: one rule only.
const ruleA = `alert tcp any any -> any any (msg:"TEST setup.cgi"; content:"setup.cgi"; sid:1000101; rev:1;)
`

func matcherOf(t *testing.T, text string) (*rules.ExploitAdapter, []ruleset.File) {
	t.Helper()
	files := []ruleset.File{{Name: "t.rules", Text: text}}
	m, _, err := ruleset.Matcher(files, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m, files
}

func ingestInto(t *testing.T, db, capPath string, m *rules.ExploitAdapter, ruleSet int32, dayParts int64, force bool) ingest.FileResult {
	t.Helper()
	cfg := ingest.Config{DBPath: db, Sensor: "lab", DayPartsMinSize: dayParts, RuleSet: ruleSet, Force: force}
	if m != nil {
		cfg.Exploits = m
	}
	res, err := ingest.Run(context.Background(), cfg, []string{capPath})
	if err != nil || res[0].Err != nil || !res[0].Committed {
		t.Fatalf("ingest: %v %+v", err, res)
	}
	return res[0]
}

func open(t *testing.T, db string) *duckstore.Store {
	t.Helper()
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func addSet(t *testing.T, st *duckstore.Store, name, text string, from civil.Day) store.RuleSet {
	t.Helper()
	files := []store.RuleFile{{Name: name + ".rules", Text: text}}
	rs, err := st.AddRuleSet(context.Background(), store.RuleSet{Name: name, Hash: ruleset.Hash([]ruleset.File{{Text: text}}), Files: files, From: from})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// counts returns the exploit packets per key under rule set id (0: as
// ingested), keyed by the dims, over [from, to].
func counts(t *testing.T, st store.Store, id int32, from, to string, dims ...string) map[string]uint64 {
	t.Helper()
	rows, err := st.Stats(context.Background(), store.StatsQuery{By: dims, Classes: []string{"exploit"}, RuleSet: id, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, r := range rows {
		out[fmt.Sprint(r.Keys...)] += r.Packets
	}
	return out
}

func day(i int) string { return start.AddDate(0, 0, i).Format(time.DateOnly) }

// TestBackfillEqualsDirect: a capture ingested with the built-in rules and
// backfilled under B has, per day and pattern (and per source and port),
// exactly the exploit counts a fresh ingest with B gives; a second backfill
// replaces the first; the built-in rules backfilled give the ingest's own.
func TestBackfillEqualsDirect(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "lab.pcap")
	writeCapture(t, capPath)
	ctx := context.Background()

	// A: the built-in rules, the file written one day at a time (the
	// evidence then goes through the parts' transaction).
	dbA := filepath.Join(dir, "a.duckdb")
	res := ingestInto(t, dbA, capPath, nil, 0, 1, false)
	if res.Evidence.Truncated == 0 || res.Evidence.Dropped != 0 || res.Evidence.Kept != res.Evidence.Packets || res.Evidence.Packets == 0 {
		t.Fatalf("evidence %+v: want every payload packet kept, the long ones cut", res.Evidence)
	}
	stA := open(t, dbA)
	rsB := addSet(t, stA, "B", ruleB, 0)

	// B directly, in one transaction.
	dbB := filepath.Join(dir, "b.duckdb")
	mB, _ := matcherOf(t, ruleB)
	ingestInto(t, dbB, capPath, mB, 0, -1, false)
	stB := open(t, dbB)

	if _, err := Run(ctx, stA, rsB, store.EvidenceQuery{}, nil); err != nil {
		t.Fatal(err)
	}
	for _, dims := range [][]string{{"day", "pattern"}, {"day", "src", "port", "pattern"}, {"day", "country", "asn"}} {
		got := counts(t, stA, rsB.ID, "", "", dims...)
		want := counts(t, stB, 0, "", "", dims...)
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Fatalf("by %v: backfilled B\n%v\nfresh ingest with B\n%v", dims, got, want)
		}
	}
	// The test can tell: B differs from the built-in rules on this capture.
	builtin := counts(t, stA, 0, "", "", "day", "pattern")
	if reflect.DeepEqual(builtin, counts(t, stB, 0, "", "", "day", "pattern")) {
		t.Fatal("rule set B classifies the capture as the built-in rules do: the test proves nothing")
	}
	before := counts(t, stA, rsB.ID, "", "", "day", "src", "port", "pattern")
	r2, err := Run(ctx, stA, rsB, store.EvidenceQuery{From: civil.Of(start), To: civil.Of(start).AddDays(days - 1), Sensor: "lab"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after := counts(t, stA, rsB.ID, "", "", "day", "src", "port", "pattern"); !reflect.DeepEqual(before, after) {
		t.Fatalf("second backfill changed the counts:\n%v\n%v", before, after)
	}
	if r2.Days != days || r2.Payloads != len(exploitcases.Cases()) || r2.Matched == 0 || r2.Exploits == 0 || r2.Packets != res.Evidence.Packets ||
		r2.Dropped != 0 || r2.Uncovered != 0 {
		t.Fatalf("backfill result %+v (evidence %+v)", r2, res.Evidence)
	}
	// The built-in rules backfilled give what the ingest classified.
	if _, err := Run(ctx, stA, store.RuleSet{ID: store.BuiltinRuleSet, Name: "builtin"}, store.EvidenceQuery{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, stA, store.BuiltinRuleSet, "", "", "day", "src", "port", "pattern"); !reflect.DeepEqual(got, counts(t, stA, 0, "", "", "day", "src", "port", "pattern")) {
		t.Fatalf("built-in rules backfilled differ from the ingest's:\n%v", got)
	}

	// Ingesting the capture again with --force replaces its evidence.
	evBefore, err := stA.EvidenceDays(ctx, store.EvidenceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	stA.Close()
	ingestInto(t, dbA, capPath, nil, 0, -1, true)
	stA = open(t, dbA)
	evAfter, err := stA.EvidenceDays(ctx, store.EvidenceQuery{})
	if err != nil || !reflect.DeepEqual(evBefore, evAfter) || len(evAfter) != days {
		t.Fatalf("evidence before and after ingest --force:\n%v\n%v (%v)", evBefore, evAfter, err)
	}
	var payloads int
	if err := stA.DB().QueryRow(`SELECT count(*) FROM payloads`).Scan(&payloads); err != nil || payloads != len(exploitcases.Cases()) {
		t.Fatalf("payloads stored %d, want %d (%v)", payloads, len(exploitcases.Cases()), err)
	}

	// A capture ingested without evidence on those days is reported.
	var extra bytes.Buffer
	extra.Write(pcapHeader())
	writePacket(&extra, start.Add(time.Hour), [4]byte{203, 0, 113, 9}, 80, []byte("GET /shells HTTP/1.1\r\n"))
	extraPath := filepath.Join(dir, "extra.pcap")
	if err := os.WriteFile(extraPath, extra.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	stA.Close()
	if r, err := ingest.Run(ctx, ingest.Config{DBPath: dbA, Sensor: "lab", NoEvidence: true}, []string{extraPath}); err != nil || !r[0].Committed || r[0].Evidence.Packets != 0 {
		t.Fatalf("ingest --no-evidence: %v %+v", err, r)
	}
	stA = open(t, dbA)
	if r, err := Run(ctx, stA, rsB, store.EvidenceQuery{}, nil); err != nil || r.Uncovered != 1 {
		t.Fatalf("backfill over an ingest without evidence: %+v %v", r, err)
	}

	// Errors: days without evidence.
	if _, err := Run(ctx, stA, rsB, store.EvidenceQuery{From: civil.Of(start).AddDays(100)}, nil); err == nil {
		t.Fatal("backfill of days without evidence: no error")
	}
}

// TestRuleSetChangedMidPeriod: A is active from the first day, B from the
// fourth; the capture was classified with A, then B is backfilled from the
// fourth day. Under the rule set active each day, the counts are those of a
// direct run of A on the first three days and of B on the others.
func TestRuleSetChangedMidPeriod(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "lab.pcap")
	writeCapture(t, capPath)
	ctx := context.Background()
	day0 := civil.Of(start)
	change := day0.AddDays(3)

	db := filepath.Join(dir, "s.duckdb")
	st := open(t, db)
	rsA := addSet(t, st, "A", ruleA, day0)
	rsB := addSet(t, st, "B", ruleB, change)
	st.Close()
	mA, _ := matcherOf(t, ruleA)
	ingestInto(t, db, capPath, mA, rsA.ID, -1, false)
	st = open(t, db)
	if _, err := Run(ctx, st, rsB, store.EvidenceQuery{From: change}, nil); err != nil {
		t.Fatal(err)
	}

	dbB := filepath.Join(dir, "b.duckdb")
	mB, _ := matcherOf(t, ruleB)
	ingestInto(t, dbB, capPath, mB, 0, -1, false)
	stB := open(t, dbB)

	sets, err := st.RuleSets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for d := 0; d < days; d++ {
		active, ok := store.ActiveRuleSet(sets, "lab", day0.AddDays(d))
		if !ok {
			t.Fatalf("day %d: no active rule set", d)
		}
		got := counts(t, st, active.ID, day(d), day(d), "pattern")
		var want map[string]uint64
		if d < 3 {
			want = counts(t, st, 0, day(d), day(d), "pattern") // the direct run of A
			if active.ID != rsA.ID {
				t.Fatalf("day %d: active %s, want A", d, active.Name)
			}
		} else {
			want = counts(t, stB, 0, day(d), day(d), "pattern")
			if active.ID != rsB.ID {
				t.Fatalf("day %d: active %s, want B", d, active.Name)
			}
		}
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Fatalf("day %d under %s: %v, direct run %v", d, active.Name, got, want)
		}
		// A stays readable on the days B took over (it was ingested with
		// A), and B has nothing on the days before it was backfilled.
		if gotA := counts(t, st, rsA.ID, day(d), day(d), "pattern"); !reflect.DeepEqual(gotA, counts(t, st, 0, day(d), day(d), "pattern")) {
			t.Fatalf("day %d under A: %v", d, gotA)
		}
		if d < 3 {
			if gotB := counts(t, st, rsB.ID, day(d), day(d), "pattern"); len(gotB) != 0 {
				t.Fatalf("day %d under B before it was backfilled: %v", d, gotB)
			}
		}
	}
	runs, err := st.RuleSetRuns(ctx, store.EvidenceQuery{Sensor: "lab"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%s %d %v", r.Day, r.RuleSet, r.Backfill))
	}
	var want []string
	for d := 0; d < days; d++ {
		want = append(want, fmt.Sprintf("%s %d false", day0.AddDays(d), rsA.ID))
		if d >= 3 {
			want = append(want, fmt.Sprintf("%s %d true", day0.AddDays(d), rsB.ID))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("rule set runs\n%v\nwant\n%v", got, want)
	}
}
