package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/storecache"
)

// benchCalls are the API calls of bench/serve.sh (a dashboard's), over the
// store's last 30 days.
func benchCalls(from, to string) []string {
	p := "from=" + from + "&to=" + to
	return []string{
		"/api/v1/series?class=mirai&by=country&top=10&" + p,
		"/api/v1/series?class=mirai&by=country&top=10&unit=sources&" + p,
		"/api/v1/series?class=mirai&by=port&top=10&" + p,
		"/api/v1/series?class=mirai&by=port&top=10&unit=sources&" + p,
		"/api/v1/series?class=mirai&by=asn&top=10&" + p,
		"/api/v1/series?class=mirai&by=asn&top=10&unit=sources&" + p,
		"/api/v1/top?class=mirai&by=country&top=20&" + p,
		"/api/v1/top?class=mirai&by=port&top=20&" + p,
		"/api/v1/top?class=mirai&by=asn&top=20&" + p,
		"/api/v1/top?class=mirai&by=src&top=20&" + p,
		"/api/v1/totals?" + p,
		"/api/v1/coverage?" + p,
		"/api/v1/spikes?class=mirai&" + p,
	}
}

// traced times every Stats question asked of the store.
type traced struct {
	store.Store
	mu  sync.Mutex
	log []string
}

func (t *traced) Stats(ctx context.Context, q store.StatsQuery) ([]store.StatsRow, error) {
	c0, t0 := benchCPU(), time.Now()
	rows, err := t.Store.Stats(ctx, q)
	t.mu.Lock()
	t.log = append(t.log, fmt.Sprintf("%8v wall %8v cpu  by=%v classes=%v top=%d order=%q nosources=%v countries=%d ports=%d asns=%d sensors=%v",
		time.Since(t0).Round(time.Millisecond), (benchCPU()-c0).Round(time.Millisecond), q.By, q.Classes, q.Top, q.OrderBy, q.NoSources, len(q.Countries), len(q.Ports), len(q.ASNs), q.Sensors))
	t.mu.Unlock()
	return rows, err
}

func (t *traced) take() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.log
	t.log = nil
	return l
}

