package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/honeyscope/honeyscope/internal/chart"
)

type pngJob struct {
	name string
	c    chart.Chart
}

// write creates the folder: charts (SVG and PNG), CSVs, index.html,
// report.md.
func (b *builder) write() (*Result, error) {
	dir := b.opt.Out
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	res := &Result{From: b.from, To: b.to, Dir: dir, Findings: b.v.Findings, Shown: b.v.Shown, Hidden: b.v.Hidden}
	for _, f := range b.figs {
		if err := writeFile(filepath.Join(dir, f.name+".svg"), f.svg); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		res.Files = append(res.Files, f.name+".svg")
	}
	// PNGs are the slow part: rasterise on two goroutines.
	errs := make([]error, len(b.pngs))
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				j := b.pngs[i]
				data, err := j.c.PNG(b.opt.PNGScale)
				if data == nil {
					errs[i] = err
					continue
				}
				if werr := writeFile(filepath.Join(dir, j.name+".png"), data); werr != nil {
					errs[i] = werr
					continue
				}
				errs[i] = err
			}
		}()
	}
	for i := range b.pngs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	fontWarned := false
	for i, err := range errs {
		switch {
		case err == nil:
			res.Files = append(res.Files, b.pngs[i].name+".png")
		case errors.Is(err, chart.ErrNoCJKFont) || errors.Is(err, chart.ErrMissingGlyphs):
			res.Files = append(res.Files, b.pngs[i].name+".png")
			if !fontWarned {
				b.warnings = append(b.warnings, "PNG charts: "+err.Error())
				fontWarned = true
			}
		default:
			return nil, fmt.Errorf("report: chart %s: %w", b.pngs[i].name, err)
		}
	}
	for _, t := range b.tabs {
		if err := writeCSV(dir, t); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		res.Files = append(res.Files, t.name+".csv")
	}
	if err := b.writeRuleSets(dir, res); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if err := b.d.writeHTML(dir); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if err := b.d.writeMarkdown(dir); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	res.Files = append(res.Files, "index.html", "report.md")
	res.Warnings = b.warnings
	return res, nil
}
