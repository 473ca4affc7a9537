package clickstore

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// The honeypot's sessions (migration 2). ClickHouse can neither update
// nor delete in a transaction, so a session written again is a new row:
// every batch's rows carry its ingest id, a batch becomes visible at once
// when it commits (its hp_commits row, or, with intrusion hits, its
// ingest's row), and the newest committed row of a session id is the
// session. Samples are computed from the current sessions' files when read.

// lists are a session's lists as one row keeps them (gob).
type lists struct {
	Logins   []session.Login
	Commands []session.Command
	Requests []session.Request
	URLs     []session.URL
	Files    []session.File
}

// micro is t to the microsecond, as the DuckDB store's TIMESTAMP keeps it
// (the zero time stays zero).
func micro(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}

// committedSessions is the condition of a session row whose batch committed.
func (s *Store) committedSessions() string {
	return `(ingest_id IN (SELECT ingest_id FROM ` + s.db + `.hp_commits WHERE hits = 0) OR ingest_id IN (SELECT id FROM ` + s.db + `.ingests))`
}

// currentSessions is the condition of the newest committed row of each id.
func (s *Store) currentSessions() string {
	return `(id, ingest_id) IN (SELECT id, max(ingest_id) FROM ` + s.db + `.hp_sessions WHERE ` + s.committedSessions() + ` GROUP BY id)`
}

