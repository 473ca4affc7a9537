package clickstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// URL fetches (store.FetchStore, migration 9): one row per recorded fetch,
// a URL's fetch its row of the highest seq; the fetched content is a
// sample through samplesTable, the URLs to fetch are those of the current
// sessions (hp_session_urls) that no fetch names.

var _ store.FetchStore = (*Store)(nil)

// maxFetchURL bounds a stored URL (store.MaxFetchURL).
const maxFetchURL = store.MaxFetchURL

// text is s as valid UTF-8, as the DuckDB store keeps text.
func text(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

func (s *Store) malwareTables(what string) error {
	if !s.has(malwareVersion) {
		return unsupported(what)
	}
	return nil
}

// writeSessionURLs inserts the URLs of the session rows of ingest id.
func (s *Store) writeSessionURLs(ctx context.Context, id int32, ss []*session.Session) error {
	if !s.has(malwareVersion) {
		return nil
	}
	type row struct {
		x   *session.Session
		seq int
	}
	var rows []row
	for _, x := range ss {
		for i := range x.URLs {
			rows = append(rows, row{x, i})
		}
	}
	err := s.insert(ctx, `INSERT INTO `+s.db+`.hp_session_urls (ingest_id, session_id, seq, has_ts, ts_us, url, src, sensor)`,
		len(rows), func(i int) []any {
			r := rows[i]
			u := &r.x.URLs[r.seq]
			us, has := usOf(micro(u.Time))
			return []any{id, r.x.ID, int32(r.seq), has, us, text(u.URL), addrText(r.x.Src), r.x.Sensor}
		})
	if err != nil {
		return fmt.Errorf("session URLs: %w", err)
	}
	return nil
}

// RecordFetch implements store.FetchStore: one row, which ClickHouse
// writes at once; its content becomes a sample with it.
func (s *Store) RecordFetch(ctx context.Context, f store.Fetch) error {
	if s.readOnly {
		return errors.New("record fetch: store opened read-only")
	}
	if err := s.malwareTables("record fetch"); err != nil {
		return err
	}
	f, err := f.Checked()
	if err != nil {
		return fmt.Errorf("record fetch: %w", err)
	}
	us, has := usOf(micro(f.Time))
	err = s.insertRows(ctx, `INSERT INTO `+s.db+`.fetches (url, seq, has_ts, ts_us, duration_ms, attempts, status, headers, server,
		final_url, error, size, sha256, type, session_id, src, sensor)`,
		[]any{text(f.URL), seqs(1), has, us, f.Duration.Milliseconds(), int32(f.Attempts), int32(f.Status), text(f.Headers),
			text(f.Server), text(f.FinalURL), text(f.Error), f.Size, f.SHA256, text(f.Type), text(f.SessionID), addrText(f.Src), text(f.Sensor)})
	if err != nil {
		return fmt.Errorf("record fetch: %w", err)
	}
	return nil
}

// PendingURLs implements store.FetchStore.
func (s *Store) PendingURLs(ctx context.Context, limit int) ([]store.PendingURL, error) {
	if err := s.malwareTables("pending URLs"); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 1000
	}
	db := s.db
	// t orders URLs without a time last, as NULLS LAST does.
	rows, err := s.conn.Query(ctx, `SELECT url, min(t), max(has_ts), argMin(session_id, k), argMin(src, k), argMin(sensor, k)
		FROM (SELECT url, has_ts, session_id, src, sensor, if(has_ts = 1, ts_us, toInt64(9223372036854775807)) AS t, (t, session_id, seq) AS k
			FROM `+db+`.hp_session_urls
			WHERE (session_id, ingest_id) IN (SELECT id, max(ingest_id) FROM `+db+`.hp_sessions WHERE `+s.committedSessions()+` GROUP BY id)
			  AND url != '' AND lengthUTF8(url) <= ? AND url NOT IN (SELECT url FROM `+db+`.fetches))
		GROUP BY url ORDER BY min(t), url LIMIT `+fmt.Sprint(limit), maxFetchURL)
	if err != nil {
		return nil, fmt.Errorf("pending URLs: %w", err)
	}
	defer rows.Close()
	var out []store.PendingURL
	for rows.Next() {
		var (
			p     store.PendingURL
			first int64
			has   uint8
			src   string
		)
		if err := rows.Scan(&p.URL, &first, &has, &p.SessionID, &src, &p.Sensor); err != nil {
			return nil, fmt.Errorf("pending URLs: %w", err)
		}
		p.First, p.Src = timeOf(first, has), parseAddr(src)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending URLs: %w", err)
	}
	return out, nil
}

// Fetched implements store.FetchStore.
func (s *Store) Fetched(ctx context.Context, url string) (bool, error) {
	if err := s.malwareTables("fetched"); err != nil {
		return false, err
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM `+s.db+`.fetches WHERE url = ?`, text(url)).Scan(&n); err != nil {
		return false, fmt.Errorf("fetched: %w", err)
	}
	return n > 0, nil
}

// Fetches implements store.FetchStore: each URL's last fetch, newest
// first.
func (s *Store) Fetches(ctx context.Context, q store.FetchQuery) ([]store.Fetch, error) {
	if err := s.malwareTables("fetches"); err != nil {
		return nil, err
	}
	limit, err := store.SessionLimit(q.Limit, q.Offset)
	if err != nil {
		return nil, fmt.Errorf("fetches: %w", err)
	}
	inner, c := &cond{}, &cond{}
	if q.URL != "" {
		inner.add("url = ?", text(q.URL))
	}
	if q.SHA256 != "" {
		h, err := store.HashPrefix(q.SHA256)
		if err != nil {
			return nil, fmt.Errorf("fetches: %w", err)
		}
		c.add(fmt.Sprintf("substring(sha256, 1, %d) = ?", len(h)), h)
	}
	c.parts = append([]string{`(url, seq) IN (SELECT url, max(seq) FROM ` + s.db + `.fetches` + inner.where() + ` GROUP BY url)`}, c.parts...)
	c.args = append(inner.args, c.args...)
	rows, err := s.conn.Query(ctx, `SELECT url, has_ts, ts_us, duration_ms, attempts, status, headers, server, final_url, error,
			size, sha256, type, session_id, src, sensor
		FROM `+s.db+`.fetches`+c.where()+fmt.Sprintf(` ORDER BY has_ts DESC, ts_us DESC, url LIMIT %d, %d`, q.Offset, limit), c.args...)
	if err != nil {
		return nil, fmt.Errorf("fetches: %w", err)
	}
	defer rows.Close()
	var out []store.Fetch
	for rows.Next() {
		var (
			f              store.Fetch
			has            uint8
			us, ms         int64
			attempts, stat int32
			src            string
		)
		if err := rows.Scan(&f.URL, &has, &us, &ms, &attempts, &stat, &f.Headers, &f.Server, &f.FinalURL, &f.Error, &f.Size,
			&f.SHA256, &f.Type, &f.SessionID, &src, &f.Sensor); err != nil {
			return nil, fmt.Errorf("fetches: %w", err)
		}
		f.Time, f.Duration = timeOf(us, has), time.Duration(ms)*time.Millisecond
		f.Attempts, f.Status, f.Src = int(attempts), int(stat), parseAddr(src)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("fetches: %w", err)
	}
	return out, nil
}
