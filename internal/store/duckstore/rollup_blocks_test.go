package duckstore

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// TestBlockSpan checks that the whole blocks and edge days of a range
// cover each of its days exactly once, with no block reaching outside it
// and no edge day in a block that lies wholly inside; and that blockCover's
// blocks, added and subtracted days add up to the range's days.
func TestBlockSpan(t *testing.T) {
	defer func(n int) { blockDays = n }(blockDays)
	rng := rand.New(rand.NewPCG(3, 9))
	for _, n := range []int{1, 2, 3, 8} {
		blockDays = n
		for i := 0; i < 500; i++ {
			from := civil.Day(rng.IntN(80) - 40)
			to := from.AddDays(rng.IntN(30))
			blocks, edges := blockSpan(from, to)
			seen := map[civil.Day]int{}
			for _, b := range blocks {
				if blockOf(b) != b {
					t.Fatalf("n=%d %v..%v: block %v not aligned", n, from, to, b)
				}
				for d := b; d < b.AddDays(n); d++ {
					seen[d]++
				}
			}
			for _, e := range edges {
				for d := e[0]; d <= e[1]; d++ {
					seen[d]++
					if b := blockOf(d); b >= from && b.AddDays(n-1) <= to {
						t.Fatalf("n=%d %v..%v: edge day %v is in the whole block %v", n, from, to, d, b)
					}
				}
			}
			for d := from; d <= to; d++ {
				if seen[d] != 1 {
					t.Fatalf("n=%d %v..%v: day %v counted %d times (blocks %v, edges %v)", n, from, to, d, seen[d], blocks, edges)
				}
			}
			if len(seen) != to.Sub(from)+1 {
				t.Fatalf("n=%d %v..%v: %d days covered (blocks %v, edges %v)", n, from, to, len(seen), blocks, edges)
			}
			// blockCover: blocks and added days minus subtracted days count
			// each day of the range once and no other day, and reads at
			// most half a block of days at each partial block.
			lo, hi := civil.Day(math.MinInt32), civil.Day(math.MaxInt32)
			known := rng.IntN(2) == 0
			if known {
				lo = civil.Day(rng.IntN(80) - 40)
				hi = lo.AddDays(rng.IntN(30))
			}
			blocks, plus, minus := blockCover(from, to, lo, hi)
			net := map[civil.Day]int{}
			for _, b := range blocks {
				for d := b; d < b.AddDays(n); d++ {
					net[d]++
				}
			}
			days := 0
			for _, e := range plus {
				days += e[1].Sub(e[0]) + 1
				for d := e[0]; d <= e[1]; d++ {
					net[d]++
				}
			}
			for _, e := range minus {
				days += e[1].Sub(e[0]) + 1
				for d := e[0]; d <= e[1]; d++ {
					net[d]--
				}
			}
			for d := from.AddDays(-n); d <= to.AddDays(n); d++ {
				if want := map[bool]int{true: 1}[d >= from && d <= to]; net[d] != want {
					t.Fatalf("n=%d %v..%v: day %v counted %d times (blocks %v, plus %v, minus %v)", n, from, to, d, net[d], blocks, plus, minus)
				}
			}
			if !known && days > n {
				t.Fatalf("n=%d %v..%v: %d days read besides the blocks (plus %v, minus %v)", n, from, to, days, plus, minus)
			}
		}
	}
}

// TestPortBlocks keeps blocks of 3 days over a store of 12 days written by
// many files of two sensors (some days counted in Go, some by SQL, with
// merges after every due commit and with none), then checks
// rollup_block_port against a recount from the hits and TopKeys by port,
// which reads it, against the source-level answer on random ranges; again
// after a replacement.
func TestPortBlocks(t *testing.T) {
	for _, mergeMin := range []int{1, 1 << 30} {
		t.Run(fmt.Sprintf("merge-min-%d", mergeMin), func(t *testing.T) { testPortBlocks(t, mergeMin) })
	}
}

