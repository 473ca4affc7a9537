// Package api is the "api" component of `honeyscope serve`: the HTTP
// listener and the JSON API under /api/v1/ (docs/api.md), with the
// Prometheus handler mounted beside it. It answers from a store.Store
// through typed queries only; what a period means (spikes, coverage) comes
// from the period layer through the Period interface.
//
// Every request is bounded: header size and read/write timeouts at the
// server, a query-string size and per-parameter validation before anything
// reaches the store (a rejected parameter is answered 400 with a JSON error
// naming it), a limit on concurrent store queries and a timeout on them,
// and a row limit on answers. Beyond loopback, authentication (a bearer
// token or bcrypt user hashes) is required.
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Period is what the period layer answers; serve plugs it in once it
// exists. Results are encoded as JSON as they are. While Dependencies.Period
// is nil, /api/v1/spikes and /api/v1/coverage answer 501.
type Period interface {
	// Spikes lists the days that rose far above their baseline.
	Spikes(ctx context.Context, q PeriodQuery) (any, error)
	// Coverage says which days (and hours) each sensor has data for.
	Coverage(ctx context.Context, q PeriodQuery) (any, error)
	// Minutes says, per minute of one sensor's day, whether it was up and
	// capturing and what it lost; day "" is the sensor's last day with data.
	Minutes(ctx context.Context, sensor, day string) (any, error)
}

// PeriodQuery is a validated period question.
type PeriodQuery struct {
	Classes  []string // known class names
	Sensors  []string
	By       string // "", "country", "port", "asn" or "sensor"
	From, To string // YYYY-MM-DD, "" = open
	Unit     string // "packets" or "sources"
	Top      int    // 0 = the layer's default
	All      bool   // findings below the significance threshold too
}

// Info is what /api/v1/info tells beyond the store's own path and zone.
type Info struct {
	Version string
	Schema  int // the store schema version this build writes
}

// Dependencies of the API component.
type Dependencies struct {
	// Store answers the queries (required).
	Store store.Store
	// Period answers /spikes and /coverage (nil: 501).
	Period Period
	// Ready says whether the store can be asked (nil: always); health
	// answers 503 with its error.
	Ready func() error
	// GeoDatabases lists the GeoIP databases in use, for /info (nil: none).
	GeoDatabases func() []geo.DBInfo
	// Metrics is mounted at MetricsPath when set.
	Metrics     http.Handler
	MetricsPath string
	Info        Info
}

// Component serves the API.
type Component struct {
	r      *daemon.Reporter
	log    *slog.Logger
	config Configuration
	deps   Dependencies
	auth   *auth
	m      metrics
	sem    chan struct{}
	start  time.Time

	// web is the dashboard mounted at "/" (Mount); session says whether a
	// request carries the dashboard's session cookie.
	web     http.Handler
	session func(*http.Request) bool

	mu   sync.Mutex
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// New checks the configuration (reading the auth files) and builds the
// handlers. A non-loopback Listen without authentication is refused with
// ErrAuthRequired.
func New(r *daemon.Reporter, config Configuration, deps Dependencies) (*Component, error) {
	def := DefaultConfiguration()
	if config.Listen == "" {
		config.Listen = def.Listen
	}
	orDefault(&config.ReadHeaderTimeout, def.ReadHeaderTimeout)
	orDefault(&config.ReadTimeout, def.ReadTimeout)
	orDefault(&config.WriteTimeout, def.WriteTimeout)
	orDefault(&config.IdleTimeout, def.IdleTimeout)
	orDefault(&config.QueryTimeout, def.QueryTimeout)
	if config.MaxHeaderBytes <= 0 {
		config.MaxHeaderBytes = def.MaxHeaderBytes
	}
	if config.MaxConcurrentQueries <= 0 {
		config.MaxConcurrentQueries = def.MaxConcurrentQueries
	}
	if config.MaxRows <= 0 {
		config.MaxRows = def.MaxRows
	}
	if deps.Store == nil {
		return nil, errors.New("api: no store")
	}
	a, err := loadAuth(config.AuthTokenFile, config.UsersFile)
	if err != nil {
		return nil, err
	}
	loop, err := isLoopback(context.Background(), config.Listen)
	if err != nil {
		return nil, err
	}
	if !loop && !a.enabled() {
		return nil, fmt.Errorf("listen %s: %w", config.Listen, ErrAuthRequired)
	}
	c := &Component{r: r, log: r.Logger("api"), config: config, deps: deps, auth: a,
		sem: make(chan struct{}, config.MaxConcurrentQueries), start: time.Now()}
	if err := c.initMetrics(); err != nil {
		return nil, fmt.Errorf("api metrics: %w", err)
	}
	return c, nil
}

func orDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Mount puts a handler (the dashboard) at "/" beside the API, to be called
// before Start. authenticated, when set, lets the API accept the requests
// it approves (the dashboard's logged-in sessions) as well as bearer tokens
// and basic authentication.
func (c *Component) Mount(h http.Handler, authenticated func(*http.Request) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.web, c.session = h, authenticated
}

// AuthEnabled reports whether authentication is configured.
func (c *Component) AuthEnabled() bool { return c.auth.enabled() }

// Login checks a user name and password as the API would: against the
// users file (bcrypt), or, with only a token file, the password against
// the token (any user name). It is the dashboard's login check.
func (c *Component) Login(ctx context.Context, user, pass string) bool {
	if len(c.auth.users) > 0 && c.auth.checkUser(ctx, user, pass) {
		return true
	}
	if c.auth.has {
		sum := sha256.Sum256([]byte(pass))
		return subtle.ConstantTimeCompare(sum[:], c.auth.token[:]) == 1
	}
	return false
}

// Start listens and serves in the background.
func (c *Component) Start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", c.config.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", c.config.Listen, err)
	}
	// What was bound decides, not what was asked (a name may resolve anew).
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() && !c.auth.enabled() {
		ln.Close()
		return fmt.Errorf("listen %s (bound %s): %w", c.config.Listen, ln.Addr(), ErrAuthRequired)
	}
	srv := &http.Server{
		Handler:           c.Handler(),
		ReadHeaderTimeout: c.config.ReadHeaderTimeout,
		ReadTimeout:       c.config.ReadTimeout,
		WriteTimeout:      c.config.WriteTimeout,
		IdleTimeout:       c.config.IdleTimeout,
		MaxHeaderBytes:    c.config.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(c.log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	c.mu.Lock()
	c.srv, c.ln, c.done = srv, ln, done
	c.mu.Unlock()
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	c.log.Info("listening", "addr", ln.Addr().String(), "auth", c.auth.enabled())
	return nil
}

// Addr is the bound address (nil before Start).
func (c *Component) Addr() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ln == nil {
		return nil
	}
	return c.ln.Addr()
}

// Stop stops accepting connections and waits for the requests in flight
// until ctx expires; then it closes the connections still open, which
// cancels their queries.
func (c *Component) Stop(ctx context.Context) error {
	c.mu.Lock()
	srv, done := c.srv, c.done
	c.srv = nil
	c.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		c.log.Warn("requests still running at the stop deadline; closing their connections", "err", err)
		err = srv.Close()
	}
	if serr := <-done; serr != nil {
		err = errors.Join(err, serr)
	}
	c.log.Info("stopped listening")
	return err
}
