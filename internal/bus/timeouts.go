package bus

import (
	"context"
	"time"
)

// DefaultRequestTimeout bounds each JetStream request of a collector.
const DefaultRequestTimeout = 5 * time.Second

// request bounds one JetStream request by the collector's request
// timeout, whatever deadline ctx has. NATS delivers a request at most
// once: one written to a connection in the instant between the server
// going away and the client noticing (a hub restart) is lost without an
// error, and nats.go waits for its reply until ctx's deadline when ctx
// has one (its own 5 s default applies only to a ctx without one). A
// bounded request fails instead, and the batch is tried again.
func (c *Collector) request(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.cfg.RequestTimeout)
}

// withoutDeadline is ctx, cancelled with it, without its deadline: an
// object store read given it bounds each chunk by nats.go's default
// timeout instead of the whole content by ctx's deadline, so a large
// sample over a slow link completes while a lost chunk request does not
// hold the collector.
func withoutDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); !ok {
		return context.WithCancel(ctx)
	}
	nctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	return nctx, func() { stop(); cancel() }
}
