package triage

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/tlsh"
)

// Clustering: samples are linked when their TLSH digests are within a
// distance threshold or their telfhashes are (both only when present), and
// every connected group is a cluster. A cluster is named after the family
// most of its members' markers name (ties: the name first in alphabetical
// order); a cluster without markers is its own family, named after the
// cluster. Everything is deterministic: clusters are named after their
// smallest SHA-256 and the output is sorted.

// Default thresholds: TLSH distances under about 100 are commonly read as
// related content; telfhash digests hash short symbol lists and are kept
// tighter.
const (
	DefaultTLSHThreshold     = 70
	DefaultTelfhashThreshold = 40
)

// Item is one sample as clustering sees it.
type Item struct {
	SHA256   string
	TLSH     string // "" when none
	Telfhash string // "" when none
	Family   string // from markers ("" when none)
	Arch     string
	First    time.Time // first seen
}

// ClusterOptions tune Cluster.
type ClusterOptions struct {
	TLSHThreshold     int // 0: DefaultTLSHThreshold; negative: TLSH not used
	TelfhashThreshold int // 0: DefaultTelfhashThreshold; negative: telfhash not used
}

// Assignment places one sample in a cluster and a family.
type Assignment struct {
	SHA256  string `json:"sha256"`
	Cluster string `json:"cluster"` // "c-" and the first 12 hex digits of the cluster's smallest SHA-256
	Family  string `json:"family"`  // a marker family, or the cluster's name
	Size    int    `json:"cluster_size"`
}

type digested struct {
	i int
	d tlsh.Digest
}

// Cluster groups items. Pairs are compared only where their TLSH length
// codes allow a distance under the threshold (the length term alone adds
// 12 per step), so the work is far below n² when sizes vary.
func Cluster(items []Item, opt ClusterOptions) []Assignment {
	if opt.TLSHThreshold == 0 {
		opt.TLSHThreshold = DefaultTLSHThreshold
	}
	if opt.TelfhashThreshold == 0 {
		opt.TelfhashThreshold = DefaultTelfhashThreshold
	}
	its := slices.Clone(items)
	slices.SortFunc(its, func(a, b Item) int { return strings.Compare(a.SHA256, b.SHA256) })
	its = slices.CompactFunc(its, func(a, b Item) bool { return a.SHA256 == b.SHA256 })
	parent := make([]int, len(its))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra == rb {
			return
		}
		if rb < ra {
			ra, rb = rb, ra
		}
		parent[rb] = ra
	}
	link := func(get func(Item) string, threshold int) {
		if threshold < 0 {
			return
		}
		var ds []digested
		for i, it := range its {
			if s := get(it); s != "" {
				if d, err := tlsh.Parse(s); err == nil {
					ds = append(ds, digested{i, d})
				}
			}
		}
		slices.SortStableFunc(ds, func(a, b digested) int { return cmp.Compare(a.d.LValue, b.d.LValue) })
		// The length term is at least 12 per step beyond the first.
		span := threshold/12 + 1
		for x := range ds {
			for y := x + 1; y < len(ds) && int(ds[y].d.LValue)-int(ds[x].d.LValue) <= span; y++ {
				if tlsh.Distance(ds[x].d, ds[y].d) <= threshold {
					union(ds[x].i, ds[y].i)
				}
			}
		}
	}
	link(func(it Item) string { return it.TLSH }, opt.TLSHThreshold)
	link(func(it Item) string { return it.Telfhash }, opt.TelfhashThreshold)

	members := map[int][]int{}
	for i := range its {
		r := find(i)
		members[r] = append(members[r], i)
	}
	out := make([]Assignment, len(its))
	for r, ms := range members {
		name := "c-" + its[r].SHA256[:min(12, len(its[r].SHA256))]
		votes := map[string]int{}
		for _, m := range ms {
			if f := its[m].Family; f != "" {
				votes[f]++
			}
		}
		fam, best := name, 0
		for f, n := range votes {
			if n > best || n == best && f < fam {
				fam, best = f, n
			}
		}
		for _, m := range ms {
			out[m] = Assignment{SHA256: its[m].SHA256, Cluster: name, Family: fam, Size: len(ms)}
		}
	}
	return out
}

// FamilyRow is one row of a family table: the samples of a family first
// seen on a day, or of an architecture.
type FamilyRow struct {
	Key     string `json:"key"` // the day (YYYY-MM-DD) or the architecture
	Family  string `json:"family"`
	Samples int    `json:"samples"`
}

// FamilyTable counts the samples of each family by first-seen day (by
// "day", days in loc) or by architecture (by "arch"), sorted by key, then
// by count (largest first), then by family.
func FamilyTable(items []Item, as []Assignment, by string, loc *time.Location) []FamilyRow {
	if loc == nil {
		loc = time.UTC
	}
	fam := make(map[string]string, len(as))
	for _, a := range as {
		fam[a.SHA256] = a.Family
	}
	type k struct{ key, family string }
	counts := map[k]int{}
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.SHA256] {
			continue
		}
		seen[it.SHA256] = true
		key := it.Arch
		if by == "day" {
			key = ""
			if !it.First.IsZero() {
				key = it.First.In(loc).Format(time.DateOnly)
			}
		}
		if key == "" {
			key = "-"
		}
		f := fam[it.SHA256]
		if f == "" {
			f = "-"
		}
		counts[k{key, f}]++
	}
	out := make([]FamilyRow, 0, len(counts))
	for x, n := range counts {
		out = append(out, FamilyRow{x.key, x.family, n})
	}
	slices.SortFunc(out, func(a, b FamilyRow) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), cmp.Compare(b.Samples, a.Samples), strings.Compare(a.Family, b.Family))
	})
	return out
}

// UniquePoint is one day of the hash-unique sample count.
type UniquePoint struct {
	Day        string `json:"day"`
	New        int    `json:"new"`        // samples first seen that day
	Cumulative int    `json:"cumulative"` // samples first seen that day or before
}

// UniqueOverTime counts hash-unique samples by first-seen day (in loc),
// cumulatively. Samples without a first-seen time are left out.
func UniqueOverTime(items []Item, loc *time.Location) []UniquePoint {
	if loc == nil {
		loc = time.UTC
	}
	first := map[string]time.Time{}
	for _, it := range items {
		if it.First.IsZero() {
			continue
		}
		if t, ok := first[it.SHA256]; !ok || it.First.Before(t) {
			first[it.SHA256] = it.First
		}
	}
	days := map[string]int{}
	for _, t := range first {
		days[t.In(loc).Format(time.DateOnly)]++
	}
	out := make([]UniquePoint, 0, len(days))
	for d, n := range days {
		out = append(out, UniquePoint{Day: d, New: n})
	}
	slices.SortFunc(out, func(a, b UniquePoint) int { return strings.Compare(a.Day, b.Day) })
	total := 0
	for i := range out {
		total += out[i].New
		out[i].Cumulative = total
	}
	return out
}
