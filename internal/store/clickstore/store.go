// Package clickstore is the ClickHouse backend of the store (store.Store),
// for observatories that outgrow one DuckDB file: the same writes and typed
// reads, over the native protocol (github.com/ClickHouse/clickhouse-go/v2).
//
// Its SQL is what both Debian's clickhouse-server 18.16 and a current
// ClickHouse accept: MergeTree tables with PARTITION BY / ORDER BY, no
// IPv4/IPv6 column types, no TTL or codecs, no DateTime64, no Nullable
// columns, explicit column lists on every INSERT.
//
// ClickHouse has no transactions. A capture's rows are written tagged with
// its ingest id and become visible only when Finish writes the capture's
// row of the ingests table (one single-row INSERT, which ClickHouse applies
// atomically): every read keeps the rows of committed ingests only. A
// replacement (--force) is part of that same row (its replaces column lists
// the ingests it retires). Rows of an aborted or crashed Tx stay invisible;
// Cleanup deletes them. See docs/store.md, "ClickHouse".
package clickstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Scheme is the URL scheme of a ClickHouse store: clickhouse://HOST:PORT/DB.
const Scheme = "clickhouse://"

// IsURL reports whether s names a ClickHouse store.
func IsURL(s string) bool { return strings.HasPrefix(s, Scheme) }

// Options are how a store is opened.
type Options struct {
	// ReadOnly refuses writes (Begin, Commit, Cleanup).
	ReadOnly bool
	// TimeZone is the zone days are computed in, fixed when the store is
	// created; opening an existing store with another zone is an error.
	// Empty means the store's (UTC for a new store).
	TimeZone string
	// MustExist refuses to create the database or its tables.
	MustExist bool
	// DialTimeout bounds connecting (default 5 s).
	DialTimeout time.Duration
	// upTo stops the migrations at a version (tests of a migration step).
	upTo int
}

// Store is an open ClickHouse store.
type Store struct {
	conn     driver.Conn
	url      string
	db       string
	readOnly bool
	tz       string
	loc      *time.Location
	version  serverVersion
	// noRollups makes every read scan hits (the rollup tests compare).
	noRollups bool
	// upTo is the last migration run when a test stopped them early
	// (0: all).
	upTo int
}

// has reports whether the store's schema includes migration version v
// (always, unless a test stopped the migrations before it).
func (s *Store) has(v int) bool { return s.upTo == 0 || s.upTo >= v }

// serverVersion is the server's major and minor version.
type serverVersion struct{ major, minor uint64 }

// atLeast reports whether the server is at least major.minor.
func (v serverVersion) atLeast(major, minor uint64) bool {
	return v.major > major || v.major == major && v.minor >= minor
}

// target is what a URL names.
type target struct {
	addr, db, user, password string
}

// parseURL reads clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DB.
func parseURL(raw string) (target, error) {
	var t target
	if !IsURL(raw) {
		return t, fmt.Errorf("store %q: not a clickhouse:// URL", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return t, fmt.Errorf("store URL: %w", err)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return t, fmt.Errorf("store URL %s: no query or fragment accepted", redact(raw))
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return t, fmt.Errorf("store URL %s: no host", redact(raw))
	}
	if port == "" {
		port = "9000"
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return t, fmt.Errorf("store URL %s: bad port %q", redact(raw), port)
	}
	t.addr = net.JoinHostPort(host, port)
	t.db = strings.Trim(u.Path, "/")
	if t.db == "" {
		t.db = "honeyscope"
	}
	if !validName(t.db) {
		return t, fmt.Errorf("store URL %s: database name %q: want letters, digits and _", redact(raw), t.db)
	}
	t.user = "default"
	if u.User != nil {
		t.user = u.User.Username()
		t.password, _ = u.User.Password()
	}
	return t, nil
}

// redact drops a password from a URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxx")
	}
	return u.String()
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ErrNoStore is returned when MustExist is set and the database holds no
// store.
var ErrNoStore = errors.New("no store")

