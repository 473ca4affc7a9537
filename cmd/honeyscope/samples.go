package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

func newSamplesCmd(g *globals) *cobra.Command {
	var (
		q            store.SampleQuery
		src          string
		format       string
		lang         string
		family, arch string
	)
	list := func(cmd *cobra.Command, args []string) error {
		st, err := openStore(cmd.Context(), g.dbPath(), false)
		if err != nil {
			return err
		}
		defer st.Close()
		sq := q
		if family != "" || arch != "" {
			// The filters apply to the triage: look among the most
			// recently seen samples the store gives at most.
			sq.Limit = 10000
		}
		ss, err := st.Samples(cmd.Context(), sq)
		if err != nil {
			return err
		}
		tr := sampleTriage(cmd.Context(), st, ss)
		limit := q.Limit
		if limit == 0 {
			limit = 1000
		}
		ss = filterSamples(ss, tr, family, arch, limit)
		if format == "json" {
			return writeJSON(cmd.OutOrStdout(), listedSamples(ss, tr))
		}
		return writeSamples(cmd.OutOrStdout(), lang, st.Location(), ss, tr)
	}
	check := func(cmd *cobra.Command, args []string) error {
		if err := checkPeriod(q.From, q.To); err != nil {
			return err
		}
		var err error
		if q.Src, err = parseSource(src); err != nil {
			return err
		}
		if q.Limit < 0 || q.Limit > 10000 {
			return fmt.Errorf("--limit %d: want 1 to 10000 (0: 1000)", q.Limit)
		}
		return checkFormat(format)
	}
	flags := func(cmd *cobra.Command, listing bool) {
		f := cmd.Flags()
		if listing {
			f.StringVar(&q.From, "from", "", "first day samples were last seen on, YYYY-MM-DD (inclusive)")
			f.StringVar(&q.To, "to", "", "last day, YYYY-MM-DD (inclusive)")
			f.StringVar(&src, "source", "", "only samples this `IP` address produced")
			f.IntVar(&q.Limit, "limit", 0, "at most N samples, most recently seen first (0: 1000; at most 10000)")
			f.StringVar(&family, "family", "", "only samples of this family (triage: clustering, else markers)")
			f.StringVar(&arch, "arch", "", "only samples of this architecture (triage), like arm or mipsel")
		}
		f.StringVar(&format, "format", "table", "output format: table or json")
		f.StringVar(&lang, "lang", "en", "language of the labels and country names: en or ja")
	}
	cmd := &cobra.Command{
		Use:   "samples",
		Short: "Files attackers dropped in the honeypot (ELF binaries and scripts)",
		Long: `List the samples the honeypot kept: every distinct content (by SHA-256) an
attacker wrote in the emulated filesystem or uploaded that is an ELF file or a
script, most recently seen first, with its type (ELF class, machine and
endianness), size, the number of sessions that produced it, when it was first
and last seen, how and where it first arrived. ` + "`samples show SHA256`" + ` tells one
sample's story: its sessions, sources, paths and download URLs. Times are in
the store's time zone.`,
		Example: `  honeyscope samples
  honeyscope samples --from 2026-05-01 --source 198.51.100.7
  honeyscope samples show 5d41402a
  honeyscope samples list --format json`,
		Args:    cobra.NoArgs,
		PreRunE: check,
		RunE:    list,
	}
	flags(cmd, true)
	listCmd := &cobra.Command{
		Use:     "list",
		Short:   "List the samples (what samples alone does)",
		Args:    cobra.NoArgs,
		PreRunE: check,
		RunE:    list,
	}
	flags(listCmd, true)
	show := &cobra.Command{
		Use:   "show SHA256",
		Short: "One sample: first and last seen, size, type, sessions, sources, triage, fetches and sandbox runs",
		Args:  cobra.ExactArgs(1),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			q.SHA256 = args[0]
			return checkFormat(format)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openStore(cmd.Context(), g.dbPath(), false)
			if err != nil {
				return err
			}
			defer st.Close()
			ss, err := st.Samples(cmd.Context(), store.SampleQuery{SHA256: q.SHA256, Limit: 10})
			if err != nil {
				return err
			}
			switch {
			case len(ss) == 0:
				return fmt.Errorf("no sample %s in the store", escapeText(q.SHA256))
			case len(ss) > 1:
				var names []string
				for _, s := range ss {
					names = append(names, s.SHA256)
				}
				return fmt.Errorf("%s is the start of several samples' SHA-256: %s: give more digits", escapeText(q.SHA256), strings.Join(names, ", "))
			}
			sm := ss[0]
			sessions, err := st.Sessions(cmd.Context(), store.SessionQuery{SHA256: sm.SHA256})
			if err != nil {
				return err
			}
			tr := sampleTriage(cmd.Context(), st, ss)
			rec, triaged := tr[sm.SHA256]
			fetches, err := sampleFetches(cmd.Context(), st, sm.SHA256)
			if err != nil {
				return err
			}
			runs, err := sampleRuns(cmd.Context(), st, sm.SHA256)
			if err != nil {
				return err
			}
			if format == "json" {
				if sessions == nil {
					sessions = []session.Session{}
				}
				var res json.RawMessage
				if triaged && json.Valid(rec.Result) {
					res = rec.Result
				}
				if fetches == nil {
					fetches = []store.Fetch{}
				}
				if runs == nil {
					runs = []store.SandboxRun{}
				}
				return writeJSON(cmd.OutOrStdout(), struct {
					Sample   session.Sample
					Sessions []session.Session
					Cluster  string          `json:",omitempty"`
					Family   string          `json:",omitempty"`
					Triage   json.RawMessage `json:",omitempty"`
					Fetches  []store.Fetch
					Runs     []store.SandboxRun
				}{sm, sessions, rec.Cluster, familyOf(rec), res, fetches, runs})
			}
			if err := writeSample(cmd.OutOrStdout(), lang, st.Location(), sm, sessions); err != nil {
				return err
			}
			writeTriage(cmd.OutOrStdout(), lang, st.Location(), rec, triaged)
			if err := writeSampleFetches(cmd.OutOrStdout(), lang, st.Location(), fetches); err != nil {
				return err
			}
			writeSampleRuns(cmd.OutOrStdout(), lang, runs)
			return nil
		},
	}
	flags(show, false)
	cmd.AddCommand(listCmd, show)
	cmd.AddCommand(newSamplesAddCmd(g), newSamplesTriageCmd(g), newSamplesFamiliesCmd(g))
	return cmd
}

