// Package daemon runs the components of a long-running honeyscope process
// (`honeyscope serve`): it starts them in the order given and stops them in
// the reverse order, so that a component is only stopped after every
// component that may use it. When a Start fails, the components already
// started are stopped (in reverse) before the error is returned, so a
// failed start leaves nothing running and the store closed.
//
// A component is one package with config.go (a Configuration struct and
// DefaultConfiguration), root.go (New(r, config, Dependencies{...}), Start,
// Stop) and metrics.go where it has metrics. Dependencies are passed in at
// New, never reached for globally; the Reporter carries the logger and the
// metrics registry every component shares.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Component is something with a lifecycle. Start must return once the
// component is running (it must not block for the process lifetime); Stop
// releases what Start acquired and should honour ctx's deadline.
type Component interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Entry names a component for logs and errors.
type Entry struct {
	Name      string
	Component Component
}

// Daemon starts and stops a list of components.
type Daemon struct {
	log     *slog.Logger
	entries []Entry

	mu      sync.Mutex
	started int // entries[:started] are running
}

// New returns a daemon running entries in order. A nil log discards.
func New(log *slog.Logger, entries ...Entry) *Daemon {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Daemon{log: log, entries: entries}
}

// Start starts every component in order. When one fails, those already
// started are stopped in reverse order (with ctx) and the error, naming the
// component, is returned joined with any stop errors.
func (d *Daemon) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started != 0 {
		return errors.New("daemon already started")
	}
	for i, e := range d.entries {
		t0 := time.Now()
		if err := e.Component.Start(ctx); err != nil {
			err = fmt.Errorf("start %s: %w", e.Name, err)
			d.log.Error("component failed to start", "component", e.Name, "err", err)
			return errors.Join(err, d.stopLocked(ctx))
		}
		d.started = i + 1
		d.log.Debug("component started", "component", e.Name, "took", time.Since(t0))
	}
	return nil
}

// Stop stops the running components in reverse order. Every component is
// stopped even when an earlier Stop fails; the errors are joined. Calling
// Stop again (or without Start) does nothing.
func (d *Daemon) Stop(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stopLocked(ctx)
}

func (d *Daemon) stopLocked(ctx context.Context) error {
	var errs []error
	for i := d.started - 1; i >= 0; i-- {
		e := d.entries[i]
		t0 := time.Now()
		if err := e.Component.Stop(ctx); err != nil {
			err = fmt.Errorf("stop %s: %w", e.Name, err)
			d.log.Error("component failed to stop", "component", e.Name, "err", err)
			errs = append(errs, err)
		} else {
			d.log.Debug("component stopped", "component", e.Name, "took", time.Since(t0))
		}
		d.started = i
	}
	return errors.Join(errs...)
}
