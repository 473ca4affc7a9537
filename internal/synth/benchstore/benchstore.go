// Package benchstore builds, once, the store the dashboard and API
// benchmarks read: 30 days of synthesized traffic at two sensors, about
// 3 million packets a day in all (1.5 million each), with a planted spike,
// a sustained rise and honeypot sessions, ingested the way a user's
// captures are (synth -> pcap -> ingest), so every table, rollup and
// session list is what the read side meets in use.
//
// Building it takes minutes (see BuildBenchStore), so the store is kept in
// the directory given and reused while its recipe is unchanged.
package benchstore

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// Recipe describes a bench store. Recipe() is the one BuildBenchStore
// builds; tests build smaller ones with Build.
type Recipe struct {
	Days          int // days from synth.DefaultStart
	PacketsPerDay int // per sensor
	ChunkDays     int // days synthesized into one capture file
	SessionsDay   int // honeypot sessions per sensor and day (0: none)
}

// Default is the benchmark's store: 30 days x 1.5 M packets a day at each
// of two sensors, 200 honeypot sessions a sensor a day.
var Default = Recipe{Days: 30, PacketsPerDay: 1_500_000, ChunkDays: 3, SessionsDay: 200}

// Sensors are the bench store's sensor names.
var Sensors = []string{"open", "domestic"}

// FileName is the store's file name in the directory.
const FileName = "bench.duckdb"

// key names a recipe in the marker file written when a build completes.
func (r Recipe) key() string {
	return fmt.Sprintf("honeyscope bench store v1: days=%d packets/day=%d chunk=%d sessions/day=%d sensors=%s\n",
		r.Days, r.PacketsPerDay, r.ChunkDays, r.SessionsDay, strings.Join(Sensors, ","))
}

// BuildBenchStore returns the path of the Default bench store in dir,
// building it when dir holds none (or one of another recipe, or one whose
// build did not finish). Measured on a shared 2-core machine: 5 minutes
// to build (20 captures of 4.5 M packets synthesized one ahead of their
// ingest), a 490 MB store of 90 M packets, 2.6 M distinct sources and
// 12,000 sessions; milliseconds to reuse. Not safe for two builders of one
// directory at once.
func BuildBenchStore(ctx context.Context, dir string) (string, error) {
	return Build(ctx, dir, Default, nil)
}