// CommitSessions writes b: nothing when its ID is already committed (a
// retry), else every session upserted by ID (the last of two with one ID
// in b wins) and b.Hits through the capture commit path, all visible at
// once (an earlier ingest of b.Hits.Ingest.Hash makes the whole batch fail
// with store.ErrDuplicate unless b.Hits.Replace). Two writers committing
// the same batch at the same moment may both apply it: sessions are
// upserted, so only its hits could count twice.
func (s *Store) CommitSessions(ctx context.Context, b store.SessionBatch) error {
	if err := b.Check(); err != nil {
		return fmt.Errorf("commit sessions: %w", err)
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM `+s.db+`.hp_commits WHERE batch = ? AND (hits = 0 OR ingest_id IN (SELECT id FROM `+s.db+`.ingests))`,
		b.ID).Scan(&n); err != nil {
		return fmt.Errorf("commit sessions %s: %w", b.ID, err)
	}
	if n > 0 {
		return nil
	}
	stx, err := s.Begin(ctx)
	if err != nil {
		return fmt.Errorf("commit sessions %s: %w", b.ID, err)
	}
	t := stx.(*Tx)
	if err := s.writeSessions(ctx, t.id, b.Sessions); err != nil {
		t.Abort()
		return fmt.Errorf("commit sessions %s: %w", b.ID, err)
	}
	hits := uint8(0)
	if b.Hits != nil {
		hits = 1
	}
	if err := s.insertRows(ctx, `INSERT INTO `+s.db+`.hp_commits (ingest_id, batch, hits, at, sessions)`,
		[]any{t.id, b.ID, hits, time.Now().UTC(), int32(len(b.Sessions))}); err != nil {
		t.Abort()
		return fmt.Errorf("commit sessions %s: %w", b.ID, err)
	}
	h := b.Hits
	if h == nil {
		t.mu.Lock()
		t.done = true
		t.mu.Unlock()
		return nil
	}
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

// writeSessions inserts one row per session id of ss (the last wins),
// tagged with the batch's ingest id.
func (s *Store) writeSessions(ctx context.Context, id int32, ss []session.Session) error {
	last := make(map[string]int, len(ss))
	for i := range ss {
		last[ss[i].ID] = i
	}
	var keep []*session.Session
	for i := range ss {
		if last[ss[i].ID] == i {
			keep = append(keep, &ss[i])
		}
	}
	rows := make([][]any, len(keep))
	for i, x := range keep {
		r, err := sessionRow(id, x)
		if err != nil {
			return fmt.Errorf("session %s: %w", x.ID, err)
		}
		rows[i] = r
	}
	if err := s.writeSessionURLs(ctx, id, keep); err != nil {
		return err
	}
	return s.insert(ctx, `INSERT INTO `+s.db+`.hp_sessions (ingest_id, id, sensor, service, port, src, src_port, dst,
		has_start, start_us, has_end, end_us, end_reason, arch, client_version, hassh, hassh_algos, telnet_options,
		filtered, country, logged_in, username, password, bytes_in, bytes_out, first_bytes, truncated, intrusion,
		login_users, texts, file_shas, sf_sha, sf_us, sf_seq, sf_size, sf_type, sf_via, lists)`, len(rows), func(i int) []any { return rows[i] })
}

func sessionRow(id int32, x *session.Session) ([]any, error) {
	l := lists{Logins: x.Logins, Commands: x.Commands, Requests: x.Requests, URLs: x.URLs}
	l.Logins = append([]session.Login(nil), x.Logins...)
	users := []string{}
	for i := range l.Logins {
		l.Logins[i].Time = micro(l.Logins[i].Time)
		users = append(users, l.Logins[i].Username)
	}
	texts := []string{}
	l.Commands = append([]session.Command(nil), x.Commands...)
	for i := range l.Commands {
		l.Commands[i].Time = micro(l.Commands[i].Time)
		texts = append(texts, l.Commands[i].Input)
	}
	l.Requests = append([]session.Request(nil), x.Requests...)
	for i := range l.Requests {
		l.Requests[i].Time = micro(l.Requests[i].Time)
		texts = append(texts, l.Requests[i].Path)
	}
	l.URLs = append([]session.URL(nil), x.URLs...)
	for i := range l.URLs {
		l.URLs[i].Time = micro(l.URLs[i].Time)
		texts = append(texts, l.URLs[i].URL)
	}
	shas := []string{}
	sfSHA, sfUS, sfSeq, sfSize, sfType, sfVia := []string{}, []int64{}, []int32{}, []int64{}, []string{}, []string{}
	l.Files = append([]session.File(nil), x.Files...)
	for i := range l.Files {
		f := &l.Files[i]
		f.Time, f.Content = micro(f.Time), nil
		shas = append(shas, f.SHA256)
		if f.Sample && f.SHA256 != "" {
			sfSHA, sfUS, sfSeq = append(sfSHA, f.SHA256), append(sfUS, f.Time.UnixMicro()), append(sfSeq, int32(i))
			sfSize, sfType, sfVia = append(sfSize, f.Size), append(sfType, f.Type), append(sfVia, f.Via)
		}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&l); err != nil {
		return nil, err
	}
	b2u := func(b bool) uint8 {
		if b {
			return 1
		}
		return 0
	}
	start, end := micro(x.Start), micro(x.End)
	var startUS, endUS int64
	if !start.IsZero() {
		startUS = start.UnixMicro()
	}
	if !end.IsZero() {
		endUS = end.UnixMicro()
	}
	return []any{id, x.ID, x.Sensor, x.Service, x.Port, addrText(x.Src), x.SrcPort, addrText(x.Dst),
		b2u(!start.IsZero()), startUS, b2u(!end.IsZero()), endUS, x.EndReason, x.Arch, x.ClientVersion, x.HASSH, x.HASSHAlgos, x.TelnetOptions,
		b2u(x.Filtered), x.Country, b2u(x.LoggedIn), x.Username, x.Password, x.BytesIn, x.BytesOut, string(x.FirstBytes),
		int32(x.Truncated), b2u(x.Intrusion()), users, texts, shas, sfSHA, sfUS, sfSeq, sfSize, sfType, sfVia, buf.String()}, nil
}

// addrText is an address as the tables keep it ("" for none).
func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.Unmap().String()
}

func parseAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a
}

// timeRange adds col within the inclusive days [from, to] in loc ("" =
// open); col is microseconds, has says it is known.
func timeRange(c *cond, has, col, from, to string, loc *time.Location) error {
	for _, b := range []struct {
		v, op string
		next  int
	}{{from, ">=", 0}, {to, "<", 1}} {
		if b.v == "" {
			continue
		}
		d, err := civil.Parse(b.v)
		if err != nil {
			return err
		}
		c.add(has+" = 1 AND "+col+" "+b.op+" ?", d.AddDays(b.next).Start(loc).UnixMicro())
	}
	return nil
}

// Sessions returns the sessions q selects, newest first, with their lists.
func (s *Store) Sessions(ctx context.Context, q store.SessionQuery) ([]session.Session, error) {
	limit, err := store.SessionLimit(q.Limit, q.Offset)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	c := &cond{parts: []string{s.currentSessions()}}
	if err := timeRange(c, "has_start", "start_us", q.From, q.To, s.loc); err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	in(c, "sensor", q.Sensors)
	in(c, "service", q.Services)
	if q.Src.IsValid() {
		c.add("src = ?", addrText(q.Src))
	}
	if q.ID != "" {
		c.add("id = ?", q.ID)
	}
	if q.LoggedIn {
		c.add("logged_in = 1")
	}
	if q.Intrusions {
		c.add("intrusion = 1")
	}
	if q.SHA256 != "" {
		h, err := store.HashPrefix(q.SHA256)
		if err != nil {
			return nil, fmt.Errorf("sessions: %w", err)
		}
		c.add(fmt.Sprintf("arrayExists(x -> substring(x, 1, %d) = ?, file_shas)", len(h)), h)
	}
	if q.Username != "" {
		c.add("(username = ? OR has(login_users, ?))", q.Username, q.Username)
	}
	if q.Contains != "" {
		c.add("arrayExists(x -> position(x, ?) > 0, texts)", q.Contains)
	}
	rows, err := s.conn.Query(ctx, `SELECT id, sensor, service, port, src, src_port, dst, has_start, start_us, has_end, end_us,
		end_reason, arch, client_version, hassh, hassh_algos, telnet_options, filtered, country, logged_in, username, password,
		bytes_in, bytes_out, first_bytes, truncated, lists
		FROM `+s.db+`.hp_sessions`+c.where()+fmt.Sprintf(` ORDER BY has_start DESC, start_us DESC, id DESC LIMIT %d, %d`, q.Offset, limit), c.args...)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	defer rows.Close()
	var out []session.Session
	for rows.Next() {
		var (
			x                  session.Session
			src, dst, fb, blob string
			hasStart, hasEnd   uint8
			startUS, endUS     int64
			filtered, loggedIn uint8
			trunc              int32
		)
		if err := rows.Scan(&x.ID, &x.Sensor, &x.Service, &x.Port, &src, &x.SrcPort, &dst, &hasStart, &startUS, &hasEnd, &endUS,
			&x.EndReason, &x.Arch, &x.ClientVersion, &x.HASSH, &x.HASSHAlgos, &x.TelnetOptions, &filtered, &x.Country, &loggedIn,
			&x.Username, &x.Password, &x.BytesIn, &x.BytesOut, &fb, &trunc, &blob); err != nil {
			return nil, fmt.Errorf("sessions: %w", err)
		}
		x.Src, x.Dst = parseAddr(src), parseAddr(dst)
		if hasStart == 1 {
			x.Start = time.UnixMicro(startUS).UTC()
		}
		if hasEnd == 1 {
			x.End = time.UnixMicro(endUS).UTC()
		}
		x.Filtered, x.LoggedIn, x.Truncated = filtered == 1, loggedIn == 1, int(trunc)
		if fb != "" {
			x.FirstBytes = []byte(fb)
		}
		if err := decodeLists(&x, blob); err != nil {
			return nil, fmt.Errorf("sessions: %s: %w", x.ID, err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	return out, nil
}

// decodeLists fills x's lists from a row's lists column, each bounded by
// store.MaxListRows, empty lists and bytes as nil.
func decodeLists(x *session.Session, blob string) error {
	var l lists
	if err := gob.NewDecoder(strings.NewReader(blob)).Decode(&l); err != nil {
		return err
	}
	utc := func(t time.Time) time.Time {
		if t.IsZero() {
			return time.Time{}
		}
		return t.UTC()
	}
	for i := range l.Logins {
		l.Logins[i].Time = utc(l.Logins[i].Time)
	}
	for i := range l.Commands {
		c := &l.Commands[i]
		c.Time = utc(c.Time)
		if len(c.Patterns) == 0 {
			c.Patterns = nil
		}
	}
	for i := range l.Requests {
		r := &l.Requests[i]
		r.Time = utc(r.Time)
		if len(r.Patterns) == 0 {
			r.Patterns = nil
		}
		if len(r.Body) == 0 {
			r.Body = nil
		}
	}
	for i := range l.URLs {
		l.URLs[i].Time = utc(l.URLs[i].Time)
	}
	for i := range l.Files {
		l.Files[i].Time = utc(l.Files[i].Time)
	}
	x.Logins, x.Commands, x.Requests = bound(l.Logins), bound(l.Commands), bound(l.Requests)
	x.URLs, x.Files = bound(l.URLs), bound(l.Files)
	return nil
}

func bound[T any](l []T) []T {
	if len(l) == 0 {
		return nil
	}
	return l[:min(len(l), store.MaxListRows)]
}

// Samples returns the samples q selects, most recently seen first: each
// distinct content of the current sessions' sample files, with how, in
// which session, from which source and at which sensor it first arrived,
// and the samples added by hand or fetched (samplesTable).
func (s *Store) Samples(ctx context.Context, q store.SampleQuery) ([]session.Sample, error) {
	limit, err := store.SessionLimit(q.Limit, q.Offset)
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	c := &cond{}
	if err := timeRange(c, "toUInt8(1)", "last_us", q.From, q.To, s.loc); err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	if q.SHA256 != "" {
		h, err := store.HashPrefix(q.SHA256)
		if err != nil {
			return nil, fmt.Errorf("samples: %w", err)
		}
		c.add(fmt.Sprintf("substring(sha, 1, %d) = ?", len(h)), h)
	}
	if q.Src.IsValid() {
		c.add(`sha IN (SELECT arrayJoin(sf_sha) FROM `+s.db+`.hp_sessions WHERE `+s.currentSessions()+` AND src = ?)`, addrText(q.Src))
	}
	rows, err := s.conn.Query(ctx, `SELECT sha, size, type, first_us, last_us, n, via, sid, src, sensor FROM `+s.samplesTable()+
		c.where()+fmt.Sprintf(` ORDER BY last_us DESC, sha LIMIT %d, %d`, q.Offset, limit), c.args...)
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	defer rows.Close()
	var out []session.Sample
	for rows.Next() {
		var (
			x           session.Sample
			first, last int64
			n           int64
			src         string
		)
		if err := rows.Scan(&x.SHA256, &x.Size, &x.Type, &first, &last, &n, &x.Via, &x.SessionID, &src, &x.Sensor); err != nil {
			return nil, fmt.Errorf("samples: %w", err)
		}
		x.First, x.Last = time.UnixMicro(first).UTC(), time.UnixMicro(last).UTC()
		x.Count, x.Src = int(n), parseAddr(src)
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	return out, nil
}
