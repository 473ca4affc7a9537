package bus

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// lossyAPI forwards JetStream API requests made under its prefix to the
// hub's API and drops the first few of chosen kinds, as a hub restart
// drops the requests written in the instant before the client notices.
type lossyAPI struct {
	mu    sync.Mutex
	drop  map[string]int // request kind (CONSUMER.INFO) → how many more to drop
	drops map[string]int // request kind → dropped
}

const lossyPrefix = "lossy.API"

func newLossyAPI(t *testing.T, h *hub, drop map[string]int) (*lossyAPI, jetstream.JetStream) {
	t.Helper()
	l := &lossyAPI{drop: drop, drops: map[string]int{}}
	fwd := h.connect()
	t.Cleanup(fwd.Close)
	_, err := fwd.Subscribe(lossyPrefix+".>", func(m *nats.Msg) {
		api := strings.TrimPrefix(m.Subject, lossyPrefix+".")
		for kind := range l.drop {
			if strings.HasPrefix(api, kind+".") && l.take(kind) {
				return
			}
		}
		fwd.PublishMsg(&nats.Msg{Subject: "$JS.API." + api, Reply: m.Reply, Header: m.Header, Data: m.Data})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := fwd.Flush(); err != nil {
		t.Fatal(err)
	}
	nc := h.connect()
	t.Cleanup(nc.Close)
	js, err := jetstream.NewWithAPIPrefix(nc, lossyPrefix)
	if err != nil {
		t.Fatal(err)
	}
	return l, js
}

// take reports whether a request of kind is to be dropped, counting it.
func (l *lossyAPI) take(kind string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.drop[kind] == 0 {
		return false
	}
	l.drop[kind]--
	l.drops[kind]++
	return true
}

func (l *lossyAPI) dropped(kind string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.drops[kind]
}

// A JetStream request that never gets its reply fails after the
// collector's request timeout even when the caller's context has a
// distant deadline; the collector tries the batch again, and every count
// is exact.
func TestCollectorLostRequests(t *testing.T) {
	inputs := makeInputs(t)[:1]
	want := summarize(t, direct(t, inputs))
	h := newHub(t)
	s := newSensor(t, h, inputs[0].name)
	feed(t, inputs[0], s.open)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if left, err := s.leaf.Drain(ctx, ""); err != nil {
		t.Fatalf("drain: %d left, %v", left, err)
	}
	lossy, js := newLossyAPI(t, h, map[string]int{"CONSUMER.INFO": 1, "STREAM.MSG.GET": 2})
	st := openDuck(t, filepath.Join(t.TempDir(), "collected.duckdb"))
	defer st.Close()
	var samples sampleSet
	c, err := NewCollector(ctx, js, st, CollectorConfig{AckWait: time.Second, RequestTimeout: 200 * time.Millisecond, Samples: samples.put})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Pending(ctx); !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Fatalf("pending with its request lost: %v (the caller's context: %v)", err, ctx.Err())
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(rctx) }()
	batches := uint64(batchCount(inputs))
	for ctx.Err() == nil {
		if n, err := c.Pending(ctx); err == nil && n == 0 && c.Committed.Load()+c.Duplicates.Load() >= batches {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("collector: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("the collector did not finish: %d of %d batches, %d message gets dropped", c.Committed.Load()+c.Duplicates.Load(), batches, lossy.dropped("STREAM.MSG.GET"))
	}
	if got := lossy.dropped("STREAM.MSG.GET"); got != 2 {
		t.Fatalf("%d message gets dropped, want 2: the test did not exercise the loss", got)
	}
	compare(t, want, summarize(t, st))
	if c.Refused.Load() != 0 {
		t.Errorf("%d messages refused", c.Refused.Load())
	}
}
