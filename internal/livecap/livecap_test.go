package livecap

import (
	"context"
	"errors"
	"net/netip"
	"os/exec"
	"strings"

	"golang.org/x/net/bpf"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/store"
)

// fakeSource hands out queued frames, then ErrTimeout.
type fakeSource struct {
	mu      sync.Mutex
	queue   [][]byte
	ts      []int64
	idle    chan struct{} // signalled when Next finds the queue empty
	drops   uint64
	closed  bool
	pending bool // a frame was returned and not yet followed by another Next
}

func newFakeSource() *fakeSource { return &fakeSource{idle: make(chan struct{}, 1)} }

func (s *fakeSource) Next() ([]byte, int64, error) {
	s.mu.Lock()
	if len(s.queue) == 0 {
		s.pending = false
		s.mu.Unlock()
		select {
		case s.idle <- struct{}{}:
		default:
		}
		time.Sleep(time.Millisecond)
		return nil, 0, ErrTimeout
	}
	f, ts := s.queue[0], s.ts[0]
	s.queue, s.ts = s.queue[1:], s.ts[1:]
	s.pending = true
	s.mu.Unlock()
	return f, ts, nil
}

func (s *fakeSource) Link() decode.LinkType { return decode.LinkEthernet }
func (s *fakeSource) Stats() (Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Drops: s.drops}, nil
}
func (s *fakeSource) Close() error { s.mu.Lock(); s.closed = true; s.mu.Unlock(); return nil }

// feed queues frames at ts and waits until the worker has counted them.
func (s *fakeSource) feed(t *testing.T, ts time.Time, frames ...[]byte) {
	t.Helper()
	s.mu.Lock()
	for _, f := range frames {
		s.queue = append(s.queue, f)
		s.ts = append(s.ts, ts.UnixNano())
	}
	s.mu.Unlock()
	s.drain(t)
}

func (s *fakeSource) drain(t *testing.T) {
	t.Helper()
	for {
		select {
		case <-s.idle:
		case <-time.After(10 * time.Second):
			t.Fatal("the worker does not read")
		}
		s.mu.Lock()
		done := len(s.queue) == 0 && !s.pending
		s.mu.Unlock()
		if done {
			return
		}
	}
}

// fakeStore records committed batches; fail makes the next commits fail.
type fakeStore struct {
	store.Writer
	loc     *time.Location
	mu      sync.Mutex
	fail    int
	batches []*store.Batch
	done    chan error // one value per commit attempt
}

func (f *fakeStore) Location() *time.Location { return f.loc }
func (f *fakeStore) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var err error
	if f.fail > 0 {
		f.fail--
		err = errors.New("store unavailable")
	} else {
		if slices.ContainsFunc(f.batches, func(o *store.Batch) bool { return o.Ingest.Hash == b.Ingest.Hash }) {
			err = store.ErrDuplicate
		}
		f.batches = append(f.batches, b)
	}
	f.done <- err
	return int32(len(f.batches)), err
}

