package api

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	queries  *prometheus.HistogramVec
	inflight prometheus.Gauge
}

func (c *Component) initMetrics() error {
	c.m = metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "honeyscope_http_requests_total",
			Help: "HTTP requests answered, by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "honeyscope_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
		}, []string{"route"}),
		queries: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "honeyscope_store_query_duration_seconds",
			Help:    "Time of one store query made by the API, by route.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
		}, []string{"route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "honeyscope_http_requests_in_flight",
			Help: "HTTP requests being answered.",
		}),
	}
	for _, x := range []prometheus.Collector{c.m.requests, c.m.duration, c.m.queries, c.m.inflight} {
		if err := c.r.Registry.Register(x); err != nil {
			return err
		}
	}
	return nil
}
