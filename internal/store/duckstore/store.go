// Package store keeps honeyscope's facts in an embedded DuckDB database file.
//
// Shape (see docs/store.md): every row carries the ingest it came from, so a
// capture's contribution can be replaced or removed as a unit, and several
// captures covering the same day simply add up at query time. A capture is
// committed in one transaction: either all of its rows are there or none.
//
// Concurrency: DuckDB lets one process open a file for writing, and then no
// other process may open it at all. honeyscope therefore keeps write sessions
// short: ingest aggregates captures in memory without the database and opens it
// only to commit; readers open it read-only per command. Whoever finds the file
// locked retries with back-off for a while (Options.LockTimeout) before
// giving up with a clear message.
package duckstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/honeyscope/honeyscope/internal/store"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/honeyscope/honeyscope/internal/classify"
)

// SchemaVersion is the version of the schema this build writes: the number
// of its last migration (migrate.go).
const SchemaVersion = 20

// Options configure how a store is opened.
type Options struct {
	ReadOnly    bool
	LockTimeout time.Duration // how long to retry while another process holds the file (default 30s)
	// TimeZone is the zone days are computed in. It is fixed when the store is
	// created; opening an existing store with a different zone is an error.
	// Empty means "whatever the store has" (UTC for a new store).
	TimeZone string
	// Waiting, when set, is called once if the file is locked by another
	// process and Open starts to wait for it.
	Waiting func()
	// MustExist refuses to create a store: for commands that change a
	// store but make no sense on a new one (geo reassign).
	MustExist bool
	// Migrating, when set, is called before each migration step that
	// upgrades an existing store's schema (from and to are schema
	// versions, name says what the step does), so a command can tell the
	// user why opening takes a while. Not called when a store is created.
	Migrating func(from, to int, name string)
	// WriteThreads, when above 0, is the number of threads DuckDB uses
	// while a capture's transaction (Begin ... Finish) is open: the
	// setting is the whole database's, so reads running meanwhile get it
	// too. One thread suits a bulk load on a small machine: DuckDB's
	// workers cost more CPU waiting for the insert's tasks than they take
	// off it (BENCHMARKS.md, "Ingest at darknet scale"). 0 leaves DuckDB's
	// default (one thread per CPU).
	WriteThreads int
	// WriteMemory, when above 0, is DuckDB's memory limit in bytes while a
	// capture's transaction is open (like WriteThreads, the whole
	// database's). DuckDB's default is 80% of the machine's memory, and a
	// large bulk load keeps what it wrote cached up to it: with a limit it
	// writes its blocks out instead, and the ingest's peak memory stays
	// bounded (BENCHMARKS.md, "Ingest at darknet scale"). 0 leaves
	// DuckDB's default.
	WriteMemory int64

	migrateTo int // tests: stop migrating at this version (0 = SchemaVersion)
}

func (o Options) target() int {
	if o.migrateTo != 0 {
		return o.migrateTo
	}
	return SchemaVersion
}

// DefaultWaiting is used by Open when Options.Waiting is nil: it says on
// stderr that the store is busy. Set it to nil to wait silently.
var DefaultWaiting = func() {
	fmt.Fprintln(os.Stderr, "the store is in use by another process (an ingest committing?); waiting…")
}

// Store is an open database.
type Store struct {
	db       *sql.DB
	connr    *duckdb.Connector
	path     string
	readOnly bool
	threads  int   // Options.WriteThreads
	carry    carry // rollup states left by commits for the next (rollup_carry.go)
	memory   int64 // Options.WriteMemory
	loc      *time.Location
	tz       string
	// rawReads makes the read methods answer from the source-level tables
	// (hits, sources, port_hits) instead of the rollups: the tests compare
	// both.
	rawReads bool
	// log receives each read question's duration (SetLog; nil: none).
	log *slog.Logger
	// wlock is held by the one write transaction in progress (write_lock.go).
	wlock chan struct{}
	// linksMu is held by the one update of the links in progress.
	linksMu sync.Mutex
}

