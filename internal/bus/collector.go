package bus

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/remote"
)

// DefaultDurable is the name of the collectors' shared durable consumer.
const DefaultDurable = "honeyscope-collector"

// Limits on what a collector takes from a message.
const (
	maxParts      = 1 << 16
	maxSampleSize = 64 << 20
)

// SampleSink keeps a sample's content (verified against its SHA-256).
type SampleSink func(ctx context.Context, sha256 string, content []byte) error

// CollectorConfig configures a Collector.
type CollectorConfig struct {
	// Durable names the consumer; collectors with the same name share
	// the work (default DefaultDurable).
	Durable string
	// AckWait is how long a batch may go unacknowledged before it is
	// delivered again (default 2 minutes; a commit in progress extends
	// it).
	AckWait time.Duration
	// RequestTimeout bounds each JetStream request (consumer info,
	// message get, ack, sample lookup) whatever the deadline of Run's
	// context (default DefaultRequestTimeout): a request lost across a
	// hub restart fails after it and its batch is tried again.
	RequestTimeout time.Duration
	// Samples, when set, receives the sample contents.
	Samples SampleSink
	// Log gets a line per refused message (default: discarded).
	Log *slog.Logger
}

// Collector consumes the hub's stream into a store: each batch in one
// store transaction, acknowledged only after its commit. A batch the
// store has (its id recorded) is acknowledged without a change.
type Collector struct {
	js     jetstream.JetStream
	st     store.Store
	cfg    CollectorConfig
	stream jetstream.Stream
	cons   jetstream.Consumer
	obj    jetstream.ObjectStore

	// Committed counts the batches committed, Duplicates those the store
	// already had, Refused the messages that can never be applied
	// (malformed, another time zone), Samples the contents kept.
	Committed, Duplicates, Refused, Samples atomic.Uint64

	// Tests: called before a batch's commit and after it (before its
	// ack); an error abandons the batch unacknowledged, as a crash
	// would, and ends Run with it.
	beforeCommit, afterCommit func(batch string) error
	// Tests: called once a batch is taken, before its transaction
	// begins (the store runs one write transaction at a time, so a
	// batch held inside its transaction would hold off every other
	// collector's).
	taken func(batch string)
}

// errCrash marks an abandoned batch.
type errCrash struct{ err error }

func (e errCrash) Error() string { return "batch abandoned: " + e.err.Error() }
func (e errCrash) Unwrap() error { return e.err }

// NewCollector makes (or finds) the durable consumer on the hub's stream
// (js: the hub's JetStream; EnsureHub made the stream) feeding st.
func NewCollector(ctx context.Context, js jetstream.JetStream, st store.Store, cfg CollectorConfig) (*Collector, error) {
	if cfg.Durable == "" {
		cfg.Durable = DefaultDurable
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 2 * time.Minute
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s, err := js.Stream(ctx, HubStream)
	if err != nil {
		return nil, fmt.Errorf("collector: hub stream: %w", err)
	}
	cons, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:   cfg.Durable,
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   cfg.AckWait,
		FilterSubjects: []string{
			SubjectPrefix + ".*." + KindIngest,
			SubjectPrefix + ".*." + KindSessions,
			SubjectPrefix + ".*." + KindSamples,
		},
		MaxDeliver:    -1,
		MaxAckPending: 1000,
	})
	if err != nil {
		return nil, fmt.Errorf("collector: consumer: %w", err)
	}
	return &Collector{js: js, st: st, cfg: cfg, stream: s, cons: cons}, nil
}

