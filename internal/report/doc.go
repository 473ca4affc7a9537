// Package report turns a period of the store into an observation report:
// headline numbers, per-class charts by country and port, a port × day dot
// plot, top-10 tables, spikes with one generated sentence each, a sensor
// comparison, domestic (JP) sources by AS, and the days without data, in
// Japanese or English.
//
// Two layers:
//
//   - The data layer (Loader) reads the analysis package's inputs from the
//     store with a few aggregated DuckDB queries (GROUP BY in the database,
//     never row by row in Go): daily series per class by country, port or
//     AS, per sensor or merged, counted in packets or distinct sources; the
//     days each sensor captured (from the ingest log's per-file coverage);
//     the drivers of a spike; top-N tables and headline totals. The spikes
//     command and the dashboard use it as well.
//   - Build writes a self-contained folder: index.html (inline CSS and
//     inline SVG, no external resources), report.md (the same content as
//     Markdown with the PNG charts as image links), every chart as SVG and
//     PNG, and one CSV per table.
//
// Days are calendar days in the store's time zone. A day no capture covered
// is "no data": it is left out of baselines and drawn as a hatched gap, never
// as zero.
package report