// Open opens (creating when writable and absent) the store at path. A
// writable open upgrades an older schema in place (Options.Migrating is
// told about each step); a read-only open of an older store upgrades it
// first when no other process holds it, and fails clearly when one does. A
// store written by a newer build is refused.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	if err := CheckPath(path); err != nil {
		return nil, err
	}
	if opt.LockTimeout == 0 {
		opt.LockTimeout = 30 * time.Second
	}
	if opt.ReadOnly || opt.MustExist {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("store %s: %w (run `honeyscope ingest` first, or pass --db)", path, store.ErrNoStore)
		}
	} else if dir := filepath.Dir(path); dir != "" {
		// DuckDB's own text for this is "IO Error: Cannot open file".
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, &PathError{Path: path, Reason: "its directory " + dir + " does not exist (create it first)"}
		}
	}
	if opt.TimeZone != "" {
		// Checked before the file is created, so a bad zone leaves nothing behind.
		if _, err := time.LoadLocation(opt.TimeZone); err != nil {
			return nil, fmt.Errorf("time zone %q: %w", opt.TimeZone, err)
		}
	}
	s, err := open(ctx, path, opt)
	var old *needsUpgrade
	if errors.As(err, &old) {
		// A read-only open of an older store: upgrade it once, then read it.
		if err := upgrade(ctx, path, old.from, opt); err != nil {
			return nil, err
		}
		return open(ctx, path, opt)
	}
	return s, err
}

// needsUpgrade is open's error for a read-only open of an older schema.
type needsUpgrade struct{ from int }

func (e *needsUpgrade) Error() string {
	return fmt.Sprintf("schema version %d needs upgrading", e.from)
}

// upgrade opens the store writable just long enough to migrate it.
func upgrade(ctx context.Context, path string, from int, opt Options) error {
	w := opt
	w.ReadOnly = false
	c, err := connect(ctx, path, w)
	if err != nil {
		if errors.Is(err, ErrLocked) {
			return fmt.Errorf("store %s has schema version %d and must be upgraded once to version %d, which needs it for itself, "+
				"but another process holds it: run the command again when it is free: %w", path, from, opt.target(), err)
		}
		return err
	}
	db := sql.OpenDB(c)
	err = migrate(ctx, db, opt.migrateTo, opt.Migrating)
	err = errors.Join(err, db.Close(), c.Close())
	if err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	return nil
}