// Run collects until ctx ends (nil) or a test hook abandons a batch.
func (c *Collector) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		batch, err := c.cons.Fetch(1, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.cfg.Log.Warn("fetch", "err", err)
			sleep(ctx, time.Second)
			continue
		}
		for m := range batch.Messages() {
			if err := c.handle(ctx, m); err != nil {
				var crash errCrash
				if errors.As(err, &crash) {
					return err
				}
			}
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// Pending is how many messages the collectors have not yet acknowledged
// (waiting or delivered). It fails after the request timeout when the
// hub does not answer.
func (c *Collector) Pending(ctx context.Context) (uint64, error) {
	rctx, cancel := c.request(ctx)
	defer cancel()
	info, err := c.cons.Info(rctx)
	if err != nil {
		return 0, err
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}

// errRefused marks a message that can never be applied.
var errRefused = errors.New("refused")

// handle applies one message and acknowledges it, or leaves it for
// redelivery.
func (c *Collector) handle(ctx context.Context, m jetstream.Msg) error {
	subj := m.Subject()
	rest, ok := strings.CutPrefix(subj, SubjectPrefix+".")
	dot := strings.LastIndexByte(rest, '.')
	if !ok || dot <= 0 {
		return c.refuse(m, fmt.Errorf("subject %q", subj))
	}
	sensorTok, kind := rest[:dot], rest[dot+1:]
	batch := m.Headers().Get(HdrBatch)
	if batch == "" || len(batch) > 256 {
		return c.refuse(m, fmt.Errorf("%s: batch id of %d bytes", subj, len(batch)))
	}
	// A long commit keeps its message from being delivered again.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(max(c.cfg.AckWait/3, 100*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				m.InProgress()
			}
		}
	}()
	var err error
	switch kind {
	case KindIngest:
		err = c.ingest(ctx, m, sensorTok, batch)
	case KindSessions:
		err = c.sessions(ctx, m, sensorTok, batch)
	case KindSamples:
		err = c.sample(ctx, m)
	default:
		err = fmt.Errorf("%w: kind %q", errRefused, kind)
	}
	var crash errCrash
	switch {
	case err == nil:
		if kind != KindSamples {
			c.Committed.Add(1)
		}
	case errors.Is(err, store.ErrDuplicate):
		c.Duplicates.Add(1)
	case errors.As(err, &crash):
		return err // no ack, no nak: as if the process died
	case errors.Is(err, errRefused):
		return c.refuse(m, fmt.Errorf("%s batch %s: %w", subj, batch, err))
	default:
		// The store or the stream failed: deliver it again later.
		c.cfg.Log.Warn("batch not committed, retried later", "subject", subj, "batch", batch, "err", err)
		m.NakWithDelay(2 * time.Second)
		return err
	}
	if c.afterCommit != nil && kind != KindSamples {
		if err := c.afterCommit(batch); err != nil {
			return errCrash{err}
		}
	}
	// A lost ack (or its confirmation) leaves the batch to be delivered
	// again after the ack wait, and found a duplicate.
	actx, cancel := c.request(ctx)
	defer cancel()
	return m.DoubleAck(actx)
}

// refuse terminates a message that can never be applied.
func (c *Collector) refuse(m jetstream.Msg, err error) error {
	c.Refused.Add(1)
	c.cfg.Log.Error("message refused", "err", err)
	m.Term()
	return err
}

// parts reads the n parts of batch from the stream, in order, calling f
// with each.
func (c *Collector) parts(ctx context.Context, m jetstream.Msg, sensorTok, batch string, f func(i int, data []byte) error) error {
	n, err := strconv.Atoi(m.Headers().Get(HdrParts))
	if err != nil || n < 0 || n > maxParts {
		return fmt.Errorf("%w: parts %q", errRefused, m.Headers().Get(HdrParts))
	}
	_, token, ok := strings.Cut(batch, "/")
	if kind := m.Subject()[strings.LastIndexByte(m.Subject(), '.')+1:]; kind == KindSessions {
		token, ok = strings.CutPrefix(token, "s/")
	}
	if !ok || token == "" || strings.ContainsAny(token, ".*> \t\r\n") {
		return fmt.Errorf("%w: batch id %q", errRefused, batch)
	}
	subj := SubjectPrefix + "." + sensorTok + "." + kindPart + "." + token
	seq := uint64(1)
	for i := 0; i < n; i++ {
		rctx, cancel := c.request(ctx)
		raw, err := c.stream.GetMsg(rctx, seq, jetstream.WithGetMsgSubject(subj))
		cancel()
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("%w: part %d of %d is not in the stream (aged out?)", errRefused, i, n)
		}
		if err != nil {
			return err
		}
		if raw.Header.Get(HdrBatch) != batch || raw.Header.Get(HdrPart) != strconv.Itoa(i) {
			return fmt.Errorf("%w: part %d is %q part %q", errRefused, i, raw.Header.Get(HdrBatch), raw.Header.Get(HdrPart))
		}
		if err := f(i, raw.Data); err != nil {
			return err
		}
		seq = raw.Sequence + 1
	}
	return nil
}

