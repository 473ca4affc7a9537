package fetcher

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/honeyscope/honeyscope/internal/daemon"
)

type metrics struct {
	fetches *prometheus.CounterVec // by outcome
	bytes   prometheus.Counter
	denied  prometheus.Counter
	retries prometheus.Counter
	samples prometheus.Counter
}

func (c *Component) initMetrics(r *daemon.Reporter) error {
	c.m = metrics{
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "honeyscope_fetcher_fetches_total",
			Help: "URLs fetched and recorded, by outcome: ok, empty, error, denied (private or denied address), too_large.",
		}, []string{"outcome"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "honeyscope_fetcher_bytes_total",
			Help: "Content bytes received by the fetcher (attempts that failed included).",
		}),
		denied: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "honeyscope_fetcher_denied_total",
			Help: "Fetches refused because the address is private, local or on the deny-list.",
		}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "honeyscope_fetcher_retries_total",
			Help: "Fetch attempts that failed in a way that may pass and were queued again.",
		}),
		samples: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "honeyscope_fetcher_samples_written_total",
			Help: "Fetched contents written to the sample store.",
		}),
	}
	cs := []prometheus.Collector{c.m.fetches, c.m.bytes, c.m.denied, c.m.retries, c.m.samples,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "honeyscope_fetcher_queue",
			Help: "URLs waiting to be fetched.",
		}, func() float64 { q, _ := c.Stats(); return float64(q) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "honeyscope_fetcher_queue_dropped_total",
			Help: "URLs not queued because the queue was full (the backlog pass finds them later).",
		}, func() float64 { _, d := c.Stats(); return float64(d) }),
	}
	for _, x := range cs {
		if err := r.Registry.Register(x); err != nil {
			return err
		}
	}
	return nil
}