func open(ctx context.Context, path string, opt Options) (*Store, error) {
	c, err := connect(ctx, path, opt)
	if err != nil {
		return nil, err
	}
	s := &Store{db: sql.OpenDB(c), connr: c, path: path, readOnly: opt.ReadOnly, threads: opt.WriteThreads, memory: opt.WriteMemory,
		wlock: make(chan struct{}, 1)}
	if opt.ReadOnly {
		v, err := schemaVersion(ctx, s.db)
		if err == nil && v != 0 && v < opt.target() && checkSchema(v) == nil {
			s.Close()
			return nil, &needsUpgrade{from: v}
		}
	}
	if err := s.init(ctx, opt); err != nil {
		s.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return s, nil
}

// connect opens the DuckDB file, retrying with back-off while another
// process holds it (up to opt.LockTimeout).
func connect(ctx context.Context, path string, opt Options) (*duckdb.Connector, error) {
	dsn := path
	if opt.ReadOnly {
		dsn += "?access_mode=read_only"
	}
	deadline := time.Now().Add(opt.LockTimeout)
	wait := 20 * time.Millisecond
	var (
		c   *duckdb.Connector
		err error
	)
	waiting := opt.Waiting
	if waiting == nil {
		waiting = DefaultWaiting
	}
	for {
		c, err = duckdb.NewConnector(dsn, nil)
		if err == nil || !isLockError(err) || time.Now().After(deadline) {
			break
		}
		if waiting != nil {
			waiting()
			waiting = nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Second)
	}
	if err != nil {
		if isLockError(err) {
			return nil, fmt.Errorf("store %s is in use by another process (waited %s): %w", path, opt.LockTimeout, lockedError{err})
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return c, nil
}

func isLockError(err error) bool {
	m := err.Error()
	return strings.Contains(m, "Could not set lock") || strings.Contains(m, "lock on file") || strings.Contains(m, "Conflicting lock")
}

// closeWait bounds how long Close waits for questions still running.
const closeWait = 5 * time.Second

// Close releases the database file. Questions still running on their
// connections are waited for (up to closeWait) first: sql.DB's Close
// closes DuckDB at once, and DuckDB frees the file only when its last
// connection is gone.
func (s *Store) Close() error {
	for deadline := time.Now().Add(closeWait); s.db.Stats().InUse > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	err := s.db.Close()
	if s.connr != nil {
		if e := s.connr.Close(); err == nil {
			err = e
		}
	}
	return err
}

// DB exposes the database handle for read queries by other packages.
func (s *Store) DB() *sql.DB { return s.db }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Location is the time zone the store's days are in.
func (s *Store) Location() *time.Location { return s.loc }

// TimeZone is the name of the store's time zone.
func (s *Store) TimeZone() string { return s.tz }

var schema = []string{
	`CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
	`CREATE TABLE IF NOT EXISTS classes (id UTINYINT PRIMARY KEY, name VARCHAR, bit UTINYINT)`,
	`CREATE TABLE IF NOT EXISTS ingests (
		id INTEGER PRIMARY KEY, path VARCHAR, hash VARCHAR, size BIGINT, sensor VARCHAR,
		format VARCHAR, frames BIGINT, packets BIGINT, outbound BIGINT, undecodable BIGINT,
		first_ts TIMESTAMP, last_ts TIMESTAMP, error VARCHAR, error_offset BIGINT,
		ingested_at TIMESTAMP, duration_ms BIGINT, country_db VARCHAR, asn_db VARCHAR, version VARCHAR)`,
	`CREATE TABLE IF NOT EXISTS geo_history (done_at TIMESTAMP, day_from VARCHAR, day_to VARCHAR,
		country_db VARCHAR, asn_db VARCHAR, sources BIGINT, rows BIGINT, changed BIGINT)`,
	`CREATE SEQUENCE IF NOT EXISTS ingest_ids START 1`,
	`CREATE TABLE IF NOT EXISTS sensors (name VARCHAR PRIMARY KEY, nets VARCHAR, addresses DOUBLE)`,
	`CREATE TABLE IF NOT EXISTS sources (
		ingest_id INTEGER, sid UINTEGER, day DATE, sensor VARCHAR, src VARCHAR, country VARCHAR, asn UINTEGER,
		as_org VARCHAR, special VARCHAR, packets UBIGINT, bytes UBIGINT, classes UTINYINT,
		first_seen TIMESTAMP, last_seen TIMESTAMP, src_port INTEGER, tcpudp BOOLEAN, skey UBIGINT)`,
	`CREATE TABLE IF NOT EXISTS hit_counts (
		ingest_id INTEGER, sid UINTEGER, day DATE, proto UTINYINT, port USMALLINT, classes UTINYINT, packets UBIGINT,
		skey UBIGINT)`,
	`CREATE OR REPLACE VIEW port_hits AS
		SELECT h.ingest_id, h.day, i.sensor, h.skey, h.proto, h.port, h.classes, h.packets
		FROM hit_counts h JOIN ingests i ON i.id = h.ingest_id`,
	`CREATE OR REPLACE VIEW hits AS
		SELECT s.ingest_id, s.day, s.sensor, s.src, s.skey, s.country, s.asn, h.proto, h.port, h.classes, h.packets
		FROM hit_counts h JOIN sources s ON s.ingest_id = h.ingest_id AND s.sid = h.sid`,
	`CREATE TABLE IF NOT EXISTS exploits (
		ingest_id INTEGER, day DATE, sensor VARCHAR, src VARCHAR, country VARCHAR, asn UINTEGER,
		proto UTINYINT, port USMALLINT, pattern VARCHAR, packets UBIGINT)`,
	`CREATE TABLE IF NOT EXISTS hourly (
		ingest_id INTEGER, hour TIMESTAMP, sensor VARCHAR, proto UTINYINT, classes UTINYINT,
		packets UBIGINT, bytes UBIGINT)`,
	`CREATE OR REPLACE VIEW source_days AS
		SELECT day, sensor, src, any_value(country) AS country, any_value(asn) AS asn,
		       any_value(as_org) AS as_org, any_value(special) AS special,
		       sum(packets) AS packets, sum(bytes) AS bytes, bit_or(classes) AS classes,
		       min(first_seen) AS first_seen, max(last_seen) AS last_seen,
		       (bool_and(src_port IS NOT NULL OR NOT tcpudp) AND count(DISTINCT src_port) = 1) AS single_src_port,
		       CASE WHEN count(DISTINCT src_port) = 1 AND bool_and(src_port IS NOT NULL OR NOT tcpudp) THEN any_value(src_port) END AS src_port
		FROM sources GROUP BY day, sensor, src`,
	`CREATE OR REPLACE VIEW class_hits AS
		SELECT h.*, c.name AS class FROM hits h JOIN classes c ON (h.classes & c.bit) <> 0`,
}

func (s *Store) init(ctx context.Context, opt Options) error {
	if s.readOnly {
		return s.loadMeta(ctx, opt)
	}
	if err := registerBulk(ctx, s.db); err != nil {
		return fmt.Errorf("register bulk loader: %w", err)
	}
	if err := migrate(ctx, s.db, opt.migrateTo, opt.Migrating); err != nil {
		return err
	}
	for c := classify.Class(0); c < classify.NumClasses; c++ {
		if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO classes VALUES (?, ?, ?)`, uint8(c), c.String(), uint8(c.Bit())); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	var existing string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'timezone'`).Scan(&existing)
	if errors.Is(err, sql.ErrNoRows) {
		tz := opt.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		if _, err := time.LoadLocation(tz); err != nil {
			return fmt.Errorf("time zone %q: %w", tz, err)
		}
		if _, err := s.db.ExecContext(ctx, `INSERT INTO meta VALUES ('timezone', ?), ('created', ?)`,
			tz, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	return s.loadMeta(ctx, opt)
}

func (s *Store) loadMeta(ctx context.Context, opt Options) error {
	var tz string
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'timezone'`).Scan(&tz); err != nil {
		return fmt.Errorf("not a honeyscope store (no time zone recorded): %w", err)
	}
	v, err := schemaVersion(ctx, s.db)
	if err != nil {
		return err
	}
	if err := checkSchema(v); err != nil {
		return err
	}
	if v != opt.target() {
		return fmt.Errorf("store schema version %d, want %d", v, opt.target())
	}
	want := opt.TimeZone
	if want != "" && want != tz && !sameZone(want, tz) {
		return fmt.Errorf("store days are in %s; it was created with that zone and cannot change to %s (use a new --db)", tz, want)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return fmt.Errorf("time zone %q: %w", tz, err)
	}
	s.loc, s.tz = loc, tz
	return nil
}

// withConn runs f on a dedicated DuckDB connection (needed for appenders and
// explicit transactions).
func (s *Store) withConn(ctx context.Context, f func(conn *duckdb.Conn) error) error {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(x any) error {
		conn, ok := x.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", x)
		}
		return f(conn)
	})
}

// sameZone reports whether two zone names are the same zone under other
// names (Japan and Asia/Tokyo): the same UTC offset at the start of every
// month from 1900 to 2100.
func sameZone(a, b string) bool {
	la, err := time.LoadLocation(a)
	if err != nil {
		return false
	}
	lb, err := time.LoadLocation(b)
	if err != nil {
		return false
	}
	for y := 1900; y <= 2100; y++ {
		for m := time.January; m <= time.December; m++ {
			t := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
			_, oa := t.In(la).Zone()
			_, ob := t.In(lb).Zone()
			if oa != ob {
				return false
			}
		}
	}
	return true
}