// ingest applies a capture's or live interval's batch in one Tx.
func (c *Collector) ingest(ctx context.Context, m jetstream.Msg, sensorTok, batch string) error {
	if tz := m.Headers().Get(HdrTimeZone); tz != c.st.TimeZone() {
		return fmt.Errorf("%w: days in %q, the store's are in %q", errRefused, tz, c.st.TimeZone())
	}
	var rec finishRecord
	if err := json.Unmarshal(m.Data(), &rec); err != nil {
		return fmt.Errorf("%w: commit record: %v", errRefused, err)
	}
	rec.Ingest.BatchID = batch
	if c.taken != nil {
		c.taken(batch)
	}
	tx, err := c.st.Begin(ctx)
	if err != nil {
		return err
	}
	err = c.parts(ctx, m, sensorTok, batch, func(i int, data []byte) error {
		ch, err := remote.DecodeAppend(data)
		if err != nil {
			return fmt.Errorf("%w: part %d: %v", errRefused, i, err)
		}
		return tx.Append(ctx, ch.Result, ch.Places, ch.Sensor, ch.Pattern)
	})
	if err == nil && c.beforeCommit != nil {
		if herr := c.beforeCommit(batch); herr != nil {
			err = errCrash{herr}
		}
	}
	if err != nil {
		tx.Abort()
		return err
	}
	return tx.Finish(ctx, rec.Ingest, rec.Replace, rec.Sensor)
}

// sessions applies a honeypot batch in one store transaction.
func (c *Collector) sessions(ctx context.Context, m jetstream.Msg, sensorTok, batch string) error {
	var buf bytes.Buffer
	err := c.parts(ctx, m, sensorTok, batch, func(i int, data []byte) error {
		if buf.Len()+len(data) > maxSessionBatch {
			return fmt.Errorf("%w: session batch beyond %d bytes", errRefused, maxSessionBatch)
		}
		buf.Write(data)
		return nil
	})
	if err != nil {
		return err
	}
	w, err := decodeSessions(buf.Bytes())
	if err != nil {
		return fmt.Errorf("%w: %v", errRefused, err)
	}
	if w.Hits != nil && w.TimeZone != c.st.TimeZone() {
		return fmt.Errorf("%w: days in %q, the store's are in %q", errRefused, w.TimeZone, c.st.TimeZone())
	}
	if c.taken != nil {
		c.taken(batch)
	}
	b := store.SessionBatch{ID: w.ID, Sessions: w.Sessions}
	if h := w.Hits; h != nil {
		b.Hits = &store.Batch{Ingest: h.Ingest, Replace: h.Replace, Result: h.Result, Places: h.Places, Sensor: h.Sensor}
		if names := h.Patterns; names != nil {
			b.Hits.Pattern = func(id int) string {
				if n, ok := names[id]; ok {
					return n
				}
				return strconv.Itoa(id)
			}
		}
	}
	if c.beforeCommit != nil {
		if err := c.beforeCommit(batch); err != nil {
			return errCrash{err}
		}
	}
	return c.st.CommitSessions(ctx, b)
}

// decodeSessions decodes a session batch; gob recovers from its own
// panics, the recover keeps any other from the collector.
func decodeSessions(p []byte) (w *sessionWire, err error) {
	defer func() {
		if r := recover(); r != nil {
			w, err = nil, fmt.Errorf("bad session batch: %v", r)
		}
	}()
	w = new(sessionWire)
	if err := gob.NewDecoder(bytes.NewReader(p)).Decode(w); err != nil {
		return nil, fmt.Errorf("bad session batch: %w", err)
	}
	if w.Hits != nil && w.Hits.Result != nil && len(w.Hits.Places) != len(w.Hits.Result.Sources) {
		return nil, fmt.Errorf("bad session batch: %d places for %d sources", len(w.Hits.Places), len(w.Hits.Result.Sources))
	}
	return w, nil
}

// sample hands a sample's content to the sink.
func (c *Collector) sample(ctx context.Context, m jetstream.Msg) error {
	if c.cfg.Samples == nil {
		return nil
	}
	var rec sampleRecord
	if err := json.Unmarshal(m.Data(), &rec); err != nil || !validSHA256(rec.SHA256) {
		return fmt.Errorf("%w: sample record", errRefused)
	}
	rctx, cancel := c.request(ctx)
	defer cancel()
	if c.obj == nil {
		obj, err := c.js.ObjectStore(rctx, SampleBucket)
		if err != nil {
			return err
		}
		c.obj = obj
	}
	info, err := c.obj.GetInfo(rctx, rec.SHA256)
	if err != nil {
		return err // not sourced yet: later
	}
	if info.Size > maxSampleSize {
		return fmt.Errorf("%w: sample of %d bytes", errRefused, info.Size)
	}
	gctx, gcancel := withoutDeadline(ctx)
	defer gcancel()
	b, err := c.obj.GetBytes(gctx, rec.SHA256)
	if err != nil {
		return err
	}
	if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != rec.SHA256 {
		return fmt.Errorf("%w: sample content does not match %s", errRefused, rec.SHA256)
	}
	if err := c.cfg.Samples(ctx, rec.SHA256, b); err != nil {
		return err
	}
	c.Samples.Add(1)
	return nil
}
