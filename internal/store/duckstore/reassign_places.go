package duckstore

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/honeyscope/honeyscope/internal/store"
)

// ErrLocked is wrapped by Open's error when another process held the file
// for longer than Options.LockTimeout.
var ErrLocked = errors.New("store locked by another process")

// lockedError is DuckDB's lock error, telling errors.Is it is ErrLocked.
type lockedError struct{ err error }

func (e lockedError) Error() string        { return e.err.Error() }
func (e lockedError) Unwrap() error        { return e.err }
func (e lockedError) Is(target error) bool { return target == ErrLocked }

// ReassignSources returns the distinct stored source addresses of days
// [from, to] (either may be "" for open), sorted: the addresses Reassign
// would look up. A remote owner sends them to the client, which locates
// them and sends the places back (see package remote). Stored text that is
// not an address is left out (Reassign gives it country "??").
func (s *Store) ReassignSources(ctx context.Context, from, to string) ([]netip.Addr, error) {
	where, args, err := dayRange(from, to)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT src FROM sources`+where, args...)
	if err != nil {
		return nil, fmt.Errorf("reassign sources: %w", err)
	}
	defer rows.Close()
	var out []netip.Addr
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("reassign sources: %w", err)
		}
		if a, err := netip.ParseAddr(v); err == nil {
			out = append(out, a)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reassign sources: %w", err)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out), nil
}

// ReassignPlaces geolocates days [from, to] again with places already
// looked up: places[i] is the place of srcs[i], srcs sorted as
// ReassignSources returns them. It runs Reassign (one transaction, the
// same updates and geo_history row); a source not in srcs (stored after
// the list was made) gets country "??", so callers hold off other writers
// between the two calls.
func (s *Store) ReassignPlaces(ctx context.Context, from, to string, srcs []netip.Addr, places []store.Place, countryDB, asnDB string) (store.ReassignResult, error) {
	// Sources may change country or AS: what commits carried is stale.
	defer s.carry.drop()
	if len(srcs) != len(places) {
		return store.ReassignResult{}, fmt.Errorf("reassign: %d places for %d sources", len(places), len(srcs))
	}
	locate := func(a netip.Addr) store.Place {
		if i, ok := slices.BinarySearchFunc(srcs, a, netip.Addr.Compare); ok {
			return places[i]
		}
		return store.Place{Country: "??"}
	}
	return s.Reassign(ctx, from, to, locate, countryDB, asnDB)
}

// CheckTimeZone says whether a store whose days are in have can be opened
// by a caller asking for want ("" accepts any zone): the error Open gives
// for a mismatch, for callers that reach the store another way (a remote
// owner).
func CheckTimeZone(path, have, want string) error {
	if want == "" || want == have || sameZone(want, have) {
		return nil
	}
	return fmt.Errorf("store %s: store days are in %s; it was created with that zone and cannot change to %s (use a new --db)", path, have, want)
}
