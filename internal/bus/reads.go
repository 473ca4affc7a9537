package bus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// noReads is a store.Reader (and the reads of store.SessionStore) that
// answers ErrNoReads.
type noReads struct{}

func (noReads) Stats(context.Context, store.StatsQuery) ([]store.StatsRow, error) {
	return nil, ErrNoReads
}
func (noReads) Sensors(context.Context) ([]store.Sensor, error) { return nil, ErrNoReads }
func (noReads) DataRange(context.Context, []string) (civil.Day, civil.Day, bool, error) {
	var d civil.Day
	return d, d, false, ErrNoReads
}
func (noReads) Captures(context.Context, []string) ([]store.Capture, error) { return nil, ErrNoReads }
func (noReads) Series(context.Context, store.SeriesQuery) ([]store.Series, error) {
	return nil, ErrNoReads
}
func (noReads) TopKeys(context.Context, store.TopKeysQuery) ([]store.Key, error) {
	return nil, ErrNoReads
}
func (noReads) DistinctSources(context.Context, []string, []store.KeyDays) ([]float64, error) {
	return nil, ErrNoReads
}
func (noReads) Breakdown(context.Context, store.BreakdownQuery) ([]store.BreakdownRow, error) {
	return nil, ErrNoReads
}
func (noReads) TopSources(context.Context, store.BreakdownQuery, int) ([]store.SourcePackets, error) {
	return nil, ErrNoReads
}
func (noReads) ClassTotals(context.Context, store.TotalsQuery) (store.ClassTotals, error) {
	return store.ClassTotals{}, ErrNoReads
}
func (noReads) HighPorts(context.Context, store.Selection, int) ([]store.HighPorts, error) {
	return nil, ErrNoReads
}
func (noReads) ASOrgs(context.Context, store.Selection) (map[uint32]string, error) {
	return nil, ErrNoReads
}
func (noReads) SourceDays(context.Context, netip.Addr, store.Selection) ([]store.SourceDay, error) {
	return nil, ErrNoReads
}
func (noReads) GeoDatabases(context.Context, []string) ([]store.GeoDBUse, error) {
	return nil, ErrNoReads
}
func (noReads) ExploitPatterns(context.Context, store.Selection) (store.ExploitPatterns, error) {
	return store.ExploitPatterns{}, ErrNoReads
}
func (noReads) FixedSourcePorts(context.Context, store.Selection, int) ([]store.SourcePortRow, error) {
	return nil, ErrNoReads
}
func (noReads) Sessions(context.Context, store.SessionQuery) ([]session.Session, error) {
	return nil, ErrNoReads
}
func (noReads) Samples(context.Context, store.SampleQuery) ([]session.Sample, error) {
	return nil, ErrNoReads
}

// tokenOf is a subject-safe token naming s.
func tokenOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

// validSHA256 reports whether s is 64 lower-case hex digits.
func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
