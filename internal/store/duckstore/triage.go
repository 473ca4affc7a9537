package duckstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// triageSchema is the migration adding samples added by hand, the
// samples' triage and the last clustering (docs/store.md).
var triageSchema = []string{
	`CREATE TABLE IF NOT EXISTS sample_adds (
		sha256 VARCHAR PRIMARY KEY, size BIGINT, type VARCHAR,
		first_added TIMESTAMP, last_added TIMESTAMP, times INTEGER, name VARCHAR)`,
	`CREATE TABLE IF NOT EXISTS sample_triage (
		sha256 VARCHAR PRIMARY KEY, version INTEGER, triaged_at TIMESTAMP, arch VARCHAR, family VARCHAR,
		tlsh VARCHAR, telfhash VARCHAR, packed BOOLEAN, result VARCHAR)`,
	`CREATE TABLE IF NOT EXISTS sample_clusters (
		sha256 VARCHAR PRIMARY KEY, cluster VARCHAR, family VARCHAR, clustered_at TIMESTAMP)`,
}

var _ store.TriageStore = (*Store)(nil)

// maxTriageJSON bounds one stored triage result.
const maxTriageJSON = 4 << 20

func (s *Store) writable(what string) error {
	if s.readOnly {
		return fmt.Errorf("%s: store opened read-only", what)
	}
	return nil
}

