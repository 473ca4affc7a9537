// Package period decides what a period of observations means, once, for
// every consumer: the report, the spikes command, the JSON API and the
// dashboard all ask it and never the store directly.
//
// What it knows:
//
//   - Which days a period has (Range, Resolve): a missing end is
//     DefaultDays − 1 days from the given one; with neither, the last
//     DefaultDays days with data. The previous period is the same length
//     ending the day before (Range.Previous). Days are civil.Day in the
//     store's time zone.
//   - Coverage and gaps (Coverage, PresentAll, SensorPresent, DayCoverage,
//     View.SensorDays, View.ChartGap): which days each sensor captured, from
//     the ingest log; when series of several sensors are combined, a day is
//     present (for baselines and changes) only if every sensor with data in
//     the days read captured part of it, while merged charts draw a day
//     from the sensors that captured it.
//   - Daily series (Series) per class × country, port, AS or sensor, in
//     packets or distinct sources, per sensor or combined, the top keys of
//     each class kept and the rest folded into "other" keys.
//   - Spikes and rises (FindSpikes, FindSpikesResult, DetectSpikes via
//     internal/analysis): per sensor when there are several, merged across
//     sensors, ranked by significance (analysis.Rank: score, z, share of
//     the class's traffic, novelty, distinct sources), those below the
//     threshold hidden unless asked for, the same event under several keys
//     told once (analysis.MergeEvents), and the findings a report tells
//     chosen (Highlights); their drivers (Drivers: the ASes, ports, /24s and
//     sources behind a finding, each against its own median baseline over
//     the days with data) and sentences (Spikes).
//   - Headline totals and their change per day with data (Totals,
//     Headline, View.Change); top keys with exact distinct sources
//     (TopKeys, View.Tops); steady and sporadic ports (View.Ports); the
//     comparison of two sensors (View.Compare); what one source address did
//     per day (SourceDays).
//   - View: everything a report shows of one period, read once with a few
//     aggregated store questions, some side by side.
//
// What it does not know: SQL or any backend (it asks a store.Reader typed
// questions and gets facts back: daily values, breakdowns, intervals),
// how anything is drawn or worded beyond the spike sentences of
// internal/analysis, flags, files and users. The thresholds of the
// analyses are internal/analysis's.
//
// Result types (Range, Series from analysis, Spike, TopTable, Totals,
// ClassChange, SourceDay, analysis.SensorGaps) are plain structs with
// exported fields; the ones an API serves carry JSON names.
package period
