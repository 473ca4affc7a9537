package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/synth"
)

func TestCheckSensor(t *testing.T) {
	for _, ok := range []string{"tokyo-open", "honey1", "osaka.2", "東京-1", "s_1:a@b+c", strings.Repeat("x", MaxSensorLen), strings.Repeat("東", MaxSensorLen)} {
		if err := CheckSensor(ok); err != nil {
			t.Errorf("CheckSensor(%q): %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"":                                  "empty",
		"a,b":                               `","`,
		"a b":                               "spaces",
		"a\tb":                              "control",
		"a\x00b":                            "control",
		"a\x1b[31mred":                      "control",
		"a\xffb":                            "UTF-8",
		"a/b":                               `'/'`,
		strings.Repeat("x", MaxSensorLen+1): "65 characters",
	} {
		err := CheckSensor(bad)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckSensor(%q) = %v, want an error saying %s", bad, err, want)
		}
	}
}

func TestDeriveSensor(t *testing.T) {
	long := strings.Repeat("a", 80)
	for _, tc := range []struct {
		path, name string
		note       bool
	}{
		{"captures/tokyo-open-2026-05-01.pcap.gz", "tokyo-open", false},
		{"tok,yo-2026-05-01.pcap", "tok-yo", true},
		{"a b,,c_20260501.pcap", "a-b-c", true},
		{"caf\xe9-2026-05-01.pcap", "caf", true}, // Latin-1 é: not UTF-8
		{"\x01\x02-2026-05-01.pcap", "default", true},
		{",,,_20260501.pcap", "default", true},
		{"東京 1-2026-05-01.pcap", "東京-1", true},
		{long + "-2026-05-01.pcap", long[:MaxSensorLen], true},
		{"capture.pcap", "default", false},
	} {
		name, note := DeriveSensor(tc.path)
		if name != tc.name || (note != "") != tc.note {
			t.Errorf("DeriveSensor(%q) = %q, %q; want %q, note %v", tc.path, name, note, tc.name, tc.note)
		}
		if err := CheckSensor(name); err != nil {
			t.Errorf("DeriveSensor(%q) gave an invalid name: %v", tc.path, err)
		}
		if got := SensorFromPath(tc.path); got != name {
			t.Errorf("SensorFromPath(%q) = %q, DeriveSensor %q", tc.path, got, name)
		}
		if tc.note && !utf8.ValidString(note) {
			t.Errorf("note %q is not UTF-8", note)
		}
	}
}

// TestRunSensorNames: Run refuses an invalid Config.Sensor before it opens
// the store, and a name derived from a file name is always valid.
func TestRunSensorNames(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "a,b c-2026-05-01.pcap")
	synthBytes(t, capPath, synth.Config{Packets: 2000, Days: 1, Seed: 4})
	db := filepath.Join(dir, "s.duckdb")
	if _, err := Run(context.Background(), Config{DBPath: db, Sensor: "x,y"}, []string{capPath}); err == nil || !strings.Contains(err.Error(), `","`) {
		t.Errorf("sensor x,y: %v", err)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a store was created for a refused sensor name")
	}
	res, err := Run(context.Background(), Config{DBPath: db}, []string{capPath})
	if err != nil || !res[0].Committed {
		t.Fatalf("%v %+v", err, res)
	}
	if res[0].Sensor != "a-b-c" || res[0].SensorNote == "" {
		t.Errorf("sensor %q, note %q", res[0].Sensor, res[0].SensorNote)
	}
}

// TestSensorNetFamilies: the packets --sensor-net did not count are
// counted by IP version, for cmd to warn about.
func TestSensorNetFamilies(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "s-2026-05-01.pcap")
	synthBytes(t, capPath, synth.Config{Packets: 20000, Days: 1, Seed: 9})
	all := func(r FileResult) uint64 { return r.ToSensor.Total() + r.NotToSensor.Total() }
	for i, tc := range []struct {
		nets     string
		to, away func(r FileResult) bool
	}{
		{"198.51.100.0/24", // nothing of the file
			func(r FileResult) bool { return r.ToSensor.Total() == 0 },
			func(r FileResult) bool { return r.NotToSensor.IPv4 > 0 && r.NotToSensor.IPv6 > 0 }},
		{"192.0.2.0/24", // IPv4 only: every IPv6 packet elsewhere
			func(r FileResult) bool { return r.ToSensor.IPv4 > 0 && r.ToSensor.IPv6 == 0 },
			func(r FileResult) bool { return r.NotToSensor.IPv4 == 0 && r.NotToSensor.IPv6 > 0 }},
		{"192.0.2.0/24,2001:db8:4e:100::/64", // the sensor's both networks
			func(r FileResult) bool { return r.ToSensor.IPv4 > 0 && r.ToSensor.IPv6 > 0 },
			func(r FileResult) bool { return r.NotToSensor.Total() == 0 }},
	} {
		nets, err := ParseNets([]string{tc.nets})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), Config{DBPath: filepath.Join(dir, fmt.Sprintf("s%d.duckdb", i)), SensorNets: nets}, []string{capPath})
		if err != nil || !res[0].Committed {
			t.Fatalf("%s: %v %+v", tc.nets, err, res)
		}
		r := res[0]
		if !tc.to(r) || !tc.away(r) || all(r) != r.Frames || r.ToSensor.Total() != r.Packets {
			t.Errorf("%s: to %+v, elsewhere %+v, packets %d of %d frames", tc.nets, r.ToSensor, r.NotToSensor, r.Packets, r.Frames)
		}
	}
}

