package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/capture"
	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// recordStore keeps the evidence and source-port parts a file's ingest
// hands the store, and drops the rest.
type recordStore struct {
	store.Store
	mu sync.Mutex
	ev *evidence.Part
	sp *srcports.Part
}

func (*recordStore) Location() *time.Location { return time.UTC }
func (*recordStore) KnownSizes(context.Context) (map[int64][]store.KnownIngest, error) {
	return map[int64][]store.KnownIngest{}, nil
}
func (*recordStore) Close() error                              { return nil }
func (s *recordStore) Begin(context.Context) (store.Tx, error) { return recordTx{s}, nil }
func (s *recordStore) Commit(_ context.Context, b *store.Batch) (int32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ev, s.sp = b.Evidence, b.SrcPorts
	return 1, nil
}

type recordTx struct{ s *recordStore }

func (recordTx) ID() int32 { return 1 }
func (recordTx) Append(context.Context, *aggregate.Result, []store.Place, string, func(int) string) error {
	return nil
}
func (recordTx) Finish(context.Context, store.Ingest, bool, store.Sensor) error { return nil }
func (recordTx) Abort() error                                                   { return nil }
func (t recordTx) AppendEvidence(_ context.Context, p *evidence.Part, _ string) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.ev = p
	return nil
}
func (t recordTx) AppendSrcPorts(_ context.Context, p *srcports.Part, _ string) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.sp = p
	return nil
}

// referenceParts collects a capture's evidence and source-port histograms
// the simple way: one collector each, every decoded packet given to it in
// the order it was read.
func referenceParts(t *testing.T, path string, eo evidence.Options, so srcports.Options) (*evidence.Part, *srcports.Part) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := capture.NewReader(f, path)
	if err != nil {
		t.Fatal(err)
	}
	ev := evidence.NewCollector(time.UTC, eo)
	sp := srcports.NewCollector(time.UTC, so)
	var p decode.Packet
	for {
		data, ts, link, _, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ts == capture.Undated || decode.Decode(link, data, &p) != nil {
			continue
		}
		ev.Add(ts, &p)
		sp.Add(ts, &p)
	}
	return ev.Result(), sp.Result()
}

// TestCollectorsOffTheDecoder: the evidence collected on its own goroutine
// and the source-port histograms collected by the counting shards (several
// of them, the file cut into day parts and into parts within a day) are
// what one collector of each, given every packet in order on the decoding
// goroutine, keeps: with the default bounds and with bounds the capture
// exceeds (then which pairs and payloads are kept depends on the order
// packets are read in).
func TestCollectorsOffTheDecoder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "week.pcap")
	if _, err := synth.WriteFile(path, synth.Config{Packets: 200000, Days: 3, Seed: 5, Pool: geoPool{}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		ev      evidence.Options
		sp      srcports.Options
		dropped bool
	}{
		{name: "defaults"},
		{name: "bounded", ev: evidence.Options{MaxLen: 64, MaxCells: 3000, MaxBytes: 20000},
			sp: srcports.Options{MaxSources: 700, K: 2, DstPorts: 3, MinPackets: 2}, dropped: true},
	}
	for _, tc := range cases {
		for _, shards := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/shards=%d", tc.name, shards), func(t *testing.T) {
				wantEv, wantSp := referenceParts(t, path, tc.ev, tc.sp)
				if wantEv.Kept == 0 || len(wantSp.Rows) == 0 || wantSp.Confined == 0 {
					t.Fatalf("the capture exercises nothing: %d payloads kept, %d source-port rows", wantEv.Kept, len(wantSp.Rows))
				}
				if dropped := wantEv.Dropped > 0 && wantSp.Dropped > 0; dropped != tc.dropped {
					t.Fatalf("dropped: evidence %d, source ports %d", wantEv.Dropped, wantSp.Dropped)
				}
				st := &recordStore{}
				cfg := Config{Shards: shards, DayPartsMinSize: 1, dayPartMinPackets: 1, PartSources: 300,
					Evidence: tc.ev, SrcPorts: tc.sp, SkipVerify: true,
					Open: func(context.Context, string) (store.Store, error) { return st, nil }}
				res, err := Run(context.Background(), cfg, []string{path})
				if err != nil || res[0].Err != nil || !res[0].Committed {
					t.Fatalf("ingest: %v %+v", err, res)
				}
				if res[0].Parts < 6 {
					t.Fatalf("%d parts: the file should be cut within days", res[0].Parts)
				}
				if !reflect.DeepEqual(st.ev, wantEv) {
					t.Errorf("evidence: %d payloads, %d counts, packets %d kept %d dropped %d; want %d, %d, %d %d %d",
						len(st.ev.Payloads), len(st.ev.Counts), st.ev.Packets, st.ev.Kept, st.ev.Dropped,
						len(wantEv.Payloads), len(wantEv.Counts), wantEv.Packets, wantEv.Kept, wantEv.Dropped)
				}
				if !reflect.DeepEqual(st.sp, wantSp) {
					t.Errorf("source ports: %d rows, packets %d dropped %d confined %d many %d few %d; want %d rows, %d %d %d %d %d",
						len(st.sp.Rows), st.sp.Packets, st.sp.Dropped, st.sp.Confined, st.sp.Many, st.sp.Few,
						len(wantSp.Rows), wantSp.Packets, wantSp.Dropped, wantSp.Confined, wantSp.Many, wantSp.Few)
				}
			})
		}
	}
}

// TestEvFeedAllocationFree: handing a payload packet over to the evidence
// goroutine allocates nothing once its batches exist.
func TestEvFeedAllocationFree(t *testing.T) {
	f := newEvFeed(evidence.NewCollector(time.UTC, evidence.Options{}))
	var ps []decode.Packet
	for i := range 256 {
		ps = append(ps, decode.Packet{Src: netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), Proto: decode.ProtoTCP,
			HasTransport: true, DstPort: 80, Payload: []byte(fmt.Sprintf("GET /%d HTTP/1.1\r\n", i%7))})
	}
	ts := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for i := range 10000 {
		f.add(ts, &ps[i%len(ps)])
	}
	i := 0
	if n := testing.AllocsPerRun(5000, func() { f.add(ts, &ps[i%len(ps)]); i++ }); n != 0 {
		t.Fatalf("%v allocations per packet", n)
	}
	if p := f.finish(); p.Kept != 10000+5001 || len(p.Payloads) != 7 {
		t.Fatalf("kept %d packets, %d payloads", p.Kept, len(p.Payloads))
	}
}
