package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/rules"
	"github.com/honeyscope/honeyscope/internal/ruleset"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// storedRuleSet builds the store's record of rule files: their text, hash
// and the rules they hold (loaded or not, disabled included).
func storedRuleSet(files []ruleset.File) (store.RuleSet, error) {
	rs := store.RuleSet{Hash: ruleset.Hash(files)}
	for _, f := range files {
		rs.Files = append(rs.Files, store.RuleFile{Name: f.Name, Text: f.Text})
	}
	s, err := ruleset.Load(files, false, rules.Options{IncludeDisabled: true})
	if err != nil {
		return rs, err
	}
	classtype := map[[2]uint32]string{}
	for _, r := range s.Rules {
		classtype[[2]uint32{r.GID, r.SID}] = r.Classtype
	}
	for _, id := range s.IDs() {
		rs.Rules = append(rs.Rules, store.RuleInfo{GID: id.GID, SID: id.SID, Rev: id.Rev, Msg: id.Msg, Classtype: classtype[[2]uint32{id.GID, id.SID}]})
	}
	return rs, nil
}

// addAdHocRuleSet stores rule files given on a command line (ingest
// --rules, serve's rules) as an ad-hoc set named by its content hash, once
// per hash, and returns its id.
func addAdHocRuleSet(ctx context.Context, st store.Store, files []ruleset.File) (int32, error) {
	rs, err := storedRuleSet(files)
	if err != nil {
		return 0, err
	}
	rs.Name, rs.AdHoc = "ad-hoc "+rs.Hash[len("sha256:"):len("sha256:")+12], true
	r, err := store.RuleSetsOf(st)
	if err != nil {
		return 0, err
	}
	if rs, err = r.AddRuleSet(ctx, rs); err != nil {
		return 0, err
	}
	return rs.ID, nil
}

func ruleFiles(rs store.RuleSet) []ruleset.File {
	out := make([]ruleset.File, len(rs.Files))
	for i, f := range rs.Files {
		out[i] = ruleset.File{Name: f.Name, Text: f.Text}
	}
	return out
}

