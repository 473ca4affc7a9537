package duckstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// sandboxSchema is the migration of sandbox runs: one row per run and its
// indicators (kind, value, count).
var sandboxSchema = []string{
	`CREATE SEQUENCE IF NOT EXISTS sandbox_run_ids START 1`,
	`CREATE TABLE IF NOT EXISTS sandbox_runs (
		id BIGINT PRIMARY KEY, sha256 VARCHAR NOT NULL, arch VARCHAR, started TIMESTAMP,
		duration_ms BIGINT, exit INTEGER, timed_out BOOLEAN, packets BIGINT, sensor VARCHAR, notes VARCHAR)`,
	`CREATE TABLE IF NOT EXISTS sandbox_indicators (
		run BIGINT, kind VARCHAR, value VARCHAR, count BIGINT)`,
}

var _ store.SandboxStore = (*Store)(nil)

// AddSandboxRun implements store.SandboxStore.
func (s *Store) AddSandboxRun(ctx context.Context, r store.SandboxRun) (store.SandboxRun, error) {
	if s.readOnly {
		return r, errors.New("store opened read-only")
	}
	if r.SHA256 == "" {
		return r, errors.New("sandbox run: no sample digest")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return r, fmt.Errorf("add sandbox run: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT nextval('sandbox_run_ids')`).Scan(&r.ID); err != nil {
		return r, fmt.Errorf("add sandbox run: %w", err)
	}
	r.Started = r.Started.UTC().Truncate(time.Microsecond)
	if _, err := tx.ExecContext(ctx, `INSERT INTO sandbox_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, strings.ToLower(r.SHA256), r.Arch, r.Started, r.Duration.Milliseconds(), r.Exit, r.TimedOut, r.Packets,
		r.Sensor, strings.Join(r.Notes, "\n")); err != nil {
		return r, fmt.Errorf("add sandbox run: %w", err)
	}
	const per = 500
	for i := 0; i < len(r.Indicators); i += per {
		part := r.Indicators[i:min(i+per, len(r.Indicators))]
		var b strings.Builder
		args := make([]any, 0, 4*len(part))
		b.WriteString(`INSERT INTO sandbox_indicators VALUES `)
		for j, ind := range part {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?)")
			args = append(args, r.ID, ind.Kind, ind.Value, ind.Count)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return r, fmt.Errorf("add sandbox run: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return r, fmt.Errorf("add sandbox run: %w", err)
	}
	return r, nil
}

// SandboxRuns implements store.SandboxStore.
func (s *Store) SandboxRuns(ctx context.Context, q store.SandboxRunQuery) ([]store.SandboxRun, error) {
	limit, prefix, err := q.Checked()
	if err != nil {
		return nil, fmt.Errorf("sandbox runs: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, sha256, arch, started, duration_ms, exit, timed_out, packets, sensor, notes
		FROM sandbox_runs WHERE starts_with(sha256, ?) ORDER BY started DESC, id DESC LIMIT ?`, prefix, limit)
	if err != nil {
		return nil, fmt.Errorf("sandbox runs: %w", err)
	}
	return store.CollectRows(rows, store.ScanWrapped("sandbox runs", scanRun))
}

func scanRun(rows store.Scanner) (store.SandboxRun, error) {
	var r store.SandboxRun
	var ms int64
	var arch, sensor, notes sql.NullString
	if err := rows.Scan(&r.ID, &r.SHA256, &arch, &r.Started, &ms, &r.Exit, &r.TimedOut, &r.Packets, &sensor, &notes); err != nil {
		return r, err
	}
	r.Arch, r.Sensor = arch.String, sensor.String
	r.Duration = time.Duration(ms) * time.Millisecond
	r.Started = r.Started.UTC()
	if notes.String != "" {
		r.Notes = strings.Split(notes.String, "\n")
	}
	return r, nil
}

// SandboxRun implements store.SandboxStore.
func (s *Store) SandboxRun(ctx context.Context, id int64) (store.SandboxRun, error) {
	row := s.db.QueryRowContext(ctx, `SELECT id, sha256, arch, started, duration_ms, exit, timed_out, packets, sensor, notes
		FROM sandbox_runs WHERE id = ?`, id)
	r, err := scanRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%w: %d", store.ErrNoRun, id)
	}
	if err != nil {
		return r, fmt.Errorf("sandbox run %d: %w", id, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT kind, value, count FROM sandbox_indicators WHERE run = ?
		ORDER BY kind, count DESC, value`, id)
	if err != nil {
		return r, fmt.Errorf("sandbox run %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var ind store.SandboxIndicator
		if err := rows.Scan(&ind.Kind, &ind.Value, &ind.Count); err != nil {
			return r, fmt.Errorf("sandbox run %d: %w", id, err)
		}
		r.Indicators = append(r.Indicators, ind)
	}
	return r, rows.Err()
}
