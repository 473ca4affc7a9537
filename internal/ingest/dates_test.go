package ingest

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// synFrame builds an Ethernet frame holding a TCP SYN from 198.51.x.y
// (x.y from n) to 203.0.113.9 port 23.
func synFrame(n uint32) []byte {
	b := make([]byte, 14+20+20)
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], 40)
	ip[8], ip[9] = 64, decode.ProtoTCP
	ip[12], ip[13], ip[14], ip[15] = 198, 51, byte(n>>8), byte(n)
	ip[16], ip[17], ip[18], ip[19] = 203, 0, 113, 9
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], 40000)
	binary.BigEndian.PutUint16(tcp[2:], 23)
	binary.BigEndian.PutUint32(tcp[4:], 0x01020304)
	tcp[12], tcp[13] = 5<<4, decode.TCPSyn
	return b
}

// pcapBytes builds a little-endian microsecond pcap of link type 1 with one
// frame per second value.
func pcapBytes(secs []uint32, frame func(i int) []byte) []byte {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0xa1b2c3d4)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint64(b, 0)
	b = le.AppendUint32(b, 65535)
	b = le.AppendUint32(b, 1)
	for i, s := range secs {
		f := frame(i)
		b = le.AppendUint32(b, s)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, uint32(len(f)))
		b = le.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// ngWriter builds a little-endian pcapng file.
type ngWriter struct{ b []byte }

func (w *ngWriter) block(typ uint32, body []byte) {
	le := binary.LittleEndian
	body = append(body, make([]byte, (4-len(body)%4)%4)...)
	n := uint32(12 + len(body))
	w.b = le.AppendUint32(w.b, typ)
	w.b = le.AppendUint32(w.b, n)
	w.b = append(w.b, body...)
	w.b = le.AppendUint32(w.b, n)
}

func (w *ngWriter) shb() {
	le := binary.LittleEndian
	body := le.AppendUint32(nil, 0x1a2b3c4d)
	body = le.AppendUint16(body, 1)
	body = le.AppendUint16(body, 0)
	w.block(0x0a0d0d0a, le.AppendUint64(body, math.MaxUint64))
}

// idb adds an interface with nanosecond timestamps and, when offset is not
// 0, an if_tsoffset of offset seconds.
func (w *ngWriter) idb(link uint16, offset int64) {
	le := binary.LittleEndian
	body := le.AppendUint16(nil, link)
	body = le.AppendUint16(body, 0)
	body = le.AppendUint32(body, 0)
	body = append(body, 9, 0, 1, 0, 9, 0, 0, 0) // if_tsresol: 10^-9
	if offset != 0 {
		body = append(body, 14, 0, 8, 0)
		body = le.AppendUint64(body, uint64(offset))
	}
	w.block(1, append(body, 0, 0, 0, 0))
}

func (w *ngWriter) epb(ifid uint32, ts uint64, data []byte) {
	le := binary.LittleEndian
	body := le.AppendUint32(nil, ifid)
	body = le.AppendUint32(body, uint32(ts>>32))
	body = le.AppendUint32(body, uint32(ts))
	body = le.AppendUint32(body, uint32(len(data)))
	body = le.AppendUint32(body, uint32(len(data)))
	w.block(6, append(body, data...))
}