func writeSamples(w io.Writer, lang string, loc *time.Location, ss []session.Sample, tr map[string]store.TriageRecord) error {
	var head []string
	for _, k := range []string{"sha256", "type", "size", "count", "firstSeen", "lastSeen", "via", "sensor", "firstSrc"} {
		head = append(head, sessionText(lang, k))
	}
	head = append(head, triageText(lang, "arch"), triageText(lang, "family"))
	right := map[int]bool{2: true, 3: true}
	rows := make([][]string, 0, len(ss))
	for _, s := range ss {
		r, ok := tr[s.SHA256]
		rows = append(rows, append([]string{escapeText(s.SHA256), cell(s.Type), thousands(uint64(max(s.Size, 0))), strconv.Itoa(s.Count),
			timeText(s.First, loc), timeText(s.Last, loc), cell(s.Via), cell(s.Sensor), addrString(s.Src)}, triageColumns(r, ok)...))
	}
	if err := writeTable(w, head, rows, right); err != nil {
		return err
	}
	if len(ss) == 0 {
		fmt.Fprintln(w, sessionText(lang, "noSamples"))
	}
	return nil
}

// writeSample writes one sample and the sessions that produced it.
func writeSample(w io.Writer, lang string, loc *time.Location, s session.Sample, sessions []session.Session) error {
	tr := func(k string) string { return sessionText(lang, k) }
	var srcs, paths, urls []string
	for i := range sessions {
		x := &sessions[i]
		a := addrString(x.Src)
		if x.Country != "" {
			a += " (" + escapeText(x.Country) + ")"
		}
		if !slices.Contains(srcs, a) {
			srcs = append(srcs, a)
		}
		targets := map[string]bool{}
		for _, f := range x.Files {
			if f.SHA256 != s.SHA256 {
				continue
			}
			if p := escapeText(f.Path); p != "" && !slices.Contains(paths, p) {
				paths = append(paths, p)
			}
			targets[f.Path] = true
		}
		for _, u := range x.URLs {
			if u.Target == "" || targets[u.Target] {
				if v := escapeText(u.URL); !slices.Contains(urls, v) {
					urls = append(urls, v)
				}
			}
		}
	}
	list := func(l []string) string {
		if len(l) == 0 {
			return tr("none")
		}
		return strings.Join(l, ", ")
	}
	writeKV(w, [][]string{
		{tr("sha256"), escapeText(s.SHA256)},
		{tr("type"), escapeText(s.Type)},
		{tr("size"), thousands(uint64(max(s.Size, 0)))},
		{tr("firstSeen"), timeText(s.First, loc) + "  " + escapeText(s.SessionID) + "  " + addrString(s.Src) + "  " + escapeText(s.Sensor) + "  " + escapeText(s.Via)},
		{tr("lastSeen"), timeText(s.Last, loc)},
		{tr("count"), strconv.Itoa(s.Count)},
		{tr("sources"), list(srcs)},
		{tr("paths"), list(paths)},
		{tr("urlsSeen"), list(urls)},
	})
	fmt.Fprintln(w)
	return writeSessions(w, lang, loc, sessions)
}
