// Package honeypot is the honeypot component of `honeyscope serve`: it
// listens on the configured telnet, SSH, HTTP and generic ports (IPv4 and
// IPv6), bounds connections in all and per source, filters sources outside
// the allowed countries (domestic-only mode), hands each connection to its
// service's front end with the session's limits enforced on the connection,
// and commits the sessions, their intrusion counts and the dropped samples
// to the store once per commit interval.
//
// Nothing a client sends is executed: the front ends interpret it, on
// bounded in-memory state.
package honeypot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/honeypot/creds"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Samples is the sample store: content-addressed storage of dropped files.
type Samples interface {
	Put(content []byte) (sha256 string, err error)
}

// Dependencies of the honeypot component.
type Dependencies struct {
	Store   store.SessionStore           // where sessions are committed (required)
	Samples Samples                      // where dropped samples go (nil: not kept)
	Locate  func(netip.Addr) store.Place // geolocation (nil: unknown; required with allowed countries)
	Events  session.Sink                 // receives every session event (nil: none)
	// Location is the store's time zone: days of the intrusion counts
	// (nil: the Store's Location() at commit time when it has one, else
	// UTC).
	Location *time.Location
	// FrontEnds replace the built-in front end of a service (tests,
	// embedding); a service with no front end is skipped with a warning.
	FrontEnds map[string]FrontEnd
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// StateDir is where the SSH host keys and the TLS certificate are kept
	// ("": made in memory at each start); see Settings.StateDir.
	StateDir string
}

// Component is the honeypot.
type Component struct {
	r    *daemon.Reporter
	log  *slog.Logger
	s    *settings
	deps Dependencies
	hub  *session.Hub
	lim  *limiter
	m    metrics

	handlers map[handlerKey]Handler

	ctx    context.Context // sessions' context, cancelled at Stop
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners []*listener
	listened  bool
	started   bool
	stopped   bool
	accepting sync.WaitGroup // accept loops
	serving   sync.WaitGroup // handlers

	commitStop chan struct{}
	commitDone chan struct{}
	committer
}

// listener is one bound port.
type listener struct {
	sp    spec
	ln    net.Listener
	h     Handler
	allow map[string]bool
}

// Addr is one address the honeypot listens on.
type Addr struct {
	Service  string
	Redirect bool // the redirect listener (original port recovered)
	TLS      bool
	Addr     netip.AddrPort // as bound (the port is the real one when 0 was configured)
}

