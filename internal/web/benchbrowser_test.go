package web

import (
	"context"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/honeyscope/honeyscope/internal/storecache"
)

// BenchmarkBenchStoreBrowser times the first render of every page of
// benchPages in headless Chromium (navigation start to the end of the load
// event, as the browser's Navigation Timing reports it) over the dashboard benchmark's store
// ($HONEYSCOPE_BENCH_STORE, see BenchmarkBenchStore), served on loopback
// as serve serves it once people have used it: behind the cache, every
// page opened once and serve's warm round run. Each page is loaded in a
// fresh tab (nothing in the browser's cache but the app's static files,
// which the first page fetched).
func BenchmarkBenchStoreBrowser(b *testing.B) {
	bin := findBrowser()
	if bin == "" {
		b.Skip("no chromium in PATH")
	}
	ctx := context.Background()
	st := openBenchStore(b)
	cst := storecache.New(st, storecache.Options{})
	h := newTestHandler(b, Dependencies{Store: cst, Generation: cst.Generation}, Configuration{QueryTimeout: 30 * time.Minute})
	for _, u := range benchPages {
		if rec := get(b, h, u); rec.Code != 200 {
			b.Fatalf("%s: %d", u, rec.Code)
		}
	}
	if _, err := cst.RefreshRecent(ctx, RecentWithin); err != nil {
		b.Fatal(err)
	}
	if err := h.Warm(ctx, nil); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.WindowSize(1366, 900), chromedp.DisableGPU,
		chromedp.Flag("lang", "en-US"), chromedp.Flag("no-proxy-server", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		b.Fatalf("starting %s: %v", bin, err)
	}
	const read = `(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  return nav ? nav.loadEventEnd - nav.startTime : -1;
})()`
	var loads []float64
	for b.Loop() {
		for _, u := range benchPages {
			tctx, tcancel := chromedp.NewContext(bctx)
			tctx, tto := context.WithTimeout(tctx, time.Minute)
			err := chromedp.Do(tctx, chromedp.Navigate(srv.URL+u))
			if err == nil {
				_, err = chromedp.Run(tctx, chromedp.Poll[bool](`(() => { const n = performance.getEntriesByType("navigation")[0]; return n && n.loadEventEnd > 0; })()`,
					chromedp.WithPollingTimeout(time.Minute)))
			}
			var load float64
			if err == nil {
				load, err = chromedp.Run(tctx, chromedp.Evaluate[float64](read))
			}
			tto()
			tcancel()
			if err != nil {
				b.Fatalf("%s: %v", u, err)
			}
			loads = append(loads, load)
			if testing.Verbose() {
				b.Logf("%-45s %6.0f ms", u, load)
			}
		}
	}
	slices.Sort(loads)
	b.ReportMetric(loads[len(loads)/2], "load-p50-ms")
	b.ReportMetric(loads[len(loads)*95/100], "load-p95-ms")
	b.ReportMetric(loads[len(loads)-1], "load-max-ms")
}
