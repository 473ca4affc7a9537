package honeypot

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/honeypot/telnet"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/shell"
	"github.com/honeyscope/honeyscope/internal/store"
)

// fakeStore captures committed batches; fail makes the next commits fail.
type fakeStore struct {
	mu      sync.Mutex
	batches []store.SessionBatch
	fail    int
	calls   int
}

func (f *fakeStore) CommitSessions(_ context.Context, b store.SessionBatch) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail > 0 {
		f.fail--
		return errors.New("store down")
	}
	f.batches = append(f.batches, b)
	return nil
}

func (f *fakeStore) Sessions(context.Context, store.SessionQuery) ([]session.Session, error) {
	return nil, nil
}

func (f *fakeStore) Samples(context.Context, store.SampleQuery) ([]session.Sample, error) {
	return nil, nil
}

func (f *fakeStore) all() []store.SessionBatch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.batches)
}

// fakeSamples records what was put.
type fakeSamples struct {
	mu  sync.Mutex
	put []string
}

func (f *fakeSamples) Put(b []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := session.FileType(b) + ":" + string(b[len(b)-4:])
	f.put = append(f.put, s)
	return s, nil
}

// fakeShell records each line as a command; "drop" writes a small ELF,
// "exit" ends the session.
type fakeShell struct{ rec *session.Recorder }

func (f *fakeShell) Prompt() string { return "# " }
func (f *fakeShell) Run(line string) ([]byte, bool) {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil, false
	}
	f.rec.Command(session.Command{Input: line})
	if line == "drop" {
		elf := append([]byte("\x7fELF\x01\x01\x01"), make([]byte, 13)...)
		elf[18] = 40
		f.rec.File("/tmp/x", "echo", append(elf, "tail"...))
	}
	return nil, line == "exit"
}

func fakeTelnet(s Settings) (Handler, error) {
	return telnet.New(telnet.Config{Hostname: s.Hostname, Arch: s.Arch, Credentials: s.Credentials,
		NewShell: func(_ shell.Config, rec *session.Recorder) telnet.Shell { return &fakeShell{rec} }})
}

// testConfig listens on loopback only, on random ports, telnet only.
func testConfig() config.Honeypot {
	return config.Honeypot{
		Enabled: true, Name: "test", Bind: []string{"127.0.0.1"},
		Telnet:      config.Service{Ports: []uint16{0}, Hostname: "cam"},
		SSH:         config.Service{Ports: []uint16{}},
		HTTP:        config.Service{Ports: []uint16{}},
		Generic:     config.Service{Ports: []uint16{}},
		Credentials: config.Credentials{Policy: "any"},
	}
}

func start(t *testing.T, cfg config.Honeypot, deps Dependencies) (*Component, *fakeStore) {
	t.Helper()
	fs, _ := deps.Store.(*fakeStore)
	if deps.Store == nil {
		fs = &fakeStore{}
		deps.Store = fs
	}
	if deps.FrontEnds == nil {
		deps.FrontEnds = map[string]FrontEnd{session.Telnet: fakeTelnet}
	}
	c, err := New(daemon.NewReporter(nil), cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.Stop(ctx)
	})
	return c, fs
}

func addrOf(t *testing.T, c *Component, service string, redirect bool) string {
	t.Helper()
	for _, a := range c.Addrs() {
		if a.Service == service && a.Redirect == redirect {
			return a.Addr.String()
		}
	}
	t.Fatalf("no %s listener", service)
	return ""
}

// until polls cond (a bounded wait for the server's goroutines, not a timing assertion).
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func openSessions(c *Component) int { o, _, _ := c.hub.Stats(); return o }

func dialFrom(t *testing.T, addr, from string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readUntil(t *testing.T, c net.Conn, s string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got []byte
	buf := make([]byte, 1024)
	for !strings.Contains(string(got), s) {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("waiting for %q: %v (got %q)", s, err, got)
		}
	}
}

// login logs in over telnet and runs cmds; with exit the session ends.
func login(t *testing.T, addr, from string, cmds ...string) net.Conn {
	t.Helper()
	c := dialFrom(t, addr, from)
	readUntil(t, c, "login: ")
	c.Write([]byte("root\r\n"))
	readUntil(t, c, "Password: ")
	c.Write([]byte("vizxv\r\n"))
	readUntil(t, c, "# ")
	for _, cmd := range cmds {
		c.Write([]byte(cmd + "\r\n"))
		if cmd != "exit" {
			readUntil(t, c, "# ")
		}
	}
	return c
}

