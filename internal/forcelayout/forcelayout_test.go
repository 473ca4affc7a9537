package forcelayout

import (
	"math"
	"syscall"
	"testing"
	"time"
)

// star returns hubs, each with leaves of its own, plus a chain between hubs.
func star(hubs, leaves int) (int, [][2]int) {
	n := hubs * (1 + leaves)
	var es [][2]int
	for h := range hubs {
		hub := h * (1 + leaves)
		for l := 1; l <= leaves; l++ {
			es = append(es, [2]int{hub, hub + l})
		}
		if h > 0 {
			es = append(es, [2]int{hub, hub - 1 - leaves})
		}
	}
	return n, es
}

func dist(a, b Point) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

func TestDeterministic(t *testing.T) {
	n, es := star(5, 40)
	a := Layout(n, es, Options{Seed: 7, Iterations: 100, Workers: 1})
	b := Layout(n, es, Options{Seed: 7, Iterations: 100, Workers: 4})
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("node %d: %v with 1 worker, %v with 4", i, a[i], b[i])
		}
	}
	c := Layout(n, es, Options{Seed: 8, Iterations: 100})
	same := 0
	for i := range a {
		if a[i] == c[i] {
			same++
		}
	}
	if same == n {
		t.Error("another seed gave the same layout")
	}
}

// TestLeavesNearTheirHub checks the layout does its job: each leaf ends up
// nearer its own hub than any other hub, and no two nodes coincide.
func TestLeavesNearTheirHub(t *testing.T) {
	const hubs, leaves = 6, 30
	n, es := star(hubs, leaves)
	pos := Layout(n, es, Options{Seed: 1, Iterations: 40})
	wrong := 0
	for h := range hubs {
		hub := h * (1 + leaves)
		for l := 1; l <= leaves; l++ {
			p := pos[hub+l]
			for o := range hubs {
				if o != h && dist(p, pos[o*(1+leaves)]) < dist(p, pos[hub]) {
					wrong++
					break
				}
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d leaves nearer another hub than their own", wrong, hubs*leaves)
	}
	for i := range pos {
		if math.IsNaN(pos[i].X) || math.IsNaN(pos[i].Y) {
			t.Fatalf("node %d at NaN", i)
		}
		for j := i + 1; j < len(pos); j++ {
			if dist(pos[i], pos[j]) < 1e-6 {
				t.Errorf("nodes %d and %d coincide", i, j)
			}
		}
	}
}

func TestDegenerateInput(t *testing.T) {
	if Layout(0, nil, Options{}) != nil {
		t.Error("empty graph")
	}
	if p := Layout(1, [][2]int{{0, 0}, {0, 5}, {-1, 0}}, Options{}); len(p) != 1 {
		t.Error("one node")
	}
	// Every node at the same spot after the first step would be a
	// quadtree of unbounded depth; bad edges are ignored.
	p := Layout(50, [][2]int{{0, 1}, {1, 99}, {3, 3}}, Options{Iterations: 20})
	if len(p) != 50 {
		t.Fatal(len(p))
	}
}

func BenchmarkLayout10k(b *testing.B) {
	// 10,000 names over 600 name servers, two servers per name, power-law
	// popularity: the shape of the infrastructure graph.
	const names, servers = 10000, 600
	n := names + servers
	var es [][2]int
	x := uint64(1)
	for i := range names {
		for k := range 2 {
			x = x*6364136223846793005 + 1442695040888963407
			r := float64(x>>11) / (1 << 53)
			s := int(math.Pow(r, 3) * servers)
			es = append(es, [2]int{i, names + (s+k)%servers})
		}
	}
	b.ResetTimer()
	c0 := cpuTime()
	for range b.N {
		Layout(n, es, Options{Seed: 1})
	}
	// The machine may be shared: CPU time is the steadier figure.
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
