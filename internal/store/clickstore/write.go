package clickstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/store"
)

// visible is the set of committed, not replaced ingest ids: every read of
// a fact table keeps `ingest_id IN (visible)`.
func (s *Store) visible() string {
	return `(SELECT id FROM ` + s.db + `.ingests WHERE id NOT IN (SELECT arrayJoin(replaces) FROM ` + s.db + `.ingests))`
}

// Commit writes a batch through one Tx and returns its ingest id.
func (s *Store) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	return store.CommitBatch(ctx, b, s.Begin)
}

// Tx is one capture's contribution being written. Its rows are inserted
// as Append is called, tagged with its ingest id, and stay invisible to
// readers until Finish records the ingest. Its methods may be called from
// several goroutines.
type Tx struct {
	s      *Store
	id     int32
	mu     sync.Mutex
	done   bool
	sensor string
	parts  bool
}

// Begin claims a new ingest id and starts a capture's Tx. Ids are claimed
// by inserting a row into ingest_claims: of several writers claiming the
// same id at once, the first claim (by time, then token) wins and the
// others claim the next.
func (s *Store) Begin(ctx context.Context) (store.Tx, error) {
	if s.readOnly {
		return nil, errors.New("store opened read-only")
	}
	var tok [16]byte
	rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	for range 100 {
		var top int32
		if err := s.conn.QueryRow(ctx, `SELECT toInt32(max(id)) FROM `+s.db+`.ingest_claims`).Scan(&top); err != nil {
			return nil, fmt.Errorf("claim an ingest id: %w", err)
		}
		id := top + 1
		if err := s.insertRows(ctx, `INSERT INTO `+s.db+`.ingest_claims (id, token, at, aborted)`, []any{id, token, time.Now().UTC(), uint8(0)}); err != nil {
			return nil, fmt.Errorf("claim an ingest id: %w", err)
		}
		var winner string
		if err := s.conn.QueryRow(ctx, `SELECT token FROM `+s.db+`.ingest_claims WHERE id = ? ORDER BY at, token LIMIT 1`, id).Scan(&winner); err != nil {
			return nil, fmt.Errorf("claim an ingest id: %w", err)
		}
		if winner == token {
			return &Tx{s: s, id: id}, nil
		}
	}
	return nil, errors.New("claim an ingest id: too many concurrent writers")
}

// ID is the ingest id the capture's rows carry.
func (t *Tx) ID() int32 { return t.id }

// Append inserts one part of the capture's rows (invisible until Finish).
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
	if t.parts && sensor != t.sensor {
		return fmt.Errorf("parts of one capture name two sensors (%q, %q)", t.sensor, sensor)
	}
	t.sensor, t.parts = sensor, true
	db := t.s.db
	srcText := make([]string, len(r.Sources))
	days := make([]time.Time, len(r.Sources))
	for i := range r.Sources {
		srcText[i] = r.Sources[i].Addr.Unmap().String()
		days[i] = r.Sources[i].Day.Time()
	}
	err := t.s.insert(ctx, `INSERT INTO `+db+`.sources (ingest_id, day, sensor, src, country, asn, as_org, special,
		packets, bytes, classes, first_ns, last_ns, src_port, tcpudp)`, len(r.Sources), func(i int) []any {
		sd, pl := &r.Sources[i], &places[i]
		port := int32(-1)
		if sd.PortState == 1 {
			port = int32(sd.SrcPort)
		}
		tcpudp := uint8(0)
		if sd.PortState != 0 {
			tcpudp = 1
		}
		return []any{t.id, days[i], sensor, srcText[i], pl.Country, pl.ASN, pl.Org, pl.Special,
			sd.Packets, sd.Bytes, uint8(sd.Tags), sd.First, sd.Last, port, tcpudp}
	})
	if err != nil {
		return err
	}
	err = t.s.insert(ctx, `INSERT INTO `+db+`.hits (ingest_id, day, sensor, src, country, asn, proto, port, classes, packets)`,
		len(r.Hits), func(i int) []any {
			h := &r.Hits[i]
			pl := &places[h.Source]
			return []any{t.id, days[h.Source], sensor, srcText[h.Source], pl.Country, pl.ASN, h.Proto, h.Port, uint8(h.Tags), h.Packets}
		})
	if err != nil {
		return err
	}
	err = t.s.insert(ctx, `INSERT INTO `+db+`.exploits (ingest_id, day, sensor, src, country, asn, proto, port, pattern, packets)`,
		len(r.Exploits), func(i int) []any {
			e := &r.Exploits[i]
			pl := &places[e.Source]
			name := fmt.Sprint(e.Pattern)
			if pattern != nil {
				name = pattern(e.Pattern)
			}
			return []any{t.id, days[e.Source], sensor, srcText[e.Source], pl.Country, pl.ASN, e.Proto, e.Port, name, e.Packets}
		})
	if err != nil {
		return err
	}
	return t.s.insert(ctx, `INSERT INTO `+db+`.hourly (ingest_id, hour, sensor, proto, classes, packets, bytes)`,
		len(r.Hourly), func(i int) []any {
			h := &r.Hourly[i]
			return []any{t.id, time.Unix(h.Hour, 0).UTC(), sensor, h.Proto, uint8(h.Tags), h.Packets, h.Bytes}
		})
}

