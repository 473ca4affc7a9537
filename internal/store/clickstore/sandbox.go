package clickstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// Sandbox runs (store.SandboxStore, migration 9): a run's id is claimed in
// sandbox_run_claims, its indicators written, then its sandbox_runs row,
// which makes it exist (one single-row INSERT).

var _ store.SandboxStore = (*Store)(nil)

// claimRunID claims the next sandbox run id (the first claim of an id
// wins).
func (s *Store) claimRunID(ctx context.Context) (int64, error) {
	var tok [16]byte
	rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	for range 100 {
		var top int64
		if err := s.conn.QueryRow(ctx, `SELECT toInt64(max(id)) FROM `+s.db+`.sandbox_run_claims`).Scan(&top); err != nil {
			return 0, err
		}
		id := top + 1
		if err := s.insertRows(ctx, `INSERT INTO `+s.db+`.sandbox_run_claims (id, token, at)`, []any{id, token, time.Now().UTC()}); err != nil {
			return 0, err
		}
		var winner string
		if err := s.conn.QueryRow(ctx, `SELECT token FROM `+s.db+`.sandbox_run_claims WHERE id = ? ORDER BY at, token LIMIT 1`, id).Scan(&winner); err != nil {
			return 0, err
		}
		if winner == token {
			return id, nil
		}
	}
	return 0, errors.New("too many concurrent writers")
}

// AddSandboxRun implements store.SandboxStore.
func (s *Store) AddSandboxRun(ctx context.Context, r store.SandboxRun) (store.SandboxRun, error) {
	if s.readOnly {
		return r, errors.New("store opened read-only")
	}
	if err := s.malwareTables("add sandbox run"); err != nil {
		return r, err
	}
	if r.SHA256 == "" {
		return r, errors.New("sandbox run: no sample digest")
	}
	id, err := s.claimRunID(ctx)
	if err != nil {
		return r, fmt.Errorf("add sandbox run: %w", err)
	}
	r.ID = id
	r.Started = r.Started.UTC().Truncate(time.Microsecond)
	err = s.insert(ctx, `INSERT INTO `+s.db+`.sandbox_indicators (run, kind, value, count)`, len(r.Indicators), func(i int) []any {
		ind := &r.Indicators[i]
		return []any{id, ind.Kind, ind.Value, ind.Count}
	})
	if err != nil {
		return r, fmt.Errorf("add sandbox run: %w", err)
	}
	err = s.insertRows(ctx, `INSERT INTO `+s.db+`.sandbox_runs (id, sha256, arch, started_us, duration_ms, exit, timed_out, packets, sensor, notes)`,
		[]any{id, strings.ToLower(r.SHA256), r.Arch, r.Started.UnixMicro(), r.Duration.Milliseconds(), int32(r.Exit), b2u(r.TimedOut),
			r.Packets, r.Sensor, strings.Join(r.Notes, "\n")})
	if err != nil {
		return r, fmt.Errorf("add sandbox run: %w", err)
	}
	return r, nil
}

const runColumns = `id, sha256, arch, started_us, duration_ms, exit, timed_out, packets, sensor, notes`

// SandboxRuns implements store.SandboxStore.
func (s *Store) SandboxRuns(ctx context.Context, q store.SandboxRunQuery) ([]store.SandboxRun, error) {
	if err := s.malwareTables("sandbox runs"); err != nil {
		return nil, err
	}
	limit, prefix, err := q.Checked()
	if err != nil {
		return nil, fmt.Errorf("sandbox runs: %w", err)
	}
	rows, err := s.conn.Query(ctx, `SELECT `+runColumns+` FROM `+s.db+`.sandbox_runs
		WHERE substring(sha256, 1, ?) = ? ORDER BY started_us DESC, id DESC LIMIT `+fmt.Sprint(limit), len(prefix), prefix)
	if err != nil {
		return nil, fmt.Errorf("sandbox runs: %w", err)
	}
	return store.CollectRows(rows, store.ScanWrapped("sandbox runs", scanRun))
}

func scanRun(rows store.Scanner) (store.SandboxRun, error) {
	var (
		r        store.SandboxRun
		us, ms   int64
		exit     int32
		timedOut uint8
		notes    string
	)
	if err := rows.Scan(&r.ID, &r.SHA256, &r.Arch, &us, &ms, &exit, &timedOut, &r.Packets, &r.Sensor, &notes); err != nil {
		return r, err
	}
	r.Started, r.Duration = time.UnixMicro(us).UTC(), time.Duration(ms)*time.Millisecond
	r.Exit, r.TimedOut = int(exit), timedOut == 1
	if notes != "" {
		r.Notes = strings.Split(notes, "\n")
	}
	return r, nil
}

// SandboxRun implements store.SandboxStore.
func (s *Store) SandboxRun(ctx context.Context, id int64) (store.SandboxRun, error) {
	if err := s.malwareTables("sandbox run"); err != nil {
		return store.SandboxRun{}, err
	}
	rows, err := s.conn.Query(ctx, `SELECT `+runColumns+` FROM `+s.db+`.sandbox_runs WHERE id = ? LIMIT 1`, id)
	if err != nil {
		return store.SandboxRun{}, fmt.Errorf("sandbox run %d: %w", id, err)
	}
	var r store.SandboxRun
	found := rows.Next()
	if found {
		r, err = scanRun(rows)
	}
	if err == nil {
		err = rows.Err()
	}
	rows.Close()
	if err != nil {
		return r, fmt.Errorf("sandbox run %d: %w", id, err)
	}
	if !found {
		return r, fmt.Errorf("%w: %d", store.ErrNoRun, id)
	}
	inds, err := s.conn.Query(ctx, `SELECT kind, value, count FROM `+s.db+`.sandbox_indicators WHERE run = ?
		ORDER BY kind, count DESC, value`, id)
	if err != nil {
		return r, fmt.Errorf("sandbox run %d: %w", id, err)
	}
	defer inds.Close()
	for inds.Next() {
		var ind store.SandboxIndicator
		if err := inds.Scan(&ind.Kind, &ind.Value, &ind.Count); err != nil {
			return r, fmt.Errorf("sandbox run %d: %w", id, err)
		}
		r.Indicators = append(r.Indicators, ind)
	}
	return r, inds.Err()
}

// runWindow is the condition on ingest_id of the ingests of run's
// capture: those of its sensor whose packets lie within the run (a minute
// either side), as the DuckDB store has it; none for an unknown run.
func (s *Store) runWindow(ctx context.Context, run int64) (string, []any, error) {
	if err := s.malwareTables("source ports of a sandbox run"); err != nil {
		return "", nil, err
	}
	rows, err := s.conn.Query(ctx, `SELECT sensor, started_us, duration_ms FROM `+s.db+`.sandbox_runs WHERE id = ? LIMIT 1`, run)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return "1 = 0", nil, rows.Err()
	}
	var sensor string
	var us, ms int64
	if err := rows.Scan(&sensor, &us, &ms); err != nil {
		return "", nil, err
	}
	const minute = int64(time.Minute / time.Microsecond)
	from, to := (us-minute)*1000, (us+ms*1000+minute)*1000
	return `ingest_id IN (SELECT id FROM ` + s.db + `.ingests WHERE sensor = ? AND first_ns >= ? AND last_ns <= ?)`,
		[]any{sensor, from, to}, nil
}