// interruptingStore wraps the DuckDB store: its Commit cancels the run's
// context at the moment the commit runs, and, when landed is set, lets the
// commit complete first and reports the interruption afterwards (as DuckDB
// does when it is interrupted in the work that follows a commit).
type interruptingStore struct {
	store.Store
	cancel func()
	landed bool
}

func (s interruptingStore) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	if !s.landed {
		s.cancel()
		return s.Store.Commit(ctx, b)
	}
	id, err := s.Store.Commit(context.WithoutCancel(ctx), b)
	s.cancel()
	if err != nil {
		return id, err
	}
	return 0, fmt.Errorf("commit %s: INTERRUPT Error: Interrupted!: %w", b.Ingest.Path, ctx.Err())
}

// TestInterruptedCommit: a run interrupted while a file is committed says
// whether the file is in the store from what the store holds, not from
// the error the commit returned.
func TestInterruptedCommit(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "s-2026-05-01.pcap")
	synthBytes(t, capPath, synth.Config{Packets: 5000, Days: 1, Seed: 2})
	for _, tc := range []struct {
		name          string
		landed, force bool
		pre           bool // ingested once before
	}{
		{"landed", true, false, false},
		{"not landed", false, false, false},
		{"landed, forced over another path", true, true, true},
		{"not landed, forced", false, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "s.duckdb")
			path := capPath
			if tc.pre {
				// The same content under another name, ingested before.
				data, _ := os.ReadFile(capPath)
				path = filepath.Join(t.TempDir(), "s-2026-05-01.pcap")
				os.WriteFile(path, data, 0o644)
				if res, err := Run(context.Background(), Config{DBPath: db}, []string{capPath}); err != nil || !res[0].Committed {
					t.Fatalf("first ingest: %v %+v", err, res)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := Config{DBPath: db, Force: tc.force, Open: func(ctx context.Context, tz string) (store.Store, error) {
				st, err := duckstore.Open(ctx, db, duckstore.Options{TimeZone: tz})
				if err != nil {
					return nil, err
				}
				return interruptingStore{Store: st, cancel: cancel, landed: tc.landed}, nil
			}}
			res, err := Run(ctx, cfg, []string{path})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if r.Interrupted != InterruptedWriting || r.CommitUnknown {
				t.Errorf("interrupted %v, unknown %v", r.Interrupted, r.CommitUnknown)
			}
			if r.Committed != tc.landed {
				t.Errorf("Committed %v, the commit landed: %v (err %v)", r.Committed, tc.landed, r.Err)
			}
			if tc.landed != (r.Err == nil) || (r.Err != nil && !errors.Is(r.Err, context.Canceled)) {
				t.Errorf("err %v", r.Err)
			}
			_, n := storeTotals(t, db)
			wantN := 0
			if tc.landed || tc.pre {
				wantN = 1
			}
			if n != wantN {
				t.Errorf("%d ingests in the store, want %d", n, wantN)
			}
		})
	}
}

// TestInterruptedUnknown: with --force over the same path and content,
// the store holds the same either way and the result says so.
func TestInterruptedUnknown(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "s-2026-05-01.pcap")
	synthBytes(t, capPath, synth.Config{Packets: 3000, Days: 1, Seed: 2})
	db := filepath.Join(dir, "s.duckdb")
	if res, err := Run(context.Background(), Config{DBPath: db}, []string{capPath}); err != nil || !res[0].Committed {
		t.Fatalf("first ingest: %v %+v", err, res)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Run(ctx, Config{DBPath: db, Force: true, Open: func(ctx context.Context, tz string) (store.Store, error) {
		st, err := duckstore.Open(ctx, db, duckstore.Options{TimeZone: tz})
		if err != nil {
			return nil, err
		}
		return interruptingStore{Store: st, cancel: cancel, landed: true}, nil
	}}, []string{capPath})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Interrupted != InterruptedWriting || !r.CommitUnknown || r.Committed {
		t.Errorf("%+v", r)
	}
}