func testPortBlocks(t *testing.T, mergeMin int) {
	defer func(n, m int) { blockDays, blockMergeMin = n, m }(blockDays, blockMergeMin)
	blockDays, blockMergeMin = 3, mergeMin
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "b.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(11)
	first, _ := civil.Parse("2026-04-27")
	w.days = nil
	for i := 0; i < 12; i++ {
		w.days = append(w.days, first.AddDays(i).String())
	}
	commit := func(b *store.Batch) {
		t.Helper()
		if _, err := st.Commit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(5, 1))
	check := func(stage string) {
		t.Helper()
		checkPortBlocksRecount(t, st, stage)
		// Every (block, sensor) is merged as often as it is due.
		var due int
		if err := st.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT block, sensor, count(*) FILTER (WHERE merged) AS m,
				count(*) FILTER (WHERE NOT merged) AS a FROM rollup_block_port GROUP BY ALL) WHERE a >= ? AND a >= m`, blockMergeMin).Scan(&due); err != nil {
			t.Fatal(err)
		}
		if due > 0 {
			t.Errorf("%s: %d (block, sensor)s left unmerged when due", stage, due)
		}
		spanned := 0
		for i := 0; i < 60; i++ {
			from := first.AddDays(rng.IntN(16) - 3)
			to := from.AddDays(rng.IntN(14))
			if blocks, _ := blockSpan(from, to); len(blocks) > 0 {
				spanned++
			}
			sensors := [][]string{nil, {"a"}, {"b"}, {"b", "b"}}[rng.IntN(4)]
			classes := [][]string{nil, {"mirai"}, {"zmap", "access"}, {"backscatter"}}[rng.IntN(4)]
			tq := store.TopKeysQuery{Selection: store.Selection{Sensors: sensors, From: from, To: to}, Dim: store.DimPort, Classes: classes, N: 1 + rng.IntN(4)}
			readBoth(t, st, fmt.Sprintf("%s: top keys %+v", stage, tq), func() ([]store.Key, error) { return st.TopKeys(ctx, tq) }, nil)
			hp := 1 + rng.IntN(3)*1000
			readBoth(t, st, fmt.Sprintf("%s: high ports %+v from %d", stage, tq.Selection, hp), func() ([]store.HighPorts, error) {
				return st.HighPorts(ctx, tq.Selection, hp)
			}, nil)
		}
		if spanned == 0 {
			t.Errorf("%s: no range held a whole block", stage)
		}
	}
	for i := 0; i < 24; i++ {
		commit(w.batch([]string{"a", "b"}[i%2], fmt.Sprintf("sha256:%02d", i)))
	}
	// Both ways of counting a commit's blocks must have been used: days
	// the commit counted itself and days other ingests covered.
	var shared int
	if err := st.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT day, sensor FROM sources GROUP BY ALL HAVING count(DISTINCT ingest_id) > 1)`).Scan(&shared); err != nil {
		t.Fatal(err)
	}
	if shared == 0 {
		t.Fatal("no (sensor, day) has two ingests: the test checks only days counted in Go")
	}
	check("after 24 files")
	b := w.batch("a", "sha256:grown")
	b.Ingest.Supersedes = []string{"sha256:00", "sha256:02", "sha256:05"}
	b.Replace = true
	commit(b)
	check("after a replacement")
}

// checkPortBlocksRecount compares rollup_block_port's packets with a
// recount from the source-level hits.
func checkPortBlocksRecount(t *testing.T, st *Store, stage string) {
	t.Helper()
	q := func(table string) string {
		return `SELECT block, sensor, class, proto, port, packets FROM (
			SELECT ` + blockExpr("day") + ` AS block, sensor, class, proto, port, sum(packets) AS packets FROM (` + table + `) GROUP BY ALL)
			ORDER BY ALL`
	}
	raw := `SELECT h.day, h.sensor, c.name AS class, h.proto, h.port, h.packets FROM port_hits h JOIN classes c ON (h.classes & c.bit) <> 0
		UNION ALL SELECT h.day, NULL, c.name, h.proto, h.port, h.packets FROM port_hits h JOIN classes c ON (h.classes & c.bit) <> 0`
	want := peakRows(t, st, q(raw))
	got := peakRows(t, st, `SELECT block, sensor, class, proto, port, sum(packets) FROM rollup_block_port GROUP BY ALL ORDER BY ALL`)
	if len(want) == 0 {
		t.Fatalf("%s: the recount found no blocks", stage)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: rollup_block_port\n%v\nrecount\n%v", stage, got, want)
	}
}
