package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

// srcPortFlags are the selection flags of `srcports` and `srcports match`.
type srcPortFlags struct {
	run                   int64
	src, net, country     string
	asn                   uint32
	from, to, format, out string
	lang                  string
	k, limit              int
}

func (f *srcPortFlags) query() (store.SrcPortQuery, error) {
	var q store.SrcPortQuery
	var err error
	if f.from != "" {
		if q.From, err = civil.Parse(f.from); err != nil {
			return q, fmt.Errorf("--from: %w", err)
		}
	}
	if f.to != "" {
		if q.To, err = civil.Parse(f.to); err != nil {
			return q, fmt.Errorf("--to: %w", err)
		}
	}
	if q.From != 0 && q.To != 0 && q.To < q.From {
		return q, fmt.Errorf("--to %s is before --from %s", f.to, f.from)
	}
	if f.run < 0 {
		return q, errors.New("--run: want a run id (honeyscope sandbox list)")
	}
	q.Run = f.run
	if q.Src, err = parseSource(f.src); err != nil {
		return q, fmt.Errorf("--src: %w", err)
	}
	if f.net != "" {
		if q.Net, err = netip.ParsePrefix(strings.TrimSpace(f.net)); err != nil {
			return q, fmt.Errorf("--net %q: want a CIDR prefix such as 203.0.113.0/24", f.net)
		}
		q.Net = q.Net.Masked()
	}
	q.ASN = f.asn
	if c := strings.ToUpper(strings.TrimSpace(f.country)); c != "" {
		if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
			return q, fmt.Errorf("--country %q: want a two-letter country code", f.country)
		}
		q.Country = c
	}
	if f.k < 0 || f.k > srcports.MaxK {
		return q, fmt.Errorf("--k %d: want 1 to %d", f.k, srcports.MaxK)
	}
	return q, checkFormat(f.format)
}

func (f *srcPortFlags) add(cmd *cobra.Command, match bool) {
	fl := cmd.Flags()
	fl.Int64Var(&f.run, "run", 0, "the sandbox run `ID` (its capture ingested as sensor \"sandbox\")")
	fl.StringVar(&f.from, "from", "", "first `DAY` (YYYY-MM-DD)")
	fl.StringVar(&f.to, "to", "", "last `DAY` (YYYY-MM-DD)")
	fl.StringVar(&f.format, "format", "table", "output format: table or json")
	if match {
		fl.IntVar(&f.limit, "limit", 20, "at most N sources listed")
		return
	}
	fl.StringVar(&f.src, "src", "", "one source `IP`")
	fl.StringVar(&f.net, "net", "", "the sources in `CIDR`")
	fl.Uint32Var(&f.asn, "asn", 0, "the sources of AS `N`")
	fl.StringVar(&f.country, "country", "", "the sources of country `CC`")
	fl.StringVar(&f.out, "out", "", "write the charts (SVG and PNG) and the study (JSON) to `DIR`")
	fl.StringVar(&f.lang, "lang", "en", "language of the charts: en or ja")
	fl.IntVar(&f.k, "k", srcports.DefaultK, "a study is confined when it has at most K distinct source ports")
}

func srcPortStore(ctx context.Context, g *globals) (store.SrcPortStore, func(), error) {
	st, err := openStore(ctx, g.dbPath(), false)
	if err != nil {
		return nil, nil, err
	}
	sp, err := store.SrcPortsOf(st)
	if err != nil {
		st.Close()
		return nil, nil, errors.New("the store's owner (honeyscope serve) does not serve source-port histograms: run this with serve stopped")
	}
	return sp, func() { st.Close() }, nil
}

