package clickstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// Samples added by hand and the samples' triage (store.TriageStore,
// migration 9). An add is a row of sample_adds; a triage a row of
// sample_triage, the highest seq of a sample its current one; a clustering
// a generation of sample_clusters made current by its sample_cluster_sets
// row. Which samples there are is samplesTable.

var _ store.TriageStore = (*Store)(nil)

// maxTriageJSON bounds one stored triage result, as in the DuckDB store.
const maxTriageJSON = 4 << 20

// shaChunk bounds the digests of one IN list.
const shaChunk = 1000

func (s *Store) writable(what string) error {
	if s.readOnly {
		return fmt.Errorf("%s: store opened read-only", what)
	}
	return s.malwareTables(what)
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

// known returns which of sha the store has as samples (of sessions, adds
// or fetches).
func (s *Store) known(ctx context.Context, sha []string) (map[string]bool, error) {
	out := map[string]bool{}
	for lo := 0; lo < len(sha); lo += shaChunk {
		ph, args := shaList(sha[lo:min(len(sha), lo+shaChunk)])
		rows, err := s.conn.Query(ctx, `SELECT DISTINCT sha FROM `+s.samplesTable()+` WHERE sha IN (`+ph+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return nil, err
			}
			out[h] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AddSamples implements store.TriageStore: the adds are one INSERT.
func (s *Store) AddSamples(ctx context.Context, adds []store.SampleAdd) (int, error) {
	if err := s.writable("add samples"); err != nil {
		return 0, err
	}
	var sha []string
	for _, a := range adds {
		if !validSHA(a.SHA256) {
			return 0, fmt.Errorf("add samples: %q is not a SHA-256 in lower-case hex", a.SHA256)
		}
		sha = append(sha, a.SHA256)
	}
	if len(adds) == 0 {
		return 0, nil
	}
	have, err := s.known(ctx, sha)
	if err != nil {
		return 0, fmt.Errorf("add samples: %w", err)
	}
	added := 0
	for _, h := range sha {
		if !have[h] {
			have[h] = true
			added++
		}
	}
	base := seqs(len(adds))
	now := time.Now().UTC()
	err = s.insert(ctx, `INSERT INTO `+s.db+`.sample_adds (sha256, seq, size, type, added_us, name)`, len(adds), func(i int) []any {
		a := &adds[i]
		t := a.Time
		if t.IsZero() {
			t = now
		}
		name := a.Name
		if len(name) > 256 {
			name = name[:256]
		}
		return []any{a.SHA256, base + uint64(i), a.Size, a.Type, micro(t).UnixMicro(), name}
	})
	if err != nil {
		return 0, fmt.Errorf("add samples: %w", err)
	}
	return added, nil
}

// PutTriage implements store.TriageStore: the records are one INSERT.
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
	base := seqs(len(recs))
	now := time.Now().UTC()
	err := s.insert(ctx, `INSERT INTO `+s.db+`.sample_triage (sha256, seq, version, triaged_us, arch, family, tlsh, telfhash, packed, result)`,
		len(recs), func(i int) []any {
			r := &recs[i]
			t := r.Time
			if t.IsZero() {
				t = now
			}
			return []any{r.SHA256, base + uint64(i), int32(r.Version), micro(t).UnixMicro(), r.Arch, r.Family, r.TLSH, r.Telfhash,
				b2u(r.Packed), string(r.Result)}
		})
	if err != nil {
		return fmt.Errorf("store triage: %w", err)
	}
	return nil
}

// currentTriage is each sample's newest triage row.
func (s *Store) currentTriage(where string) string {
	return `(SELECT sha256, argMax(version, seq) AS version, argMax(triaged_us, seq) AS triaged_us, argMax(arch, seq) AS arch,
			argMax(family, seq) AS family, argMax(tlsh, seq) AS tlsh, argMax(telfhash, seq) AS telfhash,
			argMax(packed, seq) AS packed, argMax(result, seq) AS result
		FROM ` + s.db + `.sample_triage` + where + ` GROUP BY sha256)`
}

// currentClusters is the rows of the current clustering.
func (s *Store) currentClusters() string {
	return `(SELECT sha256, cluster, family FROM ` + s.db + `.sample_clusters
		WHERE gen = (SELECT max(gen) FROM ` + s.db + `.sample_cluster_sets))`
}

// Triage implements store.TriageStore.
func (s *Store) Triage(ctx context.Context, sha []string) (map[string]store.TriageRecord, error) {
	out := map[string]store.TriageRecord{}
	if err := s.malwareTables("triage"); err != nil {
		return nil, err
	}
	for lo := 0; lo < len(sha); lo += shaChunk {
		ph, args := shaList(sha[lo:min(len(sha), lo+shaChunk)])
		if err := s.readTriage(ctx, out, ph, args); err != nil {
			return nil, fmt.Errorf("triage: %w", err)
		}
	}
	return out, nil
}

func (s *Store) readTriage(ctx context.Context, out map[string]store.TriageRecord, ph string, args []any) error {
	rows, err := s.conn.Query(ctx, `SELECT sha256, version, triaged_us, arch, family, tlsh, telfhash, packed, result
		FROM `+s.currentTriage(` WHERE sha256 IN (`+ph+`)`), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r      store.TriageRecord
			v      int32
			us     int64
			packed uint8
			result string
		)
		if err := rows.Scan(&r.SHA256, &v, &us, &r.Arch, &r.Family, &r.TLSH, &r.Telfhash, &packed, &result); err != nil {
			return err
		}
		r.Version, r.Time, r.Packed, r.Result = int(v), time.UnixMicro(us).UTC(), packed == 1, []byte(result)
		out[r.SHA256] = r
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	cl, err := s.conn.Query(ctx, `SELECT sha256, cluster, family FROM `+s.currentClusters()+` WHERE sha256 IN (`+ph+`)`, args...)
	if err != nil {
		return err
	}
	defer cl.Close()
	for cl.Next() {
		var h, c, f string
		if err := cl.Scan(&h, &c, &f); err != nil {
			return err
		}
		if r, ok := out[h]; ok {
			r.Cluster, r.ClusterFamily = c, f
			out[h] = r
		}
	}
	return cl.Err()
}

// Untriaged implements store.TriageStore.
func (s *Store) Untriaged(ctx context.Context, version, limit int) ([]string, error) {
	if err := s.malwareTables("untriaged samples"); err != nil {
		return nil, err
	}
	lim := ""
	if limit > 0 {
		lim = fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := s.conn.Query(ctx, `SELECT sha FROM `+s.samplesTable()+`
		WHERE sha NOT IN (SELECT sha256 FROM `+s.currentTriage("")+` WHERE version >= ?)
		ORDER BY last_us DESC, sha`+lim, int32(version))
	if err != nil {
		return nil, fmt.Errorf("untriaged samples: %w", err)
	}
	return store.CollectRows(rows, store.ScanWrapped("untriaged samples", store.ScanValue[string]))
}

// TriageItems implements store.TriageStore.
func (s *Store) TriageItems(ctx context.Context) ([]store.TriageItem, error) {
	if err := s.malwareTables("triage items"); err != nil {
		return nil, err
	}
	first := map[string]time.Time{}
	rows, err := s.conn.Query(ctx, `SELECT sha, first_us FROM `+s.samplesTable()+` WHERE sha IN (SELECT sha256 FROM `+s.db+`.sample_triage)`)
	if err != nil {
		return nil, fmt.Errorf("triage items: %w", err)
	}
	for rows.Next() {
		var h string
		var us int64
		if err := rows.Scan(&h, &us); err != nil {
			rows.Close()
			return nil, fmt.Errorf("triage items: %w", err)
		}
		first[h] = time.UnixMicro(us).UTC()
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("triage items: %w", err)
	}
	rows, err = s.conn.Query(ctx, `SELECT sha256, tlsh, telfhash, family, arch FROM `+s.currentTriage("")+` ORDER BY sha256`)
	if err != nil {
		return nil, fmt.Errorf("triage items: %w", err)
	}
	defer rows.Close()
	var out []store.TriageItem
	for rows.Next() {
		var it store.TriageItem
		if err := rows.Scan(&it.SHA256, &it.TLSH, &it.Telfhash, &it.Family, &it.Arch); err != nil {
			return nil, fmt.Errorf("triage items: %w", err)
		}
		it.First = first[it.SHA256]
		out = append(out, it)
	}
	return out, rows.Err()
}

// SetClusters implements store.TriageStore: the assignments are written
// as a new generation, current once its set row is; older generations are
// then deleted in the background.
func (s *Store) SetClusters(ctx context.Context, as []store.ClusterAssignment) error {
	if err := s.writable("store clusters"); err != nil {
		return err
	}
	for _, a := range as {
		if !validSHA(a.SHA256) {
			return errors.New("store clusters: a SHA-256 is not in lower-case hex")
		}
	}
	gen := seqs(1)
	err := s.insert(ctx, `INSERT INTO `+s.db+`.sample_clusters (gen, sha256, cluster, family)`, len(as), func(i int) []any {
		return []any{gen, as[i].SHA256, as[i].Cluster, as[i].Family}
	})
	if err != nil {
		return fmt.Errorf("store clusters: %w", err)
	}
	if err := s.insertRows(ctx, `INSERT INTO `+s.db+`.sample_cluster_sets (gen, assignments, at)`,
		[]any{gen, int64(len(as)), time.Now().UTC()}); err != nil {
		return fmt.Errorf("store clusters: %w", err)
	}
	// The generations before this one are read by nobody: a failed
	// mutation only leaves them for the next clustering to delete.
	_ = s.conn.Exec(ctx, `ALTER TABLE `+s.db+`.sample_clusters DELETE WHERE gen < ?`, gen)
	return nil
}