// openRuleSets opens the store for rule sets.
func openRuleSets(ctx context.Context, g *globals, write bool) (store.RuleSetStore, func(), error) {
	st, err := openStoreOpts(ctx, g.dbPath(), duckstore.Options{ReadOnly: !write, MustExist: !write})
	if err != nil {
		return nil, nil, err
	}
	r, err := store.RuleSetsOf(st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return r, func() { st.Close() }, nil
}

func newRulesAddCmd(g *globals) *cobra.Command {
	var name, version, from, sensor string
	cmd := &cobra.Command{
		Use:   "add PATH... --name NAME",
		Short: "Store rule files in the store as a named, versioned rule set",
		Long: `Store rule files (or the *.rules files of directories) in the store as a rule
set: their text, a content hash, the rules they hold, a version label, and
the day from which it is the active rule set (--from, default: from the
start) for a sensor (--sensor, default: every sensor). An ingest run without
--rules classifies exploits with the built-in rules and the rule set active
for its sensor (a set for the sensor itself before one for every sensor, the
latest --from on or before the day of the run), and records it.`,
		Example: `  honeyscope rules add et-open-2025-08-17/ --name et-open --version 2025-08-17 --from 2025-08-18`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" || len(name) > 128 || name[0] == '#' {
				return errors.New("--name: give a name (at most 128 characters, not starting with #)")
			}
			if sensor != "" {
				if err := ingest.CheckSensor(sensor); err != nil {
					return fmt.Errorf("--sensor: %w", err)
				}
			}
			files, err := ruleset.Read(args)
			if err != nil {
				return err
			}
			rs, err := storedRuleSet(files)
			if err != nil {
				return err
			}
			rs.Name, rs.Version, rs.Sensor = name, version, sensor
			if from != "" {
				if rs.From, err = civil.Parse(from); err != nil {
					return fmt.Errorf("--from: %w", err)
				}
			}
			st, done, err := openRuleSets(cmd.Context(), g, true)
			if err != nil {
				return err
			}
			defer done()
			if rs, err = st.AddRuleSet(cmd.Context(), rs); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rule set #%d %s: %d files, %d rules, %s\n", rs.ID, rs.Name, len(rs.Files), len(rs.Rules), rs.Hash)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the rule set's name")
	cmd.Flags().StringVar(&version, "version", "", "a version label")
	cmd.Flags().StringVar(&from, "from", "", "first day (YYYY-MM-DD) the set is active (default: from the start)")
	cmd.Flags().StringVar(&sensor, "sensor", "", "the sensor it is active for (default: every sensor)")
	return cmd
}

// ruleSetRow is a rule set as rules list and show print it.
type ruleSetRow struct {
	ID      int32  `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Hash    string `json:"hash"`
	From    string `json:"active_from"`
	Sensor  string `json:"sensor"`
	AdHoc   bool   `json:"ad_hoc"`
	AddedAt string `json:"added_at"`
	Files   []struct {
		Name  string `json:"name"`
		Bytes int    `json:"bytes"`
	} `json:"files,omitempty"`
	Rules []store.RuleInfo `json:"rules,omitempty"`
}

func toRow(rs store.RuleSet) ruleSetRow {
	r := ruleSetRow{ID: rs.ID, Name: rs.Name, Version: rs.Version, Hash: rs.Hash, Sensor: rs.Sensor, AdHoc: rs.AdHoc,
		AddedAt: rs.AddedAt.UTC().Format(time.RFC3339), Rules: rs.Rules}
	if rs.From != 0 {
		r.From = rs.From.String()
	}
	for _, f := range rs.Files {
		r.Files = append(r.Files, struct {
			Name  string `json:"name"`
			Bytes int    `json:"bytes"`
		}{f.Name, len(f.Text)})
	}
	return r
}

func (r ruleSetRow) cells() []string {
	from, sensor := r.From, r.Sensor
	if from == "" {
		from = "-"
	}
	if sensor == "" {
		sensor = "all"
	}
	name := r.Name
	if r.AdHoc {
		name += " (ad hoc)"
	}
	return []string{strconv.Itoa(int(r.ID)), name, r.Version, from, sensor, r.Hash[:min(len(r.Hash), 19)], r.AddedAt}
}

var ruleSetHead = []string{"id", "name", "version", "active_from", "sensor", "hash", "added_at"}

func newRulesListCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the rule sets in the store",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, done, err := openRuleSets(cmd.Context(), g, false)
			if err != nil {
				return err
			}
			defer done()
			sets, err := st.RuleSets(cmd.Context())
			if err != nil {
				return err
			}
			rows := make([]ruleSetRow, len(sets))
			for i, rs := range sets {
				rows[i] = toRow(rs)
			}
			if format == "json" {
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			var cells [][]string
			for _, r := range rows {
				cells = append(cells, r.cells())
			}
			return writeTable(cmd.OutOrStdout(), ruleSetHead, cells, map[int]bool{0: true})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

func newRulesShowCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a stored rule set: its files and rules",
		Long: `Show the newest rule set of that name (or "#ID"): its record, its files and
the rules they hold (gid:sid:rev, classtype, msg).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, done, err := openRuleSets(cmd.Context(), g, false)
			if err != nil {
				return err
			}
			defer done()
			rs, err := st.RuleSet(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			r := toRow(rs)
			if format == "json" {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			w := cmd.OutOrStdout()
			if err := writeTable(w, ruleSetHead, [][]string{r.cells()}, map[int]bool{0: true}); err != nil {
				return err
			}
			fmt.Fprintf(w, "\nhash %s\n\n", rs.Hash)
			var files [][]string
			for _, f := range r.Files {
				files = append(files, []string{f.Name, strconv.Itoa(f.Bytes)})
			}
			if err := writeTable(w, []string{"file", "bytes"}, files, map[int]bool{1: true}); err != nil {
				return err
			}
			fmt.Fprintln(w)
			var rl [][]string
			for _, x := range rs.Rules {
				rl = append(rl, []string{fmt.Sprintf("%d:%d:%d", x.GID, x.SID, x.Rev), x.Classtype, x.Msg})
			}
			return writeTable(w, []string{"rule", "classtype", "msg"}, rl, nil)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

// pipelineRules chooses the exploit matcher of an ingest and the rule set
// it records: the --rules files (stored as an ad-hoc set by content), else
// the set active in the store for the sensor on the current day, else the
// built-in rules alone (nil, 0).
func pipelineRules(ctx context.Context, g *globals, ruleArgs []string, sensor string, tz string, errw io.Writer) (classify.ExploitMatcher, int32, error) {
	db := g.dbPath()
	if len(ruleArgs) > 0 {
		m, files, err := loadPipelineRules(ruleArgs, errw)
		if err != nil {
			return nil, 0, err
		}
		st, err := openStoreOpts(ctx, db, duckstore.Options{TimeZone: tz})
		if err != nil {
			return nil, 0, err
		}
		defer st.Close()
		id, err := addAdHocRuleSet(ctx, st, files)
		if err != nil {
			return nil, 0, err
		}
		return m, id, nil
	}
	if _, err := os.Stat(db); err != nil {
		return nil, 0, nil // a new store holds no rule set
	}
	st, err := openStoreOpts(ctx, db, duckstore.Options{ReadOnly: true, MustExist: true})
	if err != nil {
		// Not a store yet (a crash while it was made, say): the ingest
		// itself opens it and says what is wrong; no rule set is active.
		return nil, 0, nil
	}
	defer st.Close()
	r, err := store.RuleSetsOf(st)
	if err != nil {
		return nil, 0, nil
	}
	sets, err := r.RuleSets(ctx)
	if err != nil || len(sets) == 0 {
		return nil, 0, err
	}
	active, ok := store.ActiveRuleSet(sets, sensor, civil.Of(time.Now().In(st.Location())))
	if !ok {
		return nil, 0, nil
	}
	full, err := r.RuleSet(ctx, "#"+strconv.Itoa(int(active.ID)))
	if err != nil {
		return nil, 0, err
	}
	m, s, err := ruleset.Matcher(ruleFiles(full), rules.Options{})
	if err != nil {
		return nil, 0, err
	}
	fmt.Fprintf(errw, "rules: rule set #%d %s %s (%d rules loaded with the built-in ones, %d unsupported)\n", full.ID, full.Name, full.Version, len(s.Rules), len(s.Unsupported))
	return m, full.ID, nil
}

// patternNamer names the exploit patterns stats shows: a rule's
// "gid:sid:rev" by its sid and the msg the store's rule sets (or the
// built-in rules) give it; a pattern of the built-in pattern list
// (stores classified before rules) by its description.
// patternLabel names a pattern key for readers: "sid N: msg" for a rule,
// the description for a pattern of stores classified before rules.
func patternLabel(ctx context.Context, st store.Store) func(string) string {
	names := patternNamer(ctx, st)
	return func(p string) string {
		sid, msg := names(p)
		switch {
		case sid != "" && msg != "":
			return "sid " + sid + ": " + msg
		case sid != "":
			return "sid " + sid
		}
		return p
	}
}

func patternNamer(ctx context.Context, st store.Store) func(string) (sid, msg string) {
	msgs := map[string]string{}
	if r, err := store.RuleSetsOf(st); err == nil {
		if m, err := r.RuleMsgs(ctx); err == nil {
			msgs = m
		}
	}
	if b, err := ruleset.Builtin(); err == nil {
		for _, r := range b.Engine().Rules() {
			msgs[r.ID()] = r.Msg
		}
	}
	legacy := map[string]string{}
	c := classify.NewBuiltinExploits()
	for i := range c.NumPatterns() {
		n, d := c.Pattern(i)
		legacy[n] = d
	}
	return func(p string) (string, string) {
		if d, ok := legacy[p]; ok {
			return "", d
		}
		parts := strings.Split(p, ":")
		if len(parts) != 3 {
			return "", ""
		}
		return parts[1], msgs[p]
	}
}
