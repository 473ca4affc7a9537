package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// What `samples show` adds to a sample's sessions and triage: the URL
// fetcher's fetches that got its content and its sandbox runs.

var sampleShowTexts = map[string][2]string{
	"fetches":   {"fetched (%d)", "取得（%d件）"},
	"noFetches": {"(no fetch got this content)", "（この内容を取得した記録はありません）"},
	"runs":      {"sandbox runs (%d)", "サンドボックス実行（%d件）"},
	"noRuns":    {"(no sandbox run)", "（サンドボックス実行はありません）"},
	"time":      {"time", "日時"},
	"status":    {"status", "応答"},
	"server":    {"server", "サーバ"},
	"url":       {"URL", "URL"},
	"error":     {"error", "エラー"},
}

func sampleShowText(lang, key string) string {
	t, ok := sampleShowTexts[key]
	if !ok {
		return key
	}
	if lang == "ja" {
		return t[1]
	}
	return t[0]
}

// maxShownRuns bounds the runs `samples show` reads with their indicators.
const maxShownRuns = 20

// sampleFetches returns the fetches that got sha's content (none when the
// store keeps no fetches).
func sampleFetches(ctx context.Context, st store.Store, sha string) ([]store.Fetch, error) {
	fs, err := store.FetchesOf(st)
	if err != nil {
		return nil, nil
	}
	return fs.Fetches(ctx, store.FetchQuery{SHA256: sha, Limit: 100})
}

// sampleRuns returns sha's sandbox runs, most recent first, with their
// indicators (none when the store keeps no runs).
func sampleRuns(ctx context.Context, st store.Store, sha string) ([]store.SandboxRun, error) {
	ss, err := store.SandboxOf(st)
	if err != nil {
		return nil, nil
	}
	runs, err := ss.SandboxRuns(ctx, store.SandboxRunQuery{SHA256: sha, Limit: maxShownRuns})
	if err != nil {
		return nil, err
	}
	for i, r := range runs {
		full, err := ss.SandboxRun(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		runs[i] = full
	}
	return runs, nil
}

// writeSampleFetches writes a sample's fetches as a table.
func writeSampleFetches(w io.Writer, lang string, loc *time.Location, fetches []store.Fetch) error {
	tr := func(k string) string { return sampleShowText(lang, k) }
	fmt.Fprintln(w)
	if len(fetches) == 0 {
		fmt.Fprintln(w, tr("noFetches"))
		return nil
	}
	fmt.Fprintf(w, tr("fetches")+"\n", len(fetches))
	rows := make([][]string, 0, len(fetches))
	for _, f := range fetches {
		u := escapeText(f.URL)
		if f.FinalURL != "" && f.FinalURL != f.URL {
			u += " → " + escapeText(f.FinalURL)
		}
		rows = append(rows, []string{timeText(f.Time, loc), strconv.Itoa(f.Status), thousands(uint64(max(f.Size, 0))),
			cell(f.Server), u, cell(f.Error)})
	}
	head := []string{tr("time"), tr("status"), sessionText(lang, "size"), tr("server"), tr("url"), tr("error")}
	return writeTable(w, head, rows, map[int]bool{1: true, 2: true})
}

// writeSampleRuns writes a sample's sandbox runs and their indicators.
func writeSampleRuns(w io.Writer, lang string, runs []store.SandboxRun) {
	fmt.Fprintln(w)
	if len(runs) == 0 {
		fmt.Fprintln(w, sampleShowText(lang, "noRuns"))
		return
	}
	fmt.Fprintf(w, sampleShowText(lang, "runs")+"\n", len(runs))
	for i, r := range runs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeSandboxRun(w, r)
	}
}

// filterSamples keeps the samples whose triage has the family and the
// architecture asked for ("": any), at most limit.
func filterSamples(ss []session.Sample, tr map[string]store.TriageRecord, family, arch string, limit int) []session.Sample {
	if family == "" && arch == "" {
		return ss
	}
	var out []session.Sample
	for _, s := range ss {
		r, ok := tr[s.SHA256]
		if !ok {
			continue
		}
		if family != "" && !strings.EqualFold(familyOf(r), family) {
			continue
		}
		if arch != "" && !strings.EqualFold(r.Arch, arch) {
			continue
		}
		out = append(out, s)
		if len(out) == limit {
			break
		}
	}
	return out
}