func TestCommitIntrusions(t *testing.T) {
	loc := time.FixedZone("JST", 9*3600)
	place := store.Place{Country: "JP", ASN: 2497}
	samples := &fakeSamples{}
	c, fs := start(t, testConfig(), Dependencies{Location: loc, Samples: samples,
		Locate: func(netip.Addr) store.Place { return place }})
	addr := addrOf(t, c, session.Telnet, false)
	port := c.Addrs()[0].Addr.Port()
	// Two intrusions from 127.0.0.1, one from 127.0.0.2, a login without a
	// command (not an intrusion) and one session left open.
	login(t, addr, "127.0.0.1", "enable", "drop", "exit")
	login(t, addr, "127.0.0.1", "sh", "exit")
	login(t, addr, "127.0.0.2", "sh", "exit")
	login(t, addr, "127.0.0.3").Close()
	login(t, addr, "127.0.0.4", "ps")
	until(t, "four finished sessions", func() bool { _, p, _ := c.hub.Stats(); return p == 4 })
	if err := c.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	bs := fs.all()
	if len(bs) != 1 {
		t.Fatalf("%d batches, want 1", len(bs))
	}
	b := bs[0]
	var finished, open int
	for _, s := range b.Sessions {
		if s.End.IsZero() {
			open++
			if s.Src.String() != "127.0.0.4" || len(s.Commands) != 1 {
				t.Errorf("open snapshot %s with %d commands", s.Src, len(s.Commands))
			}
		} else {
			finished++
		}
		if s.Sensor != "test" || s.Service != session.Telnet || s.Port != port || s.Country != "JP" {
			t.Errorf("session header %+v", s)
		}
	}
	if finished != 4 || open != 1 {
		t.Errorf("%d finished, %d open in the batch; want 4, 1", finished, open)
	}
	h := b.Hits
	if h == nil || h.Result == nil {
		t.Fatal("no intrusion counts")
	}
	if h.Ingest.Path != "honeypot:test" || h.Ingest.Hash != "honeypot:"+b.ID || h.Ingest.Format != "honeypot" || h.Ingest.Sensor != "test" || h.Sensor.Name != "test" {
		t.Errorf("ingest %+v", h.Ingest)
	}
	if h.Ingest.First.IsZero() || h.Ingest.Last.Before(h.Ingest.First) {
		t.Errorf("ingest interval %v .. %v", h.Ingest.First, h.Ingest.Last)
	}
	counts := map[string]uint64{}
	for _, hit := range h.Result.Hits {
		sd := h.Result.Sources[hit.Source]
		if hit.Proto != 6 || hit.Port != port || hit.Tags != classify.Intrusion.Bit() || sd.Tags != classify.Intrusion.Bit() {
			t.Errorf("hit %+v of %+v", hit, sd)
		}
		if want := time.Now().In(loc); sd.Day.Time().Format("2006-01-02") != want.Format("2006-01-02") {
			t.Errorf("day %v, want %v", sd.Day.Time(), want)
		}
		counts[sd.Addr.String()] += hit.Packets
	}
	if want := map[string]uint64{"127.0.0.1": 2, "127.0.0.2": 1}; len(counts) != 2 || counts["127.0.0.1"] != 2 || counts["127.0.0.2"] != 1 {
		t.Errorf("intrusions per source %v, want %v", counts, want)
	}
	if len(h.Places) != len(h.Result.Sources) || h.Places[0] != place {
		t.Errorf("places %+v", h.Places)
	}
	if len(samples.put) != 1 || samples.put[0] != "elf32-arm-le:tail" {
		t.Errorf("samples put %q", samples.put)
	}
	// Nothing new: no batch. The open session's output bytes are counted
	// just after they are written, so on a busy machine the client may
	// have read its last prompt before the first snapshot counted it:
	// then one more batch carries that open session alone, with no
	// intrusion counted twice; after it nothing is written.
	if err := c.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if bs := fs.all(); len(bs) == 2 {
		b := bs[1]
		if b.Hits != nil || len(b.Sessions) != 1 || !b.Sessions[0].End.IsZero() || b.Sessions[0].Src.String() != "127.0.0.4" || len(b.Sessions[0].Commands) != 1 {
			t.Fatalf("a commit with nothing new wrote %+v", b)
		}
		if err := c.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fs.all()); n > 2 {
		t.Fatalf("commits with nothing new wrote %d batches", n-1)
	} else if err := c.Commit(context.Background()); err != nil || len(fs.all()) != n {
		t.Fatalf("an empty commit wrote a batch (%v)", err)
	}
}

