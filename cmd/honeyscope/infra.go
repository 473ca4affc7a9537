package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/miekg/dns"
	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/forcelayout"
	"github.com/honeyscope/honeyscope/internal/infra"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// infraOptions are the flags of "infra graph".
type infraOptions struct {
	from, to    string
	names       string
	resolver    string
	out         string
	timeout     time.Duration
	nameTimeout time.Duration
	maxQueries  int
	concurrency int
	seed        uint64
	iterations  int
	width       int
	height      int
	scale       float64
	hubs        int
	lang        string
	stored      bool
	noSave      bool
	geo         geoOptions
}

func newInfraCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "infra",
		Short: "DNS infrastructure of the names attackers use: name servers, CDNs, graph",
		Long: `Map the domain names seen in the honeypot's URLs (and names from a file) to
the DNS infrastructure behind them: the authoritative name servers of each
name's registered domain, its CNAME chain and addresses, the AS of every
address and the CDN that serves it.`,
	}
	o := &infraOptions{}
	graph := &cobra.Command{
		Use:   "graph --out DIR",
		Short: "Resolve names and draw the network of names and their name servers",
		Long: `Resolve the names and draw the bipartite network of names (light blue) and
the name servers their domains are registered at (orange, sized by their
number of names; the busiest labelled). Names a CDN serves are outlined
and the CDN's name is written among them.

Names come from the hosts of the URLs the honeypot recorded in sessions
that started in --from..--to (all days without them), the domains sandbox
runs started in those days resolved, and --names FILE (one name or URL per
line, '#' comments). With --names alone the store is not read.

Each name is resolved through --resolver (address:port; default: the first
name server of /etc/resolv.conf), asking with recursion desired, within
--timeout per query, --name-timeout and --max-queries per name, and
--concurrency names at a time. Resolutions are kept in the store (unless
--no-save) so that the dashboard's infrastructure page draws them; with
--stored the stored resolutions are drawn and nothing is asked.

DIR receives graph.svg, graph.png, edges.csv and edges.json (one edge per
name and name server: name, zone, ns, cdn, cdn_by, addrs, asns). Progress
goes to stderr.`,
		Example: `  honeyscope infra graph --from 2026-04-01 --to 2026-04-30 --out infra-april
  honeyscope infra graph --names domains.txt --resolver 127.0.0.1:53 --out g`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInfraGraph(cmd.Context(), g, o, cmd.ErrOrStderr())
		},
	}
	f := graph.Flags()
	f.StringVar(&o.from, "from", "", "first day of sessions whose URLs are taken, YYYY-MM-DD (inclusive)")
	f.StringVar(&o.to, "to", "", "last day, YYYY-MM-DD (inclusive)")
	f.StringVar(&o.names, "names", "", "also the names in `FILE`, one name or URL per line")
	f.StringVar(&o.resolver, "resolver", "", "DNS server `ADDR:PORT` to ask (default: the first of /etc/resolv.conf)")
	f.StringVar(&o.out, "out", "", "`DIR` to write graph.svg, graph.png, edges.csv and edges.json to (required)")
	f.DurationVar(&o.timeout, "timeout", 2*time.Second, "time limit of one query")
	f.DurationVar(&o.nameTimeout, "name-timeout", 10*time.Second, "time limit of one name's resolution")
	f.IntVar(&o.maxQueries, "max-queries", 24, "most queries for one name")
	f.IntVar(&o.concurrency, "concurrency", 8, "names resolved at once (1 to 256)")
	f.Uint64Var(&o.seed, "seed", 1, "layout seed: the same names and seed give the same drawing")
	f.IntVar(&o.iterations, "iterations", 0, "layout steps (0: by graph size, 300 to 120)")
	f.IntVar(&o.width, "width", 1400, "drawing width in CSS pixels")
	f.IntVar(&o.height, "height", 1000, "drawing height in CSS pixels")
	f.Float64Var(&o.scale, "scale", 2, "PNG pixels per CSS pixel")
	f.IntVar(&o.hubs, "hubs", 15, "label this many of the busiest name servers")
	f.StringVar(&o.lang, "lang", "en", "language of the drawing's text: en or ja")
	f.BoolVar(&o.stored, "stored", false, "draw the stored resolutions; ask no DNS server")
	f.BoolVar(&o.noSave, "no-save", false, "do not keep the resolutions in the store")
	o.geo.register(f)
	root.AddCommand(graph)
	return root
}

func (o *infraOptions) check() error {
	if o.out == "" {
		return errors.New("--out DIR is required")
	}
	if err := checkPeriod(o.from, o.to); err != nil {
		return err
	}
	if o.concurrency < 1 || o.concurrency > 256 {
		return fmt.Errorf("--concurrency %d: want 1 to 256", o.concurrency)
	}
	if o.maxQueries < 1 || o.maxQueries > 1000 {
		return fmt.Errorf("--max-queries %d: want 1 to 1000", o.maxQueries)
	}
	if o.timeout <= 0 || o.nameTimeout <= 0 {
		return errors.New("--timeout and --name-timeout must be positive")
	}
	if o.iterations < 0 || o.iterations > 5000 {
		return fmt.Errorf("--iterations %d: want 0 to 5000", o.iterations)
	}
	if o.width < 200 || o.width > 10000 || o.height < 200 || o.height > 10000 {
		return errors.New("--width and --height: want 200 to 10000")
	}
	if !(o.scale >= 0.25 && o.scale <= 4) {
		return fmt.Errorf("--scale %g: want 0.25 to 4", o.scale)
	}
	if o.lang != "en" && o.lang != "ja" {
		return fmt.Errorf("--lang %q: want en or ja", o.lang)
	}
	return nil
}