func (w *ngWriter) spb(data []byte) {
	body := binary.LittleEndian.AppendUint32(nil, uint32(len(data)))
	w.block(3, append(body, data...))
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ingestOne ingests file into a new store at dir/s.duckdb.
func ingestOne(t testing.TB, cfg Config, file string) FileResult {
	t.Helper()
	if cfg.DBPath == "" {
		cfg.DBPath = filepath.Join(filepath.Dir(file), "s.duckdb")
	}
	cfg.SkipVerify = true
	res, err := Run(context.Background(), cfg, []string{file})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || !res[0].Committed {
		t.Fatalf("ingest %s: %+v", file, res[0])
	}
	return res[0]
}

// ingestRow reads back the ingests row's packets, undecodable count and
// coverage.
func ingestRow(t *testing.T, db string) (packets, undec int64, first, last time.Time) {
	t.Helper()
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.DB().QueryRow(`SELECT packets, undecodable, first_ts, last_ts FROM ingests`).Scan(&packets, &undec, &first, &last); err != nil {
		t.Fatal(err)
	}
	return packets, undec, first.UTC(), last.UTC()
}

// ingestNotes reads back the ingests row's not_decoded ("" for NULL) and
// undated columns.
func ingestNotes(t *testing.T, db string) (notDecoded string, undated int64) {
	t.Helper()
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.DB().QueryRow(`SELECT coalesce(not_decoded, ''), undated FROM ingests`).Scan(&notDecoded, &undated); err != nil {
		t.Fatal(err)
	}
	return notDecoded, undated
}

// TestUnsupportedLinksReported: frames of link types the decoder does not
// read are counted per link type, not silently dropped.
func TestUnsupportedLinksReported(t *testing.T) {
	w := &ngWriter{}
	w.shb()
	w.idb(1, 0)   // Ethernet
	w.idb(105, 0) // 802.11
	w.idb(147, 0) // USER0
	w.idb(1, 0)
	base := uint64(1_767_225_600) * 1e9
	for i := range 3 {
		w.epb(1, base+uint64(i), make([]byte, 30))
	}
	w.epb(0, base, synFrame(1))
	w.epb(2, base, make([]byte, 10))
	w.epb(3, base, synFrame(2))
	w.epb(0, base, eth(0x0806)) // ARP: undecodable, but a link type that is read
	file := writeFile(t, t.TempDir(), "links.pcapng", w.b)
	r := ingestOne(t, Config{}, file)
	want := []LinkFrames{{Link: 105, Frames: 3}, {Link: 147, Frames: 1}}
	if r.Packets != 2 || r.Undecodable != 5 || !slices.Equal(r.NotDecoded, want) {
		t.Errorf("packets %d undecodable %d not decoded %v; want 2, 5, %v", r.Packets, r.Undecodable, r.NotDecoded, want)
	}
	if got := r.NotDecoded[0].String(); got != "3 frames of link type 105 (IEEE802_11) not decoded" {
		t.Errorf("message %q", got)
	}
	if _, undec, _, _ := ingestRow(t, filepath.Join(filepath.Dir(file), "s.duckdb")); undec != 5 {
		t.Errorf("ingests row: undecodable %d, want 5", undec)
	}
	notDecoded, undated := ingestNotes(t, filepath.Join(filepath.Dir(file), "s.duckdb"))
	if want := "3 frames of link type 105 (IEEE802_11) not decoded; 1 frame of link type 147 (USER0) not decoded"; notDecoded != want || undated != 0 {
		t.Errorf("ingests row: not_decoded %q undated %d; want %q, 0", notDecoded, undated, want)
	}
}

// eth is an Ethernet header of the given EtherType with 28 bytes after it.
func eth(etherType uint16) []byte {
	b := make([]byte, 14+28)
	binary.BigEndian.PutUint16(b[12:], etherType)
	return b
}

func TestLinkTallyBounded(t *testing.T) {
	var lt linkTally
	for l := range decode.LinkType(1000) {
		lt.add(l + 1000)
		lt.add(1000) // the first keeps its own count
	}
	if len(lt.list) != maxLinkTallies+1 || !lt.list[maxLinkTallies].Other || lt.list[maxLinkTallies].Frames != 1000-maxLinkTallies || lt.list[0].Frames != 1001 {
		t.Errorf("tally %v", lt.list)
	}
	if got := lt.list[maxLinkTallies].String(); got != "992 frames of other link types not decoded" {
		t.Errorf("message %q", got)
	}
}

// TestCoverageAtAndBeforeEpoch: a capture whose first packet is at the Unix
// epoch, or before 1970, records its real first and last packet times.
func TestCoverageAtAndBeforeEpoch(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "epoch.pcap", pcapBytes([]uint32{0, 3600, 7200}, func(i int) []byte { return synFrame(uint32(i)) }))
	ingestOne(t, Config{}, file)
	pk, _, first, last := ingestRow(t, filepath.Join(dir, "s.duckdb"))
	if pk != 3 || !first.Equal(time.Unix(0, 0)) || !last.Equal(time.Unix(7200, 0)) {
		t.Errorf("epoch capture: %d packets, %v to %v; want 3, 1970-01-01T00:00 to 02:00", pk, first, last)
	}

	dir = t.TempDir()
	w := &ngWriter{}
	w.shb()
	w.idb(1, -86400*365) // a year back: 1969
	w.epb(0, 5e9, synFrame(1))
	w.epb(0, 86400*365e9, synFrame(2)) // the epoch itself, last
	w.epb(0, 0, synFrame(3))           // 1969-01-01T00:00:00, first
	file = writeFile(t, dir, "1969.pcapng", w.b)
	ingestOne(t, Config{}, file)
	pk, _, first, last = ingestRow(t, filepath.Join(dir, "s.duckdb"))
	if want := time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC); pk != 3 || !first.Equal(want) || !last.Equal(time.Unix(0, 0)) {
		t.Errorf("1969 capture: %d packets, %v to %v; want 3, %v to the epoch", pk, first, last, want)
	}
}

// TestUndatedPackets: a Simple Packet Block opening its section and
// packets whose time overflows int64 nanoseconds are counted as undated,
// never on 1970-01-01 or a wrapped date.
func TestUndatedPackets(t *testing.T) {
	dir := t.TempDir()
	w := &ngWriter{}
	w.shb()
	w.idb(1, 0)
	w.idb(1, 1<<62) // if_tsoffset 2^62 s
	w.spb(synFrame(1))
	base := uint64(1_767_225_600) * 1e9 // 2026-01-01
	w.epb(0, base, synFrame(2))
	w.spb(synFrame(3)) // takes base
	w.epb(1, 1, synFrame(4))
	w.epb(0, math.MaxUint64, synFrame(5))
	file := writeFile(t, dir, "undated.pcapng", w.b)
	r := ingestOne(t, Config{}, file)
	if r.Packets != 2 || r.Undated != 3 || r.Undecodable != 3 || len(r.NotDecoded) != 0 {
		t.Errorf("packets %d undated %d undecodable %d; want 2, 3, 3", r.Packets, r.Undated, r.Undecodable)
	}
	if notDecoded, undated := ingestNotes(t, filepath.Join(dir, "s.duckdb")); notDecoded != "" || undated != 3 {
		t.Errorf("ingests row: not_decoded %q undated %d; want none, 3", notDecoded, undated)
	}
	pk, _, first, last := ingestRow(t, filepath.Join(dir, "s.duckdb"))
	if want := time.Unix(0, int64(base)).UTC(); pk != 2 || !first.Equal(want) || !last.Equal(want) {
		t.Errorf("ingests row: %d packets, %v to %v; want 2 at %v", pk, first, last, want)
	}
}

