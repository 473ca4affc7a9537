package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/bcrypt"

	"github.com/honeyscope/honeyscope/internal/api"
	"github.com/honeyscope/honeyscope/internal/bus"
	"github.com/honeyscope/honeyscope/internal/civil"
	svcconfig "github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/livecap"
	geocomp "github.com/honeyscope/honeyscope/internal/locator"
	"github.com/honeyscope/honeyscope/internal/metrics"
	"github.com/honeyscope/honeyscope/internal/owner"
	"github.com/honeyscope/honeyscope/internal/privdrop"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/remote"
	"github.com/honeyscope/honeyscope/internal/storecache"
	"github.com/honeyscope/honeyscope/internal/web"
)

// serveReady, when set (by tests), is called with the API's bound address
// once every component has started.
var serveReady func(addr string)

type serveOptions struct {
	listen    string
	tokenFile string
	usersFile string
	tz        string
	geo       geoOptions
	shutdown  time.Duration
	logFormat string
	hp        honeypotOptions
	capture   captureOptions
	svc       *svcconfig.File // the service configuration (config file + flags)
	// reload reads the configuration again (SIGHUP): the config file
	// with the flags applied over it.
	reload func() (*svcconfig.File, error)
	// ready, when set, is called with the API's bound address once every
	// component has started (demo prints its URL).
	ready func(addr string)
	// reportDir is where the dashboard's "make a report" writes; domestic
	// is the country of its domestic page.
	reportDir, domestic string
	// bus: --publish and --collect (serve_bus.go).
	bus busOptions
	// warmEvery is how often the dashboard's default views are built
	// again after writes (0: never after the start).
	warmEvery time.Duration
}

