package duckstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// timeRange returns " AND col >= ? AND col < ?" for the inclusive days
// [from, to] in loc ("" = open).
func timeRange(col, from, to string, loc *time.Location) (string, []any, error) {
	var where string
	var args []any
	if from != "" {
		d, err := civil.Parse(from)
		if err != nil {
			return "", nil, err
		}
		where += " AND " + col + " >= ?"
		args = append(args, d.Start(loc).UTC())
	}
	if to != "" {
		d, err := civil.Parse(to)
		if err != nil {
			return "", nil, err
		}
		where += " AND " + col + " < ?"
		args = append(args, d.AddDays(1).Start(loc).UTC())
	}
	return where, args, nil
}

// sessionFilter is the WHERE clause of q.
func (s *Store) sessionFilter(q store.SessionQuery) (string, []any, error) {
	where, args, err := timeRange("start_ts", q.From, q.To, s.loc)
	if err != nil {
		return "", nil, err
	}
	w, a := readSensorFilter("sensor", q.Sensors)
	where, args = where+w, append(args, a...)
	w, a = readSensorFilter("service", q.Services)
	where, args = where+w, append(args, a...)
	if q.Src.IsValid() {
		where += " AND src = ?"
		args = append(args, addrText(q.Src))
	}
	if q.ID != "" {
		where += " AND id = ?"
		args = append(args, q.ID)
	}
	if q.LoggedIn {
		where += " AND logged_in"
	}
	if q.Intrusions {
		where += " AND intrusion"
	}
	if q.SHA256 != "" {
		h, err := store.HashPrefix(q.SHA256)
		if err != nil {
			return "", nil, err
		}
		where += " AND id IN (SELECT session_id FROM hp_files WHERE starts_with(sha256, ?))"
		args = append(args, h)
	}
	if q.Username != "" {
		where += " AND (username = ? OR id IN (SELECT session_id FROM hp_logins WHERE username = ?))"
		args = append(args, q.Username, q.Username)
	}
	if q.Contains != "" {
		where += ` AND id IN (SELECT session_id FROM hp_commands WHERE contains(input, ?)
			UNION SELECT session_id FROM hp_requests WHERE contains(path, ?)
			UNION SELECT session_id FROM hp_urls WHERE contains(url, ?))`
		args = append(args, q.Contains, q.Contains, q.Contains)
	}
	return " WHERE true" + where, args, nil
}

// Sessions returns the sessions q selects, newest first, with their lists.
func (s *Store) Sessions(ctx context.Context, q store.SessionQuery) ([]session.Session, error) {
	limit, err := store.SessionLimit(q.Limit, q.Offset)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	where, args, err := s.sessionFilter(q)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	// One read transaction: the lists belong to the sessions read.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	defer tx.Rollback()
	out, err := readSessionHeaders(ctx, tx, where, append(args, limit, q.Offset))
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	if err := readSessionLists(ctx, tx, out); err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	return out, nil
}

func readSessionHeaders(ctx context.Context, tx *sql.Tx, where string, args []any) ([]session.Session, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, coalesce(sensor, ''), coalesce(service, ''), coalesce(port, 0),
			coalesce(src, ''), coalesce(src_port, 0), coalesce(dst, ''), start_ts, end_ts, coalesce(end_reason, ''),
			coalesce(arch, ''), coalesce(client_version, ''), coalesce(hassh, ''), coalesce(hassh_algos, ''),
			coalesce(telnet_options, ''), coalesce(filtered, false), coalesce(country, ''), coalesce(logged_in, false),
			coalesce(username, ''), coalesce(password, ''), coalesce(bytes_in, 0), coalesce(bytes_out, 0), first_bytes,
			coalesce(truncated, 0)
		FROM hp_sessions`+where+` ORDER BY start_ts DESC NULLS LAST, id DESC LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []session.Session
	for rows.Next() {
		var (
			x          session.Session
			src, dst   string
			start, end sql.NullTime
			trunc      int32
		)
		if err := rows.Scan(&x.ID, &x.Sensor, &x.Service, &x.Port, &src, &x.SrcPort, &dst, &start, &end, &x.EndReason,
			&x.Arch, &x.ClientVersion, &x.HASSH, &x.HASSHAlgos, &x.TelnetOptions, &x.Filtered, &x.Country, &x.LoggedIn,
			&x.Username, &x.Password, &x.BytesIn, &x.BytesOut, &x.FirstBytes, &trunc); err != nil {
			return nil, err
		}
		x.Src, x.Dst = parseAddr(src), parseAddr(dst)
		x.Start, x.End = nullTime(start), nullTime(end)
		x.Truncated = int(trunc)
		out = append(out, x)
	}
	return out, rows.Err()
}

