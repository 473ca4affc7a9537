package main

import (
	"fmt"
	"net/netip"
	"path/filepath"

	svcconfig "github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/fetcher"
	"github.com/honeyscope/honeyscope/internal/samplestore"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// newFetcher builds the URL fetcher component of serve, or nil when the
// configuration does not enable it. It keeps contents in the honeypot's
// sample store (the same directory) and hears of URLs from the honeypot's
// sessions through the sink fetcherSinks returns.
func newFetcher(r *daemon.Reporter, f *svcconfig.File, st any, dbPath string) (*fetcher.Component, error) {
	if f == nil || !f.Fetcher.Enabled {
		return nil, nil
	}
	fs, err := store.FetchesOf(st)
	if err != nil {
		return nil, fmt.Errorf("fetcher: %w", err)
	}
	cfg, err := fetcherConfig(f.Fetcher)
	if err != nil {
		return nil, err
	}
	dir := f.Honeypot.SampleDir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(dbPath), "samples")
	}
	samples, err := samplestore.Open(dir, samplestore.Options{})
	if err != nil {
		return nil, fmt.Errorf("fetcher sample store: %w", err)
	}
	return fetcher.New(r, cfg, fetcher.Dependencies{Store: fs, Samples: samples})
}

// fetcherConfig turns the config file's section into the component's
// configuration (the file is validated already).
func fetcherConfig(s svcconfig.Fetcher) (fetcher.Configuration, error) {
	c := fetcher.Configuration{
		MaxBytes: s.MaxBytes, Timeout: s.Timeout, Idle: s.Idle, MaxRedirects: s.MaxRedirects,
		MaxHeaderBytes: s.MaxHeaderBytes, Concurrency: s.Concurrency, PerHost: s.PerHost,
		Retries: s.Retries, Backoff: s.Backoff, Queue: s.Queue, BacklogInterval: s.BacklogInterval,
		Interface: s.Interface, Proxy: s.Proxy, UserAgent: s.UserAgent,
	}
	if s.SourceAddr != "" {
		a, err := netip.ParseAddr(s.SourceAddr)
		if err != nil {
			return c, fmt.Errorf("fetcher source_addr %q: %w", s.SourceAddr, err)
		}
		c.SourceAddr = a
	}
	var err error
	if c.Deny, err = svcconfig.Prefixes(s.Deny); err != nil {
		return c, fmt.Errorf("fetcher deny: %w", err)
	}
	if c.Allow, err = svcconfig.Prefixes(s.Allow); err != nil {
		return c, fmt.Errorf("fetcher allow: %w", err)
	}
	return c, nil
}

// fetcherSinks is the honeypot's extra event sink for fc (none when nil).
func fetcherSinks(fc *fetcher.Component) []session.Sink {
	if fc == nil {
		return nil
	}
	return []session.Sink{fc}
}

// teeSink sends every event to each sink in turn.
type teeSink []session.Sink

// Event implements session.Sink.
func (t teeSink) Event(e session.Event) {
	for _, s := range t {
		s.Event(e)
	}
}
