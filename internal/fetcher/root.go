// Package fetcher is serve's opt-in URL fetcher: it downloads the URLs the
// honeypot records (as sessions name them, and in a backlog pass over the
// stored URLs not yet fetched) over http, https, tftp and ftp, within
// strict limits (size, total and idle time, redirects, per-host and global
// concurrency, bounded retries), from a configurable egress (source
// address, interface, SOCKS5 or HTTP proxy), never to private, local or
// otherwise denied addresses (checked on the address connected to, so a
// name that resolves differently the second time gains nothing). Each URL
// is fetched once; what the answer was (status, headers, server address,
// error, size, SHA-256) is recorded in the store, and the content is kept
// in the sample store as a sample (via "fetched").
//
// Attackers choose these URLs and run these servers: nothing of either
// reaches a file path (samples are named by their hash) or a shell, the
// content is never run, and a hostile server (slow, endless, huge
// headers, redirect loops, a TFTP transfer that never ends or sends blocks
// out of order) is cut off by the limits.
package fetcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// SampleStore is what the fetcher needs of the sample store
// (*samplestore.Store).
type SampleStore interface {
	// Put stores content and returns its SHA-256 (lower-case hex).
	Put(content []byte) (string, error)
	// MaxSize is the largest content Put takes.
	MaxSize() int64
}

// Dependencies are what the component is given.
type Dependencies struct {
	Store   store.FetchStore // where fetches are recorded (required)
	Samples SampleStore      // where contents are kept (required)
	Now     func() time.Time // clock (default time.Now)
}

// Component is the fetcher of serve. It is a session.Sink: give it to the
// honeypot's hub to hear of URLs as sessions name them.
type Component struct {
	cfg    Configuration
	deps   Dependencies
	log    *slog.Logger
	client *Client
	m      metrics

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	queue   []*job
	known   map[string]bool // URLs queued or in flight
	busy    map[string]int  // fetches in flight per host
	dropped uint64
	wake    chan struct{}
}

// job is one URL to fetch.
type job struct {
	p         store.PendingURL
	host      string
	attempt   int // attempts made
	notBefore time.Time
}

// New returns the component; nothing runs before Start.
func New(r *daemon.Reporter, cfg Configuration, deps Dependencies) (*Component, error) {
	if deps.Store == nil || deps.Samples == nil {
		return nil, errors.New("fetcher: a fetch store and a sample store are needed")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	cfg = cfg.withDefaults()
	if m := deps.Samples.MaxSize(); m > 0 && cfg.MaxBytes > m {
		cfg.MaxBytes = m
	}
	cl, err := NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("fetcher: %w", err)
	}
	if r == nil {
		r = daemon.NewReporter(nil)
	}
	c := &Component{cfg: cl.cfg, deps: deps, log: r.Logger("fetcher"), client: cl,
		known: map[string]bool{}, busy: map[string]int{}, wake: make(chan struct{}, 1)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.initMetrics(r); err != nil {
		return nil, fmt.Errorf("fetcher metrics: %w", err)
	}
	return c, nil
}

// Client returns the component's client (its limits and deny-list).
func (c *Component) Client() *Client { return c.client }

// Start starts the workers and the backlog pass.
func (c *Component) Start(ctx context.Context) error {
	for range c.cfg.Concurrency {
		c.wg.Add(1)
		go c.worker()
	}
	c.wg.Add(1)
	go c.backlog()
	c.log.Info("fetcher started", "concurrency", c.cfg.Concurrency, "max_bytes", c.cfg.MaxBytes,
		"proxy", c.cfg.Proxy != "", "interface", c.cfg.Interface)
	return nil
}

// Stop cancels the fetches in flight (they are tried again at the next
// start: nothing is recorded of them) and waits for the workers. A fetch
// that has finished is still recorded (within recordTimeout).
func (c *Component) Stop(ctx context.Context) error {
	c.cancel()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("fetcher: %w", ctx.Err())
	}
}

// Event implements session.Sink: a URL event queues its URL. It never
// blocks; a full queue leaves the URL to the backlog pass.
func (c *Component) Event(e session.Event) {
	if e.Kind != session.EventURL || e.URL == nil {
		return
	}
	p := store.PendingURL{URL: e.URL.URL, First: e.URL.Time}
	if s := e.Session; s != nil {
		p.SessionID, p.Src, p.Sensor = s.ID, s.Src, s.Sensor
	}
	c.Enqueue(p)
}