// New returns the honeypot component for the configuration's honeypot
// section. Nothing is bound until Listen or Start.
func New(r *daemon.Reporter, cfg config.Honeypot, deps Dependencies) (*Component, error) {
	s, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	if deps.Store == nil {
		return nil, errors.New("honeypot: no session store")
	}
	if deps.Locate == nil {
		for _, sp := range s.specs {
			if len(sp.allow) > 0 {
				return nil, errors.New("honeypot: allow_countries needs a country database (geoip)")
			}
		}
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	policy, err := creds.FromConfig(cfg.Credentials)
	if err != nil {
		return nil, err
	}
	c := &Component{
		r:    r,
		log:  r.Logger("honeypot"),
		s:    s,
		deps: deps,
		lim:  newLimiter(s.connections, s.perSource),
		hub: session.NewHub(session.HubConfig{Sink: deps.Events, Limits: s.limits,
			MaxPending: cfg.Limits.PendingSessions, Now: deps.Now}),
		handlers: map[handlerKey]Handler{},
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.committer.init(c)
	for _, sp := range s.specs {
		k := handlerKey{sp.service, sp.tls}
		if _, done := c.handlers[k]; done {
			continue
		}
		fe := deps.FrontEnds[sp.service]
		if fe == nil {
			fe = builtinFrontEnd(sp.service)
		}
		if fe == nil {
			c.handlers[k] = nil
			continue
		}
		sc := serviceConfig(&s.cfg, sp.service)
		arch := sc.Arch
		if len(arch) == 0 && (sp.service == session.Telnet || sp.service == session.SSH) {
			arch = DefaultArch
		}
		h, err := fe(Settings{
			Sensor: s.cfg.Name, Service: sp.service, TLS: sp.tls,
			Hostname: sc.Hostname, Banner: sc.Banner, Arch: arch,
			PortBanners: s.portBanners, Credentials: policy, Limits: s.limits,
			StateDir: deps.StateDir,
		})
		if err != nil {
			return nil, fmt.Errorf("honeypot %s front end: %w", sp.service, err)
		}
		c.handlers[k] = h
	}
	if err := c.initMetrics(); err != nil {
		return nil, fmt.Errorf("honeypot metrics: %w", err)
	}
	return c, nil
}

// Hub returns the component's session hub (open sessions, the commit queue).
func (c *Component) Hub() *session.Hub { return c.hub }

// Listen binds every listener. serve calls it before dropping privileges;
// Start calls it when it was not called. A listener that cannot be bound
// fails Listen (and closes those already bound), except an IPv6 address of
// the default bind set on a host without IPv6, which is skipped.
func (c *Component) Listen() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listened {
		return nil
	}
	var lc net.ListenConfig
	warned := map[string]bool{}
	for _, sp := range c.s.specs {
		h := c.handlers[handlerKey{sp.service, sp.tls}]
		if h == nil {
			if !warned[sp.service] {
				c.log.Warn("no front end for the service in this build; its ports are not listened on", "service", sp.service)
				warned[sp.service] = true
			}
			continue
		}
		network := "tcp4"
		if sp.addr.Is6() {
			network = "tcp6"
		}
		addr := netip.AddrPortFrom(sp.addr, sp.port).String()
		ln, err := lc.Listen(context.Background(), network, addr)
		if err != nil {
			if sp.addr.Is6() && !sp.bindSet {
				c.log.Warn("IPv6 listener not bound", "addr", addr, "err", err)
				continue
			}
			for _, l := range c.listeners {
				l.ln.Close()
			}
			c.listeners = nil
			return fmt.Errorf("honeypot %s listener %s: %w", sp.service, addr, err)
		}
		l := &listener{sp: sp, ln: ln, h: h}
		if len(sp.allow) > 0 {
			l.allow = map[string]bool{}
			for _, cc := range sp.allow {
				l.allow[cc] = true
			}
		}
		c.listeners = append(c.listeners, l)
	}
	if len(c.listeners) == 0 {
		return errors.New("honeypot: no listener bound")
	}
	c.listened = true
	return nil
}

// Addrs returns the addresses listened on (after Listen).
func (c *Component) Addrs() []Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Addr
	for _, l := range c.listeners {
		ap, _ := netip.ParseAddrPort(l.ln.Addr().String())
		out = append(out, Addr{Service: l.sp.service, Redirect: l.sp.redirect, TLS: l.sp.tls, Addr: ap})
	}
	return out
}

// Start binds the listeners (unless Listen did), and starts accepting and
// committing.
func (c *Component) Start(ctx context.Context) error {
	if err := c.Listen(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return errors.New("honeypot already started")
	}
	c.started = true
	if os.Geteuid() == 0 {
		if c.s.cfg.User == "" {
			c.log.Warn("the honeypot runs as root: set honeypot.user to drop privileges after binding, or grant CAP_NET_BIND_SERVICE to an unprivileged user")
		} else {
			c.log.Warn("the honeypot still runs as root after binding", "user", c.s.cfg.User)
		}
	}
	for _, l := range c.listeners {
		c.accepting.Add(1)
		go c.accept(l)
	}
	c.commitStop = make(chan struct{})
	c.commitDone = make(chan struct{})
	go c.commitLoop(c.commitStop, c.commitDone)
	c.log.Info("honeypot listening", "sensor", c.s.cfg.Name, "listeners", len(c.listeners))
	return nil
}

// Stop closes the listeners, ends the open sessions (reason "shutdown"),
// waits for their handlers until ctx's deadline, and commits what is left.
func (c *Component) Stop(ctx context.Context) error {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return nil
	}
	c.stopped = true
	started := c.started
	for _, l := range c.listeners {
		l.ln.Close()
	}
	c.mu.Unlock()
	c.accepting.Wait()
	c.cancel()
	done := make(chan struct{})
	go func() { c.serving.Wait(); close(done) }()
	var errs []error
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("honeypot: sessions still being served at stop: %w", ctx.Err()))
	}
	c.hub.CloseAll("shutdown")
	if !started {
		return errors.Join(errs...)
	}
	close(c.commitStop)
	<-c.commitDone
	cctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
	}
	if err := c.commitNow(cctx); err != nil {
		errs = append(errs, fmt.Errorf("honeypot final commit: %w", err))
	}
	return errors.Join(errs...)
}

// location is the zone intrusion days are counted in.
func (c *Component) location() *time.Location {
	if c.deps.Location != nil {
		return c.deps.Location
	}
	if l, ok := c.deps.Store.(interface{ Location() *time.Location }); ok {
		if loc := l.Location(); loc != nil {
			return loc
		}
	}
	return time.UTC
}
