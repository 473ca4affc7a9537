// Package metrics is the "metrics" component of `honeyscope serve`: it
// exposes the registry every component registers its metrics on (the
// daemon.Reporter's) as a Prometheus handler, served on the API listener,
// and holds the process-wide gauges that belong to no other component (the
// ingest queue length, fed by whoever queues captures).
package metrics

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/honeyscope/honeyscope/internal/daemon"
)

// Dependencies of the metrics component.
type Dependencies struct {
	// Version is reported as honeyscope_build_info{version}.
	Version string
}

// Component serves the metrics.
type Component struct {
	r           *daemon.Reporter
	config      Configuration
	handler     http.Handler
	ingestQueue prometheus.Gauge
}

// New registers the process-wide metrics and builds the handler.
func New(r *daemon.Reporter, config Configuration, deps Dependencies) (*Component, error) {
	if config.Path == "" {
		config.Path = DefaultConfiguration().Path
	}
	c := &Component{r: r, config: config}
	c.ingestQueue = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "honeyscope_ingest_queue_length",
		Help: "Captures waiting to be ingested by this process.",
	})
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "honeyscope_build_info",
		Help:        "Always 1; the version of the running binary is a label.",
		ConstLabels: prometheus.Labels{"version": deps.Version},
	})
	info.Set(1)
	for _, x := range []prometheus.Collector{c.ingestQueue, info} {
		if err := r.Registry.Register(x); err != nil {
			return nil, err
		}
	}
	c.handler = promhttp.HandlerFor(r.Registry, promhttp.HandlerOpts{
		ErrorLog:            slogAdapter{r},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
	})
	return c, nil
}

// Start does nothing: the handler is served by the API component.
func (c *Component) Start(context.Context) error { return nil }

// Stop does nothing.
func (c *Component) Stop(context.Context) error { return nil }

// Path is where the handler is to be mounted.
func (c *Component) Path() string { return c.config.Path }

// Handler serves the registry in the Prometheus exposition format.
func (c *Component) Handler() http.Handler { return c.handler }

// IngestQueue is the gauge of captures waiting to be ingested; the
// component that queues captures sets it.
func (c *Component) IngestQueue() prometheus.Gauge { return c.ingestQueue }

type slogAdapter struct{ r *daemon.Reporter }

func (a slogAdapter) Println(v ...any) { a.r.Logger("metrics").Error("serving metrics", "err", v) }
