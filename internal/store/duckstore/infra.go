package duckstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/honeyscope/honeyscope/internal/infra"
	"github.com/honeyscope/honeyscope/internal/store"
)

// infraSchema is the migration that keeps DNS resolutions of names (the
// infrastructure graph's input): one row per name, the latest resolution,
// its fields as JSON (infra.Resolution).
var infraSchema = []string{
	`CREATE TABLE IF NOT EXISTS infra_resolutions (
		name VARCHAR PRIMARY KEY, resolved_at TIMESTAMP, zone VARCHAR, cdn VARCHAR, result VARCHAR)`,
}

var _ infra.ResolutionStore = (*Store)(nil)

// maxResolutionsRead bounds one read of resolutions.
const maxResolutionsRead = infra.MaxNames

// PutResolutions implements infra.ResolutionStore: each resolution
// replaces the name's earlier one, all in one transaction.
func (s *Store) PutResolutions(ctx context.Context, rs []infra.Resolution) error {
	if len(rs) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store resolutions: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO infra_resolutions VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store resolutions: %w", err)
	}
	defer st.Close()
	for _, r := range rs {
		if r.Name == "" {
			continue
		}
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("store resolution of %s: %w", r.Name, err)
		}
		if _, err := st.ExecContext(ctx, r.Name, r.At.UTC(), r.Zone, r.CDN, string(b)); err != nil {
			return fmt.Errorf("store resolution of %s: %w", r.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store resolutions: %w", err)
	}
	return nil
}

// Resolutions implements infra.ResolutionStore: the stored resolutions of
// names (all stored names, up to infra.MaxNames, when names is nil),
// sorted by name; names never resolved are left out.
func (s *Store) Resolutions(ctx context.Context, names []string) ([]infra.Resolution, error) {
	if names == nil {
		return s.readResolutions(ctx, fmt.Sprintf(`SELECT result FROM infra_resolutions ORDER BY name LIMIT %d`, maxResolutionsRead))
	}
	if len(names) > maxResolutionsRead {
		names = names[:maxResolutionsRead]
	}
	out, err := store.InChunks(names, 1000, func(args []any) ([]infra.Resolution, error) {
		return s.readResolutions(ctx, `SELECT result FROM infra_resolutions WHERE name IN (?`+strings.Repeat(", ?", len(args)-1)+`)`, args...)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b infra.Resolution) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *Store) readResolutions(ctx context.Context, q string, args ...any) ([]infra.Resolution, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read resolutions: %w", err)
	}
	return store.CollectJSON[infra.Resolution](rows, "read resolutions")
}
