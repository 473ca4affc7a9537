// Package report turns a period of the store into an observation report:
// headline numbers, per-class charts by country and port, a port × day dot
// plot, top-10 tables, spikes with one generated sentence each, a sensor
// comparison, domestic (JP) sources by AS, and the days without data, in
// Japanese or English.
//
// The report is the document only. What the period holds (its days and
// the previous period, coverage, series, spikes and their drivers, totals,
// top keys, ports, sensor comparison) comes from internal/period, which
// asks the store; this package lays it out, one file per section
// (summary.go, spikes.go, coverage.go, class.go, ports.go, tops.go,
// compare.go, domestic.go), and writes a self-contained folder:
// index.html (inline CSS and inline SVG, no external resources), report.md
// (the same content as Markdown with the PNG charts as image links), every
// chart as SVG and PNG, and one CSV per table (write.go, render.go).
//
// Days are calendar days in the store's time zone. A day no capture covered
// is "no data": it is left out of baselines and drawn as a hatched gap, never
// as zero.
package report
