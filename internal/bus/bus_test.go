package bus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/synth"
)

const testTZ = "Asia/Tokyo"

type geoPool struct{}

func (geoPool) Countries() []string                          { return geo.DefaultCountries() }
func (geoPool) Addr(cc string, n uint64) (netip.Addr, bool)  { return geo.DefaultAddr(cc, n) }
func (geoPool) Addr6(cc string, n uint64) (netip.Addr, bool) { return geo.DefaultAddr6(cc, n) }

func locate(a netip.Addr) store.Place {
	cc := []string{"JP", "US", "CN"}[a.As16()[15]%3]
	return store.Place{Country: cc, ASN: uint32(a.As16()[14])}
}

// sensorInput is what one sensor ingests: a capture and a Cowrie log
// (files), and honeypot session batches of its own.
type sensorInput struct {
	name    string
	files   []string
	nets    []netip.Prefix
	batches []store.SessionBatch
}

// makeInputs writes the two sensors' inputs: an open sensor and a
// domestic one, each with a capture, a Cowrie log and two honeypot
// batches (one holding samples with contents).
func makeInputs(t *testing.T) []sensorInput {
	t.Helper()
	dir := t.TempDir()
	var out []sensorInput
	for i, name := range []string{"open", "domestic"} {
		capPath := filepath.Join(dir, name+"-20260501.pcap")
		cfg := synth.Config{Packets: 20000 + 5000*i, Days: 4, Seed: uint64(11 + i), Pool: geoPool{}}
		if i == 1 {
			cfg.SensorNet = synth.DefaultSensorNet2
		}
		truth, err := synth.WriteFile(capPath, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ss, _, err := synth.Sessions(synth.SessionOptions{Seed: uint64(21 + i), Days: 4, PerDay: 6, Pool: geoPool{},
			Sensors: []synth.SessionSensor{{Name: name}}})
		if err != nil {
			t.Fatal(err)
		}
		logPath := filepath.Join(dir, name+"-cowrie.json")
		if err := synth.WriteCowrieFile(logPath, ss); err != nil {
			t.Fatal(err)
		}
		nets, err := ingest.ParseNets([]string{truth.SensorNet, truth.SensorNet6})
		if err != nil {
			t.Fatal(err)
		}
		hp, _, err := synth.Sessions(synth.SessionOptions{Seed: uint64(31 + i), Days: 2, PerDay: 10, Pool: geoPool{},
			Sensors: []synth.SessionSensor{{Name: name}}})
		if err != nil {
			t.Fatal(err)
		}
		for j := range hp {
			hp[j].ID = fmt.Sprintf("hp-%s-%s", name, hp[j].ID)
		}
		half := len(hp) / 2
		out = append(out, sensorInput{name: name, files: []string{capPath, logPath}, nets: nets, batches: []store.SessionBatch{
			{ID: "honeypot:" + name + ":1", Sessions: hp[:half]},
			{ID: "honeypot:" + name + ":2", Sessions: hp[half:]},
		}})
	}
	return out
}

// feed ingests in's files and commits its batches into st (opened by open).
func feed(t *testing.T, in sensorInput, open func(ctx context.Context, tz string) (store.Store, error)) {
	t.Helper()
	ctx := context.Background()
	res, err := ingest.Run(ctx, ingest.Config{DBPath: filepath.Join(t.TempDir(), "unused.duckdb"), Sensor: in.name, TimeZone: testTZ,
		Locate: locate, SensorNets: in.nets, Open: open, SkipVerify: true, Workers: 1}, in.files)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || !r.Committed {
			t.Fatalf("ingest %s: %+v", r.Path, r)
		}
	}
	st, err := open(ctx, testTZ)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, b := range in.batches {
		if err := st.CommitSessions(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
}

func openDuck(t testing.TB, path string) *duckstore.Store {
	return openDuckTZ(t, path, testTZ)
}

func openDuckTZ(t testing.TB, path, tz string) *duckstore.Store {
	t.Helper()
	st, err := duckstore.Open(context.Background(), path, duckstore.Options{TimeZone: tz})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// direct is the store a direct ingest of inputs makes.
func direct(t *testing.T, inputs []sensorInput) *duckstore.Store {
	path := filepath.Join(t.TempDir(), "direct.duckdb")
	st := openDuck(t, path)
	t.Cleanup(func() { st.Close() })
	for _, in := range inputs {
		feed(t, in, func(ctx context.Context, tz string) (store.Store, error) { return noClose{st}, nil })
	}
	return st
}

// noClose keeps a shared store open across ingest's closes.
type noClose struct{ store.Store }

func (noClose) Close() error { return nil }

// summary is what two stores must agree on.
type summary struct {
	Stats    map[string][]store.StatsRow
	Ingests  int
	Sessions []string
	Samples  []string
}

func summarize(t *testing.T, st store.Store) summary {
	t.Helper()
	ctx := context.Background()
	s := summary{Stats: map[string][]store.StatsRow{}}
	for _, by := range [][]string{nil, {"day", "sensor", "class"}, {"sensor", "country"}, {"sensor", "port"}, {"sensor", "src"}} {
		rows, err := st.Stats(ctx, store.StatsQuery{By: by, OrderBy: "key"})
		if err != nil {
			t.Fatal(err)
		}
		s.Stats[fmt.Sprint(by)] = rows
	}
	caps, err := st.Captures(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Ingests = len(caps)
	ss, err := st.Sessions(ctx, store.SessionQuery{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ss {
		s.Sessions = append(s.Sessions, fmt.Sprintf("%s %s %d cmds %d files", x.ID, x.Sensor, len(x.Commands), len(x.Files)))
	}
	sort.Strings(s.Sessions)
	sm, err := st.Samples(ctx, store.SampleQuery{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range sm {
		s.Samples = append(s.Samples, fmt.Sprintf("%s %d %d", x.SHA256, x.Size, x.Count))
	}
	sort.Strings(s.Samples)
	return s
}

func compare(t *testing.T, want, got summary) {
	t.Helper()
	if len(want.Stats["[]"]) == 0 || want.Stats["[]"][0].Packets == 0 || len(want.Sessions) == 0 {
		t.Fatal("the direct store is empty")
	}
	for k, w := range want.Stats {
		if g := got.Stats[k]; !reflect.DeepEqual(w, g) {
			t.Errorf("stats by %s: %d rows, want %d (first: %v, want %v)", k, len(g), len(w), first(g), first(w))
		}
	}
	if got.Ingests != want.Ingests {
		t.Errorf("%d ingests, want %d", got.Ingests, want.Ingests)
	}
	if !reflect.DeepEqual(got.Sessions, want.Sessions) {
		t.Errorf("%d sessions, want %d", len(got.Sessions), len(want.Sessions))
	}
	if !reflect.DeepEqual(got.Samples, want.Samples) {
		t.Errorf("samples %v, want %v", got.Samples, want.Samples)
	}
}

func first(rows []store.StatsRow) any {
	if len(rows) == 0 {
		return nil
	}
	return rows[0]
}

// freePort returns a loopback port nobody listens on.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// hub is a hub server the test can stop and start again on its ports.
type hub struct {
	t              testing.TB
	dir            string
	port, leafPort int
	srv            *server.Server
}

func newHub(t *testing.T) *hub {
	h := &hub{t: t, dir: t.TempDir(), port: freePort(t), leafPort: freePort(t)}
	h.start()
	t.Cleanup(h.stop)
	nc := h.connect()
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := EnsureHub(context.Background(), js, HubConfig{}); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *hub) start() {
	srv, err := StartHubServer(HubServerConfig{Port: h.port, LeafPort: h.leafPort, StoreDir: h.dir})
	if err != nil {
		h.t.Fatal(err)
	}
	h.srv = srv
}

func (h *hub) stop() {
	if h.srv != nil {
		h.srv.Shutdown()
		h.srv.WaitForShutdown()
		h.srv = nil
	}
}

func (h *hub) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", h.port) }

func (h *hub) connect() *nats.Conn {
	nc, err := Connect(h.url(), Auth{}, "test")
	if err != nil {
		h.t.Fatal(err)
	}
	return nc
}

// proxy forwards a loopback port to another and can cut every
// connection and refuse new ones for a while: a sensor's link.
type proxy struct {
	t      *testing.T
	port   int
	target string
	mu     sync.Mutex
	l      net.Listener
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, port: freePort(t), target: target}
	p.restore()
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) restore() {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p.port))
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// sensor is a sensor's leaf server, linked to the hub through a proxy.
type sensor struct {
	leaf  *Leaf
	proxy *proxy
	nc    *nats.Conn
	pub   *Publisher
}

func newSensor(t *testing.T, h *hub, name string) *sensor {
	t.Helper()
	ctx := context.Background()
	p := newProxy(t, fmt.Sprintf("127.0.0.1:%d", h.leafPort))
	leaf, err := StartLeaf(ctx, LeafConfig{Sensor: name, StoreDir: t.TempDir(), Hub: fmt.Sprintf("nats-leaf://127.0.0.1:%d", p.port),
		ReconnectInterval: 100 * time.Millisecond, MaxBytes: 256 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(leaf.Shutdown)
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := leaf.Register(rctx, ""); err != nil {
		t.Fatal(err)
	}
	nc, err := leaf.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	pub, err := NewPublisher(nc, PublisherConfig{Sensor: name, TimeZone: testTZ, PartBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return &sensor{leaf: leaf, proxy: p, nc: nc, pub: pub}
}

func (s *sensor) open(ctx context.Context, tz string) (store.Store, error) {
	return noClose{s.pub}, nil
}

// collect runs collectors into st until the hub's stream holds nothing
// unacknowledged and every expected batch arrived; hooks are the
// collectors' test hooks, a new collector taking over when one
// abandons a batch.
func collect(t *testing.T, h *hub, st store.Store, batches int, samples *sampleSet, before, after func(string) error) (last *Collector, handled uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	nc := h.connect()
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var sink SampleSink
	if samples != nil {
		sink = samples.put
	}
	var applied uint64
	for {
		c, err := NewCollector(ctx, js, st, CollectorConfig{AckWait: time.Second, Samples: sink})
		if err != nil {
			t.Fatal(err)
		}
		c.beforeCommit, c.afterCommit = before, after
		rctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- c.Run(rctx) }()
		crashed := false
		for !crashed {
			select {
			case err := <-done:
				if err == nil || ctx.Err() != nil {
					t.Fatalf("collector ended: %v", err)
				}
				crashed = true
				continue
			case <-time.After(100 * time.Millisecond):
			}
			n, err := c.Pending(ctx)
			if err == nil && n == 0 && applied+c.Committed.Load()+c.Duplicates.Load() >= uint64(batches) {
				stop()
				<-done
				if c.Refused.Load() != 0 {
					t.Fatalf("%d messages refused", c.Refused.Load())
				}
				return c, applied + c.Committed.Load() + c.Duplicates.Load()
			}
		}
		stop()
		applied += c.Committed.Load() + c.Duplicates.Load()
	}
}

// sampleSet is a SampleSink that remembers what it got.
type sampleSet struct {
	mu sync.Mutex
	m  map[string]int
}

func (s *sampleSet) put(ctx context.Context, sha string, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]int{}
	}
	s.m[sha] = len(b)
	return nil
}

// batchCount is how many batches (commit records) the inputs make: one
// per file, one per session batch.
func batchCount(inputs []sensorInput) int {
	n := 0
	for _, in := range inputs {
		n += len(in.files) + len(in.batches)
	}
	return n
}

func sampleContents(inputs []sensorInput) map[string]int {
	m := map[string]int{}
	for _, in := range inputs {
		for _, b := range in.batches {
			for _, s := range b.Sessions {
				for _, f := range s.Files {
					if f.Sample && len(f.Content) > 0 {
						m[f.SHA256] = len(f.Content)
					}
				}
			}
		}
	}
	return m
}

// Two sensors → their leaf servers → the hub → one collector → DuckDB
// hold exactly what a direct ingest of the same inputs does.
func TestTwoSensorsEqualDirect(t *testing.T) {
	inputs := makeInputs(t)
	want := summarize(t, direct(t, inputs))
	h := newHub(t)
	for _, in := range inputs {
		s := newSensor(t, h, in.name)
		feed(t, in, s.open)
	}
	st := openDuck(t, filepath.Join(t.TempDir(), "collected.duckdb"))
	defer st.Close()
	var got sampleSet
	c, _ := collect(t, h, st, batchCount(inputs), &got, nil, nil)
	compare(t, want, summarize(t, st))
	if c.Duplicates.Load() != 0 {
		t.Errorf("%d duplicates without a fault", c.Duplicates.Load())
	}
	if wantS := sampleContents(inputs); len(wantS) == 0 || !reflect.DeepEqual(got.m, wantS) {
		t.Errorf("samples through the object store: %v, want %v", got.m, wantS)
	}
}

var errTestCrash = errors.New("test crash")

// A collector that dies between a batch's commit and its ack, and one
// that dies between receiving a batch and committing it, leave the batch
// to the next collector; every count is exact.
func TestCollectorCrashes(t *testing.T) {
	inputs := makeInputs(t)
	want := summarize(t, direct(t, inputs))
	h := newHub(t)
	for _, in := range inputs {
		s := newSensor(t, h, in.name)
		feed(t, in, s.open)
	}
	st := openDuck(t, filepath.Join(t.TempDir(), "collected.duckdb"))
	defer st.Close()
	var mu sync.Mutex
	order := map[string]int{} // batch → when it was first seen
	calls := map[string]int{} // batch and phase → calls
	crashes := map[int]int{}
	// The first delivery of every third batch dies after its commit
	// (phase 0), of every third + 1 before it (phase 1).
	hook := func(phase int) func(string) error {
		return func(batch string) error {
			mu.Lock()
			defer mu.Unlock()
			if _, ok := order[batch]; !ok {
				order[batch] = len(order)
			}
			k := fmt.Sprint(batch, phase)
			calls[k]++
			if calls[k] == 1 && order[batch]%3 == phase {
				crashes[phase]++
				return errTestCrash
			}
			return nil
		}
	}
	_, handled := collect(t, h, st, batchCount(inputs), nil, hook(1), hook(0))
	compare(t, want, summarize(t, st))
	if crashes[0] == 0 || crashes[1] == 0 {
		t.Fatalf("crashes %v: the test did not exercise both", crashes)
	}
	// Each batch abandoned after its commit came again: it was handled
	// twice, and counted once (compare).
	if want := uint64(batchCount(inputs) + crashes[0]); handled != want {
		t.Errorf("%d deliveries handled, want %d", handled, want)
	}
}

// A sensor whose link is cut keeps what it publishes; the hub restarts
// meanwhile; once the link is back every count is exact.
func TestLinkCutAndHubRestart(t *testing.T) {
	inputs := makeInputs(t)
	want := summarize(t, direct(t, inputs))
	h := newHub(t)
	open := newSensor(t, h, inputs[0].name)
	dom := newSensor(t, h, inputs[1].name)
	dom.proxy.cut()
	feed(t, inputs[1], dom.open) // while its link is down
	feed(t, inputs[0], open.open)
	h.stop()
	h.start()
	dom.proxy.restore()
	st := openDuck(t, filepath.Join(t.TempDir(), "collected.duckdb"))
	defer st.Close()
	collect(t, h, st, batchCount(inputs), nil, nil, nil)
	compare(t, want, summarize(t, st))
}

// Two collectors share the consumer, and the hub restarts while they
// run: every count is exact. The first batch either collector takes
// waits (before its transaction begins: the store runs one at a time)
// until the other has committed one: both share the work. The first requests after the restart (a
// collector's, or this test's consumer info) may be lost on the way
// (docs/scale.md, "Limits"): each is bounded by the collectors' request
// timeout, not by the test's deadline.
func TestTwoCollectorsHubRestart(t *testing.T) {
	inputs := makeInputs(t)
	want := summarize(t, direct(t, inputs))
	h := newHub(t)
	for _, in := range inputs {
		s := newSensor(t, h, in.name)
		feed(t, in, s.open)
	}
	st := openDuck(t, filepath.Join(t.TempDir(), "collected.duckdb"))
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var cs []*Collector
	for i := 0; i < 2; i++ {
		nc := h.connect()
		defer nc.Close()
		js, _ := jetstream.New(nc)
		c, err := NewCollector(ctx, js, st, CollectorConfig{AckWait: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	var holding atomic.Bool
	shared := make(chan bool, 1)
	for i, c := range cs {
		other := cs[1-i]
		c.taken = func(string) {
			if holding.CompareAndSwap(false, true) {
				for ctx.Err() == nil && other.Committed.Load() == 0 {
					time.Sleep(20 * time.Millisecond)
				}
				shared <- other.Committed.Load() > 0
			}
		}
	}
	var wg sync.WaitGroup
	rctx, stop := context.WithCancel(ctx)
	for _, c := range cs {
		wg.Add(1)
		go func() { defer wg.Done(); c.Run(rctx) }()
	}
	h.stop()
	h.start()
	total := func() uint64 {
		var n uint64
		for _, c := range cs {
			n += c.Committed.Load() + c.Duplicates.Load()
		}
		return n
	}
	var pending uint64
	var perr error
	for ctx.Err() == nil {
		if pending, perr = cs[0].Pending(ctx); perr == nil && pending == 0 && total() >= uint64(batchCount(inputs)) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("collectors did not finish: %d of %d batches handled, %d pending (%v)", total(), batchCount(inputs), pending, perr)
	}
	for i, c := range cs {
		t.Logf("collector %d: %d committed, %d duplicates", i, c.Committed.Load(), c.Duplicates.Load())
	}
	select {
	case ok := <-shared:
		if !ok {
			t.Error("the other collector committed nothing while one held a batch")
		}
	default:
		t.Error("no collector held a batch")
	}
	compare(t, want, summarize(t, st))
}
