package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/period"
)

// newCoverageCmd prints one sensor's day minute by minute: when it was up
// and capturing, when there is no data, and what live capture lost.
func newCoverageCmd(g *globals) *cobra.Command {
	var sensor, day, format string
	cmd := &cobra.Command{
		Use:   "coverage --sensor NAME [--day YYYY-MM-DD]",
		Short: "Show minute by minute when a sensor was capturing, and the packets it lost",
		Long: `Show one sensor's day minute by minute, from what the store holds: the time
each ingested file covers (first to last packet) and each interval a live
capture committed (every --commit-interval, also when nothing arrived). A
minute inside some capture is up, so its zero is a real zero; a minute no
capture touched is no data. The packets live capture lost (the kernel's
drops and the pipeline's) are listed by minute.

The table lists runs of minutes in the same state; --format json gives every
minute (the same as /api/v1/coverage/minutes).`,
		Example: `  honeyscope coverage --sensor live:eth0
  honeyscope coverage --sensor tokyo --day 2026-05-01 --format json`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if sensor == "" {
				return fmt.Errorf("--sensor: give the sensor (honeyscope stats --by sensor lists them)")
			}
			if day != "" {
				if _, err := civil.Parse(day); err != nil {
					return fmt.Errorf("--day %q: %w", day, err)
				}
			}
			if format != "table" && format != "json" {
				return fmt.Errorf("--format %q: want table or json", format)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := openStore(ctx, g.dbPath(), false)
			if err != nil {
				return err
			}
			defer st.Close()
			src := period.New(st, st.Location(), []string{sensor})
			if _, err := src.Sensors(ctx); err != nil {
				return err
			}
			var d civil.Day
			if day != "" {
				d, _ = civil.Parse(day)
			} else {
				_, last, ok, err := src.DataRange(ctx)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("sensor %s has no data", sensor)
				}
				d = last
			}
			ms, err := src.Minutes(ctx, sensor, d)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if format == "json" {
				e := json.NewEncoder(out)
				e.SetIndent("", "  ")
				return e.Encode(struct {
					Sensor  string          `json:"sensor"`
					Day     civil.Day       `json:"day"`
					Minutes []period.Minute `json:"minutes"`
				}{sensor, d, ms})
			}
			printMinuteRuns(out, sensor, d, ms, st.Location())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&sensor, "sensor", "", "the sensor `NAME`")
	f.StringVar(&day, "day", "", "the `DAY` (YYYY-MM-DD, the store's time zone; default the sensor's last day with data)")
	f.StringVar(&format, "format", "table", "table or json")
	return cmd
}

// minuteState is how a minute reads in the table.
func minuteState(m period.Minute) string {
	switch {
	case m.Covered == 0:
		return "no data"
	case m.Covered < 1:
		return "partial"
	}
	return "up"
}

// printMinuteRuns writes runs of minutes in the same state, then the
// minutes that lost packets.
func printMinuteRuns(w io.Writer, sensor string, d civil.Day, ms []period.Minute, loc *time.Location) {
	var up float64
	var kern, queue uint64
	for _, m := range ms {
		up += m.Covered
		kern += m.KernelDrops
		queue += m.QueueDrops
	}
	fmt.Fprintf(w, "%s %s: captured %.1f of %d minutes", sensor, d, up, len(ms))
	if kern+queue > 0 {
		fmt.Fprintf(w, "; lost %d packets (kernel %d, pipeline %d): counts are lower bounds", kern+queue, kern, queue)
	}
	fmt.Fprintln(w)
	hm := func(t time.Time) string { return t.In(loc).Format("15:04") }
	for i := 0; i < len(ms); {
		j := i + 1
		for j < len(ms) && minuteState(ms[j]) == minuteState(ms[i]) {
			j++
		}
		fmt.Fprintf(w, "  %s–%s  %-8s %4d min\n", hm(ms[i].Start), hm(ms[j-1].Start.Add(time.Minute)), minuteState(ms[i]), j-i)
		i = j
	}
	for _, m := range ms {
		if m.KernelDrops+m.QueueDrops > 0 {
			fmt.Fprintf(w, "  %s  lost %d (kernel %d, pipeline %d)\n", hm(m.Start), m.KernelDrops+m.QueueDrops, m.KernelDrops, m.QueueDrops)
		}
	}
}
