package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/backfill"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

func newRulesBackfillCmd(g *globals) *cobra.Command {
	var name, from, to, sensor string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "backfill --ruleset NAME [--from DAY] [--to DAY] [--sensor S]",
		Short: "Re-evaluate the stored evidence under another rule set",
		Long: `Classify the payloads kept as evidence by ingest (docs/rules.md "Evidence")
and the commands and HTTP requests of the honeypot's sessions again, with
the built-in rules and the stored rule set NAME (or "#ID"; "builtin" for the
built-in rules alone), and store the exploit counts under that set for the
days and sensor given (default: every day and sensor with evidence or
sessions). A second backfill of the same days replaces the first.
"stats --class exploit --ruleset NAME" then reads them.`,
		Example: `  honeyscope rules add et-open-2025-08-17/ --name et-open --version 2025-08-17
  honeyscope rules backfill --ruleset et-open --from 2025-08-01 --to 2025-08-31`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				return errors.New("--ruleset: give the rule set (honeyscope rules list shows them; \"builtin\" is the built-in rules alone)")
			}
			var q store.EvidenceQuery
			var err error
			if from != "" {
				if q.From, err = civil.Parse(from); err != nil {
					return fmt.Errorf("--from: %w", err)
				}
			}
			if to != "" {
				if q.To, err = civil.Parse(to); err != nil {
					return fmt.Errorf("--to: %w", err)
				}
			}
			if q.From != 0 && q.To != 0 && q.To < q.From {
				return fmt.Errorf("--to %s is before --from %s", to, from)
			}
			if sensor != "" {
				if err := ingest.CheckSensor(sensor); err != nil {
					return fmt.Errorf("--sensor: %w", err)
				}
				q.Sensor = sensor
			}
			ctx := cmd.Context()
			st, err := openStoreOpts(ctx, g.dbPath(), duckstore.Options{MustExist: true})
			if err != nil {
				return err
			}
			defer st.Close()
			es, err := store.EvidenceOf(st)
			if err != nil {
				return err
			}
			rs, err := backfill.Resolve(ctx, st, name)
			if err != nil {
				return err
			}
			errw := cmd.ErrOrStderr()
			classifiers, set, err := backfill.Classifier(backfill.Files(rs))
			if err != nil {
				return fmt.Errorf("rule set %s: %w", rs.Name, err)
			}
			fmt.Fprintf(errw, "rules: rule set #%d %s %s (%d rules loaded with the built-in ones, %d unsupported)\n",
				rs.ID, rs.Name, rs.Version, len(set.Rules), len(set.Unsupported))
			started := time.Now()
			last := time.Time{}
			progress := func(done, total int) {
				if quiet || time.Since(last) < 500*time.Millisecond && done < total {
					return
				}
				last = time.Now()
				fmt.Fprintf(errw, "\rbackfill: %d of %d payloads classified", done, total)
				if done == total {
					fmt.Fprintln(errw)
				}
			}
			res, err := es.Backfill(ctx, rs.ID, q, classifiers, progress)
			if errors.Is(err, store.ErrNoEvidence) {
				schema := duckstore.SchemaVersion
				if clickstore.IsURL(g.dbPath()) {
					schema = clickstore.SchemaVersion
				}
				return fmt.Errorf("%w (%s): ingest keeps evidence from store schema %d on, unless --no-evidence; ingest the captures again (--force) to keep theirs",
					err, describeDays(q), schema)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rule set #%d %s: %d sensor-days, %d payloads (%d matched), %d honeypot sessions (%d of %d commands and requests matched), %d exploit of %d evidence packets and %d session messages, %d rows, %s\n",
				rs.ID, rs.Name, res.Days, res.Payloads, res.Matched, res.Sessions, res.SessionHits, res.Messages,
				res.Exploits, res.Packets, res.Messages, res.Rows, time.Since(started).Round(time.Millisecond))
			if res.Dropped > 0 {
				fmt.Fprintf(errw, "note: the evidence of those days lacks %d payload packets its bounds did not keep: counts under %s miss them\n", res.Dropped, rs.Name)
			}
			if res.Uncovered > 0 {
				fmt.Fprintf(errw, "note: %d ingests with data on those days kept no evidence (ingested before the evidence store or with --no-evidence): counts under %s miss their packets\n", res.Uncovered, rs.Name)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "ruleset", "", `the stored rule set (name or #ID; "builtin": the built-in rules alone)`)
	f.StringVar(&from, "from", "", "first day, YYYY-MM-DD (default: the first with evidence)")
	f.StringVar(&to, "to", "", "last day, YYYY-MM-DD (default: the last with evidence)")
	f.StringVar(&sensor, "sensor", "", "only this sensor (default: every sensor)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress on stderr")
	return cmd
}

// backfillClassifiers builds a store owner's classifiers of a backfill
// under rule set id of st (remote.Server.Classifiers): those `rules
// backfill` runs on the file.
func backfillClassifiers(st any) func(ctx context.Context, id int32) (store.Classifiers, error) {
	return func(ctx context.Context, id int32) (store.Classifiers, error) {
		name := "builtin"
		if id != store.BuiltinRuleSet {
			name = fmt.Sprintf("#%d", id)
		}
		rs, err := backfill.Resolve(ctx, st, name)
		if err != nil {
			return store.Classifiers{}, err
		}
		c, _, err := backfill.Classifier(backfill.Files(rs))
		if err != nil {
			return store.Classifiers{}, fmt.Errorf("rule set %s: %w", rs.Name, err)
		}
		return c, nil
	}
}

func describeDays(q store.EvidenceQuery) string {
	s := "every day"
	switch {
	case q.From != 0 && q.To != 0:
		s = q.From.String() + " to " + q.To.String()
	case q.From != 0:
		s = "from " + q.From.String()
	case q.To != 0:
		s = "to " + q.To.String()
	}
	if q.Sensor != "" {
		s += ", sensor " + q.Sensor
	}
	return s
}