func TestCommitRetry(t *testing.T) {
	fs := &fakeStore{fail: 2}
	c, _ := start(t, testConfig(), Dependencies{Store: fs})
	addr := addrOf(t, c, session.Telnet, false)
	login(t, addr, "127.0.0.1", "sh", "exit")
	until(t, "a finished session", func() bool { _, p, _ := c.hub.Stats(); return p == 1 })
	for i := range 2 {
		if err := c.Commit(context.Background()); err == nil {
			t.Fatalf("commit %d succeeded against a failing store", i)
		}
	}
	// Sessions finishing while the store is down wait in the hub.
	login(t, addr, "127.0.0.2", "sh", "exit")
	until(t, "a second finished session", func() bool { _, p, _ := c.hub.Stats(); return p == 1 })
	if err := c.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	bs := fs.all()
	if len(bs) != 2 || fs.calls != 4 {
		t.Fatalf("%d batches in %d calls, want 2 in 4", len(bs), fs.calls)
	}
	if len(bs[0].Sessions) != 1 || bs[0].Sessions[0].Src.String() != "127.0.0.1" ||
		len(bs[1].Sessions) != 1 || bs[1].Sessions[0].Src.String() != "127.0.0.2" || bs[0].ID == bs[1].ID {
		t.Errorf("batches %+v", bs)
	}
	var n uint64
	for _, b := range bs {
		for _, h := range b.Hits.Result.Hits {
			n += h.Packets
		}
	}
	if n != 2 {
		t.Errorf("%d intrusions counted, want 2", n)
	}
	if got := testutil.ToFloat64(c.m.commitErrors); got != 2 {
		t.Errorf("commit errors %v, want 2", got)
	}
}

// genericConfig serves the generic front end only.
func genericConfig() config.Honeypot {
	cfg := testConfig()
	cfg.Telnet.Ports = []uint16{}
	cfg.Generic = config.Service{Ports: []uint16{0}, Banner: "HELLO\r\n"}
	return cfg
}

// closedWithoutBytes connects and checks that the server closes the
// connection without a byte; it returns the error seen (a reset may
// already fail the connect on loopback).
func closedWithoutBytes(t *testing.T, addr, from string) error {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.ECONNRESET) {
			return err
		}
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(make([]byte, 16))
	if n != 0 || err == nil {
		t.Fatalf("read %d bytes (%v), want none", n, err)
	}
	return err
}

func TestPerSourceLimit(t *testing.T) {
	cfg := genericConfig()
	cfg.Limits.PerSource = 2
	c, _ := start(t, cfg, Dependencies{})
	addr := addrOf(t, c, session.Generic, false)
	for range 2 {
		readUntil(t, dialFrom(t, addr, "127.0.0.1"), "HELLO")
	}
	closedWithoutBytes(t, addr, "127.0.0.1")
	readUntil(t, dialFrom(t, addr, "127.0.0.2"), "HELLO") // another source is served
	if got := testutil.ToFloat64(c.m.refused.WithLabelValues("per_source")); got != 1 {
		t.Errorf("per-source refusals %v, want 1", got)
	}
	if n := openSessions(c); n != 3 {
		t.Errorf("%d open sessions, want 3", n)
	}
}

func TestGlobalLimit(t *testing.T) {
	cfg := genericConfig()
	cfg.Limits.Connections = 2
	c, _ := start(t, cfg, Dependencies{})
	addr := addrOf(t, c, session.Generic, false)
	first := dialFrom(t, addr, "127.0.0.1")
	readUntil(t, first, "HELLO")
	readUntil(t, dialFrom(t, addr, "127.0.0.2"), "HELLO")
	closedWithoutBytes(t, addr, "127.0.0.3")
	if got := testutil.ToFloat64(c.m.refused.WithLabelValues("global")); got != 1 {
		t.Errorf("global refusals %v, want 1", got)
	}
	// A slot freed is served again.
	first.Close()
	until(t, "the slot to be released", func() bool { return c.lim.count() == 1 })
	readUntil(t, dialFrom(t, addr, "127.0.0.3"), "HELLO")
}

func TestFiltered(t *testing.T) {
	locate := func(a netip.Addr) store.Place {
		if a == netip.MustParseAddr("127.0.0.2") {
			return store.Place{Country: "JP"}
		}
		return store.Place{Country: "US"}
	}
	for _, mode := range []string{"drop", "refuse"} {
		t.Run(mode, func(t *testing.T) {
			cfg := genericConfig()
			cfg.AllowCountries = []string{"jp"}
			cfg.Filter = mode
			c, fs := start(t, cfg, Dependencies{Locate: locate})
			addr := addrOf(t, c, session.Generic, false)
			err := closedWithoutBytes(t, addr, "127.0.0.1")
			if reset := errors.Is(err, syscall.ECONNRESET); reset != (mode == "refuse") {
				t.Errorf("read error %v: reset %v", err, reset)
			}
			readUntil(t, dialFrom(t, addr, "127.0.0.2"), "HELLO")
			until(t, "the filtered session", func() bool { _, p, _ := c.hub.Stats(); return p == 1 })
			if err := c.Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			var filtered, allowed int
			for _, s := range fs.all()[0].Sessions {
				switch {
				case s.Filtered && s.Country == "US" && s.EndReason == "refused" && s.BytesOut == 0:
					filtered++
				case !s.Filtered && s.Country == "JP" && s.End.IsZero():
					allowed++
				default:
					t.Errorf("unexpected session %+v", s)
				}
			}
			if filtered != 1 || allowed != 1 {
				t.Errorf("%d filtered, %d allowed sessions", filtered, allowed)
			}
			if got := testutil.ToFloat64(c.m.refused.WithLabelValues("filtered")); got != 1 {
				t.Errorf("filtered count %v", got)
			}
		})
	}
	// A service's own list replaces the sensor-wide one.
	cfg := genericConfig()
	cfg.AllowCountries = []string{"JP"}
	cfg.Generic.AllowCountries = []string{"US"}
	c, _ := start(t, cfg, Dependencies{Locate: locate})
	readUntil(t, dialFrom(t, addrOf(t, c, session.Generic, false), "127.0.0.1"), "HELLO")
	if _, err := New(daemon.NewReporter(nil), cfg, Dependencies{Store: &fakeStore{}}); err == nil {
		t.Error("allowed countries without a country database accepted")
	}
}

