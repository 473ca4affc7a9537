package clickstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/honeyscope/honeyscope/internal/infra"
	"github.com/honeyscope/honeyscope/internal/store"
)

// DNS resolutions of names (infra.ResolutionStore): a row per name per
// put, the whole resolution as JSON; a name's resolution is its row of the
// highest seq (the put's time in nanoseconds and its position in the put).

var _ infra.ResolutionStore = (*Store)(nil)

// resolutionSeq keeps one process's puts in order when the clock does not
// move between them.
var resolutionSeq atomic.Uint64

// PutResolutions implements infra.ResolutionStore: each resolution
// replaces the name's earlier one (the last of a name in rs wins), in one
// INSERT block.
func (s *Store) PutResolutions(ctx context.Context, rs []infra.Resolution) error {
	if len(rs) == 0 {
		return nil
	}
	type row struct {
		r  infra.Resolution
		js string
	}
	var rows []row
	for _, r := range rs {
		if r.Name == "" {
			continue
		}
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("store resolution of %s: %w", r.Name, err)
		}
		rows = append(rows, row{r, string(b)})
	}
	base := uint64(time.Now().UnixNano())
	if last := resolutionSeq.Load(); base <= last {
		base = last + 1
	}
	resolutionSeq.Store(base + uint64(len(rows)))
	err := s.insert(ctx, `INSERT INTO `+s.db+`.infra_resolutions (name, seq, resolved_at, zone, cdn, result)`, len(rows), func(i int) []any {
		r := &rows[i].r
		return []any{r.Name, base + uint64(i), r.At.UTC(), r.Zone, r.CDN, rows[i].js}
	})
	if err != nil {
		return fmt.Errorf("store resolutions: %w", err)
	}
	return nil
}

// Resolutions implements infra.ResolutionStore: the stored resolutions of
// names (all stored names, up to infra.MaxNames, when names is nil),
// sorted by name; names never resolved are left out.
func (s *Store) Resolutions(ctx context.Context, names []string) ([]infra.Resolution, error) {
	q := `SELECT argMax(result, seq) FROM ` + s.db + `.infra_resolutions`
	if names == nil {
		return s.readResolutions(ctx, fmt.Sprintf(`%s GROUP BY name ORDER BY name LIMIT %d`, q, infra.MaxNames))
	}
	if len(names) > infra.MaxNames {
		names = names[:infra.MaxNames]
	}
	out, err := store.InChunks(names, 1000, func(args []any) ([]infra.Resolution, error) {
		return s.readResolutions(ctx, q+` WHERE name IN (`+placeholders(len(args))+`) GROUP BY name`, args...)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b infra.Resolution) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *Store) readResolutions(ctx context.Context, q string, args ...any) ([]infra.Resolution, error) {
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read resolutions: %w", err)
	}
	return store.CollectJSON[infra.Resolution](rows, "read resolutions")
}