// readSessionLists fills the lists of sessions from their tables, each
// list bounded by store.MaxListRows.
func readSessionLists(ctx context.Context, tx *sql.Tx, out []session.Session) error {
	ids := make([]string, len(out))
	at := make(map[string]*session.Session, len(out))
	for i := range out {
		ids[i] = out[i].ID
		at[out[i].ID] = &out[i]
	}
	list := func(table, cols string, scan func(rows *sql.Rows) error) error {
		rows, err := tx.QueryContext(ctx, `SELECT session_id, `+cols+` FROM `+table+
			` WHERE session_id IN (SELECT unnest(?::VARCHAR[])) AND seq < ? ORDER BY session_id, seq`, ids, store.MaxListRows)
		if err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
		return rows.Err()
	}
	var id string
	var ts sql.NullTime
	err := list("hp_logins", "ts, coalesce(method, ''), coalesce(username, ''), coalesce(password, ''), coalesce(success, false)",
		func(rows *sql.Rows) error {
			var l session.Login
			if err := rows.Scan(&id, &ts, &l.Method, &l.Username, &l.Password, &l.Success); err != nil {
				return err
			}
			l.Time = nullTime(ts)
			if s := at[id]; s != nil {
				s.Logins = append(s.Logins, l)
			}
			return nil
		})
	if err != nil {
		return err
	}
	err = list("hp_commands", "ts, coalesce(input, ''), coalesce(known, false), patterns",
		func(rows *sql.Rows) error {
			var c session.Command
			var pats any
			if err := rows.Scan(&id, &ts, &c.Input, &c.Known, &pats); err != nil {
				return err
			}
			c.Time, c.Patterns = nullTime(ts), stringList(pats)
			if s := at[id]; s != nil {
				s.Commands = append(s.Commands, c)
			}
			return nil
		})
	if err != nil {
		return err
	}
	err = list("hp_requests", `ts, coalesce(method, ''), coalesce(path, ''), coalesce(version, ''), coalesce(host, ''),
		coalesce(headers, ''), body, coalesce(body_size, 0), coalesce(status, 0), patterns`,
		func(rows *sql.Rows) error {
			var r session.Request
			var pats any
			var status int32
			if err := rows.Scan(&id, &ts, &r.Method, &r.Path, &r.Version, &r.Host, &r.Headers, &r.Body, &r.BodySize, &status, &pats); err != nil {
				return err
			}
			r.Time, r.Status, r.Patterns = nullTime(ts), int(status), stringList(pats)
			if s := at[id]; s != nil {
				s.Requests = append(s.Requests, r)
			}
			return nil
		})
	if err != nil {
		return err
	}
	err = list("hp_urls", "ts, coalesce(url, ''), coalesce(via, ''), coalesce(target, '')",
		func(rows *sql.Rows) error {
			var u session.URL
			if err := rows.Scan(&id, &ts, &u.URL, &u.Via, &u.Target); err != nil {
				return err
			}
			u.Time = nullTime(ts)
			if s := at[id]; s != nil {
				s.URLs = append(s.URLs, u)
			}
			return nil
		})
	if err != nil {
		return err
	}
	return list("hp_files", "ts, coalesce(path, ''), coalesce(size, 0), coalesce(sha256, ''), coalesce(type, ''), coalesce(via, ''), coalesce(sample, false)",
		func(rows *sql.Rows) error {
			var f session.File
			if err := rows.Scan(&id, &ts, &f.Path, &f.Size, &f.SHA256, &f.Type, &f.Via, &f.Sample); err != nil {
				return err
			}
			f.Time = nullTime(ts)
			if s := at[id]; s != nil {
				s.Files = append(s.Files, f)
			}
			return nil
		})
}

// Samples returns the samples q selects, most recently seen first.
func (s *Store) Samples(ctx context.Context, q store.SampleQuery) ([]session.Sample, error) {
	limit, err := store.SessionLimit(q.Limit, q.Offset)
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	where, args, err := timeRange("last_seen", q.From, q.To, s.loc)
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	if q.SHA256 != "" {
		h, err := store.HashPrefix(q.SHA256)
		if err != nil {
			return nil, fmt.Errorf("samples: %w", err)
		}
		where += " AND starts_with(sha256, ?)"
		args = append(args, h)
	}
	if q.Src.IsValid() {
		where += ` AND sha256 IN (SELECT f.sha256 FROM hp_files f JOIN hp_sessions s ON s.id = f.session_id
			WHERE f.sample AND s.src = ?)`
		args = append(args, addrText(q.Src))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT sha256, coalesce(size, 0), coalesce(type, ''), first_seen, last_seen,
			coalesce(count, 0), coalesce(via, ''), coalesce(session_id, ''), coalesce(src, ''), coalesce(sensor, '')
		FROM samples WHERE true`+where+` ORDER BY last_seen DESC NULLS LAST, sha256 LIMIT ? OFFSET ?`,
		append(args, limit, q.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	defer rows.Close()
	var out []session.Sample
	for rows.Next() {
		var (
			x           session.Sample
			first, last sql.NullTime
			count       int32
			src         string
		)
		if err := rows.Scan(&x.SHA256, &x.Size, &x.Type, &first, &last, &count, &x.Via, &x.SessionID, &src, &x.Sensor); err != nil {
			return nil, fmt.Errorf("samples: %w", err)
		}
		x.First, x.Last, x.Count, x.Src = nullTime(first), nullTime(last), int(count), parseAddr(src)
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	return out, nil
}

func parseAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a
}

func nullTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// stringList turns a VARCHAR[] value into strings (nil when empty).
func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
