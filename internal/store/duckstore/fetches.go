package duckstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// URL fetches (the fetcher's migration in migrate.go, docs/store.md): one
// row per URL the fetcher tried, the content it got linked by SHA-256 to
// the samples table and, through hp_urls.url, to the sessions that named
// the URL.
var fetchSchema = []string{
	`CREATE TABLE IF NOT EXISTS fetches (
		url VARCHAR PRIMARY KEY, ts TIMESTAMP, duration_ms BIGINT, attempts INTEGER,
		status INTEGER, headers VARCHAR, server VARCHAR, final_url VARCHAR, error VARCHAR,
		size BIGINT, sha256 VARCHAR, type VARCHAR, session_id VARCHAR, src VARCHAR, sensor VARCHAR)`,
}

// maxFetchURL bounds a stored URL (store.MaxFetchURL).
const maxFetchURL = store.MaxFetchURL

var _ store.FetchStore = (*Store)(nil)

// text is s as valid UTF-8 (DuckDB refuses anything else).
func text(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// RecordFetch implements store.FetchStore.
func (s *Store) RecordFetch(ctx context.Context, f store.Fetch) error {
	if s.readOnly {
		return errors.New("record fetch: store opened read-only")
	}
	f, err := f.Checked()
	if err != nil {
		return fmt.Errorf("record fetch: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record fetch: %w", err)
	}
	defer tx.Rollback()
	url := text(f.URL)
	if _, err := tx.ExecContext(ctx, `DELETE FROM fetches WHERE url = ?`, url); err != nil {
		return fmt.Errorf("record fetch: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO fetches (url, ts, duration_ms, attempts, status, headers, server, final_url, error,
			size, sha256, type, session_id, src, sensor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		url, timeValue(f.Time), f.Duration.Milliseconds(), int32(f.Attempts), int32(f.Status), text(f.Headers),
		text(f.Server), text(f.FinalURL), text(f.Error), f.Size, f.SHA256, text(f.Type), text(f.SessionID),
		addrText(f.Src), text(f.Sensor))
	if err != nil {
		return fmt.Errorf("record fetch: %w", err)
	}
	if f.SHA256 != "" {
		ts := f.Time.UTC()
		_, err = tx.ExecContext(ctx, `INSERT INTO samples (sha256, size, type, first_seen, last_seen, count, via, session_id, src, sensor)
			VALUES (?, ?, ?, ?, ?, 1, 'fetched', ?, ?, ?)
			ON CONFLICT (sha256) DO UPDATE SET last_seen = greatest(samples.last_seen, excluded.last_seen)`,
			f.SHA256, f.Size, text(f.Type), ts, ts, text(f.SessionID), addrText(f.Src), text(f.Sensor))
		if err != nil {
			return fmt.Errorf("record fetch: sample: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record fetch: %w", err)
	}
	return nil
}

// PendingURLs implements store.FetchStore.
func (s *Store) PendingURLs(ctx context.Context, limit int) ([]store.PendingURL, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.db.QueryContext(ctx, `SELECT u.url, min(u.ts), arg_min(u.session_id, (u.ts, u.session_id, u.seq)),
			arg_min(coalesce(hs.src, ''), (u.ts, u.session_id, u.seq)), arg_min(coalesce(hs.sensor, ''), (u.ts, u.session_id, u.seq))
		FROM hp_urls u LEFT JOIN hp_sessions hs ON hs.id = u.session_id
		WHERE u.url IS NOT NULL AND u.url <> '' AND length(u.url) <= ?
		  AND NOT EXISTS (SELECT 1 FROM fetches f WHERE f.url = u.url)
		GROUP BY u.url ORDER BY min(u.ts) NULLS LAST, u.url LIMIT ?`, maxFetchURL, limit)
	if err != nil {
		return nil, fmt.Errorf("pending URLs: %w", err)
	}
	defer rows.Close()
	var out []store.PendingURL
	for rows.Next() {
		var (
			p     store.PendingURL
			first sql.NullTime
			src   string
		)
		if err := rows.Scan(&p.URL, &first, &p.SessionID, &src, &p.Sensor); err != nil {
			return nil, fmt.Errorf("pending URLs: %w", err)
		}
		if first.Valid {
			p.First = first.Time.UTC()
		}
		p.Src, _ = netip.ParseAddr(src)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending URLs: %w", err)
	}
	return out, nil
}

// Fetched implements store.FetchStore.
func (s *Store) Fetched(ctx context.Context, url string) (bool, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM fetches WHERE url = ?`, text(url)).Scan(&n); err != nil {
		return false, fmt.Errorf("fetched: %w", err)
	}
	return n > 0, nil
}

// Fetches implements store.FetchStore.
func (s *Store) Fetches(ctx context.Context, q store.FetchQuery) ([]store.Fetch, error) {
	limit, err := store.SessionLimit(q.Limit, q.Offset)
	if err != nil {
		return nil, fmt.Errorf("fetches: %w", err)
	}
	where, args := "", []any{}
	if q.URL != "" {
		where += " AND url = ?"
		args = append(args, text(q.URL))
	}
	if q.SHA256 != "" {
		h, err := store.HashPrefix(q.SHA256)
		if err != nil {
			return nil, fmt.Errorf("fetches: %w", err)
		}
		where += " AND starts_with(sha256, ?)"
		args = append(args, h)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT url, ts, coalesce(duration_ms, 0), coalesce(attempts, 0), coalesce(status, 0),
			coalesce(headers, ''), coalesce(server, ''), coalesce(final_url, ''), coalesce(error, ''), coalesce(size, 0),
			coalesce(sha256, ''), coalesce(type, ''), coalesce(session_id, ''), coalesce(src, ''), coalesce(sensor, '')
		FROM fetches WHERE true`+where+` ORDER BY ts DESC NULLS LAST, url LIMIT ? OFFSET ?`, append(args, limit, q.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("fetches: %w", err)
	}
	defer rows.Close()
	var out []store.Fetch
	for rows.Next() {
		var (
			f              store.Fetch
			ts             sql.NullTime
			ms             int64
			attempts, stat int32
			src            string
		)
		if err := rows.Scan(&f.URL, &ts, &ms, &attempts, &stat, &f.Headers, &f.Server, &f.FinalURL, &f.Error, &f.Size,
			&f.SHA256, &f.Type, &f.SessionID, &src, &f.Sensor); err != nil {
			return nil, fmt.Errorf("fetches: %w", err)
		}
		if ts.Valid {
			f.Time = ts.Time.UTC()
		}
		f.Duration = time.Duration(ms) * time.Millisecond
		f.Attempts, f.Status = int(attempts), int(stat)
		f.Src, _ = netip.ParseAddr(src)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("fetches: %w", err)
	}
	return out, nil
}