// TestInterruptedReading: a cancellation while files are read says so, per
// file, and nothing is written.
func TestInterruptedReading(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := 0; i < 3; i++ {
		p := filepath.Join(dir, fmt.Sprintf("s%d-2026-05-01.pcap", i))
		synthBytes(t, p, synth.Config{Packets: 300000, Days: 1, Seed: uint64(i)})
		files = append(files, p)
	}
	db := filepath.Join(dir, "s.duckdb")
	ctx, cancel := context.WithCancel(context.Background())
	var once bool
	res, err := Run(ctx, Config{DBPath: db, Workers: 1, Progress: func(_, frames int64) {
		if frames > 0 && !once {
			once = true
			cancel()
		}
	}}, files)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Interrupted != InterruptedReading || res[0].Committed || !errors.Is(res[0].Err, context.Canceled) {
		t.Errorf("first file: %+v", res[0])
	}
	for _, r := range res[1:] {
		if r.Interrupted != InterruptedQueued || r.Committed {
			t.Errorf("%s: %+v", r.Path, r)
		}
	}
	if _, n := storeTotals(t, db); n != 0 {
		t.Errorf("%d ingests stored", n)
	}
}

// TestRunRefusesDamagedStore damages a data block of a store file that an
// ingest would not read (only a later query does): the ingest refuses with
// ErrDamaged and writes nothing, so the file is as it was and, the block
// repaired, holds everything it held.
func TestRunRefusesDamagedStore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	first := filepath.Join(dir, "a-2026-05-01.pcap")
	synthBytes(t, first, synth.Config{Packets: 300000, Days: 3, Seed: 11})
	second := filepath.Join(dir, "b-2026-06-01.pcap")
	synthBytes(t, second, synth.Config{Packets: 2000, Days: 1, Seed: 12, Start: synth.DefaultStart.AddDate(0, 1, 0)})
	if res, err := Run(context.Background(), Config{DBPath: db}, []string{first}); err != nil || !res[0].Committed {
		t.Fatalf("first ingest: %v %+v", err, res)
	}
	wantPackets, wantIngests := storeTotals(t, db)
	orig, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	// Damage a block holding hit_counts data, which an ingest does not read
	// (only a later query does). Chosen from the storage information
	// rather than by trying blocks: DuckDB can crash on damage elsewhere.
	at := segmentOffset(t, db, "hit_counts", "port")
	damaged := bytes.Clone(orig)
	for i := at + 100; i < at+116; i++ {
		damaged[i] ^= 0xff
	}
	if err := os.WriteFile(db, damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	if !quietOnOpen(db) || readsBack(db) {
		t.Fatalf("damage at %d: opens %v, reads back %v; want a store that opens and does not read back", at, quietOnOpen(db), readsBack(db))
	}
	res, err := Run(context.Background(), Config{DBPath: db}, []string{second})
	if !errors.Is(err, ErrDamaged) || !errors.Is(err, duckstore.ErrCorrupt) || !strings.Contains(err.Error(), db) {
		t.Fatalf("ingest into a store damaged at %d: %v %+v, want ErrDamaged naming the store", at, err, res)
	}
	after, _ := os.ReadFile(db)
	if !bytes.Equal(after, damaged) {
		t.Error("the refused ingest changed the store file")
	}
	if _, err := os.Stat(db + ".wal"); err == nil {
		t.Error("the refused ingest left a WAL")
	}
	// Repaired, the store holds what it held.
	if err := os.WriteFile(db, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if p, n := storeTotals(t, db); p != wantPackets || n != wantIngests {
		t.Errorf("after repair: %d packets in %d ingests, want %d in %d", p, n, wantPackets, wantIngests)
	}
}

// segmentOffset returns the file offset of the first stored segment of a
// column of table in the store at db (DuckDB 1.x: three 4 KiB headers,
// then blocks of block_size bytes).
func segmentOffset(t *testing.T, db, table, column string) int {
	t.Helper()
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var id, off, size int64
	if err := st.DB().QueryRow(`SELECT block_size FROM pragma_database_size()`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().QueryRow(`SELECT block_id, block_offset FROM pragma_storage_info('`+table+`')
		WHERE block_id >= 0 AND column_name = ? ORDER BY block_id, block_offset LIMIT 1`, column).Scan(&id, &off); err != nil {
		t.Fatal(err)
	}
	return 3*4096 + int(id*size+off)
}

// quietOnOpen reports whether a store opens and gives its ingest log, as
// an ingest needs before it writes.
func quietOnOpen(db string) bool {
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		return false
	}
	defer st.Close()
	_, err = st.KnownSizes(context.Background())
	return err == nil
}

// readsBack reports whether every row of hit_counts and sources reads back.
func readsBack(db string) bool {
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		return false
	}
	defer st.Close()
	for _, q := range []string{`SELECT * FROM hit_counts`, `SELECT * FROM sources`} {
		rows, err := st.DB().Query(q)
		if err != nil {
			return false
		}
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return false
		}
	}
	return true
}
