package owner

import (
	"os"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	commits        prometheus.Counter
	commitFailures prometheus.Counter
	openTx         prometheus.Gauge
}

func (c *Component) initMetrics() error {
	c.m = metrics{
		commits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "honeyscope_store_commits_total",
			Help: "Capture transactions committed to the store by this process.",
		}),
		commitFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "honeyscope_store_commit_failures_total",
			Help: "Capture transactions that failed or were rolled back (duplicates included).",
		}),
		openTx: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "honeyscope_store_transactions_open",
			Help: "Capture transactions begun and not yet finished or aborted.",
		}),
	}
	size := func(p string) func() float64 {
		return func() float64 {
			fi, err := os.Stat(p)
			if err != nil {
				return 0
			}
			return float64(fi.Size())
		}
	}
	cs := []prometheus.Collector{c.m.commits, c.m.commitFailures, c.m.openTx,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "honeyscope_store_file_bytes",
			Help: "Size of the store's database file, read at scrape.",
		}, size(c.config.Path)),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "honeyscope_store_wal_bytes",
			Help: "Size of the store's write-ahead log (0 when there is none), read at scrape.",
		}, size(c.config.Path+".wal")),
	}
	for _, x := range cs {
		if err := c.r.Registry.Register(x); err != nil {
			return err
		}
	}
	return nil
}