func newSrcPortsCmd(g *globals) *cobra.Command {
	var f srcPortFlags
	cmd := &cobra.Command{
		Use:   "srcports [--run ID | --src IP | --net CIDR | --asn N | --country CC] [--from DAY] [--to DAY]",
		Short: "Study the source ports of scanners whose source ports are confined to a few values",
		Long: `Ingest keeps, per day, sensor and source, the histograms of the source ports
and destination ports of a source's scan packets (TCP SYNs, UDP) when it used
at most 16 distinct source ports that day and sent at least 8 of them. This
command studies them for a sandbox run, a source, or a group of sources: the
packets from the top source port and to the top destination port per day,
their shares of the day's packets, whether the source ports are confined to
a few values, and the correlation of the two series over days. With --out it
writes both as line charts (SVG and PNG) and the study as JSON.`,
		Example: `  honeyscope srcports --run 3
  honeyscope srcports --net 203.0.113.0/24 --from 2026-04-01 --out study/
  honeyscope srcports match --run 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := f.query()
			if err != nil {
				return err
			}
			if f.lang != "en" && f.lang != "ja" {
				return fmt.Errorf("--lang %q: want en or ja", f.lang)
			}
			sp, done, err := srcPortStore(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer done()
			obs, trunc, err := sp.SrcPortObs(cmd.Context(), q)
			if err != nil {
				return err
			}
			st := srcports.NewStudy(obs, f.k)
			if f.out != "" {
				if err := writeSrcPortCharts(f.out, st, f.lang); err != nil {
					return err
				}
			}
			if f.format == "json" {
				return writeJSON(cmd.OutOrStdout(), struct {
					Truncated bool `json:"truncated,omitempty"`
					srcports.Study
				}{trunc, st})
			}
			writeSrcPortStudy(cmd.OutOrStdout(), st, trunc)
			return nil
		},
	}
	f.add(cmd, false)
	cmd.AddCommand(newSrcPortsMatchCmd(g))
	return cmd
}

// writeSrcPortCharts writes the study's two charts and its JSON to dir.
func writeSrcPortCharts(dir string, st srcports.Study, lang string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	title := "Top source port and top destination port per day"
	if lang == "ja" {
		title = "上位の送信元ポートと宛先ポート (日別)"
	}
	for _, c := range []struct {
		name  string
		share bool
	}{{"srcports-packets", false}, {"srcports-share", true}} {
		ch := st.Chart(c.share, lang, title)
		if err := os.WriteFile(filepath.Join(dir, c.name+".svg"), ch.SVG(), 0o644); err != nil {
			return err
		}
		png, err := ch.PNG(2)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, c.name+".png"), png, 0o644); err != nil {
			return err
		}
	}
	jf, err := os.Create(filepath.Join(dir, "srcports.json"))
	if err != nil {
		return err
	}
	if err := writeJSON(jf, st); err != nil {
		jf.Close()
		return err
	}
	return jf.Close()
}

func corrText(c srcports.Corr) string {
	if !c.Valid() {
		return "– (fewer than " + strconv.Itoa(srcports.MinCorrDays) + " days, or a constant series)"
	}
	return fmt.Sprintf("%.3f", float64(c))
}

func writeSrcPortStudy(w io.Writer, st srcports.Study, trunc bool) {
	if st.Sources == 0 {
		fmt.Fprintln(w, "no confined-source-port histograms in the selection")
		return
	}
	conf := "not confined"
	if st.Confined {
		conf = "confined"
	}
	fmt.Fprintf(w, "sources %d, packets %d, days %d\n", st.Sources, st.Packets, len(st.Days))
	fmt.Fprintf(w, "distinct source ports %d: %s (K = %d)\n", st.DistinctSrc, conf, st.K)
	fmt.Fprintf(w, "correlation over days: packets %s, shares %s\n", corrText(st.CountCorr), corrText(st.ShareCorr))
	if trunc {
		fmt.Fprintln(w, "(the selection was cut at its limit: narrow it)")
	}
	ports := func(title string, ps []srcports.PortCount) {
		fmt.Fprintf(w, "\n%-12s %12s %6s\n", title, "PACKETS", "DAYS")
		for _, p := range ps {
			fmt.Fprintf(w, "%-12s %12d %6d\n", srcports.PortName(srcports.PortKey{Proto: p.Proto, Port: p.Port}), p.Packets, p.Days)
		}
	}
	ports("SRC PORT", st.Src)
	ports("DST PORT", st.Dst)
	fmt.Fprintf(w, "\n%-10s %7s %10s %8s %8s %7s %7s %6s\n", "DAY", "SOURCES", "PACKETS", "SRC TOP", "DST TOP", "SRC %", "DST %", "PORTS")
	for _, d := range st.Days {
		fmt.Fprintf(w, "%-10s %7d %10d %8d %8d %7.1f %7.1f %6d\n", d.Day, d.Sources, d.Packets, d.SrcTop, d.DstTop,
			100*d.SrcShare, 100*d.DstShare, d.SrcPorts)
	}
}

func newSrcPortsMatchCmd(g *globals) *cobra.Command {
	var f srcPortFlags
	cmd := &cobra.Command{
		Use:   "match --run ID [--from DAY] [--to DAY]",
		Short: "List the sources in the wild whose source and destination ports match a sandbox run's",
		Long: `Take the source ports a sandbox run's scans came from and the destination
ports they went to, find the sources on the other sensors that used one of
those source ports, and rank them by the mean of the Jaccard indices of their
source-port and destination-port sets with the run's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := f.query()
			if err != nil {
				return err
			}
			if q.Run == 0 {
				return errors.New("--run: give the sandbox run (honeyscope sandbox list shows them)")
			}
			ctx := cmd.Context()
			sp, done, err := srcPortStore(ctx, g)
			if err != nil {
				return err
			}
			defer done()
			sample, _, err := sp.SrcPortObs(ctx, store.SrcPortQuery{Run: q.Run})
			if err != nil {
				return err
			}
			if len(sample) == 0 {
				return fmt.Errorf("run %d: no confined-source-port scans stored for it (not ingested, or no such run)", q.Run)
			}
			prof := srcports.ProfileOf(sample)
			sensors := map[string]bool{}
			for _, o := range sample {
				sensors[o.Sensor] = true
			}
			wq := store.SrcPortQuery{From: q.From, To: q.To, Used: prof.SrcPorts()}
			for s := range sensors {
				wq.Exclude = append(wq.Exclude, s)
			}
			wild, trunc, err := sp.SrcPortObs(ctx, wq)
			if err != nil {
				return err
			}
			ms := srcports.Matches(prof, wild, f.limit)
			if f.format == "json" {
				if ms == nil {
					ms = []srcports.Match{}
				}
				return writeJSON(cmd.OutOrStdout(), struct {
					Run       int64              `json:"run"`
					SrcPorts  []srcports.PortKey `json:"src_ports"`
					Truncated bool               `json:"truncated,omitempty"`
					Matches   []srcports.Match   `json:"matches"`
				}{q.Run, prof.SrcPorts(), trunc, ms})
			}
			w := cmd.OutOrStdout()
			var names []string
			for _, k := range prof.SrcPorts() {
				names = append(names, srcports.PortName(k))
			}
			fmt.Fprintf(w, "run %d: source ports %s\n", q.Run, strings.Join(names, " "))
			if len(ms) == 0 {
				fmt.Fprintln(w, "no source on another sensor used them")
				return nil
			}
			fmt.Fprintf(w, "%-39s %-3s %10s %5s %-10s %-10s %10s %5s %5s %5s\n", "SOURCE", "CC", "ASN", "DAYS", "FIRST", "LAST", "PACKETS", "SRC J", "DST J", "SCORE")
			for _, m := range ms {
				fmt.Fprintf(w, "%-39s %-3s %10d %5d %-10s %-10s %10d %5.2f %5.2f %5.2f\n", m.Src, escapeText(m.Country), m.ASN, m.Days,
					m.First, m.Last, m.Packets, m.SrcJaccard, m.DstJaccard, m.Score)
			}
			return nil
		},
	}
	f.add(cmd, true)
	return cmd
}