// Enqueue queues p unless its URL is queued or in flight already or the
// queue is full; it reports whether p was queued.
func (c *Component) Enqueue(p store.PendingURL) bool {
	if p.URL == "" {
		return false
	}
	host := ""
	if u, err := url.Parse(p.URL); err == nil {
		host = strings.ToLower(u.Hostname())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known[p.URL] {
		return false
	}
	if len(c.queue) >= c.cfg.Queue {
		c.dropped++
		return false
	}
	c.known[p.URL] = true
	c.queue = append(c.queue, &job{p: p, host: host})
	c.signal()
	return true
}

func (c *Component) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// next takes a job that may run now (its host below the per-host limit,
// its retry time reached), or says how long to wait for one.
func (c *Component) next() (*job, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.deps.Now()
	wait := time.Second
	for i, j := range c.queue {
		if c.busy[j.host] >= c.cfg.PerHost {
			continue
		}
		if d := j.notBefore.Sub(now); d > 0 {
			wait = min(wait, d)
			continue
		}
		c.queue = append(c.queue[:i], c.queue[i+1:]...)
		c.busy[j.host]++
		return j, 0
	}
	return nil, wait
}

func (c *Component) worker() {
	defer c.wg.Done()
	for c.ctx.Err() == nil {
		j, wait := c.next()
		if j == nil {
			t := time.NewTimer(wait)
			select {
			case <-c.ctx.Done():
			case <-c.wake:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		again := c.run(j)
		c.mu.Lock()
		if c.busy[j.host]--; c.busy[j.host] <= 0 {
			delete(c.busy, j.host)
		}
		if again {
			c.queue = append(c.queue, j)
		} else {
			delete(c.known, j.p.URL)
		}
		c.mu.Unlock()
		c.signal()
	}
}

// run makes one attempt at j and records the outcome; again says the job
// goes back in the queue for a retry.
func (c *Component) run(j *job) (again bool) {
	ctx := c.ctx
	if j.attempt == 0 {
		done, err := c.deps.Store.Fetched(ctx, j.p.URL)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("fetcher: store", "err", err)
			}
			return false // the backlog pass tries again
		}
		if done {
			return false
		}
	}
	r := c.client.Fetch(ctx, j.p.URL)
	j.attempt++
	if ctx.Err() != nil {
		return false // stopping: nothing recorded, tried again at the next start
	}
	c.m.bytes.Add(float64(r.Size))
	if r.Err != nil && r.Temporary && j.attempt <= c.cfg.Retries {
		c.m.retries.Inc()
		j.notBefore = c.deps.Now().Add(c.cfg.Backoff << (j.attempt - 1))
		c.log.Debug("fetch failed, will retry", "url", j.p.URL, "attempt", j.attempt, "err", r.Err)
		return true
	}
	// The fetch is done: its record must not be cut off by Stop, which
	// cancels c.ctx (a record interrupted half-way loses the fetch and
	// leaves its content in the sample store unrecorded). Stop waits for it.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	c.record(rctx, j, r)
	return false
}

// recordTimeout bounds the recording of a finished fetch.
const recordTimeout = 30 * time.Second

// record keeps the content and writes the fetch.
func (c *Component) record(ctx context.Context, j *job, r Result) {
	f := store.Fetch{
		URL: j.p.URL, Time: r.Start, Duration: r.Duration, Attempts: j.attempt, Status: r.Status,
		Headers: r.Headers, Server: r.Server, FinalURL: r.FinalURL, Size: r.Size,
		SessionID: j.p.SessionID, Src: j.p.Src, Sensor: j.p.Sensor,
	}
	outcome := "ok"
	switch {
	case r.Err != nil:
		f.Error = r.Err.Error()
		outcome = "error"
		switch {
		case errIsDenied(r.Err):
			outcome = "denied"
			c.m.denied.Inc()
		case errors.Is(r.Err, ErrTooLarge):
			outcome = "too_large"
		}
	case len(r.Content) > 0:
		sha, err := c.deps.Samples.Put(r.Content)
		if err != nil {
			f.Error = "sample store: " + err.Error()
			outcome = "error"
			break
		}
		f.SHA256, f.Type = sha, session.FileType(r.Content)
		c.m.samples.Inc()
	default:
		outcome = "empty"
	}
	if err := c.deps.Store.RecordFetch(ctx, f); err != nil {
		c.log.Warn("fetcher: record", "url", f.URL, "err", err)
		return
	}
	// Counted once recorded (the metric's help): who sees the count sees
	// the row.
	c.m.fetches.WithLabelValues(outcome).Inc()
	c.log.Info("fetched", "url", f.URL, "outcome", outcome, "status", f.Status, "size", f.Size,
		"sha256", f.SHA256, "server", f.Server, "err", f.Error)
}

// backlog queues the stored URLs not yet fetched, at start and every
// BacklogInterval.
func (c *Component) backlog() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.BacklogInterval)
	defer t.Stop()
	for {
		c.mu.Lock()
		room := c.cfg.Queue - len(c.queue)
		c.mu.Unlock()
		if room > 0 {
			ps, err := c.deps.Store.PendingURLs(c.ctx, room)
			if err != nil && c.ctx.Err() == nil {
				c.log.Warn("fetcher: backlog", "err", err)
			}
			for _, p := range ps {
				c.Enqueue(p)
			}
		}
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stats returns the URLs queued and those dropped because the queue was
// full.
func (c *Component) Stats() (queued int, dropped uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue), c.dropped
}