func classCounts(r *aggregate.Result) [classify.NumClasses]uint64 {
	var out [classify.NumClasses]uint64
	for _, h := range r.Hits {
		for c := classify.Class(0); c < classify.NumClasses; c++ {
			if h.Tags.Has(c) {
				out[c] += h.Packets
			}
		}
	}
	return out
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestIntervals drives the interval loop with a fake socket and store:
// counts per interval, an interval committed with no packets, a failed
// commit retried, no interval across midnight in the store's zone, and
// the partial interval committed at Stop.
func TestIntervals(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	sensor := netip.MustParseAddr("192.0.2.10")
	sensor6 := netip.MustParseAddr("2001:db8::10")
	src := newFakeSource()
	st := &fakeStore{loc: tokyo, done: make(chan error, 100), fail: 1}
	clk := &clock{t: time.Date(2026, 5, 1, 23, 59, 41, 0, tokyo)}
	c, err := New(daemon.NewReporter(nil), Configuration{
		Interfaces:     []Interface{{Name: "veth0", Sensor: "tokyo", SensorNets: []string{"192.0.2.10", "2001:db8::/64"}}},
		CommitInterval: 7 * time.Second,
	}, Dependencies{Store: st, Now: clk.now, Open: func(Interface, int, int, Configuration) (Source, error) { return src, nil }})
	if err != nil {
		t.Fatal(err)
	}
	c.tick = make(chan struct{})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	tick := func(want int) []error {
		c.tick <- struct{}{}
		var errs []error
		for range want {
			select {
			case err := <-st.done:
				errs = append(errs, err)
			case <-time.After(10 * time.Second):
				t.Fatal("no commit")
			}
		}
		return errs
	}

	// Interval 1: traffic, some of it not for the sensor or not IP; the
	// kernel dropped 5. Its commit fails.
	m := trafficTo(sensor, sensor6, 3)
	other := synFrame(netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("192.0.2.99"), 23, 1, 1)
	src.mu.Lock()
	src.drops = 5
	src.mu.Unlock()
	src.feed(t, clk.now(), append(append(m.frames, other), []byte{1, 2, 3})...)
	if errs := tick(1); errs[0] == nil {
		t.Fatal("the first commit should have failed")
	}
	// Interval 2: nothing arrives; both intervals commit.
	if errs := tick(2); errs[0] != nil || errs[1] != nil {
		t.Fatalf("commits: %v", errs)
	}
	// Interval 3 and on, past midnight.
	for range 3 {
		tick(1)
	}
	// The last interval is [00:00:09, 00:00:16); Stop comes within it.
	clk.set(time.Date(2026, 5, 2, 0, 0, 11, 0, tokyo))
	src.feed(t, clk.now(), m.frames[:4]...)
	clk.set(time.Date(2026, 5, 2, 0, 0, 13, 0, tokyo))
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-st.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not commit")
	}
	if !src.closed {
		t.Error("the source was not closed")
	}

	bs := st.batches
	if len(bs) != 6 {
		t.Fatalf("%d intervals committed, want 6", len(bs))
	}
	first := bs[0].Ingest
	if first.Frames != uint64(len(m.frames)+2) || first.Packets != uint64(len(m.frames)) || first.Outbound != 1 || first.Undecodable != 1 || first.KernelDrops != 5 {
		t.Errorf("interval 1: frames %d packets %d outbound %d undecodable %d kernel drops %d",
			first.Frames, first.Packets, first.Outbound, first.Undecodable, first.KernelDrops)
	}
	if got := classCounts(bs[0].Result); got != m.want {
		t.Errorf("interval 1 classes %v, want %v", got, m.want)
	}
	if b := bs[1]; b.Ingest.Packets != 0 || b.Ingest.Frames != 0 || b.Ingest.KernelDrops != 0 || len(b.Result.Sources) != 0 {
		t.Errorf("interval 2 should be empty: %+v", b.Ingest)
	}
	midnight := time.Date(2026, 5, 2, 0, 0, 0, 0, tokyo)
	atMidnight := false
	for i, b := range bs {
		in := b.Ingest
		if in.Format != "live" || in.Path != "live:veth0" || in.Sensor != "tokyo" || b.Sensor.Nets != "192.0.2.10/32,2001:db8::/64" {
			t.Errorf("interval %d: %s %s %s %q", i, in.Format, in.Path, in.Sensor, b.Sensor.Nets)
		}
		if !in.First.Before(in.Last) || in.Last.Sub(in.First) > 7*time.Second {
			t.Errorf("interval %d: %v to %v", i, in.First, in.Last)
		}
		if i > 0 && !in.First.Equal(bs[i-1].Ingest.Last) {
			t.Errorf("interval %d starts at %v, the one before ended at %v", i, in.First, bs[i-1].Ingest.Last)
		}
		if in.First.Before(midnight) && in.Last.After(midnight) {
			t.Errorf("interval %d spans midnight: %v to %v", i, in.First, in.Last)
		}
		atMidnight = atMidnight || in.Last.Equal(midnight)
		if len(b.Places) != len(b.Result.Sources) {
			t.Errorf("interval %d: %d places for %d sources", i, len(b.Places), len(b.Result.Sources))
		}
	}
	if !atMidnight {
		t.Error("no interval ends at midnight")
	}
	last := bs[5]
	if last.Ingest.Packets != 4 || !last.Ingest.Last.Equal(clk.now()) {
		t.Errorf("last interval: %d packets up to %v, want 4 up to %v", last.Ingest.Packets, last.Ingest.Last, clk.now())
	}
	want := trafficTo(sensor, sensor6, 1).want
	if got := classCounts(last.Result); got != want {
		t.Errorf("last interval classes %v, want %v", got, want)
	}
}