// BenchmarkBenchStoreAPI asks the dashboard's API calls of a built store
// ($HONEYSCOPE_BENCH_DB, such as the dashboard benchmark's bench.duckdb,
// opened read-only; skipped when unset) through the cache as serve has it
// (the API's fresh view): each call cold (nothing cached; with -v, each
// Stats question it asked, timed), then after a write as before (the
// answer asked again in the caller's time), then after a write once the
// owner's refresh of the answers asked lately has run
// (storecache.Store.RefreshRecent, whose wall and CPU time are reported).
func BenchmarkBenchStoreAPI(b *testing.B) {
	path := os.Getenv("HONEYSCOPE_BENCH_DB")
	if path == "" {
		b.Skip("set HONEYSCOPE_BENCH_DB=FILE (a built store)")
	}
	ctx := context.Background()
	st, err := duckstore.Open(ctx, path, duckstore.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if os.Getenv("HONEYSCOPE_BENCH_LOG") != "" {
		// Every store question with its time, on stderr.
		st.SetLog(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
	first, last, ok, err := st.DataRange(ctx, nil)
	if err != nil || !ok {
		b.Fatalf("data range: %v %v", ok, err)
	}
	from := last.AddDays(-29)
	if from < first {
		from = first
	}
	calls := benchCalls(from.String(), last.String())
	// A source's timeline: the busiest Mirai source of the period, found
	// through a store of its own (nothing of it cached for the calls).
	{
		c, err := New(daemon.NewReporter(nil), Configuration{QueryTimeout: time.Hour}, Dependencies{Store: st, Period: PeriodLayer{R: st}})
		if err != nil {
			b.Fatal(err)
		}
		rec := httptest.NewRecorder()
		c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "http://x/api/v1/top?class=mirai&by=src&top=1&from="+from.String()+"&to="+last.String(), nil))
		var top struct {
			Rows []struct{ Key string } `json:"rows"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &top); err != nil || len(top.Rows) == 0 {
			b.Fatalf("top source: %d %s (%v)", rec.Code, rec.Body.String(), err)
		}
		calls = append(calls, "/api/v1/source/"+top.Rows[0].Key+"?from="+from.String()+"&to="+last.String())
	}
	var cold, coldCPU, written, writtenCPU, refreshed []time.Duration
	var roundWall, roundCPU []time.Duration
	for b.Loop() {
		tr := &traced{Store: st}
		cst := storecache.New(tr, storecache.Options{})
		c, err := New(daemon.NewReporter(nil), Configuration{QueryTimeout: time.Hour}, Dependencies{Store: cst.Fresh(), Period: PeriodLayer{R: cst.Fresh()}})
		if err != nil {
			b.Fatal(err)
		}
		h := c.Handler()
		ask := func(u string) (time.Duration, time.Duration) {
			c0, t0 := benchCPU(), time.Now()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "http://x"+u, nil))
			if rec.Code != 200 {
				b.Fatalf("%s: %d %s", u, rec.Code, rec.Body.String())
			}
			return time.Since(t0), benchCPU() - c0
		}
		name := func(u string) string {
			u, _, _ = strings.Cut(strings.TrimPrefix(u, "/api/v1/"), "from=")
			return strings.TrimRight(u, "?&")
		}
		for _, u := range calls {
			w, cpu := ask(u)
			cold, coldCPU = append(cold, w), append(coldCPU, cpu)
			if testing.Verbose() {
				b.Logf("cold %-50s %8v wall %8v cpu\n\t%s", name(u), w.Round(time.Millisecond), cpu.Round(time.Millisecond), strings.Join(tr.take(), "\n\t"))
			}
		}
		// A write, then every call again: each computed in its caller's
		// time (the API never answers from before a write).
		cst.Invalidate()
		for _, u := range calls {
			w, cpu := ask(u)
			written, writtenCPU = append(written, w), append(writtenCPU, cpu)
			if testing.Verbose() {
				b.Logf("after a write %-50s %8v wall %8v cpu", name(u), w.Round(time.Millisecond), cpu.Round(time.Millisecond))
			}
		}
		// A write, the owner's refresh, then every call again.
		cst.Invalidate()
		c0, t0 := benchCPU(), time.Now()
		n, err := cst.RefreshRecent(ctx, 0)
		if err != nil {
			b.Fatal(err)
		}
		roundWall, roundCPU = append(roundWall, time.Since(t0)), append(roundCPU, benchCPU()-c0)
		for _, u := range calls {
			w, _ := ask(u)
			refreshed = append(refreshed, w)
			if testing.Verbose() {
				b.Logf("refreshed %-50s %8v wall", name(u), w.Round(time.Microsecond))
			}
		}
		b.Logf("refresh after the write: %d answers, %v wall, %v cpu", n, roundWall[len(roundWall)-1].Round(time.Millisecond), roundCPU[len(roundCPU)-1].Round(time.Millisecond))
	}
	for _, x := range []struct {
		name string
		d    []time.Duration
	}{{"cold", cold}, {"coldcpu", coldCPU}, {"afterwrite", written}, {"afterwritecpu", writtenCPU}, {"refreshed", refreshed}} {
		slices.Sort(x.d)
		b.ReportMetric(float64(x.d[len(x.d)/2].Microseconds())/1000, x.name+"-p50-ms")
		b.ReportMetric(float64(x.d[len(x.d)*95/100].Microseconds())/1000, x.name+"-p95-ms")
	}
	slices.Sort(roundCPU)
	b.ReportMetric(roundCPU[len(roundCPU)/2].Seconds(), "refresh-cpu-s")
}

// benchCPU is the user and system CPU time the process has used.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
