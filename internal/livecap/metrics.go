package livecap

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	frames, packets         *prometheus.CounterVec
	kernelDrops, queueDrops *prometheus.CounterVec
	commits, commitErrors   *prometheus.CounterVec
	givenUp                 *prometheus.CounterVec
	pending                 *prometheus.GaugeVec
}

func (c *Component) initMetrics() error {
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "honeyscope_capture_" + name, Help: help}, []string{"interface"})
	}
	c.m = metrics{
		frames:       counter("frames_total", "Frames read from the interface's capture sockets."),
		packets:      counter("packets_total", "Inbound IP packets counted (addressed to the sensor)."),
		kernelDrops:  counter("kernel_drops_total", "Packets the kernel dropped before the capture read them (the ring was full)."),
		queueDrops:   counter("queue_drops_total", "Packets read but lost by the pipeline (intervals given up after failed commits)."),
		commits:      counter("commits_total", "Intervals committed to the store."),
		commitErrors: counter("commit_errors_total", "Interval commits that failed (retried at the next interval)."),
		givenUp:      counter("intervals_given_up_total", "Intervals dropped because too many commits had failed."),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "honeyscope_capture_intervals_pending",
			Help: "Finished intervals waiting to be committed (their commit failed).",
		}, []string{"interface"}),
	}
	// A capture rebuilt by a reload counts on in the collectors the first
	// one registered.
	for _, x := range []**prometheus.CounterVec{&c.m.frames, &c.m.packets, &c.m.kernelDrops, &c.m.queueDrops,
		&c.m.commits, &c.m.commitErrors, &c.m.givenUp} {
		if err := register(c.r.Registry, x); err != nil {
			return err
		}
	}
	return register(c.r.Registry, &c.m.pending)
}

// register registers *x, or points *x at the collector of the same name
// registered before.
func register[T prometheus.Collector](r prometheus.Registerer, x *T) error {
	err := r.Register(*x)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if prev, ok := are.ExistingCollector.(T); ok {
			*x = prev
			return nil
		}
	}
	return err
}
