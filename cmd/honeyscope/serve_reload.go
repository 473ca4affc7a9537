package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"

	svcconfig "github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/livecap"
)

// captureSlot is the "capture" component of serve: it holds the live
// capture built from the configuration's capture section and, on SIGHUP,
// replaces it when the section changed. The running capture is stopped
// first (its interval committed, its archive file completed) so that no
// packet is counted by two captures; a new section that does not build
// (a bad filter, an unknown interface) leaves the running capture as it is.
type captureSlot struct {
	log   *slog.Logger
	build func(svcconfig.Capture) (*livecap.Component, error)

	mu      sync.Mutex
	section svcconfig.Capture
	cur     *livecap.Component // nil: no interface configured
	started bool
}

func newCaptureSlot(log *slog.Logger, section svcconfig.Capture, build func(svcconfig.Capture) (*livecap.Component, error)) (*captureSlot, error) {
	s := &captureSlot{log: log, build: build, section: section}
	c, err := build(section)
	if err != nil {
		return nil, err
	}
	s.cur = c
	return s, nil
}

// Start starts the capture (when one is configured).
func (s *captureSlot) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started = true
	if s.cur == nil {
		return nil
	}
	return s.cur.Start(ctx)
}

// Stop stops the running capture: its interval is committed.
func (s *captureSlot) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started = false
	if s.cur == nil {
		return nil
	}
	return s.cur.Stop(ctx)
}

// Running reports whether a capture is running.
func (s *captureSlot) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started && s.cur != nil
}

// Reload replaces the capture when section differs from the running one.
// It reports whether anything changed.
func (s *captureSlot) Reload(ctx context.Context, section svcconfig.Capture) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if reflect.DeepEqual(section, s.section) {
		return false, nil
	}
	next, err := s.build(section)
	if err != nil {
		return false, fmt.Errorf("new capture section: %w (the running capture goes on)", err)
	}
	if !s.started {
		s.cur, s.section = next, section
		return true, nil
	}
	if s.cur != nil {
		if err := s.cur.Stop(ctx); err != nil {
			s.log.Error("stopping the running capture for the new configuration", "err", err)
		}
	}
	old := s.section
	s.cur, s.section = next, section
	if next == nil {
		s.log.Info("live capture stopped: the new configuration has no interface")
		return true, nil
	}
	if err := next.Start(ctx); err == nil {
		return true, nil
	} else {
		// Back to what ran before, if it still opens.
		s.cur, s.section = nil, svcconfig.Capture{}
		prev, perr := s.build(old)
		if perr == nil && prev != nil {
			if perr = prev.Start(ctx); perr == nil {
				s.cur, s.section = prev, old
			}
		}
		if perr != nil {
			return true, errors.Join(fmt.Errorf("start the new capture: %w", err), fmt.Errorf("restart the previous one: %w; live capture is stopped", perr))
		}
		return true, fmt.Errorf("start the new capture: %w (the previous configuration runs again)", err)
	}
}
