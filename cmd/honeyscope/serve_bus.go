package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/honeyscope/honeyscope/internal/bus"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/samplestore"
	"github.com/honeyscope/honeyscope/internal/store"
)

// serveBus sets up serve's NATS side: with --publish, the store the
// honeypot and the capture write to becomes a Tee (the local store, then
// the hub); with --collect, a component consumes the hub's stream into
// the local store. closeBus is to be deferred.
func (o *busOptions) serveBus(ctx context.Context, r *daemon.Reporter, local store.Store, dbPath, sampleDir string, stderr io.Writer) (w store.Store, entries []daemon.Entry, closeBus func(), err error) {
	w, closeBus = local, func() {}
	if o.publish != "" {
		name := o.name
		if name == "" {
			name, _ = os.Hostname()
		}
		bp, err := o.startPublisher(ctx, name, "UTC", local.TimeZone, dbPath, stderr)
		if err != nil {
			return nil, nil, nil, err
		}
		w = &bus.Tee{Store: local, Pub: bp.pub}
		closeBus = func() { bp.close(nil, "", stderr) }
	}
	if o.collect != "" {
		a, err := o.auth()
		if err != nil {
			closeBus()
			return nil, nil, nil, err
		}
		if err := bus.CheckSecure(o.collect, a); err != nil {
			closeBus()
			return nil, nil, nil, fmt.Errorf("--collect: %w", err)
		}
		if sampleDir == "" {
			sampleDir = filepath.Join(filepath.Dir(dbPath), "samples")
		}
		entries = append(entries, daemon.Entry{Name: "collector", Component: &collectorComponent{
			url: o.collect, auth: a, domain: o.hubDomain, st: local, sampleDir: sampleDir, ackWait: o.ackWait, log: r.Logger("collector"),
		}})
	}
	return w, entries, closeBus, nil
}

// collectorComponent runs a bus.Collector for serve's lifetime.
type collectorComponent struct {
	url       string
	auth      bus.Auth
	domain    string
	st        store.Store
	sampleDir string
	ackWait   time.Duration
	log       *slog.Logger

	nc     *nats.Conn
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start connects, makes the hub's stream and the durable consumer, and
// collects in the background.
func (c *collectorComponent) Start(ctx context.Context) error {
	nc, err := bus.Connect(c.url, c.auth, "honeyscope collector")
	if err != nil {
		return err
	}
	js, err := jetstream.NewWithDomain(nc, c.domain)
	if err != nil {
		nc.Close()
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := bus.EnsureHub(sctx, js, bus.HubConfig{}); err != nil {
		nc.Close()
		return err
	}
	samples, err := samplestore.Open(c.sampleDir, samplestore.Options{})
	if err != nil {
		nc.Close()
		return fmt.Errorf("collector sample store: %w", err)
	}
	sink := func(ctx context.Context, sha string, b []byte) error {
		got, err := samples.Put(b)
		if err == nil && got != sha {
			err = fmt.Errorf("sample %s stored as %s", sha, got)
		}
		return err
	}
	col, err := bus.NewCollector(sctx, js, c.st, bus.CollectorConfig{Samples: sink, AckWait: c.ackWait, Log: c.log})
	if err != nil {
		nc.Close()
		return err
	}
	c.nc = nc
	rctx, stop := context.WithCancel(context.Background())
	c.cancel = stop
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := col.Run(rctx); err != nil {
			c.log.Error("collector stopped", "err", err)
		}
	}()
	return nil
}

// Stop ends collecting after the batch in progress.
func (c *collectorComponent) Stop(ctx context.Context) error {
	if c.cancel != nil {
		c.cancel()
	}
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	if c.nc != nil {
		c.nc.Close()
	}
	return nil
}
