package duckstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"github.com/honeyscope/honeyscope/internal/store"
	"strings"
	"sync"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/honeyscope/honeyscope/internal/aggregate"
)

// Commit writes a batch in one transaction and returns its ingest id.
func (s *Store) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	return store.CommitBatch(ctx, b, func(ctx context.Context) (store.Tx, error) { return s.begin(ctx) })
}

// Tx is one capture's contribution being written: rows are appended in
// parts (a large capture is counted and written in several parts so that
// memory stays bounded), and Finish makes them visible all at once. Until
// Finish, nothing of it is visible to other connections, and a crash or Abort
// leaves the store as it was. A Tx holds the store's write lock for its
// lifetime (write_lock.go): a second Begin waits until this Tx has
// finished or aborted. Its methods may be called from several goroutines.
type Tx struct {
	s       *Store
	conn    *sql.Conn
	id      int32
	nextSid uint32
	mu      sync.Mutex
	done    bool
	// sensor and days: the (sensor, day) pairs the Tx's rows cover, whose
	// rollups Finish rebuilds. Every part of a Tx is of one sensor.
	sensor   string
	appended bool
	days     map[time.Time]bool
	// goDays: days whose rollups the Tx writes from its parts in Go;
	// sqlDays: days other ingests cover, counted by SQL at Finish
	// (rollup_go.go). goState: bytes of state kept in goDays.
	goDays  map[aggregate.Day]*goDay
	sqlDays map[aggregate.Day]bool
	goState int
	// goBase: the carried states goDays adopted (rollup_carry.go); keep:
	// hand goDays to the Store at commit (Continues).
	goBase map[aggregate.Day]*carried
	keep   bool
	// placeIDs numbers the (country, AS) pairs goDays counted sources in
	// (shared with the carried states it adopts and leaves).
	placeIDs *placeNumbers
	places   *placeCodes // places as this Tx sees them (read before its first part)
	// peaks: the port peaks of goDays, picked in Go (rollup_peaks_go.go).
	peaks goPeaks
}

// Begin starts a capture's transaction.
func (s *Store) Begin(ctx context.Context) (store.Tx, error) {
	t, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Store) begin(ctx context.Context) (*Tx, error) {
	if s.readOnly {
		return nil, errors.New("store opened read-only")
	}
	if err := s.lockWrites(ctx); err != nil {
		return nil, err
	}
	c, err := s.db.Conn(ctx)
	if err != nil {
		s.unlockWrites()
		return nil, err
	}
	t := &Tx{s: s, conn: c}
	err = t.raw(ctx, func(conn *duckdb.Conn) error {
		if s.threads > 0 {
			if err := execConn(ctx, conn, fmt.Sprintf("SET threads = %d", s.threads)); err != nil {
				return err
			}
		}
		if s.memory > 0 {
			if err := execConn(ctx, conn, fmt.Sprintf("SET memory_limit = '%dMiB'", s.memory>>20)); err != nil {
				return err
			}
		}
		if err := execConn(ctx, conn, "BEGIN TRANSACTION"); err != nil {
			return err
		}
		id, err := queryInt(ctx, conn, `SELECT nextval('ingest_ids')`)
		t.id = int32(id)
		return err
	})
	if err != nil {
		t.resetThreads()
		c.Close()
		s.unlockWrites()
		return nil, err
	}
	return t, nil
}

// ID is the ingest id the capture's rows carry.
func (t *Tx) ID() int32 { return t.id }

func (t *Tx) raw(ctx context.Context, f func(conn *duckdb.Conn) error) error {
	return t.conn.Raw(func(x any) error {
		conn, ok := x.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", x)
		}
		return f(conn)
	})
}

func execConn(ctx context.Context, conn *duckdb.Conn, q string, args ...any) error {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	_, err := conn.ExecContext(ctx, q, nv)
	return err
}

// Abort discards everything the Tx wrote.
func (t *Tx) Abort() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return nil
	}
	t.done = true
	err := t.raw(context.Background(), func(conn *duckdb.Conn) error {
		return execConn(context.Background(), conn, "ROLLBACK")
	})
	return errors.Join(err, t.end())
}

