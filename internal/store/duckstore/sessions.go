package duckstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Honeypot sessions (migration 5, docs/store.md). CommitSessions writes a
// batch in the Tx a capture's commit uses, so that the sessions, the
// samples they produced and the intrusion hits of b.Hits become visible
// together, or not at all.

// maxIDLen bounds a batch id (store.MaxIDLen).
const maxIDLen = store.MaxIDLen

// sessionsHook, when set (tests), is called after a batch's session rows
// are written and before anything is committed; an error aborts the commit
// as a crash would.
var sessionsHook func() error

// CommitSessions writes b in one transaction: nothing when its ID is
// already recorded (a retry), else every session upserted by ID (its lists
// replaced), the samples its files are, and b.Hits through the capture
// commit path (an earlier ingest of b.Hits.Ingest.Hash makes the whole
// batch fail with store.ErrDuplicate unless b.Hits.Replace).
func (s *Store) CommitSessions(ctx context.Context, b store.SessionBatch) error {
	if err := b.Check(); err != nil {
		return fmt.Errorf("commit sessions: %w", err)
	}
	t, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("commit sessions %s: %w", b.ID, err)
	}
	skip := false
	err = t.raw(ctx, func(conn *duckdb.Conn) error {
		n, err := queryInt(ctx, conn, `SELECT count(*) FROM hp_batches WHERE id = ?`, b.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			skip = true
			return nil
		}
		if err := writeSessions(ctx, conn, b.Sessions); err != nil {
			return err
		}
		if sessionsHook != nil {
			if err := sessionsHook(); err != nil {
				return err
			}
		}
		return execConn(ctx, conn, `INSERT INTO hp_batches VALUES (?, ?, ?)`, b.ID, time.Now().UTC(), int32(len(b.Sessions)))
	})
	if err != nil || skip {
		t.Abort()
		if err != nil {
			return fmt.Errorf("commit sessions %s: %w", b.ID, err)
		}
		return nil
	}
	if h := b.Hits; h != nil {
		if h.Result != nil {
			if err := t.Append(ctx, h.Result, h.Places, h.Ingest.Sensor, h.Pattern); err != nil {
				t.Abort()
				return fmt.Errorf("commit sessions %s: %w", b.ID, err)
			}
		}
		if err := t.Finish(ctx, h.Ingest, h.Replace, h.Sensor); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return err
			}
			return fmt.Errorf("commit sessions %s: %w", b.ID, err)
		}
		return nil
	}
	if err := t.commit(ctx); err != nil {
		return fmt.Errorf("commit sessions %s: %w", b.ID, err)
	}
	return nil
}

// commit commits a Tx that wrote no capture rows.
func (t *Tx) commit(ctx context.Context) error {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return errors.New("transaction already finished")
	}
	err := t.raw(ctx, func(conn *duckdb.Conn) error { return execConn(ctx, conn, "COMMIT") })
	if err == nil {
		t.done = true
	}
	t.mu.Unlock()
	if err != nil {
		t.Abort()
		return err
	}
	return t.end()
}

// writeSessions upserts sessions (the last of two with one ID wins) and
// recounts the samples their old and new files name.
func writeSessions(ctx context.Context, conn *duckdb.Conn, sessions []session.Session) error {
	if len(sessions) == 0 {
		return nil
	}
	last := make(map[string]int, len(sessions))
	for i := range sessions {
		last[sessions[i].ID] = i
	}
	ids := make([]string, 0, len(last))
	var ss []*session.Session
	for i := range sessions {
		if last[sessions[i].ID] == i {
			ids = append(ids, sessions[i].ID)
			ss = append(ss, &sessions[i])
		}
	}
	exec := func(q string, a ...any) error { return execConn(ctx, conn, q, a...) }
	// Samples the sessions' earlier rows named, which may lose a session.
	hashes := map[string]bool{}
	old, err := queryStrings(ctx, conn, `SELECT DISTINCT sha256 FROM hp_files WHERE sample AND session_id IN (SELECT unnest(?::VARCHAR[]))`, ids)
	if err != nil {
		return err
	}
	for _, h := range old {
		hashes[h] = true
	}
	for _, tb := range []string{"hp_sessions", "hp_logins", "hp_commands", "hp_requests", "hp_urls", "hp_files"} {
		col := "session_id"
		if tb == "hp_sessions" {
			col = "id"
		}
		if err := exec(`DELETE FROM `+tb+` WHERE `+col+` IN (SELECT unnest(?::VARCHAR[]))`, ids); err != nil {
			return fmt.Errorf("replace sessions: %w", err)
		}
	}
	if err := appendSessionRows(conn, ss); err != nil {
		return err
	}
	for _, s := range ss {
		for i := range s.Files {
			if s.Files[i].Sample && s.Files[i].SHA256 != "" {
				hashes[s.Files[i].SHA256] = true
			}
		}
	}
	for h := range hashes {
		if err := recountSample(ctx, exec, h); err != nil {
			return err
		}
	}
	return nil
}