// freePort returns a port free on loopback now.
func freePort(t *testing.T) uint16 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// Without a netfilter redirect, the redirect listener records its own port.
func TestRedirectFallback(t *testing.T) {
	cfg := genericConfig()
	cfg.Generic.Ports = []uint16{}
	cfg.Generic.PortBanners = map[string]string{"6379": "-ERR\r\n"}
	p := freePort(t)
	cfg.Redirect = p
	c, fs := start(t, cfg, Dependencies{})
	conn := dialFrom(t, addrOf(t, c, session.Generic, true), "")
	if port, ok := originalPort(conn); ok && port != p {
		t.Errorf("client side original port %d", port)
	}
	conn.Write([]byte("PING\r\n"))
	until(t, "the first bytes", func() bool {
		c.Commit(context.Background())
		for _, b := range fs.all() {
			for _, s := range b.Sessions {
				if string(s.FirstBytes) == "PING\r\n" {
					if s.Port != p {
						t.Errorf("port %d, want the listener's %d", s.Port, p)
					}
					return true
				}
			}
		}
		return false
	})
}

func TestStopShutdown(t *testing.T) {
	cfg := genericConfig()
	fs := &fakeStore{}
	c, err := New(daemon.NewReporter(nil), cfg, Dependencies{Store: fs})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	conn := dialFrom(t, addrOf(t, c, session.Generic, false), "")
	readUntil(t, conn, "HELLO")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	bs := fs.all()
	if len(bs) != 1 || len(bs[0].Sessions) != 1 || bs[0].Sessions[0].EndReason != "shutdown" {
		t.Fatalf("final commit %+v", bs)
	}
	if _, err := io.ReadAll(conn); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("client after stop: %v", err)
	}
}

func TestResolve(t *testing.T) {
	s, err := resolve(config.Honeypot{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ps := range DefaultPorts {
		n += len(ps)
	}
	if len(s.specs) != 2*n {
		t.Errorf("%d listeners, want %d (every default port on IPv4 and IPv6)", len(s.specs), 2*n)
	}
	var tls []uint16
	v6 := 0
	for _, sp := range s.specs {
		if sp.tls && sp.addr.Is4() {
			tls = append(tls, sp.port)
		}
		if sp.addr.Is6() {
			v6++
		}
	}
	if !slices.Equal(tls, []uint16{8443}) || v6 != n {
		t.Errorf("TLS ports %v, %d IPv6 listeners", tls, v6)
	}
	if s.cfg.Name != DefaultName || s.cfg.CommitInterval != DefaultCommitInterval || s.connections != DefaultConnections || s.perSource != DefaultPerSource || s.refuse {
		t.Errorf("defaults %+v", s)
	}
	bad := []config.Honeypot{
		{Filter: "maybe"},
		{Bind: []string{"localhost"}},
		{Telnet: config.Service{Ports: []uint16{8080}}},
		{Generic: config.Service{PortBanners: map[string]string{"x": ""}}},
		{Telnet: config.Service{Ports: []uint16{}}, SSH: config.Service{Ports: []uint16{}}, HTTP: config.Service{Ports: []uint16{}}, Generic: config.Service{Ports: []uint16{}}},
	}
	for _, b := range bad {
		if _, err := resolve(b); err == nil {
			t.Errorf("resolve(%+v) accepted", b)
		}
	}
}

func TestMetricsRegistered(t *testing.T) {
	c, _ := start(t, genericConfig(), Dependencies{})
	mfs, err := c.r.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	for _, want := range []string{"honeyscope_honeypot_sessions_open", "honeyscope_honeypot_commits_total", "honeyscope_honeypot_commit_errors_total", "honeyscope_honeypot_sessions_dropped_total"} {
		if !slices.Contains(names, want) {
			t.Errorf("metric %s not registered", want)
		}
	}
}
