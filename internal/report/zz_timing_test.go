package report

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/store"
)

func TestZZTiming(t *testing.T) {
	p := os.Getenv("HS_PERF_DB")
	if p == "" {
		t.Skip()
	}
	ctx := context.Background()
	st, err := store.Open(ctx, p, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l := NewLoader(st, nil)
	from, _ := l.ParseDay("2026-05-01")
	to, _ := l.ParseDay("2026-05-30")
	tm := func(name string, f func() (int, error)) {
		s := time.Now()
		k, err := f()
		t.Logf("%-20s %v n=%d err=%v", name, time.Since(s), k, err)
	}
	for _, dim := range []string{"country", "port", "asn"} {
		tm("series "+dim, func() (int, error) {
			s, err := l.Series(ctx, SeriesQuery{From: from, To: to, Dim: dim, Unit: analysis.UnitPackets, BySensor: true, Keep: 40})
			return len(s), err
		})
		tm("series src "+dim, func() (int, error) {
			s, err := l.Series(ctx, SeriesQuery{From: from, To: to, Dim: dim, Unit: analysis.UnitSources, Keep: 40})
			return len(s), err
		})
	}
	tm("keysrc", func() (int, error) {
		m, err := l.KeySources(ctx, from, to, []ClassKey{{"mirai", "country", "IT"}, {"mirai", "country", "CN"}, {"access", "port", "23/tcp"}, {"access", "asn", "AS3269"}})
		t.Log(m)
		return len(m), err
	})
}

func TestZZBuild(t *testing.T) {
	p := os.Getenv("HS_PERF_DB")
	if p == "" {
		t.Skip()
	}
	ctx := context.Background()
	st, err := store.Open(ctx, p, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l := NewLoader(st, nil)
	from, _ := l.ParseDay(os.Getenv("HS_FROM"))
	to, _ := l.ParseDay("2026-05-30")
	s := time.Now()
	res, err := Build(ctx, st, Options{From: from, To: to, Lang: os.Getenv("HS_LANG"), Out: os.Getenv("HS_OUT")})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("build %v: %d files, %d findings, warnings %v", time.Since(s), len(res.Files), len(res.Findings), res.Warnings)
}
