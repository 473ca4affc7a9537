package duckstore

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// swarmPart is a part of n one-day IPv4 sources with one Mirai cell each
// (a darknet's swarm), with places from a few hundred organisations.
func swarmPart(n int, day aggregate.Day) (*aggregate.Result, []store.Place) {
	r := &aggregate.Result{Sources: make([]aggregate.SourceDay, n), Hits: make([]aggregate.Hit, n)}
	places := make([]store.Place, n)
	countries := []string{"CN", "US", "BR", "IN", "RU", "VN", "??"}
	ts := day.Time().Add(time.Hour).UnixNano()
	for i := 0; i < n; i++ {
		a := netip.AddrFrom4([4]byte{byte(1 + i>>24), byte(i >> 16), byte(i >> 8), byte(i)})
		tags := classify.Access.Bit() | classify.Mirai.Bit()
		r.Sources[i] = aggregate.SourceDay{Addr: a, Day: day, Packets: 1, Bytes: 40, First: ts, Last: ts, Tags: tags, SrcPort: uint16(i), PortState: 1}
		r.Hits[i] = aggregate.Hit{Source: uint32(i), Proto: 6, Port: 23, Tags: tags, Packets: 1}
		asn := uint32(64512 + i%300)
		places[i] = store.Place{Country: countries[i%len(countries)], ASN: asn, Org: fmt.Sprintf("AS%d Example Org", asn)}
	}
	return r, places
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAppendSwarm writes a capture of 4 parts of 250k new sources
// each into a fresh store (Begin, Append, Finish) and reports CPU seconds
// per million source-days, the figure that matters on a shared machine:
// with DuckDB's default threads and with Options.WriteThreads 1.
func BenchmarkAppendSwarm(b *testing.B) {
	for _, n := range []int{0, 1} {
		b.Run(fmt.Sprintf("write-threads=%d", n), func(b *testing.B) { benchAppendSwarm(b, n) })
	}
}

func benchAppendSwarm(b *testing.B, threads int) {
	ctx := context.Background()
	const parts, per = 4, 250_000
	var rs []*aggregate.Result
	var ps [][]store.Place
	for p := 0; p < parts; p++ {
		r, pl := swarmPart(per, day("2026-05-01"))
		for i := range r.Sources {
			b := r.Sources[i].Addr.As4()
			b[0] += byte(p * 40)
			r.Sources[i].Addr = netip.AddrFrom4(b)
		}
		rs, ps = append(rs, r), append(ps, pl)
	}
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		st, err := Open(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("a%d.duckdb", i)), Options{WriteThreads: threads})
		if err != nil {
			b.Fatal(err)
		}
		c0 := cpuTime()
		tx, err := st.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for p := range rs {
			if err := tx.Append(ctx, rs[p], ps[p], "open", nil); err != nil {
				b.Fatal(err)
			}
		}
		in := store.Ingest{Path: "/x", Hash: fmt.Sprintf("sha256:%d", i), Sensor: "open", Format: "pcap"}
		if err := tx.Finish(ctx, in, false, store.Sensor{Name: "open"}); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		st.Close()
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N)/(parts*per/1e6), "cpu-s/Msrc")
}
