// Package rulecmptest builds a store for tests of rule-set history: one
// sensor, "lab", whose exploits the built-in rules classify on the first
// three days and rule set B (added from the fourth day) on the others,
// with evidence kept so that either can be backfilled.
package rulecmptest

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/backfill"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify/exploitcases"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/rules"
	"github.com/honeyscope/honeyscope/internal/ruleset"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// Start is the first day of the fixture (UTC), Days its number of days and
// ChangeAt the index of the day rule set B takes over.
var Start = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

// Days and ChangeAt: see Start.
const (
	Days     = 7
	ChangeAt = 3
)

// RulesB adds rules to the built-in ones: for payloads they leave alone
// and for one they match first.
const RulesB = `alert tcp any any -> any any (msg:"TEST gpon lower case"; content:"/gponform/diag_form"; nocase; sid:1000001; rev:1;)
alert tcp any any -> any any (msg:"TEST shells"; content:"GET /shells"; sid:1000002; rev:1;)
alert tcp any any -> any any (msg:"TEST benign root"; content:"GET / HTTP/1.1|0d 0a|Host: example.com"; sid:1000003; rev:2;)
alert tcp any any -> any any (msg:"TEST jaws too"; content:"GET /shell?"; sid:1000004; rev:1;)
`

// Fixture is a built store.
type Fixture struct {
	DB     string        // the store's path
	B      store.RuleSet // rule set B as stored (name "B", version "2")
	Change civil.Day     // the day B takes over
}

// Day is day i of the fixture as YYYY-MM-DD.
func Day(i int) string { return Start.AddDate(0, 0, i).Format(time.DateOnly) }

// Build writes the captures into dir and ingests them into a new store
// there: the first ChangeAt days with the built-in rules, the others with
// rule set B. Nothing is backfilled.
func Build(t testing.TB, dir string) Fixture {
	t.Helper()
	ctx := context.Background()
	fx := Fixture{DB: filepath.Join(dir, "s.duckdb"), Change: civil.Of(Start).AddDays(ChangeAt)}
	c1, c2 := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap")
	capture(t, c1, 0, ChangeAt)
	capture(t, c2, ChangeAt, Days)
	ingestFile(t, fx.DB, c1, nil, 0)
	st, err := duckstore.Open(ctx, fx.DB, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files := []store.RuleFile{{Name: "b.rules", Text: RulesB}}
	fx.B, err = st.AddRuleSet(ctx, store.RuleSet{Name: "B", Version: "2", Hash: ruleset.Hash([]ruleset.File{{Text: RulesB}}), Files: files, From: fx.Change})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := ruleset.Matcher([]ruleset.File{{Name: "b.rules", Text: RulesB}}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ingestFile(t, fx.DB, c2, m, fx.B.ID)
	return fx
}

// Backfill backfills B on the days before the change and the built-in
// rules on the others, so that both have counts on every day.
func (fx Fixture) Backfill(t testing.TB, st store.Store) {
	t.Helper()
	ctx := context.Background()
	es, err := store.EvidenceOf(st)
	if err != nil {
		t.Fatal(err)
	}
	full, err := backfill.Resolve(ctx, st, "B")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backfill.Run(ctx, es, full, store.EvidenceQuery{To: fx.Change.AddDays(-1)}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := backfill.Run(ctx, es, store.RuleSet{ID: store.BuiltinRuleSet, Name: "builtin"}, store.EvidenceQuery{From: fx.Change}, nil); err != nil {
		t.Fatal(err)
	}
}

// capture writes a pcap of TCP packets to 192.0.2.10 on days [d0, d1),
// carrying every exploitcases payload and one B alone matches, in numbers
// that vary with the payload and the day (more of them from the change
// on, so that the traffic changes too).
func capture(t testing.TB, path string, d0, d1 int) {
	t.Helper()
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	b.Write(hdr)
	var payloads [][]byte
	for _, c := range exploitcases.Cases() {
		if len(c.Payload) > 0 {
			payloads = append(payloads, c.Payload)
		}
	}
	payloads = append(payloads, []byte("GET /shells HTTP/1.1\r\nHost: x\r\n\r\n"))
	n := 0
	for d := d0; d < d1; d++ {
		for i, p := range payloads {
			reps := 1 + (i+d)%3
			if d >= ChangeAt {
				reps += 2
			}
			for k := range reps {
				ts := Start.Add(time.Duration(d)*24*time.Hour + time.Duration(n%80000)*time.Second)
				n++
				packet(&b, ts, [4]byte{198, 51, byte(100 + k), byte(1 + (i*5+d)%250)}, uint16(80+i%3), p)
			}
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func packet(b *bytes.Buffer, ts time.Time, src [4]byte, port uint16, payload []byte) {
	frame := make([]byte, 14+20+20+len(payload))
	binary.BigEndian.PutUint16(frame[12:], 0x0800)
	ip := frame[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(40+len(payload)))
	ip[6], ip[8], ip[9] = 0x40, 64, 6
	copy(ip[12:16], src[:])
	copy(ip[16:20], []byte{192, 0, 2, 10})
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], 40000+uint16(src[3]))
	binary.BigEndian.PutUint16(tcp[2:], port)
	tcp[12], tcp[13] = 0x50, 0x18
	binary.BigEndian.PutUint16(tcp[14:], 1024)
	copy(tcp[20:], payload)
	rec := make([]byte, 16)
	binary.LittleEndian.PutUint32(rec[0:], uint32(ts.Unix()))
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(frame)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
	b.Write(rec)
	b.Write(frame)
}

func ingestFile(t testing.TB, db, path string, m *rules.ExploitAdapter, id int32) {
	t.Helper()
	cfg := ingest.Config{DBPath: db, Sensor: "lab", RuleSet: id}
	if m != nil {
		cfg.Exploits = m
	}
	res, err := ingest.Run(context.Background(), cfg, []string{path})
	if err != nil || res[0].Err != nil || !res[0].Committed {
		t.Fatalf("ingest: %v %+v", err, res)
	}
}
