package honeypot

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	connections  *prometheus.CounterVec // by service
	refused      *prometheus.CounterVec // by reason: global, per_source, filtered
	commits      prometheus.Counter
	commitErrors prometheus.Counter
	samples      prometheus.Counter
	panics       prometheus.Counter
}

func (c *Component) initMetrics() error {
	c.m = metrics{
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "honeyscope_honeypot_connections_total",
			Help: "Connections accepted by the honeypot's listeners, by service (refused ones included).",
		}, []string{"service"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "honeyscope_honeypot_refused_total",
			Help: "Connections closed without being served, by reason: global or per_source connection limit, filtered (outside the allowed countries).",
		}, []string{"reason"}),
		commits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "honeyscope_honeypot_commits_total",
			Help: "Session batches committed to the store.",
		}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "honeyscope_honeypot_commit_errors_total",
			Help: "Session batch commits that failed (retried at the next interval).",
		}),
		samples: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "honeyscope_honeypot_samples_written_total",
			Help: "Dropped files written to the sample store.",
		}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "honeyscope_honeypot_handler_panics_total",
			Help: "Sessions a front end ended by panicking (the session is kept, reason \"error\").",
		}),
	}
	stat := func(f func(open, pending int, dropped uint64) float64) func() float64 {
		return func() float64 { return f(c.hub.Stats()) }
	}
	cs := []prometheus.Collector{c.m.connections, c.m.refused, c.m.commits, c.m.commitErrors, c.m.samples, c.m.panics,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "honeyscope_honeypot_sessions_open",
			Help: "Honeypot sessions open now.",
		}, stat(func(o, _ int, _ uint64) float64 { return float64(o) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "honeyscope_honeypot_sessions_pending",
			Help: "Finished sessions waiting for the next commit.",
		}, stat(func(_, p int, _ uint64) float64 { return float64(p) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "honeyscope_honeypot_sessions_dropped_total",
			Help: "Finished sessions dropped because the commit queue was full (the store fell behind).",
		}, stat(func(_, _ int, d uint64) float64 { return float64(d) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "honeyscope_honeypot_connections_open",
			Help: "Connections held now (counted against the connection limits).",
		}, func() float64 { return float64(c.lim.count()) }),
	}
	for _, x := range cs {
		if err := c.r.Registry.Register(x); err != nil {
			return err
		}
	}
	return nil
}
