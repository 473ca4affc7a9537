package bus

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/synth"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTransport ingests one synthesized 1 M-packet capture twice in
// the same run: into a local DuckDB store (publishing off) and published
// through a sensor's leaf server (publishing on), then collected from the
// hub into DuckDB. It reports the sensor's CPU per packet both ways and
// the messages and bytes per second through NATS.
//
//	go test -run '^$' -bench Transport -benchtime 1x ./internal/bus
func BenchmarkTransport(b *testing.B) {
	const packets = 1_000_000
	dir := b.TempDir()
	capPath := filepath.Join(dir, "bench-20260501.pcap")
	truth, err := synth.WriteFile(capPath, synth.Config{Packets: packets, Days: 7, Seed: 1, Pool: geoPool{}})
	if err != nil {
		b.Fatal(err)
	}
	nets, _ := ingest.ParseNets([]string{truth.SensorNet, truth.SensorNet6})
	ctx := context.Background()
	run := func(open func(context.Context, string) (store.Store, error)) (wall, cpu time.Duration) {
		c0, t0 := cpuTime(), time.Now()
		res, err := ingest.Run(ctx, ingest.Config{DBPath: filepath.Join(dir, "x.duckdb"), Sensor: "bench", TimeZone: "UTC",
			Locate: locate, SensorNets: nets, Open: open, SkipVerify: true}, []string{capPath})
		if err != nil || res[0].Err != nil || !res[0].Committed {
			b.Fatalf("ingest: %v %+v", err, res)
		}
		return time.Since(t0), cpuTime() - c0
	}
	h := &hub{t: b, dir: b.TempDir(), port: freePort(b), leafPort: freePort(b)}
	srv, err := StartHubServer(HubServerConfig{Port: h.port, LeafPort: h.leafPort, StoreDir: h.dir})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := Connect(h.url(), Auth{}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := EnsureHub(ctx, js, HubConfig{}); err != nil {
		b.Fatal(err)
	}
	leaf, err := StartLeaf(ctx, LeafConfig{Sensor: "bench", StoreDir: b.TempDir(), Hub: "nats-leaf://" + h.leafAddr()})
	if err != nil {
		b.Fatal(err)
	}
	defer leaf.Shutdown()
	if err := leaf.Register(ctx, ""); err != nil {
		b.Fatal(err)
	}
	lnc, _ := leaf.Connect()
	defer lnc.Close()
	pub, err := NewPublisher(lnc, PublisherConfig{Sensor: "bench", TimeZone: "UTC"})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		local := openDuckB(b, filepath.Join(b.TempDir(), "local.duckdb"))
		offWall, offCPU := run(func(context.Context, string) (store.Store, error) { return noClose{local}, nil })
		local.Close()
		teeStore := openDuckB(b, filepath.Join(b.TempDir(), "tee.duckdb"))
		teeWall, teeCPU := run(func(context.Context, string) (store.Store, error) {
			return noClose{&Tee{Store: teeStore, Pub: pub}}, nil
		})
		teeStore.Close()
		m0, by0 := pub.Messages.Load(), pub.Bytes.Load()
		onWall, onCPU := run(func(context.Context, string) (store.Store, error) { return noClose{pub}, nil })
		msgs, bytes := pub.Messages.Load()-m0, pub.Bytes.Load()-by0
		// Hub and collector: sourced and committed.
		t0 := time.Now()
		dctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		if _, err := leaf.Drain(dctx, ""); err != nil {
			b.Fatal(err)
		}
		sourced := time.Since(t0)
		st := openDuckB(b, filepath.Join(b.TempDir(), "collected.duckdb"))
		col, err := NewCollector(dctx, js, st, CollectorConfig{Durable: "bench" + time.Now().Format("150405.000000")[7:]})
		if err != nil {
			b.Fatal(err)
		}
		rctx, stop := context.WithCancel(dctx)
		done := make(chan error, 1)
		t1 := time.Now()
		go func() { done <- col.Run(rctx) }()
		for col.Committed.Load()+col.Duplicates.Load() < uint64(2*(i+1)) && dctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		collected := time.Since(t1)
		stop()
		<-done
		cancel()
		st.Close()
		b.ReportMetric(float64(offCPU.Nanoseconds())/packets, "off-cpu-ns/pkt")
		b.ReportMetric(float64(onCPU.Nanoseconds())/packets, "on-cpu-ns/pkt")
		b.ReportMetric(float64(teeCPU.Nanoseconds())/packets, "tee-cpu-ns/pkt")
		b.ReportMetric(teeWall.Seconds(), "tee-wall-s")
		b.ReportMetric(offWall.Seconds(), "off-wall-s")
		b.ReportMetric(onWall.Seconds(), "on-wall-s")
		b.ReportMetric(float64(msgs), "msgs")
		b.ReportMetric(float64(bytes)/1e6, "MB")
		b.ReportMetric(float64(msgs)/onWall.Seconds(), "pub-msgs/s")
		b.ReportMetric(float64(bytes)/1e6/onWall.Seconds(), "pub-MB/s")
		b.ReportMetric(sourced.Seconds(), "drain-s")
		b.ReportMetric(collected.Seconds(), "collect-s")
	}
}

func (h *hub) leafAddr() string { return fmt.Sprintf("127.0.0.1:%d", h.leafPort) }

func openDuckB(b *testing.B, path string) store.Store { return openDuckTZ(b, path, "UTC") }

// BenchmarkPublishParts publishes parts of the publisher's default size
// to a sensor's leaf server, waiting for each batch of 16 to be stored:
// the transport's own throughput, without counting packets.
func BenchmarkPublishParts(b *testing.B) {
	ctx := context.Background()
	leaf, err := StartLeaf(ctx, LeafConfig{Sensor: "bench", StoreDir: b.TempDir(), MaxBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer leaf.Shutdown()
	nc, _ := leaf.Connect()
	defer nc.Close()
	pub, err := NewPublisher(nc, PublisherConfig{Sensor: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	part := make([]byte, DefaultPartBytes)
	for i := range part {
		part[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(part)))
	b.ResetTimer()
	var fs []jetstream.PubAckFuture
	for i := 0; i < b.N; i++ {
		f, err := pub.publishAsync(partMsg(partSubject("bench", "x"), "bench/x", i, part))
		if err != nil {
			b.Fatal(err)
		}
		fs = append(fs, f)
		if len(fs) == 16 {
			if err := pub.wait(ctx, fs); err != nil {
				b.Fatal(err)
			}
			fs = fs[:0]
		}
	}
	if err := pub.wait(ctx, fs); err != nil {
		b.Fatal(err)
	}
}
