// Package forcelayout places the nodes of a graph in the plane with a
// force-directed layout (Fruchterman–Reingold forces with a pull towards
// the centre), the repulsion between all pairs approximated with a
// Barnes–Hut quadtree so that a step costs O(n log n): 10,000 nodes lay out
// in seconds (BENCHMARKS.md, "Infrastructure graph").
//
// The layout is deterministic: the same graph and Options give the same
// positions, whatever the number of CPUs.
package forcelayout

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// Point is a position in layout units (the ideal edge length is 1).
type Point struct{ X, Y float64 }

// Options tune the layout; the zero value is sensible.
type Options struct {
	// Iterations is the number of steps (0: 300 for up to 2,000 nodes,
	// fewer for larger graphs down to 120 from 5,000 nodes; at most 5,000).
	Iterations int
	// Seed picks the initial positions.
	Seed uint64
	// Theta is the Barnes–Hut opening criterion: a cell of side s at
	// distance d acts as one body when s/d < Theta (0: 0.9). Smaller is
	// more exact and slower.
	Theta float64
	// Gravity pulls every node towards the centre in proportion to its
	// distance so that disconnected parts stay in view (0: 0.5).
	Gravity float64
	// Workers bounds the goroutines of one step (0: GOMAXPROCS).
	Workers int
}

// MaxNodes is the largest graph Layout accepts; larger graphs get nil.
const MaxNodes = 1 << 20

// Layout returns a position for each of the n nodes. Edges are pairs of
// node indexes; edges naming a node outside [0, n) and self-loops are
// ignored. A node's mass is 1 + its degree, so hubs push harder and their
// leaves spread round them.
func Layout(n int, edges [][2]int, opt Options) []Point {
	if n <= 0 || n > MaxNodes {
		return nil
	}
	if opt.Iterations <= 0 {
		opt.Iterations = defaultIterations(n)
	}
	opt.Iterations = min(opt.Iterations, 5000)
	if !(opt.Theta > 0) {
		opt.Theta = 0.9
	}
	if !(opt.Gravity > 0) {
		opt.Gravity = 0.5
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	es := make([][2]int32, 0, len(edges))
	mass := make([]float64, n)
	for i := range mass {
		mass[i] = 1
	}
	for _, e := range edges {
		a, b := e[0], e[1]
		if a < 0 || b < 0 || a >= n || b >= n || a == b {
			continue
		}
		es = append(es, [2]int32{int32(a), int32(b)})
		mass[a]++
		mass[b]++
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))
	side := math.Sqrt(float64(n)) * 2
	pos := make([]Point, n)
	for i := range pos {
		pos[i] = Point{(rng.Float64() - 0.5) * side, (rng.Float64() - 0.5) * side}
	}
	if n == 1 {
		return []Point{{0, 0}}
	}
	disp := make([]Point, n)
	t := newTree(n)
	temp0 := side / 10
	for it := 0; it < opt.Iterations; it++ {
		temp := temp0 * (1 - float64(it)/float64(opt.Iterations))
		temp = math.Max(temp, 0.01)
		t.build(pos, mass)
		repulse(t, pos, mass, disp, opt)
		for _, e := range es {
			a, b := e[0], e[1]
			dx, dy := pos[a].X-pos[b].X, pos[a].Y-pos[b].Y
			d := math.Hypot(dx, dy)
			if d == 0 {
				continue
			}
			// Linear attraction (ForceAtlas2's): the force is the
			// distance; each end moves by it over its mass.
			_ = d
			disp[a].X -= dx / mass[a]
			disp[a].Y -= dy / mass[a]
			disp[b].X += dx / mass[b]
			disp[b].Y += dy / mass[b]
		}
		for i := range pos {
			dx, dy := disp[i].X, disp[i].Y
			dx -= opt.Gravity * pos[i].X
			dy -= opt.Gravity * pos[i].Y
			l := math.Hypot(dx, dy)
			if l > temp {
				dx, dy = dx/l*temp, dy/l*temp
			}
			if !math.IsNaN(dx) && !math.IsNaN(dy) {
				pos[i].X += dx
				pos[i].Y += dy
			}
			disp[i] = Point{}
		}
	}
	return pos
}

// repulse adds every node's repulsion (k²/d per unit of both masses,
// divided by its own mass) to disp, nodes split among workers; each node's
// sum is computed in the same order whatever the split.
func repulse(t *tree, pos []Point, mass []float64, disp []Point, opt Options) {
	n := len(pos)
	w := max(1, min(opt.Workers, n/512))
	theta2 := opt.Theta * opt.Theta
	var wg sync.WaitGroup
	chunk := (n + w - 1) / w
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Go(func() {
			stack := make([]int32, 0, 64)
			for i := lo; i < hi; i++ {
				fx, fy := t.force(int32(i), pos[i], theta2, stack)
				disp[i].X += fx
				disp[i].Y += fy
			}
		})
	}
	wg.Wait()
}

func defaultIterations(n int) int {
	switch {
	case n <= 2000:
		return 300
	case n >= 5000:
		return 120
	}
	return 300 - 180*(n-2000)/3000
}

