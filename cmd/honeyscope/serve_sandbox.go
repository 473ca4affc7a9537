package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	svcconfig "github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/samplestore"
	"github.com/honeyscope/honeyscope/internal/sandboxrun"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/storecache"
)

// newSandbox builds serve's sandbox component, or nil when the
// configuration does not enable it. It runs the triaged samples of the
// sample store beside the store (the honeypot's), stores the runs in st
// and ingests their captures into st as sensor "sandbox".
func newSandbox(r *daemon.Reporter, f *svcconfig.File, st store.Store, dbPath string) (*sandboxrun.Component, error) {
	if f == nil || !f.Sandbox.Enabled {
		return nil, nil
	}
	if f.Honeypot.Enabled && f.Honeypot.User != "" {
		return nil, fmt.Errorf("sandbox.enabled: the sandbox needs root, and serve becomes honeypot.user %q after binding: leave honeypot.user empty, or run samples with `honeyscope sandbox run` as root", f.Honeypot.User)
	}
	ts, err := store.TriageOf(st)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	ss, err := store.SandboxOf(st)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := f.Sandbox
	sampleDir := f.Honeypot.SampleDir
	if sampleDir == "" {
		sampleDir = filepath.Join(filepath.Dir(dbPath), "samples")
	}
	samples, err := samplestore.Open(sampleDir, samplestore.Options{})
	if err != nil {
		return nil, fmt.Errorf("sandbox sample store: %w", err)
	}
	dir := s.Dir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(dbPath), "sandbox")
	}
	log := r.Logger("sandbox")
	cfg := sandboxrun.Configuration{Parallel: s.Parallel, Time: s.Time, Memory: s.Memory, Pids: s.Pids, Queue: s.Queue,
		QemuDir: s.QemuDir, Dir: dir, Interval: s.Interval,
		Keep:     sandboxrun.Retention{Runs: s.KeepRuns, Age: s.KeepAge, Size: s.KeepSize},
		Attempts: s.Attempts, RetryAfter: s.RetryAfter}
	return sandboxrun.New(r, cfg, sandboxrun.Dependencies{Triage: ts, Runs: ss, Samples: samples,
		Ingest: serveSandboxIngest(st, dbPath, log)})
}

// serveSandboxIngest ingests a run's capture into serve's own store (the
// store is open already: its blocks are not verified again for each run).
func serveSandboxIngest(st store.Store, dbPath string, log *slog.Logger) sandboxrun.Ingester {
	return func(ctx context.Context, pcap string) error {
		cfg := ingest.Config{DBPath: dbPath, Sensor: sandboxrun.Sensor, Version: version, Log: log, Workers: 1, SkipVerify: true,
			Open: func(context.Context, string) (store.Store, error) { return keepOpen{st}, nil }}
		return runSandboxIngest(ctx, cfg, pcap)
	}
}

// malwareStore is the store serve's writers use: triage stored through it
// (the triager's, and `samples add|triage` through the owner's socket)
// tells the sandbox there may be samples to run.
type malwareStore struct {
	*storecache.Store
	kick func()
}

// PutTriage stores the records and kicks the sandbox.
func (m *malwareStore) PutTriage(ctx context.Context, recs []store.TriageRecord) error {
	err := m.Store.PutTriage(ctx, recs)
	if err == nil && len(recs) > 0 && m.kick != nil {
		m.kick()
	}
	return err
}
