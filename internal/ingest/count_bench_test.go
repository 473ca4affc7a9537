package ingest

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/capture"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/ruleset"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// countRecs decodes and classifies a synthetic capture of n packets over
// days days into the records counting is fed with.
// cpuTime is the process's CPU time so far (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func countRecs(b *testing.B, n, days int) []aggregate.Rec {
	b.Helper()
	path := filepath.Join(b.TempDir(), "c.pcap")
	if _, err := synth.WriteFile(path, synth.Config{Packets: n, Days: days, Seed: 1, Pool: geoPool{}}); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rd, err := capture.NewReader(f, path)
	if err != nil {
		b.Fatal(err)
	}
	ex, err := ruleset.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	cls := classify.Classifier{Exploits: ex}
	recs := make([]aggregate.Rec, 0, n)
	var p decode.Packet
	for {
		data, ts, link, _, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if decode.Decode(link, data, &p) != nil {
			continue
		}
		tags, pat := cls.Classify(&p)
		var r aggregate.Rec
		r.Set(ts, &p, tags, pat)
		recs = append(recs, r)
	}
	return recs
}

// BenchmarkCount counts the packets of a synthetic week (1M packets, as
// bench/ingest.sh's 10M file scaled down; HONEYSCOPE_COUNT_PACKETS sets
// another number) as a file's shards do, results included: shards=2
// splits the records by source as ingest does and counts the shards one
// after the other. cpu-ns/packet is the process's CPU time per packet
// (user + system, GC included), steadier than ns/op on a loaded machine.
func BenchmarkCount(b *testing.B) {
	n := 1000000
	if s := os.Getenv("HONEYSCOPE_COUNT_PACKETS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	recs := countRecs(b, n, 7)
	for _, shards := range []int{1, 2} {
		b.Run("shards="+strconv.Itoa(shards), func(b *testing.B) {
			batches := make([][]aggregate.Batch, shards)
			for i := range recs {
				s := recs[i].Shard(shards)
				bs := batches[s]
				if len(bs) == 0 || bs[len(bs)-1].N == aggregate.BatchSize {
					bs = append(bs, aggregate.Batch{})
				}
				last := &bs[len(bs)-1]
				last.Recs[last.N] = recs[i]
				last.N++
				batches[s] = bs
			}
			b.ReportAllocs()
			var cells int
			cpu0 := cpuTime()
			for b.Loop() {
				cells = 0
				for s := range batches {
					a := aggregate.New(time.UTC)
					for i := range batches[s] {
						bt := &batches[s][i]
						n := bt.N
						a.AddBatch(bt) // which empties it
						bt.N = n
					}
					cells += len(a.Result().Hits)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/float64(len(recs)), "cpu-ns/packet")
			b.ReportMetric(float64(cells), "cells")
		})
	}
}

// nullStore is a store that holds nothing and drops what it is given:
// Run's reads of it (time zone, known ingests) and its writes cost nothing.
type nullStore struct {
	store.Store
	appends *atomic.Int64
}

func (nullStore) Location() *time.Location { return time.UTC }
func (nullStore) KnownSizes(context.Context) (map[int64][]store.KnownIngest, error) {
	return map[int64][]store.KnownIngest{}, nil
}
func (nullStore) Close() error { return nil }
func (s nullStore) Begin(ctx context.Context) (store.Tx, error) {
	return discardStore{s.Store, s.appends}.Begin(ctx)
}
func (s nullStore) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	return discardStore{s.Store, s.appends}.Commit(ctx, b)
}

// BenchmarkIngestDiscard ingests a synthetic week (1M packets, as
// bench/ingest.sh's file scaled down; HONEYSCOPE_COUNT_PACKETS sets
// another number, HONEYSCOPE_INGEST_FILE names a capture to ingest
// instead) in day parts, as a large file is, into a store that drops what
// it is given: reading, hashing, decoding, classifying and counting,
// ingest's share of the work without the store's. collectors=off leaves
// evidence and source-port histograms out (their packages have their own
// benchmarks), collectors=on collects both as ingest does by default.
// cpu-ns/packet is the process's CPU time per packet.
func BenchmarkIngestDiscard(b *testing.B) {
	n := 1000000
	if s := os.Getenv("HONEYSCOPE_COUNT_PACKETS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	path := os.Getenv("HONEYSCOPE_INGEST_FILE")
	if path == "" {
		path = filepath.Join(b.TempDir(), "week.pcap")
		if _, err := synth.WriteFile(path, synth.Config{Packets: n, Days: 7, Seed: 1, Pool: geoPool{}}); err != nil {
			b.Fatal(err)
		}
	}
	for _, on := range []bool{false, true} {
		name := "collectors=off"
		if on {
			name = "collectors=on"
		}
		b.Run(name, func(b *testing.B) {
			var appends atomic.Int64
			cfg := Config{DayPartsMinSize: 1, NoEvidence: !on, NoSrcPorts: !on, SkipVerify: true,
				Open: func(context.Context, string) (store.Store, error) { return nullStore{appends: &appends}, nil }}
			var packets uint64
			cpu0 := cpuTime()
			for b.Loop() {
				res, err := Run(context.Background(), cfg, []string{path})
				if err != nil || res[0].Err != nil || res[0].Packets == 0 {
					b.Fatalf("ingest: %v %+v", err, res)
				}
				packets = res[0].Packets
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/float64(packets), "cpu-ns/packet")
			b.ReportMetric(float64(appends.Load())/float64(b.N), "writes")
		})
	}
}
