// Package locator is the "geo" component of `honeyscope serve`: it holds the
// GeoIP databases (loaded by package geo) for the process lifetime and
// swaps in freshly read ones on Reload (serve calls it on SIGHUP). A reload
// that fails keeps the databases in use.
package locator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/geo"
)

// ErrNotStarted is returned by Reload before Start or after Stop.
var ErrNotStarted = errors.New("geo databases not loaded")

// Dependencies of the geo component (none yet).
type Dependencies struct{}

// Component holds the GeoIP databases.
type Component struct {
	r      *daemon.Reporter
	log    *slog.Logger
	config Configuration
	m      metrics

	reload sync.Mutex // one Reload at a time
	mu     sync.RWMutex
	loc    *geo.Locator
}

// New returns the geo component; nothing is read until Start.
func New(r *daemon.Reporter, config Configuration, _ Dependencies) (*Component, error) {
	c := &Component{r: r, log: r.Logger("geo"), config: config}
	if err := c.initMetrics(); err != nil {
		return nil, fmt.Errorf("geo component metrics: %w", err)
	}
	return c, nil
}

// Start loads the databases; a file that cannot be read fails the start.
func (c *Component) Start(context.Context) error {
	l, err := geo.Open(geo.Config{CountryDB: c.config.CountryDB, ASNDB: c.config.ASNDB})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.loc = l
	c.mu.Unlock()
	c.m.loadedAt.Set(float64(time.Now().Unix()))
	c.logLoaded("geo databases loaded", l)
	return nil
}

// Stop releases the databases.
func (c *Component) Stop(context.Context) error {
	c.mu.Lock()
	l := c.loc
	c.loc = nil
	c.mu.Unlock()
	if l == nil {
		return nil
	}
	return l.Close()
}

// Reload reads the configured files again and, when they load, swaps them
// in: lookups running meanwhile finish on the old databases, which are
// then closed. When they do not load, the databases in use stay and the
// error says why.
func (c *Component) Reload() error {
	c.reload.Lock()
	defer c.reload.Unlock()
	c.mu.RLock()
	running := c.loc != nil
	c.mu.RUnlock()
	if !running {
		return ErrNotStarted
	}
	l, err := geo.Open(geo.Config{CountryDB: c.config.CountryDB, ASNDB: c.config.ASNDB})
	if err != nil {
		c.m.reloads.WithLabelValues("error").Inc()
		return fmt.Errorf("reload geo databases (keeping those in use): %w", err)
	}
	c.mu.Lock()
	old := c.loc
	if old == nil { // stopped meanwhile
		c.mu.Unlock()
		l.Close()
		return ErrNotStarted
	}
	c.loc = l
	c.mu.Unlock()
	c.m.reloads.WithLabelValues("ok").Inc()
	c.m.loadedAt.Set(float64(time.Now().Unix()))
	c.logLoaded("geo databases reloaded", l)
	return old.Close()
}

func (c *Component) logLoaded(msg string, l *geo.Locator) {
	attrs := []any{}
	for _, d := range l.Databases() {
		attrs = append(attrs, d.Kind, fmt.Sprintf("%s (%s, sha256 %.16s)", d.Name, d.Type, d.SHA256))
	}
	c.log.Info(msg, attrs...)
}

// Lookup geolocates a; before Start or after Stop it returns the unknown
// country.
func (c *Component) Lookup(a netip.Addr) geo.Info {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.loc == nil {
		return geo.Info{Country: geo.Unknown}
	}
	return c.loc.Lookup(a)
}

// Databases describes the databases in use (nil before Start).
func (c *Component) Databases() []geo.DBInfo {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.loc == nil {
		return nil
	}
	return c.loc.Databases()
}