// TestGiveUp: when commits keep failing, at most Pending intervals wait;
// the packets of those given up are counted as queue drops of the next
// interval committed, with their kernel drops.
func TestGiveUp(t *testing.T) {
	src := newFakeSource()
	st := &fakeStore{loc: time.UTC, done: make(chan error, 100), fail: 3}
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	c, err := New(nil, Configuration{
		Interfaces:     []Interface{{Name: "eth1"}},
		CommitInterval: 10 * time.Second, Pending: 2,
	}, Dependencies{Store: st, Now: clk.now, Open: func(Interface, int, int, Configuration) (Source, error) { return src, nil }})
	if err != nil {
		t.Fatal(err)
	}
	c.tick = make(chan struct{})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := trafficTo(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"), 2)
	// Three intervals of 8 packets each, commits failing three times:
	// the first two intervals are given up (at most two wait), the third
	// commits at the fourth interval, carrying their counts.
	for range 3 {
		src.mu.Lock()
		src.drops++
		src.mu.Unlock()
		src.feed(t, clk.now(), m.frames...)
		c.tick <- struct{}{}
		if err := <-st.done; err == nil {
			t.Fatal("commit should have failed")
		}
	}
	c.tick <- struct{}{}
	for range 2 {
		if err := <-st.done; err != nil {
			t.Fatal(err)
		}
	}
	c.Stop(context.Background())
	<-st.done
	if len(st.batches) == 0 {
		t.Fatal("nothing committed")
	}
	var sum, qd, kd uint64
	for _, b := range st.batches {
		sum += b.Ingest.Packets
		qd += b.Ingest.QueueDrops
		kd += b.Ingest.KernelDrops
	}
	lost := uint64(len(m.frames))
	if qd == 0 || sum+qd != 3*lost || kd != 3 {
		t.Errorf("committed %d packets, %d queue drops, %d kernel drops; want %d in all with the given-up ones as queue drops, and 3 kernel drops", sum, qd, kd, 3*lost)
	}
}

// TestFromConfig: the config file's capture section becomes a
// Configuration New accepts, and New refuses what cannot be captured.
func TestFromConfig(t *testing.T) {
	cfg := FromConfig(config.Capture{
		Interfaces:     []config.CaptureInterface{{Name: "eth0", Sensor: "tokyo", SensorNet: []string{"192.0.2.0/24"}, Promisc: true}},
		CommitInterval: 5 * time.Second, Workers: 2,
	})
	want := Configuration{Interfaces: []Interface{{Name: "eth0", Sensor: "tokyo", SensorNets: []string{"192.0.2.0/24"}, Promisc: true}},
		CommitInterval: 5 * time.Second, Workers: 2}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("%+v, want %+v", cfg, want)
	}
	st := &fakeStore{loc: time.UTC}
	if _, err := New(nil, cfg, Dependencies{Store: st}); err != nil {
		t.Error(err)
	}
	for _, bad := range []Configuration{
		{},
		{Interfaces: []Interface{{Name: "eth0"}, {Name: "eth0"}}},
		{Interfaces: []Interface{{Name: "eth0", SensorNets: []string{"nope"}}}},
		{Interfaces: []Interface{{Name: "eth0", Sensor: "a b"}}},
		{Interfaces: []Interface{{Name: "eth0"}}, CommitInterval: time.Millisecond},
	} {
		if _, err := New(nil, bad, Dependencies{Store: st}); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestFilterCompiled: an interface's filter expression is compiled at New
// and reaches the socket as a program; a bad one fails New naming it.
func TestFilterCompiled(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump not installed: filter expressions cannot be compiled")
	}
	st := &fakeStore{loc: time.UTC, done: make(chan error, 100)}
	var got []bpf.RawInstruction
	c, err := New(nil, Configuration{Interfaces: []Interface{{Name: "eth9", Filter: "udp port 53"}}},
		Dependencies{Store: st, Open: func(ifc Interface, _, _ int, _ Configuration) (Source, error) {
			got = ifc.BPF
			return nil, errors.New("not opened in this test")
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(t.Context()); err == nil {
		t.Fatal("started")
	}
	if len(got) < 4 {
		t.Fatalf("program %v", got)
	}
	_, err = New(nil, Configuration{Interfaces: []Interface{{Name: "eth9", Filter: "udp port"}}}, Dependencies{Store: st})
	if err == nil || !strings.Contains(err.Error(), "eth9") || !strings.Contains(err.Error(), "udp port") {
		t.Fatalf("bad filter: %v", err)
	}
	_, err = New(nil, Configuration{Interfaces: []Interface{{Name: "nflog:3", Filter: "udp"}}}, Dependencies{Store: st})
	if err == nil || !strings.Contains(err.Error(), "NFLOG") {
		t.Fatalf("nflog filter: %v", err)
	}
}