// defaultResolver is the first name server of /etc/resolv.conf.
func defaultResolver() (string, error) {
	cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(cc.Servers) == 0 {
		return "", errors.New("no --resolver given and none in /etc/resolv.conf")
	}
	port := cc.Port
	if port == "" {
		port = "53"
	}
	a, err := netip.ParseAddr(cc.Servers[0])
	if err != nil {
		return "", fmt.Errorf("/etc/resolv.conf: name server %q: %w", cc.Servers[0], err)
	}
	return netip.AddrPortFrom(a, uint16(atoiDefault(port, 53))).String(), nil
}

func atoiDefault(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > 65535 {
		return def
	}
	return n
}

func runInfraGraph(ctx context.Context, g *globals, o *infraOptions, stderr io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	useStore := o.names == "" || o.from != "" || o.to != "" || o.stored
	var st store.Store
	if useStore || !o.noSave {
		s, err := openStoreOpts(ctx, g.dbPath(), duckstore.Options{MustExist: true})
		switch {
		case err == nil:
			st = s
			defer st.Close()
		case useStore:
			return err
		default:
			fmt.Fprintf(stderr, "resolutions not saved: %v\n", err)
		}
	}
	rstore, _ := st.(infra.ResolutionStore)
	if st != nil && rstore == nil && (!o.noSave || o.stored) {
		if o.stored {
			return errors.New("--stored: this store keeps no DNS resolutions")
		}
		fmt.Fprintln(stderr, "resolutions not saved: this store keeps no DNS resolutions")
	}

	var sources []infra.NameSource
	if o.names != "" {
		f, err := os.Open(o.names)
		if err != nil {
			return err
		}
		defer f.Close()
		sources = append(sources, infra.ReaderNames(io.LimitReader(f, 64<<20)))
	}
	if useStore && (o.names == "" || o.from != "" || o.to != "") {
		sources = append(sources, infra.SessionNames(st))
		if sb, err := store.SandboxOf(st); err == nil {
			sources = append(sources, infra.SandboxNames(sb))
		}
	}
	names, truncated, err := infra.Collect(ctx, o.from, o.to, sources...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d names\n", len(names))
	if truncated {
		fmt.Fprintf(stderr, "only the first %d names are taken\n", infra.MaxNames)
	}

	var rs []infra.Resolution
	if o.stored {
		if rs, err = rstore.Resolutions(ctx, names); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%d of them resolved before\n", len(rs))
	} else {
		if rs, err = resolveNames(ctx, o, names, stderr); err != nil {
			return err
		}
		if rstore != nil && !o.noSave {
			if err := rstore.PutResolutions(ctx, rs); err != nil {
				return err
			}
		}
	}

	gr := infra.BuildGraph(rs)
	t0 := time.Now()
	gr.Layout(forcelayout.Options{Seed: o.seed, Iterations: o.iterations})
	fmt.Fprintf(stderr, "graph: %d names, %d name servers, %d edges (%d names without name servers); laid out in %s\n",
		gr.Names, len(gr.Nodes)-gr.Names, len(gr.Edges), gr.Unlinked, time.Since(t0).Round(time.Millisecond))
	return writeInfraGraph(o, gr)
}

func resolveNames(ctx context.Context, o *infraOptions, names []string, stderr io.Writer) ([]infra.Resolution, error) {
	server := o.resolver
	if server == "" {
		var err error
		if server, err = defaultResolver(); err != nil {
			return nil, err
		}
	}
	loc, err := o.geo.open()
	if err != nil {
		return nil, err
	}
	defer loc.close()
	r, err := infra.New(infra.Config{
		Server: server, Timeout: o.timeout, NameTimeout: o.nameTimeout, MaxQueries: o.maxQueries, Concurrency: o.concurrency,
		ASN: func(a netip.Addr) (uint32, string) {
			i := loc.loc.Lookup(a)
			return i.ASN, i.Org
		},
	})
	if err != nil {
		return nil, err
	}
	last := time.Now()
	rs := r.ResolveAll(ctx, names, func(done, total int) {
		if done == total || time.Since(last) > time.Second {
			last = time.Now()
			fmt.Fprintf(stderr, "\rresolved %d/%d", done, total)
			if done == total {
				fmt.Fprintln(stderr)
			}
		}
	})
	failed := 0
	for _, res := range rs {
		if len(res.NS) == 0 {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "%d names got no name servers (see edges only for the others)\n", failed)
	}
	return rs, ctx.Err()
}

func writeInfraGraph(o *infraOptions, gr *infra.Graph) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	title := "Names and their name servers"
	if o.lang == "ja" {
		title = "ドメイン名とネームサーバ"
	}
	sub := fmt.Sprintf("%d names, %d name servers", gr.Names, len(gr.Nodes)-gr.Names)
	if o.lang == "ja" {
		sub = fmt.Sprintf("ドメイン名 %d・ネームサーバ %d", gr.Names, len(gr.Nodes)-gr.Names)
	}
	if o.from != "" || o.to != "" {
		sub += " · " + o.from + " – " + o.to
	}
	c := gr.Chart(infra.ChartOptions{Title: title, Subtitle: sub, Lang: o.lang, Width: o.width, Height: o.height, Hubs: o.hubs})
	pngBytes, err := c.PNG(o.scale)
	if err != nil && !errors.Is(err, chart.ErrMissingGlyphs) {
		return err
	}
	var csvB, jsonB bytes.Buffer
	if err := gr.WriteCSV(&csvB); err != nil {
		return err
	}
	if err := gr.WriteJSON(&jsonB); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"graph.svg": c.SVG(), "graph.png": pngBytes, "edges.csv": csvB.Bytes(), "edges.json": jsonB.Bytes()} {
		if err := os.WriteFile(filepath.Join(o.out, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