// TestLastDayOfNanoseconds: packets on 2262-04-11, the last day int64
// nanoseconds reach, are counted on that day, and a file written in day
// parts is not cut at every packet there.
func TestLastDayOfNanoseconds(t *testing.T) {
	dir := t.TempDir()
	w := &ngWriter{}
	w.shb()
	w.idb(1, 0)
	const n = 3000
	start := uint64(math.MaxInt64 - 3600e9) // 22:47 on 2262-04-11
	for i := range n {
		w.epb(0, start+uint64(i)*1e9, synFrame(uint32(i)))
	}
	file := writeFile(t, dir, "2262.pcapng", w.b)
	r := ingestOne(t, Config{DayPartsMinSize: 1, dayPartMinPackets: 1, Shards: 1}, file)
	if r.Packets != n || r.Parts != 1 {
		t.Errorf("%d packets in %d parts, want %d in 1", r.Packets, r.Parts, n)
	}
	st, err := duckstore.Open(context.Background(), filepath.Join(dir, "s.duckdb"), duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var days int
	var day time.Time
	if err := st.DB().QueryRow(`SELECT count(DISTINCT day), min(day) FROM sources`).Scan(&days, &day); err != nil {
		t.Fatal(err)
	}
	if days != 1 || civil.Of(day).String() != "2262-04-11" {
		t.Errorf("%d days from %v, want 2262-04-11 only", days, day)
	}
}

// TestSpreadDaysParts: a file with one packet a day over 49,710 days (all a
// pcap's 32-bit seconds hold) is written in day parts only as often as the
// same packets on one day would need, not once a day. The store drops the
// rows (its own per-day work is not what is tested here).
func TestSpreadDaysParts(t *testing.T) {
	const days = 49710
	secs := make([]uint32, days)
	for i := range secs {
		secs[i] = uint32(i) * 86400
	}
	file := writeFile(t, t.TempDir(), "spread.pcap", pcapBytes(secs, func(i int) []byte { return synFrame(uint32(i)) }))
	for _, tc := range []struct {
		minPart            uint64
		minParts, maxParts int
	}{
		{0, 1, 1},          // the default: fewer packets than one part needs
		{10_000, 4, 4 + 1}, // a cut at the first day after each 10,000 packets
	} {
		var appends atomic.Int64
		db := filepath.Join(t.TempDir(), "s.duckdb")
		cfg := Config{DBPath: db, DayPartsMinSize: 1, dayPartMinPackets: tc.minPart, Shards: 1}
		cfg.Open = func(ctx context.Context, tz string) (store.Store, error) {
			st, err := duckstore.Open(ctx, db, duckstore.Options{TimeZone: tz})
			return discardStore{st, &appends}, err
		}
		r := ingestOne(t, cfg, file)
		if r.Packets != days || r.Parts < tc.minParts || r.Parts > tc.maxParts || appends.Load() != int64(r.Parts) {
			t.Errorf("min part %d: %d packets in %d parts (%d writes); want %d in %d to %d", tc.minPart, r.Packets, r.Parts, appends.Load(), days, tc.minParts, tc.maxParts)
		}
	}
}

// TestNextDay checks nextDay over the whole range of int64 nanoseconds, in
// UTC and in a zone with daylight saving time.
func TestNextDay(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	points := []int64{math.MinInt64 + 1, -86400e9*365*250 - 1, -1, 0, 1, 86400e9 - 1, 86400e9,
		1_710_054_000e9, // 2024-03-10, a 23-hour day in New York
		math.MaxInt64 - 86400e9, math.MaxInt64 - 3600e9, math.MaxInt64 - 1, math.MaxInt64}
	for _, loc := range []*time.Location{time.UTC, ny} {
		last := civil.FromTime(time.Unix(0, math.MaxInt64), loc)
		for _, ts := range points {
			d := civil.FromTime(time.Unix(0, ts), loc)
			next := nextDay(ts, loc)
			if d == last {
				if next != math.MaxInt64 {
					t.Errorf("%v %d (%v, the last day): next %d, want MaxInt64", loc, ts, d, next)
				}
				continue
			}
			if next <= ts || civil.FromTime(time.Unix(0, next), loc) != d+1 || civil.FromTime(time.Unix(0, next-1), loc) != d {
				t.Errorf("%v %d (%v): next day starts %d (%v)", loc, ts, d, next, time.Unix(0, next).In(loc))
			}
		}
	}
}