// end releases what a Tx held once it has committed or rolled back: the
// connection's settings, the connection and the store's write lock.
func (t *Tx) end() error {
	err := errors.Join(t.resetThreads(), t.conn.Close())
	t.s.unlockWrites()
	return err
}

// Finish records the ingest and commits. With replace, earlier ingests of
// the same content (and those in.Supersedes names) are deleted in the same
// transaction; without it, an earlier ingest of the same content aborts
// the Tx with store.ErrDuplicate. An in.BatchID recorded before aborts it
// with store.ErrDuplicate whatever replace says.
func (t *Tx) Finish(ctx context.Context, in store.Ingest, replace bool, sensor store.Sensor) error {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return errors.New("transaction already finished")
	}
	err := t.raw(ctx, func(conn *duckdb.Conn) error {
		exec := func(q string, args ...any) error { return execConn(ctx, conn, q, args...) }
		if err := checkIngestBatch(ctx, conn, t.id, &in); err != nil {
			return err
		}
		n, err := queryInt(ctx, conn, `SELECT count(*) FROM ingests WHERE hash = ?`, in.Hash)
		if err != nil {
			return err
		}
		if n > 0 && !replace {
			return store.ErrDuplicate
		}
		run := connRunner{ctx, conn}
		scope := dayScope{}
		replaced := false
		for d := range t.days {
			scope.add(t.sensor, d)
		}
		if replace {
			// Earlier ingests of the same content, or of the same file
			// when it was still being written, are replaced.
			hashes := append([]any{in.Hash}, anySlice(in.Supersedes)...)
			earlier := `SELECT id FROM ingests WHERE hash IN (?` + strings.Repeat(", ?", len(hashes)-1) + `)`
			old, err := scopeOf(run, ` WHERE ingest_id IN (`+earlier+`)`, hashes...)
			if err != nil {
				return err
			}
			replaced = len(old) > 0
			for sensor, days := range old {
				for d := range days {
					scope.add(sensor, d)
				}
			}
			for _, tb := range append([]string{"source_rows", "hit_counts", "exploits", "hourly"}, evidenceTables...) {
				if err := exec(`DELETE FROM `+tb+` WHERE ingest_id IN (`+earlier+`)`, hashes...); err != nil {
					return err
				}
			}
			if err := exec(`DELETE FROM ingests WHERE id IN (`+earlier+`)`, hashes...); err != nil {
				return err
			}
		}
		var first, last any
		if !in.First.IsZero() {
			first, last = in.First.UTC(), in.Last.UTC()
		}
		var errMsg, errOff any
		if in.Error != "" {
			errMsg, errOff = in.Error, in.ErrorOffset
		}
		if err := exec(`INSERT INTO ingests (id, path, hash, size, sensor, format, frames, packets, outbound, undecodable,
				first_ts, last_ts, error, error_offset, ingested_at, duration_ms, country_db, asn_db, version, detection,
				kernel_drops, queue_drops, rule_set, not_decoded, undated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.id, in.Path, in.Hash, in.Size, in.Sensor, in.Format, int64(in.Frames), int64(in.Packets),
			int64(in.Outbound), int64(in.Undecodable), first, last, errMsg, errOff,
			time.Now().UTC(), in.Duration.Milliseconds(), in.CountryDB, in.ASNDB, in.Version, in.Detection,
			in.KernelDrops, in.QueueDrops, ruleSetValue(in.RuleSet), notDecodedValue(in.NotDecoded), in.Undated); err != nil {
			return err
		}
		if sensor.Name != "" {
			if err := exec(`INSERT OR REPLACE INTO sensors VALUES (?, ?, ?)`, sensor.Name, sensor.Nets, sensor.Addresses); err != nil {
				return err
			}
		}
		if replaced {
			// Rows went: recount every (sensor, day) they or the new rows cover.
			if err := refreshRollups(run, scope, false); err != nil {
				return err
			}
			if err := recountPortBlocks(run, scope); err != nil {
				return err
			}
		} else {
			if err := t.finishRollups(run); err != nil {
				return err
			}
			if err := t.compactAdopted(run); err != nil {
				return err
			}
			if err := t.addPortBlocks(run); err != nil {
				return err
			}
		}
		if err := t.writePortPeaks(ctx, run, scope, replaced); err != nil {
			return err
		}
		if err := markScope(run, scope); err != nil {
			return err
		}
		return exec("COMMIT")
	})
	t.mu.Unlock()
	if err != nil {
		t.Abort()
		return err
	}
	t.mu.Lock()
	t.done = true
	if t.keep && !replace {
		t.keepState()
	}
	t.mu.Unlock()
	return t.end()
}

// resetThreads gives DuckDB back its default number of threads and memory
// limit after a Tx that set them (Options.WriteThreads, WriteMemory).
func (t *Tx) resetThreads() error {
	if t.s.threads <= 0 && t.s.memory <= 0 {
		return nil
	}
	return t.raw(context.Background(), func(conn *duckdb.Conn) error {
		if t.s.memory > 0 {
			if err := execConn(context.Background(), conn, "RESET memory_limit"); err != nil {
				return err
			}
		}
		if t.s.threads <= 0 {
			return nil
		}
		return execConn(context.Background(), conn, "RESET threads")
	})
}

// Append writes one part of the capture's facts. Source indexes in r are
// local to r; the Tx renumbers them so that parts do not collide.
func (t *Tx) Append(ctx context.Context, r *aggregate.Result, places []store.Place, sensor string, pattern func(int) string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("transaction already finished")
	}
	if len(places) != len(r.Sources) {
		return fmt.Errorf("internal: %d places for %d sources", len(places), len(r.Sources))
	}
	if err := r.CheckHitClasses(); err != nil {
		return fmt.Errorf("internal: %w", err)
	}
	if t.appended && sensor != t.sensor {
		return fmt.Errorf("parts of one capture name two sensors (%q, %q)", t.sensor, sensor)
	}
	t.sensor, t.appended = sensor, true
	if t.days == nil {
		t.days = map[time.Time]bool{}
	}
	for i := range r.Sources {
		t.days[r.Sources[i].Day.Time().UTC()] = true
	}
	base := t.nextSid
	t.nextSid += uint32(len(r.Sources))
	keys := make([]uint64, len(r.Sources))
	for i := range r.Sources {
		keys[i] = SourceKey(r.Sources[i].Addr)
	}
	return t.raw(ctx, func(conn *duckdb.Conn) error {
		plan, err := t.planGoRollups(ctx, conn, r, places, keys)
		if err != nil {
			return err
		}
		if t.places == nil {
			if t.places, err = loadPlaces(ctx, conn); err != nil {
				return err
			}
		}
		if err := appendResult(ctx, conn, t.places, t.id, base, r, places, keys, sensor, pattern); err != nil {
			return err
		}
		exec := func(q string, a ...any) error { return execConn(ctx, conn, q, a...) }
		return t.writeGoRollups(ctx, exec, r, places, keys, sensor, plan)
	})
}

func queryInt(ctx context.Context, conn *duckdb.Conn, q string, args ...any) (int64, error) {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	rows, err := conn.QueryContext(ctx, q, nv)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		return 0, err
	}
	switch v := dest[0].(type) {
	case int64:
		return v, nil
	case int32:
		return int64(v), nil
	case nil:
		return 0, nil
	}
	return 0, fmt.Errorf("unexpected %T", dest[0])
}

func appendResult(ctx context.Context, conn *duckdb.Conn, pc *placeCodes, id int32, base uint32, r *aggregate.Result, places []store.Place, keys []uint64, sensor string, pattern func(int) string) error {
	exec := func(q string, args ...any) error { return execConn(ctx, conn, q, args...) }
	codes, err := pc.codes(ctx, exec, places)
	if err != nil {
		return err
	}
	if err := insertSources(ctx, exec, id, base, r, codes, places, keys, sensor); err != nil {
		return err
	}
	bexec := func(q string, a ...any) error { return exec(q, a...) }
	hitCols, err := colInfos("sid", duckdb.TYPE_UINTEGER, "day", duckdb.TYPE_INTEGER, "proto", duckdb.TYPE_UTINYINT,
		"port", duckdb.TYPE_USMALLINT, "classes", duckdb.TYPE_UTINYINT, "packets", duckdb.TYPE_UBIGINT, "skey", duckdb.TYPE_UBIGINT)
	if err != nil {
		return err
	}
	hitSel := fmt.Sprintf("%d, sid, DATE '1970-01-01' + day, proto, port, classes, packets, skey", id)
	err = bulkInsertAs(ctx, bexec, "hit_counts", hitSel, hitCols, len(r.Hits), func(c duckdb.DataChunk, row, i int) error {
		h := &r.Hits[i]
		if err := duckdb.SetChunkValue(c, 0, row, base+h.Source); err != nil {
			return err
		}
		duckdb.SetChunkValue(c, 1, row, int32(r.Sources[h.Source].Day))
		duckdb.SetChunkValue(c, 2, row, h.Proto)
		duckdb.SetChunkValue(c, 3, row, h.Port)
		duckdb.SetChunkValue(c, 4, row, uint8(h.Tags))
		duckdb.SetChunkValue(c, 5, row, h.Packets)
		return duckdb.SetChunkValue(c, 6, row, keys[h.Source])
	})
	if err != nil {
		return err
	}
	err = appendRows(conn, "exploits", len(r.Exploits), func(i int) []driver.Value {
		e := &r.Exploits[i]
		pl := &places[e.Source]
		name := fmt.Sprint(e.Pattern)
		if pattern != nil {
			name = pattern(e.Pattern)
		}
		return []driver.Value{id, r.Sources[e.Source].Day.Time(), sensor, r.Sources[e.Source].Addr.String(), pl.Country, pl.ASN, e.Proto, e.Port, name, e.Packets}
	})
	if err != nil {
		return err
	}
	return appendRows(conn, "hourly", len(r.Hourly), func(i int) []driver.Value {
		h := &r.Hourly[i]
		return []driver.Value{id, time.Unix(h.Hour, 0).UTC(), sensor, h.Proto, uint8(h.Tags), h.Packets, h.Bytes}
	})
}

func appendRows(conn *duckdb.Conn, table string, n int, row func(i int) []driver.Value) error {
	if n == 0 {
		return nil
	}
	a, err := duckdb.NewAppenderFromConn(conn, "", table)
	if err != nil {
		return fmt.Errorf("append %s: %w", table, err)
	}
	for i := 0; i < n; i++ {
		if err := a.AppendRow(row(i)...); err != nil {
			a.Close()
			return fmt.Errorf("append %s: %w", table, err)
		}
	}
	if err := a.Close(); err != nil {
		return fmt.Errorf("append %s: %w", table, err)
	}
	return nil
}

// KnownSizes returns earlier ingests by file size, so a caller can hash only
// files whose size matches one already stored.
func (s *Store) KnownSizes(ctx context.Context) (map[int64][]store.KnownIngest, error) {
	// Live capture intervals and honeypot batches are not files: leave
	// them out (there are thousands a day, all of size 0).
	rows, err := s.db.QueryContext(ctx, `SELECT size, path, hash FROM ingests WHERE format NOT IN ('live', 'honeypot')`)
	if err != nil {
		return nil, fmt.Errorf("read ingest log: %w", err)
	}
	defer rows.Close()
	out := make(map[int64][]store.KnownIngest)
	for rows.Next() {
		var size int64
		var k store.KnownIngest
		if err := rows.Scan(&size, &k.Path, &k.Hash); err != nil {
			return nil, err
		}
		k.Size = size
		out[size] = append(out[size], k)
	}
	return out, rows.Err()
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

var _ store.Store = (*Store)(nil)

// notDecodedValue is NULL for an ingest whose frames were all of link types
// the decoder reads.
func notDecodedValue(s string) any {
	if s == "" {
		return nil
	}
	return s
}