// Build is BuildBenchStore for any recipe; progress, when not nil, is told
// what is being done.
func Build(ctx context.Context, dir string, r Recipe, progress func(msg string)) (string, error) {
	if r.Days < 1 || r.PacketsPerDay < 0 || r.ChunkDays < 1 || r.SessionsDay < 0 {
		return "", fmt.Errorf("benchstore: recipe %+v: want days and chunk days >= 1, counts >= 0", r)
	}
	if progress == nil {
		progress = func(string) {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("benchstore: %w", err)
	}
	db := filepath.Join(dir, FileName)
	marker := db + ".done"
	if b, err := os.ReadFile(marker); err == nil && string(b) == r.key() {
		if _, err := os.Stat(db); err == nil {
			return db, nil
		}
	}
	for _, p := range []string{marker, db, db + ".wal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("benchstore: %w", err)
		}
	}
	gl, err := geo.Open(geo.Config{})
	if err != nil {
		return "", fmt.Errorf("benchstore: %w", err)
	}
	locate := func(a netip.Addr) store.Place {
		i := gl.Lookup(a)
		return store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
	}
	var countryDB, asnDB string
	for _, d := range gl.Databases() {
		switch d.Kind {
		case "country":
			countryDB = "builtin country (" + d.Path + ")"
		case "asn":
			asnDB = "builtin asn (" + d.Path + ")"
		}
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", fmt.Errorf("benchstore: %w", err)
	}
	defer os.RemoveAll(tmp)

	// Files are synthesized one chunk ahead of the ingest, on the other
	// core: at most two captures are on disk at once.
	type job struct {
		sensor string
		paths  []string
		err    error
	}
	jobs := make(chan job, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(jobs)
		for si, sensor := range Sensors {
			for c := 0; c*r.ChunkDays < r.Days; c++ {
				j := job{sensor: sensor}
				j.paths, j.err = writeChunk(tmp, r, si, c)
				select {
				case jobs <- j:
				case <-ctx.Done():
					return
				}
				if j.err != nil {
					return
				}
			}
		}
	}()
	start := time.Now()
	for j := range jobs {
		if j.err != nil {
			return "", j.err
		}
		progress(fmt.Sprintf("ingesting %s (%s, %s elapsed)", filepath.Base(j.paths[0]), j.sensor, time.Since(start).Round(time.Second)))
		res, err := ingest.Run(ctx, ingest.Config{DBPath: db, Sensor: j.sensor, TimeZone: "UTC", Locate: locate,
			CountryDB: countryDB, ASNDB: asnDB, Version: "benchstore", SkipVerify: true}, j.paths)
		if err != nil {
			return "", fmt.Errorf("benchstore: ingest: %w", err)
		}
		for _, fr := range res {
			if fr.Err != nil || !fr.Committed {
				return "", fmt.Errorf("benchstore: ingest %s: not committed: %v", fr.Path, fr.Err)
			}
		}
		for _, p := range j.paths {
			os.Remove(p)
			os.Remove(p + ".truth.json")
		}
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := os.WriteFile(marker, []byte(r.key()), 0o644); err != nil {
		return "", fmt.Errorf("benchstore: %w", err)
	}
	progress(fmt.Sprintf("built %s in %s", db, time.Since(start).Round(time.Second)))
	return db, nil
}

// writeChunk synthesizes chunk c of sensor si: its capture and, when the
// recipe has sessions, its Cowrie log.
func writeChunk(tmp string, r Recipe, si, c int) ([]string, error) {
	first := c * r.ChunkDays
	days := min(r.ChunkDays, r.Days-first)
	start := synth.DefaultStart.AddDate(0, 0, first)
	nets := []netip.Prefix{synth.DefaultSensorNet, synth.DefaultSensorNet2}
	seed := uint64(1000*(si+1) + c)
	cfg := synth.Config{Packets: r.PacketsPerDay * days, Days: days, Start: start, Seed: seed,
		SensorNet: nets[si%len(nets)], Pool: pool{}, Hostile: true}
	// Day 21: Mexico x10 at both sensors; from day 10 a rise of Brazil x3
	// for 5 days at the open sensor.
	if spike := 21; spike >= first && spike < first+days {
		cfg.Spikes = []synth.Spike{{Country: "MX", Day: spike - first, Factor: 10}}
	}
	if lo, hi := max(10, first), min(15, first+days); si == 0 && lo < hi {
		cfg.Rises = []synth.Rise{{Country: "BR", Day: lo - first, Days: hi - lo, Factor: 3}}
	}
	name := fmt.Sprintf("%s-%s.pcap", Sensors[si], start.Format("2006-01-02"))
	capPath := filepath.Join(tmp, name)
	if _, err := synth.WriteFile(capPath, cfg); err != nil {
		return nil, fmt.Errorf("benchstore: %w", err)
	}
	paths := []string{capPath}
	if r.SessionsDay > 0 {
		sensor := synth.SessionSensor{Name: Sensors[si], Net: cfg.SensorNet}
		if si == 1 {
			sensor.AllowCountries = []string{"JP"}
		}
		ss, _, err := synth.Sessions(synth.SessionOptions{Seed: seed, Start: start, Days: days, PerDay: r.SessionsDay,
			Sensors: []synth.SessionSensor{sensor}, Pool: pool{}, Hostile: true})
		if err != nil {
			return nil, fmt.Errorf("benchstore: %w", err)
		}
		logPath := filepath.Join(tmp, strings.TrimSuffix(name, ".pcap")+".cowrie.json")
		if err := synth.WriteCowrieFile(logPath, ss); err != nil {
			return nil, err
		}
		paths = append(paths, logPath)
	}
	return paths, nil
}

// pool draws sources from the built-in GeoIP table's country ranges.
type pool struct{}

func (pool) Countries() []string                          { return geo.DefaultCountries() }
func (pool) Addr(cc string, n uint64) (netip.Addr, bool)  { return geo.DefaultAddr(cc, n) }
func (pool) Addr6(cc string, n uint64) (netip.Addr, bool) { return geo.DefaultAddr6(cc, n) }

// Pool is the address pool the bench store's captures draw their sources
// from (the built-in GeoIP table's country ranges), for benchmarks that
// add traffic of the same kind to it.
func Pool() synth.AddrPool { return pool{} }