// insertBlock is how many rows go in one INSERT block.
const insertBlock = 1 << 18

// insert sends n rows in blocks of insertBlock rows.
func (s *Store) insert(ctx context.Context, q string, n int, row func(i int) []any) error {
	for lo := 0; lo < n; lo += insertBlock {
		b, err := s.conn.PrepareBatch(ctx, q)
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		for i := lo; i < min(n, lo+insertBlock); i++ {
			if err := b.Append(row(i)...); err != nil {
				b.Abort()
				return fmt.Errorf("insert: %w", err)
			}
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
	}
	return nil
}

// Abort marks the Tx's id aborted; its rows stay invisible, and Cleanup
// deletes them.
func (t *Tx) Abort() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return nil
	}
	t.done = true
	return t.s.insertRows(context.Background(), `INSERT INTO `+t.s.db+`.ingest_claims (id, token, at, aborted)`, []any{t.id, "", time.Now().UTC(), uint8(1)})
}

// Finish records the ingest: its one row in ingests makes every row of the
// Tx visible at once. With replace, the row retires the earlier ingests of
// the same content (and those in.Supersedes names); without it, an earlier
// ingest of the same content aborts the Tx with store.ErrDuplicate.
//
// Two writers finishing the same content at the same moment may both
// commit it (ClickHouse cannot check and insert atomically); a later
// --force keeps one.
func (t *Tx) Finish(ctx context.Context, in store.Ingest, replace bool, sensor store.Sensor) error {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return errors.New("transaction already finished")
	}
	err := t.finish(ctx, in, replace, sensor)
	if err == nil {
		t.done = true
	}
	t.mu.Unlock()
	if err != nil {
		t.Abort()
	}
	return err
}