// AddSamples implements store.TriageStore.
func (s *Store) AddSamples(ctx context.Context, adds []store.SampleAdd) (int, error) {
	if err := s.writable("add samples"); err != nil {
		return 0, err
	}
	for _, a := range adds {
		if !validSHA(a.SHA256) {
			return 0, fmt.Errorf("add samples: %q is not a SHA-256 in lower-case hex", a.SHA256)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("add samples: %w", err)
	}
	defer tx.Rollback()
	added := 0
	for _, a := range adds {
		t := a.Time.UTC()
		if a.Time.IsZero() {
			t = time.Now().UTC()
		}
		name := a.Name
		if len(name) > 256 {
			name = name[:256]
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sample_adds VALUES (?, ?, ?, ?, ?, 1, ?)
			ON CONFLICT (sha256) DO UPDATE SET last_added = greatest(last_added, excluded.last_added),
				first_added = least(first_added, excluded.first_added), times = times + 1`,
			a.SHA256, a.Size, a.Type, t, t, name); err != nil {
			return 0, fmt.Errorf("add sample %s: %w", a.SHA256, err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM samples WHERE sha256 = ?`, a.SHA256).Scan(&n); err != nil {
			return 0, fmt.Errorf("add sample %s: %w", a.SHA256, err)
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO samples VALUES (?, ?, ?, ?, ?, 0, 'added', '', '', '')`,
				a.SHA256, a.Size, a.Type, t, t); err != nil {
				return 0, fmt.Errorf("add sample %s: %w", a.SHA256, err)
			}
			added++
			continue
		}
		// A sample only ever added: its last seen is its last add. One the
		// honeypot saw keeps the honeypot's times.
		if _, err := tx.ExecContext(ctx, `UPDATE samples SET last_seen = greatest(last_seen, ?), first_seen = least(first_seen, ?)
			WHERE sha256 = ? AND via = 'added'`, t, t, a.SHA256); err != nil {
			return 0, fmt.Errorf("add sample %s: %w", a.SHA256, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("add samples: %w", err)
	}
	return added, nil
}

// keepAdded puts back the row of a sample added by hand that no session
// has any longer (recountSample removed it).
func keepAdded(exec func(string, ...any) error, sha string) error {
	return exec(`INSERT INTO samples SELECT sha256, size, type, first_added, last_added, 0, 'added', '', '', ''
		FROM sample_adds WHERE sha256 = ? AND NOT EXISTS (SELECT 1 FROM samples WHERE sha256 = ?)`, sha, sha)
}

func validSHA(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// PutTriage implements store.TriageStore.
func (s *Store) PutTriage(ctx context.Context, recs []store.TriageRecord) error {
	if err := s.writable("store triage"); err != nil {
		return err
	}
	for _, r := range recs {
		if !validSHA(r.SHA256) {
			return fmt.Errorf("store triage: %q is not a SHA-256 in lower-case hex", r.SHA256)
		}
		if len(r.Result) > maxTriageJSON {
			return fmt.Errorf("store triage %s: result of %d bytes (at most %d)", r.SHA256, len(r.Result), maxTriageJSON)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store triage: %w", err)
	}
	defer tx.Rollback()
	for _, r := range recs {
		t := r.Time.UTC()
		if r.Time.IsZero() {
			t = time.Now().UTC()
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO sample_triage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.SHA256, int32(r.Version), t, r.Arch, r.Family, r.TLSH, r.Telfhash, r.Packed, string(r.Result)); err != nil {
			return fmt.Errorf("store triage %s: %w", r.SHA256, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store triage: %w", err)
	}
	return nil
}

// Triage implements store.TriageStore.
func (s *Store) Triage(ctx context.Context, sha []string) (map[string]store.TriageRecord, error) {
	out := map[string]store.TriageRecord{}
	if len(sha) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT t.sha256, t.version, t.triaged_at, coalesce(t.arch, ''), coalesce(t.family, ''),
			coalesce(t.tlsh, ''), coalesce(t.telfhash, ''), coalesce(t.packed, false), coalesce(t.result, ''),
			coalesce(c.cluster, ''), coalesce(c.family, '')
		FROM sample_triage t LEFT JOIN sample_clusters c ON c.sha256 = t.sha256
		WHERE t.sha256 IN (SELECT unnest(?::VARCHAR[]))`, sha)
	if err != nil {
		return nil, fmt.Errorf("triage: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r      store.TriageRecord
			v      int32
			t      sql.NullTime
			result string
		)
		if err := rows.Scan(&r.SHA256, &v, &t, &r.Arch, &r.Family, &r.TLSH, &r.Telfhash, &r.Packed, &result, &r.Cluster, &r.ClusterFamily); err != nil {
			return nil, fmt.Errorf("triage: %w", err)
		}
		r.Version, r.Time, r.Result = int(v), nullTime(t), []byte(result)
		out[r.SHA256] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("triage: %w", err)
	}
	return out, nil
}

// Untriaged implements store.TriageStore.
func (s *Store) Untriaged(ctx context.Context, version, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := s.db.QueryContext(ctx, `SELECT s.sha256 FROM samples s LEFT JOIN sample_triage t ON t.sha256 = s.sha256
		WHERE t.sha256 IS NULL OR t.version < ? ORDER BY s.last_seen DESC NULLS LAST, s.sha256 LIMIT ?`, int32(version), limit)
	if err != nil {
		return nil, fmt.Errorf("untriaged samples: %w", err)
	}
	return store.CollectRows(rows, store.ScanWrapped("untriaged samples", store.ScanValue[string]))
}

// TriageItems implements store.TriageStore.
func (s *Store) TriageItems(ctx context.Context) ([]store.TriageItem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.sha256, coalesce(t.tlsh, ''), coalesce(t.telfhash, ''), coalesce(t.family, ''),
			coalesce(t.arch, ''), s.first_seen
		FROM sample_triage t LEFT JOIN samples s ON s.sha256 = t.sha256 ORDER BY t.sha256`)
	if err != nil {
		return nil, fmt.Errorf("triage items: %w", err)
	}
	defer rows.Close()
	var out []store.TriageItem
	for rows.Next() {
		var (
			it    store.TriageItem
			first sql.NullTime
		)
		if err := rows.Scan(&it.SHA256, &it.TLSH, &it.Telfhash, &it.Family, &it.Arch, &first); err != nil {
			return nil, fmt.Errorf("triage items: %w", err)
		}
		it.First = nullTime(first)
		out = append(out, it)
	}
	return out, rows.Err()
}

// SetClusters implements store.TriageStore.
func (s *Store) SetClusters(ctx context.Context, as []store.ClusterAssignment) error {
	if err := s.writable("store clusters"); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store clusters: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM sample_clusters`); err != nil {
		return fmt.Errorf("store clusters: %w", err)
	}
	now := time.Now().UTC()
	const chunk = 500
	for i := 0; i < len(as); i += chunk {
		part := as[i:min(i+chunk, len(as))]
		var sha, cl, fam []string
		for _, a := range part {
			if !validSHA(a.SHA256) {
				return errors.New("store clusters: a SHA-256 is not in lower-case hex")
			}
			sha, cl, fam = append(sha, a.SHA256), append(cl, a.Cluster), append(fam, a.Family)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sample_clusters
			SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), ?`, sha, cl, fam, now); err != nil {
			return fmt.Errorf("store clusters: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store clusters: %w", err)
	}
	return nil
}