// recountSample rewrites one sample's row from the files that have its
// content: first and last seen, how and where it first arrived, and the
// number of distinct sessions. A content no session has any longer goes.
func recountSample(ctx context.Context, exec func(string, ...any) error, sha string) error {
	if err := exec(`DELETE FROM samples WHERE sha256 = ?`, sha); err != nil {
		return fmt.Errorf("sample %s: %w", sha, err)
	}
	err := exec(`INSERT INTO samples
		SELECT f.sha256, arg_min(f.size, (f.ts, f.session_id, f.seq)), arg_min(f.type, (f.ts, f.session_id, f.seq)),
		       min(f.ts), max(f.ts), count(DISTINCT f.session_id),
		       arg_min(f.via, (f.ts, f.session_id, f.seq)), arg_min(f.session_id, (f.ts, f.session_id, f.seq)),
		       arg_min(s.src, (f.ts, f.session_id, f.seq)), arg_min(s.sensor, (f.ts, f.session_id, f.seq))
		FROM hp_files f JOIN hp_sessions s ON s.id = f.session_id
		WHERE f.sha256 = ? AND f.sample
		GROUP BY f.sha256`, sha)
	if err != nil {
		return fmt.Errorf("sample %s: %w", sha, err)
	}
	if err := keepAdded(exec, sha); err != nil {
		return fmt.Errorf("sample %s: %w", sha, err)
	}
	return nil
}

func queryStrings(ctx context.Context, conn *duckdb.Conn, q string, args ...any) ([]string, error) {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	rows, err := conn.QueryContext(ctx, q, nv)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	dest := make([]driver.Value, 1)
	for {
		if err := rows.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		if s, ok := dest[0].(string); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// appendSessionRows appends the sessions and their lists.
func appendSessionRows(conn *duckdb.Conn, ss []*session.Session) error {
	err := appendRows(conn, "hp_sessions", len(ss), func(i int) []driver.Value {
		s := ss[i]
		return []driver.Value{s.ID, s.Sensor, s.Service, s.Port, addrText(s.Src), s.SrcPort, addrText(s.Dst),
			timeValue(s.Start), timeValue(s.End), s.EndReason, s.Arch, s.ClientVersion, s.HASSH, s.HASSHAlgos, s.TelnetOptions,
			s.Filtered, s.Country, s.LoggedIn, s.Username, s.Password, s.BytesIn, s.BytesOut, blobValue(s.FirstBytes),
			int32(s.Truncated), s.Intrusion()}
	})
	if err != nil {
		return err
	}
	type row struct {
		s *session.Session
		i int
	}
	rows := func(n func(*session.Session) int) []row {
		var out []row
		for _, s := range ss {
			for i := range n(s) {
				out = append(out, row{s, i})
			}
		}
		return out
	}
	lr := rows(func(s *session.Session) int { return len(s.Logins) })
	if err := appendRows(conn, "hp_logins", len(lr), func(k int) []driver.Value {
		s, i := lr[k].s, lr[k].i
		l := &s.Logins[i]
		return []driver.Value{s.ID, int32(i), timeValue(l.Time), l.Method, l.Username, l.Password, l.Success}
	}); err != nil {
		return err
	}
	cr := rows(func(s *session.Session) int { return len(s.Commands) })
	if err := appendRows(conn, "hp_commands", len(cr), func(k int) []driver.Value {
		s, i := cr[k].s, cr[k].i
		c := &s.Commands[i]
		return []driver.Value{s.ID, int32(i), timeValue(c.Time), c.Input, c.Known, listValue(c.Patterns)}
	}); err != nil {
		return err
	}
	rr := rows(func(s *session.Session) int { return len(s.Requests) })
	if err := appendRows(conn, "hp_requests", len(rr), func(k int) []driver.Value {
		s, i := rr[k].s, rr[k].i
		r := &s.Requests[i]
		return []driver.Value{s.ID, int32(i), timeValue(r.Time), r.Method, r.Path, r.Version, r.Host, r.Headers,
			blobValue(r.Body), r.BodySize, int32(r.Status), listValue(r.Patterns)}
	}); err != nil {
		return err
	}
	ur := rows(func(s *session.Session) int { return len(s.URLs) })
	if err := appendRows(conn, "hp_urls", len(ur), func(k int) []driver.Value {
		s, i := ur[k].s, ur[k].i
		u := &s.URLs[i]
		return []driver.Value{s.ID, int32(i), timeValue(u.Time), u.URL, u.Via, u.Target}
	}); err != nil {
		return err
	}
	fr := rows(func(s *session.Session) int { return len(s.Files) })
	return appendRows(conn, "hp_files", len(fr), func(k int) []driver.Value {
		s, i := fr[k].s, fr[k].i
		f := &s.Files[i]
		return []driver.Value{s.ID, int32(i), timeValue(f.Time), f.Path, f.Size, f.SHA256, f.Type, f.Via, f.Sample}
	})
}

// addrText is an address as the tables keep it ("" for none).
func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.Unmap().String()
}

// timeValue is a time in UTC, or NULL for the zero time.
func timeValue(t time.Time) driver.Value {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// blobValue is b, or NULL when empty.
func blobValue(b []byte) driver.Value {
	if len(b) == 0 {
		return nil
	}
	return b
}

// listValue is a VARCHAR[] value (empty for none).
func listValue(s []string) driver.Value {
	if s == nil {
		return []string{}
	}
	return s
}