func (t *Tx) finish(ctx context.Context, in store.Ingest, replace bool, sensor store.Sensor) error {
	s := t.s
	if err := t.recordBatch(ctx, in.BatchID); err != nil {
		return err
	}
	hashes := append([]string{in.Hash}, in.Supersedes...)
	args := make([]any, len(hashes))
	for i, h := range hashes {
		args[i] = h
	}
	var old []int32
	rows, err := s.conn.Query(ctx, `SELECT id, hash FROM `+s.db+`.ingests WHERE id IN `+s.visible()+
		` AND hash IN (`+placeholders(len(args))+`)`, args...)
	if err != nil {
		return fmt.Errorf("look for earlier ingests: %w", err)
	}
	dup := false
	for rows.Next() {
		var id int32
		var h string
		if err := rows.Scan(&id, &h); err != nil {
			rows.Close()
			return err
		}
		dup = dup || h == in.Hash
		old = append(old, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if dup && !replace {
		return store.ErrDuplicate
	}
	if !replace {
		old = nil
	}
	if old == nil {
		old = []int32{}
	}
	if sensor.Name != "" {
		if err := s.insertRows(ctx, `INSERT INTO `+s.db+`.sensors (name, nets, addresses, at)`,
			[]any{sensor.Name, sensor.Nets, sensor.Addresses, time.Now().UTC()}); err != nil {
			return fmt.Errorf("record sensor: %w", err)
		}
	}
	var first, last int64
	if !in.First.IsZero() {
		first, last = in.First.UnixNano(), in.Last.UnixNano()
	}
	off := in.ErrorOffset
	if in.Error == "" {
		off = -1
	}
	b, err := s.conn.PrepareBatch(ctx, `INSERT INTO `+s.db+`.ingests (id, replaces, path, hash, size, sensor, format,
		frames, packets, outbound, undecodable, first_ns, last_ns, error, error_offset, ingested_at, duration_ms,
		country_db, asn_db, version, detection, rule_set, kernel_drops, queue_drops)`)
	if err != nil {
		return fmt.Errorf("record ingest: %w", err)
	}
	if err := b.Append(t.id, old, in.Path, in.Hash, in.Size, in.Sensor, in.Format, in.Frames, in.Packets, in.Outbound,
		in.Undecodable, first, last, in.Error, off, time.Now().UTC(), in.Duration.Milliseconds(), in.CountryDB, in.ASNDB,
		in.Version, in.Detection, in.RuleSet, in.KernelDrops, in.QueueDrops); err != nil {
		b.Abort()
		return fmt.Errorf("record ingest: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("record ingest: %w", err)
	}
	return nil
}

// maxBatchID bounds a transport batch id, as the DuckDB store does.
const maxBatchID = 256

// recordBatch refuses a transport batch applied before (store.ErrDuplicate)
// and records it as the Tx's: a row of ingest_batches that counts once the
// Tx's ingest row is committed (a Finish cut short between the two leaves a
// row that never counts, and the batch is applied when delivered again).
func (t *Tx) recordBatch(ctx context.Context, id string) error {
	if id == "" || !t.s.has(4) {
		return nil
	}
	if len(id) > maxBatchID {
		return fmt.Errorf("batch id of %d bytes (the limit is %d)", len(id), maxBatchID)
	}
	s := t.s
	var n uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM `+s.db+`.ingest_batches WHERE id = ? AND ingest_id IN (SELECT id FROM `+s.db+`.ingests)`,
		id).Scan(&n); err != nil {
		return fmt.Errorf("look for batch %s: %w", id, err)
	}
	if n > 0 {
		return store.ErrDuplicate
	}
	if err := s.insertRows(ctx, `INSERT INTO `+s.db+`.ingest_batches (id, ingest_id, at)`, []any{id, t.id, time.Now().UTC()}); err != nil {
		return fmt.Errorf("record batch %s: %w", id, err)
	}
	return nil
}

// KnownSizes returns earlier (visible) ingests of files by size.
func (s *Store) KnownSizes(ctx context.Context) (map[int64][]store.KnownIngest, error) {
	rows, err := s.conn.Query(ctx, `SELECT size, path, hash FROM `+s.db+`.ingests WHERE id IN `+s.visible()+
		` AND format NOT IN ('live', 'honeypot')`)
	if err != nil {
		return nil, fmt.Errorf("read ingest log: %w", err)
	}
	defer rows.Close()
	out := map[int64][]store.KnownIngest{}
	for rows.Next() {
		var k store.KnownIngest
		if err := rows.Scan(&k.Size, &k.Path, &k.Hash); err != nil {
			return nil, err
		}
		out[k.Size] = append(out[k.Size], k)
	}
	return out, rows.Err()
}

// Cleanup deletes the rows no read can see: those of replaced ingests, of
// aborted Txs, and of Txs begun more than olderThan ago that never
// finished (crashed writers; olderThan must exceed the longest ingest).
// It runs ALTER TABLE … DELETE mutations, which ClickHouse applies in the
// background.
func (s *Store) Cleanup(ctx context.Context, olderThan time.Duration) error {
	if s.readOnly {
		return errors.New("store opened read-only")
	}
	cut := time.Now().Add(-olderThan).UTC()
	dead := `ingest_id NOT IN ` + s.visible() + ` AND (ingest_id IN (SELECT arrayJoin(replaces) FROM ` + s.db + `.ingests)
		OR ingest_id IN (SELECT id FROM ` + s.db + `.ingest_claims GROUP BY id HAVING max(aborted) = 1 OR min(at) < toDateTime(?)))`
	for _, tb := range factTables {
		q := `ALTER TABLE ` + s.db + `.` + tb + ` DELETE WHERE ` + dead
		if err := s.conn.Exec(ctx, q, cut.Format("2006-01-02 15:04:05")); err != nil {
			return fmt.Errorf("cleanup %s: %w", tb, err)
		}
	}
	return s.cleanupBackfills(ctx, cut)
}

func unsupported(method string) error {
	return fmt.Errorf("clickstore: %s: %w", method, store.ErrUnsupported)
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	b := make([]byte, 0, 3*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// insertRows inserts a few rows in one block (never with Exec: the native
// protocol sends an INSERT's rows as a data block).
func (s *Store) insertRows(ctx context.Context, q string, rows ...[]any) error {
	return s.insert(ctx, q, len(rows), func(i int) []any { return rows[i] })
}
