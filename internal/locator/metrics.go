package locator

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	reloads  *prometheus.CounterVec
	loadedAt prometheus.Gauge
}

func (c *Component) initMetrics() error {
	c.m = metrics{
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "honeyscope_geo_reloads_total",
			Help: "GeoIP database reloads (SIGHUP), by result (ok, error).",
		}, []string{"result"}),
		loadedAt: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "honeyscope_geo_loaded_timestamp_seconds",
			Help: "When the GeoIP databases in use were loaded (Unix time).",
		}),
	}
	for _, x := range []prometheus.Collector{c.m.reloads, c.m.loadedAt} {
		if err := c.r.Registry.Register(x); err != nil {
			return err
		}
	}
	c.m.reloads.WithLabelValues("ok")
	c.m.reloads.WithLabelValues("error")
	return nil
}
