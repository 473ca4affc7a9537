package daemon

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Reporter is what every component reports through: a structured logger
// and the metrics registry served at /metrics.
type Reporter struct {
	Log      *slog.Logger
	Registry *prometheus.Registry
}

// NewReporter returns a reporter logging to log (nil: discard) with a fresh
// registry holding the Go runtime and process collectors.
func NewReporter(log *slog.Logger) *Reporter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Reporter{Log: log, Registry: reg}
}

// Logger returns the reporter's logger with a "component" attribute.
func (r *Reporter) Logger(component string) *slog.Logger {
	return r.Log.With("component", component)
}