// Open connects to the ClickHouse store rawURL names
// (clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DB, port 9000 and database
// honeyscope by default), creating the database and running its migrations
// unless the store is read-only or must exist.
func Open(ctx context.Context, rawURL string, opt Options) (*Store, error) {
	t, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if opt.TimeZone != "" {
		if _, err := time.LoadLocation(opt.TimeZone); err != nil {
			return nil, fmt.Errorf("time zone %q: %w", opt.TimeZone, err)
		}
	}
	dt := opt.DialTimeout
	if dt <= 0 {
		dt = 5 * time.Second
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:         []string{t.addr},
		Auth:         clickhouse.Auth{Database: "default", Username: t.user, Password: t.password},
		DialTimeout:  dt,
		ReadTimeout:  10 * time.Minute,
		MaxOpenConns: 8,
		MaxIdleConns: 4,
	})
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", redact(rawURL), err)
	}
	s := &Store{conn: conn, url: redact(rawURL), db: t.db, readOnly: opt.ReadOnly}
	if err := s.init(ctx, opt); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store %s: %w", s.url, err)
	}
	return s, nil
}

func (s *Store) init(ctx context.Context, opt Options) error {
	sv, err := s.conn.ServerVersion()
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	s.version = serverVersion{sv.Version.Major, sv.Version.Minor}
	var n uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM system.tables WHERE database = ? AND name = 'meta'`, s.db).Scan(&n); err != nil {
		return fmt.Errorf("look for the store: %w", err)
	}
	if n == 0 && (opt.MustExist || opt.ReadOnly) {
		return fmt.Errorf("database %s: %w", s.db, ErrNoStore)
	}
	if !s.readOnly {
		if err := s.conn.Exec(ctx, `CREATE DATABASE IF NOT EXISTS `+s.db); err != nil {
			return err
		}
		if err := s.migrate(ctx, opt.upTo); err != nil {
			return err
		}
		s.upTo = opt.upTo
		s.noRollups = !s.has(3)
	} else if v, err := s.schemaVersion(ctx); err != nil {
		return err
	} else if v > SchemaVersion {
		return fmt.Errorf("schema version %d is newer than this build knows (%d): use a newer honeyscope", v, SchemaVersion)
	} else if v < SchemaVersion {
		return fmt.Errorf("schema version %d must be upgraded to %d: open it writable once", v, SchemaVersion)
	}
	return s.loadTimeZone(ctx, opt.TimeZone)
}

func (s *Store) loadTimeZone(ctx context.Context, want string) error {
	tz, ok, err := s.metaValue(ctx, "timezone")
	if err != nil {
		return err
	}
	if !ok {
		if s.readOnly {
			return errors.New("store has no time zone")
		}
		tz = want
		if tz == "" {
			tz = "UTC"
		}
		if err := s.insertRows(ctx, `INSERT INTO `+s.db+`.meta (key, value, at)`,
			[]any{"timezone", tz, time.Now().UTC()}, []any{"created", time.Now().UTC().Format(time.RFC3339), time.Now().UTC()}); err != nil {
			return fmt.Errorf("record time zone: %w", err)
		}
	} else if want != "" && want != tz {
		wl, err1 := time.LoadLocation(want)
		hl, err2 := time.LoadLocation(tz)
		if err1 != nil || err2 != nil || wl.String() != hl.String() {
			return fmt.Errorf("store days are in %s; it was created with that zone and cannot change to %s (use another database)", tz, want)
		}
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return fmt.Errorf("store time zone %q: %w", tz, err)
	}
	s.tz, s.loc = tz, loc
	return nil
}

// metaValue returns the newest value of a meta key.
func (s *Store) metaValue(ctx context.Context, key string) (string, bool, error) {
	var n uint64
	var v string
	err := s.conn.QueryRow(ctx, `SELECT count(), argMax(value, at) FROM `+s.db+`.meta WHERE key = ?`, key).Scan(&n, &v)
	if err != nil {
		return "", false, fmt.Errorf("read meta %s: %w", key, err)
	}
	return v, n > 0, nil
}

// Path is the store's URL (without its password).
func (s *Store) Path() string { return s.url }

// TimeZone is the name of the zone the store's days are in.
func (s *Store) TimeZone() string { return s.tz }

// Location is the zone the store's days are in.
func (s *Store) Location() *time.Location { return s.loc }

// Database is the ClickHouse database the store lives in.
func (s *Store) Database() string { return s.db }

// ServerVersion is the server's version as major.minor.
func (s *Store) ServerVersion() string {
	return fmt.Sprintf("%d.%d", s.version.major, s.version.minor)
}

// Close releases the connections.
func (s *Store) Close() error { return s.conn.Close() }

// Drop deletes the store's database: for tests and benchmarks that made
// a throwaway store.
func (s *Store) Drop(ctx context.Context) error {
	if s.readOnly {
		return errors.New("store opened read-only")
	}
	return s.conn.Exec(ctx, `DROP DATABASE IF EXISTS `+s.db)
}
