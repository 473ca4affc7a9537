package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/capture"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/livecap"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/storecache"
	"github.com/honeyscope/honeyscope/internal/synth"
	"github.com/honeyscope/honeyscope/internal/synth/benchstore"
)

// BenchmarkBenchStoreWrites times the dashboard's pages while the store is
// written, as serve runs them: a copy of the dashboard benchmark's store
// ($HONEYSCOPE_BENCH_STORE, see BenchmarkBenchStore) behind the cache, a
// live capture committing an interval every 2 s (frames of a synthesized
// capture replayed at $HONEYSCOPE_BENCH_LIVE_PPS packets a second, default
// 20,000, through livecap's own workers, dated on the store's last day) and,
// at the same time, an ingest
// of a one-day capture of $HONEYSCOPE_BENCH_INGEST_PACKETS packets
// (default 1,000,000) into the store's last day at the other sensor (a
// file added to a day other files cover). serve's warm round runs every
// $HONEYSCOPE_BENCH_WARM seconds (default 10) when the store changed.
// Every page of benchPages is asked in turn, over and over, until the
// ingest is done and the capture has committed at least 5 intervals; the
// benchmark reports the p50, p95 and slowest server time of the pages
// before the writes (every page opened once and serve's warm round run)
// and during them.
func BenchmarkBenchStoreWrites(b *testing.B) {
	livePPS := envInt(b, "HONEYSCOPE_BENCH_LIVE_PPS", 20000)
	ingestPackets := envInt(b, "HONEYSCOPE_BENCH_INGEST_PACKETS", 1000000)
	warmEvery := time.Duration(envInt(b, "HONEYSCOPE_BENCH_WARM", 10)) * time.Second
	ctx := context.Background()
	src := benchStorePath(b)
	tmp := b.TempDir()
	capPath := filepath.Join(tmp, "open-extra.pcap")
	last := synth.DefaultStart.AddDate(0, 0, benchstore.Default.Days-1)
	if _, err := synth.WriteFile(capPath, synth.Config{Packets: ingestPackets, Days: 1, Start: last, Seed: 77,
		SensorNet: synth.DefaultSensorNet, Pool: benchstore.Pool()}); err != nil {
		b.Fatal(err)
	}
	livePath := filepath.Join(tmp, "live.pcap")
	if _, err := synth.WriteFile(livePath, synth.Config{Packets: 400000, Days: 1, Seed: 78,
		SensorNet: synth.DefaultSensorNet2, Pool: benchstore.Pool()}); err != nil {
		b.Fatal(err)
	}
	frames, link, err := readFrames(livePath)
	if err != nil {
		b.Fatal(err)
	}
	gl, err := geo.Open(geo.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer gl.Close()
	locate := func(a netip.Addr) store.Place {
		i := gl.Lookup(a)
		return store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
	}

	for b.Loop() {
		db := filepath.Join(tmp, "w.duckdb")
		os.Remove(db)
		os.Remove(db + ".wal")
		if err := copyFile(src, db); err != nil {
			b.Fatal(err)
		}
		st, err := duckstore.Open(ctx, db, duckstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		cst := storecache.New(st, storecache.Options{})
		// serve's configuration (pages shown as they were for a while
		// after a write, HONEYSCOPE_BENCH_STALE_PAGES=0 to turn that off),
		// the query timeout raised for a loaded machine.
		cfg := DefaultConfiguration()
		cfg.QueryTimeout = 30 * time.Minute
		if os.Getenv("HONEYSCOPE_BENCH_STALE_PAGES") == "0" {
			cfg.StalePages = 0
		}
		h := newTestHandler(b, Dependencies{Store: cst, Generation: cst.Generation}, cfg)
		// As serve has it once people have used it: every page opened
		// once, then the warm round.
		for _, u := range benchPages {
			if rec := get(b, h, u); rec.Code != 200 {
				b.Fatalf("%s: %d", u, rec.Code)
			}
		}
		warm := func() {
			if _, err := cst.RefreshRecent(ctx, RecentWithin); err != nil {
				b.Error(err)
			}
			if err := h.Warm(ctx, nil); err != nil {
				b.Error(err)
			}
		}
		warm()
		var idle []time.Duration
		for range 3 {
			for _, u := range benchPages {
				t0 := time.Now()
				if rec := get(b, h, u); rec.Code != 200 {
					b.Fatalf("%s: %d", u, rec.Code)
				}
				idle = append(idle, time.Since(t0))
			}
		}

		// The writes.
		wctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		var warmRounds atomic.Int64
		wg.Go(func() { // serve's warm loop
			lastGen := cst.Generation()
			t := time.NewTicker(warmEvery)
			defer t.Stop()
			for {
				select {
				case <-wctx.Done():
					return
				case <-t.C:
					if g := cst.Generation(); g != lastGen {
						lastGen = g
						warm()
						warmRounds.Add(1)
					}
				}
			}
		})
		rep := &replaySource{frames: frames, link: link, pps: livePPS, base: last.Add(12 * time.Hour)}
		lc, err := livecap.New(daemon.NewReporter(nil), livecap.Configuration{
			Interfaces:     []livecap.Interface{{Name: "bench0", Sensor: benchstore.Sensors[1]}},
			CommitInterval: 2 * time.Second,
		}, livecap.Dependencies{Store: cst, Locate: locate, Version: "bench",
			Open: func(livecap.Interface, int, int, livecap.Configuration) (livecap.Source, error) { return rep, nil }})
		if err != nil {
			b.Fatal(err)
		}
		gen0 := cst.Generation()
		if err := lc.Start(ctx); err != nil {
			b.Fatal(err)
		}
		ingestDone := make(chan error, 1)
		var ingestTook time.Duration
		go func() {
			t0 := time.Now()
			res, err := ingest.Run(ctx, ingest.Config{Sensor: benchstore.Sensors[0], Locate: locate, Version: "bench", SkipVerify: true,
				Open: func(context.Context, string) (store.Store, error) { return keepStoreOpen{cst}, nil }}, []string{capPath})
			ingestTook = time.Since(t0)
			if err == nil && (len(res) != 1 || !res[0].Committed) {
				err = fmt.Errorf("the ingest did not commit: %+v", res)
			}
			ingestDone <- err
		}()
		var during []time.Duration
		var slowest string
		var slowestT time.Duration
		ingested := false
		for i := 0; ; i++ {
			if !ingested {
				select {
				case err := <-ingestDone:
					if err != nil {
						b.Fatal(err)
					}
					ingested = true
				default:
				}
			}
			if ingested && cst.Generation()-gen0 >= 6 {
				break
			}
			u := benchPages[i%len(benchPages)]
			s0 := cst.CacheStats()
			t0 := time.Now()
			if rec := get(b, h, u); rec.Code != 200 {
				b.Fatalf("%s during the writes: %d", u, rec.Code)
			}
			d := time.Since(t0)
			during = append(during, d)
			if s1 := cst.CacheStats(); d > time.Second {
				// What made it slow: answers computed in its time
				// (misses), or the store's generation moving on.
				b.Logf("%s during the writes: %v; answers computed for it or beside it: %d, stale answers: %d, generation %d -> %d",
					u, d.Round(time.Millisecond), s1.Misses-s0.Misses, s1.StaleHits-s0.StaleHits, s0.Generation, s1.Generation)
			}
			if d > slowestT {
				slowestT, slowest = d, u
			}
			time.Sleep(20 * time.Millisecond) // a visitor, not a load test
		}
		if err := lc.Stop(ctx); err != nil {
			b.Fatal(err)
		}
		stop()
		wg.Wait()
		commits := cst.Generation() - gen0
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		b.Logf("ingest of %d packets: %v; live frames replayed: %d; writes: %d; warm rounds: %d; pages asked during the writes: %d, slowest %s (%v)",
			ingestPackets, ingestTook.Round(time.Millisecond), rep.sent.Load(), commits, warmRounds.Load(), len(during), slowest, slowestT.Round(time.Millisecond))
		for _, x := range []struct {
			name string
			d    []time.Duration
		}{{"idle", idle}, {"writing", during}} {
			slices.Sort(x.d)
			b.ReportMetric(float64(x.d[len(x.d)/2].Microseconds())/1000, x.name+"-p50-ms")
			b.ReportMetric(float64(x.d[len(x.d)*95/100].Microseconds())/1000, x.name+"-p95-ms")
			b.ReportMetric(float64(x.d[len(x.d)-1].Microseconds())/1000, x.name+"-max-ms")
		}
	}
}

// envInt is the positive integer in the environment variable name, else def.
func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// keepStoreOpen keeps serve's store open when the ingest closes it.
type keepStoreOpen struct{ store.Store }

func (keepStoreOpen) Close() error { return nil }

// readFrames reads every frame of a capture into memory, with their link
// type.
func readFrames(path string) ([][]byte, decode.LinkType, error) {
	r, err := capture.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	var out [][]byte
	var link decode.LinkType
	for {
		data, _, l, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, link, nil
		}
		if err != nil {
			return nil, 0, err
		}
		link = l
		out = append(out, slices.Clone(data))
	}
}

// copyFile copies the file src to dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// replaySource is a capture socket that hands out frames at pps packets a
// second, over and over, stamped base plus the time since the first was
// asked for (so that they land on a day of the bench store, whose default
// views would otherwise move to today).
type replaySource struct {
	frames [][]byte
	link   decode.LinkType
	pps    int
	base   time.Time
	start  time.Time
	sent   atomic.Int64
}

func (s *replaySource) Next() ([]byte, int64, error) {
	now := time.Now()
	if s.start.IsZero() {
		s.start = now
	}
	n := s.sent.Load()
	if float64(n) >= now.Sub(s.start).Seconds()*float64(s.pps) {
		time.Sleep(time.Millisecond)
		return nil, 0, livecap.ErrTimeout
	}
	s.sent.Add(1)
	return s.frames[int(n)%len(s.frames)], s.base.Add(now.Sub(s.start)).UnixNano(), nil
}

func (s *replaySource) Link() decode.LinkType         { return s.link }
func (s *replaySource) Stats() (livecap.Stats, error) { return livecap.Stats{}, nil }
func (s *replaySource) Close() error                  { return nil }