func newServeCmd(g *globals) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run as a service: the store held open, a JSON API, Prometheus metrics and the honeypot",
		Long: `Open the store for the lifetime of the process and answer questions about it
over HTTP: a JSON API under /api/v1/ (docs/api.md) and Prometheus metrics at
/metrics, on one listener (default 127.0.0.1:8080).

Listening beyond loopback requires authentication: --auth-token-file (a file
holding one bearer token of at least 16 bytes; clients send
"Authorization: Bearer TOKEN") or --users-file (lines user:$2a$... with bcrypt
hashes, made by "honeyscope serve hash-password USER" or "htpasswd -nbB USER PASSWORD"; clients use HTTP basic
authentication). Without either, serve refuses a non-loopback address.

With --honeypot (or a honeypot section in a YAML/TOML --config file) serve is
also the honeypot: telnet and SSH listeners with an emulated BusyBox shell,
HTTP with IoT device pages, and generic listeners that record the first
bytes; sessions, logins, commands, URLs and dropped samples are committed to
the store every --commit-interval, intrusions count like the other classes,
and nothing attackers send is ever run. "honeyscope serve --example-config"
prints a documented config file, --print-nft the nftables rule that sends
every other TCP port to the redirect listener; docs/honeypot.md has the
rest. List what was recorded with "honeyscope sessions" and "honeyscope
samples".

While serve runs it owns the store: DuckDB lets no other process open the file,
so stats, report and ingest run against it fail until serve stops.

Signals: SIGINT or SIGTERM stop accepting connections, let requests in flight
finish (at most --shutdown-timeout), let a running commit finish or roll it
back, and close the store cleanly. SIGHUP reads the GeoIP databases (--geoip,
--asn) again; if they fail to load, the ones in use stay. Logs are structured
(log/slog) on stderr. docs/serve.md has the details, docs/api.md the API:

  curl -s localhost:8080/api/v1/totals
  curl -s 'localhost:8080/api/v1/stats?by=country&class=mirai&top=10'`,
		Example: `  honeyscope serve --db honeyscope.duckdb
  honeyscope serve --listen 0.0.0.0:8080 --auth-token-file /etc/honeyscope/token
  honeyscope serve --listen 0.0.0.0:8080 --users-file /etc/honeyscope/users --geoip GeoLite2-Country.mmdb
  honeyscope serve --honeypot --bind 127.0.0.1 --telnet 2323 --ssh 2222 --http 8080 --name lab
  honeyscope serve --example-config --format toml`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			switch o.logFormat {
			case "text", "json":
			default:
				return fmt.Errorf("--log-format %q: want text or json", o.logFormat)
			}
			if o.shutdown <= 0 {
				return fmt.Errorf("--shutdown-timeout %s: want a positive duration", o.shutdown)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.geo.applyConfig(g)
			if o.tz == "" && g.cfg != nil {
				o.tz = g.cfg.TZ
			}
			if o.tz != "" {
				z, err := civil.ZoneName(o.tz)
				if err != nil {
					return fmt.Errorf("--tz: %w", err)
				}
				o.tz = z
			}
			svcFile := func() (*svcconfig.File, error) {
				return o.hp.serviceFile(g, &o.listen, cmd.Flags().Changed("listen"), cmd.ErrOrStderr())
			}
			if done, err := o.hp.printHelpers(cmd.OutOrStdout(), svcFile); done {
				return err
			}
			f, err := svcFile()
			if err != nil {
				return err
			}
			if err := o.capture.apply(f); err != nil {
				return err
			}
			if o.hp.commitInterval > 0 {
				f.Capture.CommitInterval = o.hp.commitInterval
			}
			o.svc = f
			o.reload = func() (*svcconfig.File, error) {
				cfg, err := loadConfig(g.cfgPath)
				if err != nil {
					return nil, err
				}
				g.cfg = cfg
				f, err := svcFile()
				if err != nil {
					return nil, err
				}
				if err := o.capture.apply(f); err != nil {
					return nil, err
				}
				if o.hp.commitInterval > 0 {
					f.Capture.CommitInterval = o.hp.commitInterval
				}
				return f, nil
			}
			return runServe(cmd.Context(), g, o, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", api.DefaultConfiguration().Listen, "`HOST:PORT` to listen on (beyond loopback only with --auth-token-file or --users-file)")
	f.StringVar(&o.tokenFile, "auth-token-file", "", "`FILE` holding the bearer token clients must send")
	f.StringVar(&o.usersFile, "users-file", "", "`FILE` of user:$2a$... lines (bcrypt hashes) for HTTP basic authentication")
	f.StringVar(&o.tz, "tz", "", "time zone of days when the store is new (default: the store's, UTC for a new one)")
	f.DurationVar(&o.shutdown, "shutdown-timeout", 30*time.Second, "how long a stop waits for requests and a commit in flight")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on stderr: text or json")
	f.StringVar(&o.reportDir, "report-dir", "", "`DIR` where the dashboard's \"make a report of this view\" writes report folders (default: reports beside the store)")
	f.DurationVar(&o.warmEvery, "warm-interval", time.Minute, "this often when the store changed, bring the links (distinct sources over ranges of days, docs/store.md) up to date, ask again the store answers asked in the last 15 minutes and rebuild the dashboard's default views and the pages opened lately, so they open at once and fresh; until then a page built before the write is shown as it was, for up to 5 minutes (0: only at start, and pages are built again at their first view after a write)")
	f.StringVar(&o.domestic, "domestic", "JP", "the `COUNTRY` (ISO code) of the dashboard's domestic page")
	o.geo.register(f)
	o.hp.register(f)
	o.capture.register(f)
	o.bus.registerPublish(f, false)
	o.bus.registerCollect(f)
	cmd.AddCommand(newHashPasswordCmd())
	return cmd
}

// serveLogger is serve's structured logger on w: Info by default, Debug
// with -v.
func serveLogger(w io.Writer, format string, verbose bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if verbose {
		opts.Level = slog.LevelDebug
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runServe(ctx context.Context, g *globals, o serveOptions, stderr io.Writer) error {
	log := serveLogger(stderr, o.logFormat, g.verbose)
	r := daemon.NewReporter(log)

	storeCfg := owner.DefaultConfiguration()
	storeCfg.Path, storeCfg.TimeZone = g.dbPath(), o.tz
	// Commits (live capture intervals, clients' ingests) use one DuckDB
	// thread, as ingest does: the other core stays with the capture.
	storeCfg.WriteThreads = 1
	// A ClickHouse store (--store) has no owner: every process reaches
	// the server itself, and what lives beside a DuckDB file (samples,
	// reports, a leaf's storage) goes under the working directory.
	click := clickstore.IsURL(storeCfg.Path)
	side := storeCfg.Path
	var ownerDeps owner.Dependencies
	if click {
		side = clickSidePath(storeCfg.Path)
		ownerDeps.Open = func(ctx context.Context, cfg owner.Configuration) (store.Store, error) {
			return clickstore.Open(ctx, cfg.Path, clickstore.Options{TimeZone: cfg.TimeZone})
		}
	} else if pid, err := remote.OwnerPID(ctx, storeCfg.Path); err == nil {
		// Another serve holding the file would make the store component
		// wait for its lock: say who owns it at once instead.
		return fmt.Errorf("store %s is owned by another honeyscope serve (pid %d): stop it first, or serve another --db", storeCfg.Path, pid)
	}
	st, err := owner.New(r, storeCfg, ownerDeps)
	if err != nil {
		return err
	}
	geoC, err := geocomp.New(r, geocomp.Configuration{CountryDB: o.geo.countryDB, ASNDB: o.geo.asnDB}, geocomp.Dependencies{})
	if err != nil {
		return err
	}
	met, err := metrics.New(r, metrics.DefaultConfiguration(), metrics.Dependencies{Version: version})
	if err != nil {
		return err
	}
	apiCfg := api.DefaultConfiguration()
	apiCfg.Listen, apiCfg.AuthTokenFile, apiCfg.UsersFile = o.listen, o.tokenFile, o.usersFile
	// Every read and write of this process goes through one cache
	// (internal/storecache): the dashboard may answer up to 5 minutes stale
	// while a fresh answer is computed; the API and the owner's socket
	// (other commands) never answer stale.
	cst := storecache.New(st.Store(), storecache.Options{})
	apiC, err := api.New(r, apiCfg, api.Dependencies{
		Store:        cst.Fresh(),
		Ready:        st.Ready,
		GeoDatabases: geoC.Databases,
		Metrics:      met.Handler(),
		MetricsPath:  met.Path(),
		Info:         api.Info{Version: version, Schema: duckstore.SchemaVersion},
		Period:       api.PeriodLayer{R: cst.Fresh()},
	})
	if errors.Is(err, api.ErrAuthRequired) {
		return fmt.Errorf("--listen %s is reachable from other machines, so serve needs authentication: give --auth-token-file FILE "+
			"(one token of at least 16 bytes, e.g. `openssl rand -hex 32 > FILE`) or --users-file FILE "+
			"(user:$2a$... lines, e.g. `honeyscope serve hash-password alice >> FILE`), or listen on 127.0.0.1", o.listen)
	}
	if err != nil {
		return err
	}

	// The dashboard, at "/" on the API's listener: it logs users in as the
	// API checks them, and the API accepts its sessions.
	webCfg := web.DefaultConfiguration()
	if o.warmEvery <= 0 {
		// No warm round after writes to build pages again: a page is
		// built again at its first view after a write.
		webCfg.StalePages = 0
	}
	webCfg.ReportDir = o.reportDir
	if webCfg.ReportDir == "" {
		webCfg.ReportDir = filepath.Join(filepath.Dir(side), "reports")
	}
	webDeps := web.Dependencies{Store: cst, Generation: cst.Generation, PatternName: livePatternLabel(cst), Version: version, Country: o.domestic, Log: r.Logger("web"),
		Resolutions: cst}
	if geoC != nil {
		// Sessions stored without a country are shown placed as the
		// packet path places sources.
		webDeps.Locate = func(a netip.Addr) string { return geoC.Lookup(a).Country }
	}
	if apiC.AuthEnabled() {
		webDeps.Login = apiC.Login
	}
	webH, err := web.New(webDeps, webCfg)
	if err != nil {
		return err
	}
	apiC.Mount(webH, webH.Authenticated)

	wst, busEntries, closeBus, err := o.bus.serveBus(ctx, r, cst.Direct(), side, o.hp.sampleDir, stderr)
	if err != nil {
		return err
	}
	defer closeBus()

	fc, err := newFetcher(r, o.svc, cst.Direct(), side)
	if err != nil {
		return err
	}
	sbx, err := newSandbox(r, o.svc, cst.Direct(), side)
	if err != nil {
		return err
	}
	// Triage stored by serve's writers and through the socket tells the
	// sandbox of samples to run. A sensor that publishes commits through
	// the bus's tee instead (triage and sandbox runs then belong to the
	// collector's side).
	mst := &malwareStore{Store: cst.Direct()}
	if sbx != nil {
		mst.kick = sbx.Kick
	}
	var hst store.Store = mst
	if _, tee := wst.(*bus.Tee); tee {
		hst = wst
	}
	hp, closeHP, err := newHoneypot(r, o.svc, hst, geoC, side, fetcherSinks(fc)...)
	if err != nil {
		return err
	}
	defer closeHP()

	var capSection svcconfig.Capture
	if o.svc != nil {
		capSection = o.svc.Capture
	}
	// Rules are read once, at start: a reload keeps them.
	capRules, capRuleSet, err := captureRules(ctx, o.svc, cst.Direct(), stderr)
	if err != nil {
		return err
	}
	capSlot, err := newCaptureSlot(r.Logger("capture"), capSection, func(c svcconfig.Capture) (*livecap.Component, error) {
		return newCapture(r, c, wst, geoC, capRules, capRuleSet)
	})
	if err != nil {
		return err
	}

	// Other commands' reads through the socket take the API's fresh
	// answers (never from before a write): a report or stats asked again,
	// or asked after the warm round refreshed what was asked lately, is
	// answered from the cache; their writes move its generation on as
	// every write does.
	rst := &malwareStore{Store: cst.Fresh(), kick: mst.kick}
	rs := remote.NewServer(rst, r.Logger("remote"))
	rs.Classifiers = backfillClassifiers(rst)
	rs.OnQueue = func(n int) { met.IngestQueue().Set(float64(n)) }

	// Started in this order, stopped in reverse: the API stops taking
	// requests before the store is closed.
	entries := []daemon.Entry{
		{Name: "store", Component: st},
		// Stopped just before the store: its background refreshes end
		// before the store closes.
		{Name: "cache", Component: cst},
		{Name: "geo", Component: geoC},
		{Name: "metrics", Component: met},
	}
	if !click {
		// Other commands (ingest, stats, spikes, report, geo reassign)
		// reach the store through its socket beside the file.
		entries = append(entries, daemon.Entry{Name: "remote", Component: rs})
	}
	if hp != nil {
		// Every listener is bound first, while serve may still hold the
		// privilege to bind ports below 1024; then serve becomes the
		// configured user, before the store or anything else opens.
		if err := hp.Listen(); err != nil {
			return err
		}
		if u := o.svc.Honeypot.User; u != "" {
			if err := privdrop.Drop(u); err != nil {
				return fmt.Errorf("honeypot user %q: %w", u, err)
			}
			log.Info("running as an unprivileged user", "user", u)
		}
		entries = append(entries, daemon.Entry{Name: "honeypot", Component: hp})
	}
	if fc != nil {
		entries = append(entries, daemon.Entry{Name: "fetcher", Component: fc})
	}
	if sbx != nil {
		entries = append(entries, daemon.Entry{Name: "sandbox", Component: sbx})
	}
	// Always there, so that a SIGHUP can start a capture the
	// configuration gained.
	entries = append(entries, daemon.Entry{Name: "capture", Component: capSlot})
	entries = append(entries, busEntries...)
	entries = append(entries, daemon.Entry{Name: "api", Component: apiC})
	d := daemon.New(log, entries...)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	if err := d.Start(ctx); err != nil {
		return err
	}
	if hp != nil {
		for _, a := range hp.Addrs() {
			log.Info("honeypot listening", "service", a.Service, "addr", a.Addr.String(), "tls", a.TLS)
		}
	}
	log.Info("serving", "addr", apiC.Addr().String(), "store", storeCfg.Path, "version", version)
	if o.ready != nil {
		o.ready(apiC.Addr().String())
	}
	if serveReady != nil {
		serveReady(apiC.Addr().String())
	}
	// The dashboard's default views are built once started and again
	// after writes (at most every warmEvery), so that they are in the
	// cache when someone opens them.
	warmCtx, cancelWarm := context.WithCancel(ctx)
	warmDone := make(chan struct{})
	go func() {
		defer close(warmDone)
		warmLoop(warmCtx, log, webH, cst, o.warmEvery)
	}()
	// Stopping waits for the warm-up's question in flight to end (it is
	// cancelled), so that the store closes with no query running.
	stopWarm := func() {
		cancelWarm()
		<-warmDone
	}
	defer stopWarm()
	for running := true; running; {
		select {
		case <-ctx.Done():
			running = false
		case <-hup:
			log.Info("SIGHUP: reloading the GeoIP databases and the configuration")
			if err := geoC.Reload(); err != nil {
				log.Error("GeoIP reload failed", "err", err)
			}
			reloadConfig(ctx, log, o, capSlot)
		}
	}
	log.Info("stopping", "timeout", o.shutdown)
	stopCtx, cancel := context.WithTimeout(context.Background(), o.shutdown)
	defer cancel()
	// The warm-up's questions end before any component stops.
	stopWarm()
	if err := d.Stop(stopCtx); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	log.Info("stopped")
	return nil
}

// newHashPasswordCmd prints a users-file line for serve --users-file.
func newHashPasswordCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "hash-password USER",
		Short: "Print a --users-file line (user:bcrypt hash) for a password read from stdin",
		Long: `Read a password (the first line of standard input) and print USER:HASH with a
bcrypt hash, a line for serve --users-file. Nothing is stored:

  printf '%s\n' "$PASSWORD" | honeyscope serve hash-password alice >> users`,
		Example: `  honeyscope serve hash-password alice`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user := args[0]
			if user == "" || strings.ContainsAny(user, ":\r\n") {
				return fmt.Errorf("user %q: a name without ':' or line breaks", user)
			}
			line, err := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 1024)).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("read password: %w", err)
			}
			pass := strings.TrimRight(line, "\r\n")
			if len(pass) < 8 || len(pass) > 72 {
				return fmt.Errorf("password of %d bytes: want 8 to 72 (bcrypt's limit)", len(pass))
			}
			h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.DefaultCost)
			if err != nil {
				return fmt.Errorf("hash password: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s:%s\n", user, h)
			return nil
		},
	}
}

