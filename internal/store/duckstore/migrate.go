package duckstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// Numbered schema migrations. The schema a store has is recorded in
// meta.schema_version; each migration moves it from one number to the next
// in one transaction (its statements and the new version commit together,
// or nothing does). A new store runs every migration from 0; an existing
// store runs those above its version. Migrations are never edited once
// released: a change to the schema is a new migration at the end.
//
// Version 2 is the baseline: the schema of the last release before numbered
// migrations, created here by one step from an empty file. Stores older than
// that (version 1) cannot be upgraded.

// baselineVersion is the oldest schema a store can be upgraded from.
const baselineVersion = 2

// migration moves the schema from to-1 (or from 0, for the baseline) to to.
type migration struct {
	to   int
	name string
	up   func(ctx context.Context, tx *sql.Tx) error
}

// migrations in order; the last one's number is SchemaVersion.
var migrations = []migration{
	{baselineVersion, "baseline schema", execAll(schema)},
	{3, "per-day rollups and source-day class sets", migrateRollups},
	{4, "detection version of each ingest", execAll([]string{
		`ALTER TABLE ingests ADD COLUMN detection VARCHAR`,
	})},
	{5, "honeypot sessions and samples", execAll(sessionSchema)},
	{6, "packets a live capture lost", execAll([]string{
		`ALTER TABLE ingests ADD COLUMN kernel_drops UBIGINT DEFAULT 0`,
		`ALTER TABLE ingests ADD COLUMN queue_drops UBIGINT DEFAULT 0`,
	})},
	{7, "rule sets", execAll(ruleSetSchema)},
	{8, "fetched URLs", execAll(fetchSchema)},
	{9, "evidence for re-running rules", execAll(evidenceSchema)},
	{10, "samples added by hand, sample triage and clusters", execAll(triageSchema)},
	{11, "frames of undecoded link types and undated packets of each ingest", execAll([]string{
		`ALTER TABLE ingests ADD COLUMN not_decoded VARCHAR`,
		`ALTER TABLE ingests ADD COLUMN undated UBIGINT DEFAULT 0`,
	})},
	{12, "sandbox runs and their indicators", execAll(sandboxSchema)},
	{13, "DNS resolutions of names", execAll(infraSchema)},
	{14, "source-port histograms of confined sources", execAll(srcPortSchema)},
	{15, "transport batch ids of ingests", execAll(ingestBatchSchema)},
	{16, "busiest ports of each day", migratePortPeaks},
	{17, "source-day rows in numbers, their places in a table of their own", migrateSourceRows},
	{18, "port totals over blocks of days", migratePortBlocks},
	{19, "links: distinct sources over any range of days", execAll(linksSchema)},
	{20, "links: the earliest day written while they are counted", execAll(linksTouchedSchema)},
}

func execAll(stmts []string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
}

// errTooNew and errTooOld classify a version check's refusal.
var (
	errTooNew = errors.New("written by a newer honeyscope")
	errTooOld = errors.New("too old to upgrade")
)

// schemaVersion reads the store's schema version: 0 for a file without
// honeyscope tables (new, or a store whose creation never finished).
func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta' AND schema_name = 'main'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	var rows int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM meta`).Scan(&rows); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if rows == 0 {
		return 0, nil
	}
	var ver string
	err := db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&ver)
	if errors.Is(err, sql.ErrNoRows) {
		return 1, nil // before schema versions were recorded
	}
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	v, err := strconv.Atoi(ver)
	if err != nil {
		return 0, fmt.Errorf("schema version %q is not a number", ver)
	}
	return v, nil
}

// checkSchema refuses versions this build cannot open or upgrade.
func checkSchema(v int) error {
	if v > SchemaVersion {
		return fmt.Errorf("%w: store schema version %d, this build knows up to %d: use a newer honeyscope", errTooNew, v, SchemaVersion)
	}
	if v != 0 && v < baselineVersion {
		return fmt.Errorf("%w: written with store schema version %d; this build upgrades version %d and later only: "+
			"ingest the captures again into a new store (--db NEW.duckdb)", errTooOld, v, baselineVersion)
	}
	return nil
}

// migrate runs the migrations above the store's version up to target
// (SchemaVersion when 0), each in its own transaction. notify, when set, is
// told about each step of an existing store (not when a new one is created).
func migrate(ctx context.Context, db *sql.DB, target int, notify func(from, to int, name string)) error {
	if target == 0 {
		target = SchemaVersion
	}
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if err := checkSchema(v); err != nil {
		return err
	}
	existing := v != 0
	for _, m := range migrations {
		if m.to <= v || m.to > target {
			continue
		}
		if notify != nil && existing {
			notify(v, m.to, m.name)
		}
		if err := runMigration(ctx, db, m); err != nil {
			return fmt.Errorf("migrate schema %d -> %d (%s): %w", v, m.to, m.name, err)
		}
		v = m.to
	}
	return nil
}

func runMigration(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := m.up(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)`, strconv.Itoa(m.to)); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