// tree is a Barnes–Hut quadtree held in flat slices.
type tree struct {
	cells []cell
	next  []int32 // bodies in a leaf beyond the first (coincident points)
}

type cell struct {
	x0, y0, size float64 // the square
	cx, cy, m    float64 // centre of mass and mass
	child        [4]int32
	body         int32 // a leaf's first body, -1 for none
	leaf         bool
}

const maxDepth = 48

func newTree(n int) *tree {
	return &tree{cells: make([]cell, 0, 2*n), next: make([]int32, n)}
}

func (t *tree) build(pos []Point, mass []float64) {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, p := range pos {
		minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
		minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
	}
	size := math.Max(maxX-minX, maxY-minY)*1.0001 + 1e-9
	t.cells = t.cells[:0]
	t.cells = append(t.cells, cell{x0: minX, y0: minY, size: size, body: -1, leaf: true})
	for i := range t.next {
		t.next[i] = -1
	}
	for i := range pos {
		t.insert(int32(i), pos)
	}
	t.summarise(0, pos, mass)
}

func quadrant(c *cell, p Point) int {
	h := c.size / 2
	q := 0
	if p.X >= c.x0+h {
		q |= 1
	}
	if p.Y >= c.y0+h {
		q |= 2
	}
	return q
}

func (t *tree) split(ci int32) {
	c := t.cells[ci]
	h := c.size / 2
	for q := range 4 {
		x0, y0 := c.x0, c.y0
		if q&1 != 0 {
			x0 += h
		}
		if q&2 != 0 {
			y0 += h
		}
		t.cells[ci].child[q] = int32(len(t.cells))
		t.cells = append(t.cells, cell{x0: x0, y0: y0, size: h, body: -1, leaf: true})
	}
	t.cells[ci].leaf = false
}

func (t *tree) insert(b int32, pos []Point) {
	ci := int32(0)
	for depth := 0; ; depth++ {
		c := &t.cells[ci]
		if !c.leaf {
			ci = c.child[quadrant(c, pos[b])]
			continue
		}
		if c.body < 0 {
			c.body = b
			return
		}
		if depth >= maxDepth || pos[c.body] == pos[b] {
			// Coincident (or nearly): chain into the leaf.
			t.next[b] = t.next[c.body]
			t.next[c.body] = b
			return
		}
		old := c.body
		c.body = -1
		t.split(ci)
		c = &t.cells[ci]
		oc := c.child[quadrant(c, pos[old])]
		t.cells[oc].body = old // with its chain of coincident bodies
	}
}

// summarise computes centres of mass bottom-up (iteratively: a deep tree
// must not exhaust the stack).
func (t *tree) summarise(root int32, pos []Point, mass []float64) {
	order := []int32{root}
	for i := 0; i < len(order); i++ {
		c := &t.cells[order[i]]
		if !c.leaf {
			order = append(order, c.child[:]...)
		}
	}
	for i := len(order) - 1; i >= 0; i-- {
		c := &t.cells[order[i]]
		var m, sx, sy float64
		if c.leaf {
			for b := c.body; b >= 0; b = t.next[b] {
				m += mass[b]
				sx += pos[b].X * mass[b]
				sy += pos[b].Y * mass[b]
			}
		} else {
			for _, k := range c.child {
				ch := &t.cells[k]
				m += ch.m
				sx += ch.cx * ch.m
				sy += ch.cy * ch.m
			}
		}
		c.m = m
		if m > 0 {
			c.cx, c.cy = sx/m, sy/m
		}
	}
}

// force is the repulsion on body b at p divided by b's mass: the sum over
// the other bodies (or cells far enough to count as one) of m/d in the
// direction away from them.
func (t *tree) force(b int32, p Point, theta2 float64, stack []int32) (fx, fy float64) {
	stack = append(stack[:0], 0)
	for len(stack) > 0 {
		ci := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		c := &t.cells[ci]
		if c.m == 0 {
			continue
		}
		dx, dy := p.X-c.cx, p.Y-c.cy
		d2 := dx*dx + dy*dy
		if c.leaf {
			if !isIn(t, c, b) {
				if d2 > 0 {
					f := c.m / d2
					fx += dx * f
					fy += dy * f
				}
				continue
			}
			// b's own leaf holds only bodies at (about) its position:
			// push it away from each along a direction fixed by the
			// pair, opposite for the two, so that they separate.
			for o := c.body; o >= 0; o = t.next[o] {
				if o == b {
					continue
				}
				lo, hi := min(b, o), max(b, o)
				a := float64((int64(lo)*7919+int64(hi)*104729)%360) * math.Pi / 180
				if b == hi {
					a += math.Pi
				}
				fx += math.Cos(a)
				fy += math.Sin(a)
			}
			continue
		}
		if c.size*c.size < theta2*d2 {
			f := c.m / d2
			fx += dx * f
			fy += dy * f
			continue
		}
		stack = append(stack, c.child[:]...)
	}
	return fx, fy
}

func isIn(t *tree, c *cell, b int32) bool {
	for o := c.body; o >= 0; o = t.next[o] {
		if o == b {
			return true
		}
	}
	return false
}