// reloadConfig reads the configuration again and applies what can change
// while serve runs: the capture section (interfaces, filters, sensor
// addresses, archive). Other sections need a restart; a change there is
// logged.
func reloadConfig(ctx context.Context, log *slog.Logger, o serveOptions, slot *captureSlot) {
	if o.reload == nil {
		return
	}
	f, err := o.reload()
	if err != nil {
		log.Error("configuration reload failed; the running configuration is kept", "err", err)
		return
	}
	changed, err := slot.Reload(ctx, f.Capture)
	switch {
	case err != nil:
		log.Error("capture reload failed", "err", err)
	case changed:
		log.Info("capture reconfigured", "interfaces", len(f.Capture.Interfaces))
	default:
		log.Info("capture configuration unchanged")
	}
	if o.svc != nil && (!reflect.DeepEqual(f.Honeypot, o.svc.Honeypot) || !reflect.DeepEqual(f.Fetcher, o.svc.Fetcher) || f.Listen != o.svc.Listen || f.DB != o.svc.DB) {
		log.Warn("the honeypot, fetcher, listen and db settings changed in the configuration: they take effect at the next restart")
	}
}

// warmLoop builds the dashboard's default views at start and then, every
// interval, when the store changed since: first the store answers asked
// within web.RecentWithin are asked again (storecache.Store.RefreshRecent),
// then the pages are built from them.
func warmLoop(ctx context.Context, log *slog.Logger, h *web.Handler, cst *storecache.Store, every time.Duration) {
	warm := func() {
		t0 := time.Now()
		gen := cst.Generation()
		// The links first (distinct sources over ranges of days), so
		// that the answers asked again below are counted from them.
		if u, ok := cst.Store.(store.LinkUpdater); ok {
			did, err := u.UpdateLinks(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("links update", "err", err)
			case did:
				log.Info("links updated", "took", time.Since(t0).Round(time.Millisecond))
			}
		}
		// The answers asked lately (the API's included) first, fresh,
		// so that the pages below are built from them and a caller of
		// the API finds them at the new generation.
		n, err := cst.RefreshRecent(ctx, web.RecentWithin)
		if err != nil && ctx.Err() == nil {
			log.Debug("store answers refresh", "err", err)
		}
		if n > 0 {
			log.Debug("store answers refreshed", "answers", n, "took", time.Since(t0).Round(time.Millisecond))
		}
		if err := h.Warm(ctx, nil); err != nil && ctx.Err() == nil {
			log.Debug("dashboard warm-up", "err", err)
		}
		if ctx.Err() == nil {
			log.Debug("dashboard views built", "took", time.Since(t0).Round(time.Millisecond), "generation", gen)
		}
	}
	warm()
	if every <= 0 {
		return
	}
	last := cst.Generation()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if g := cst.Generation(); g != last {
				last = g
				warm()
			}
		}
	}
}

// livePatternLabel is patternLabel over serve's store, read again after
// writes (a rule set added through the socket names its rules).
func livePatternLabel(cst *storecache.Store) func(string) string {
	var mu sync.Mutex
	var label func(string) string
	gen := ^uint64(0)
	return func(p string) string {
		mu.Lock()
		if g := cst.Generation(); label == nil || g != gen {
			label, gen = patternLabel(context.Background(), cst), g
		}
		l := label
		mu.Unlock()
		return l(p)
	}
}
