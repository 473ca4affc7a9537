package bus

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/remote"
)

// DefaultPartBytes is the size a publisher aims its parts at.
const DefaultPartBytes = 512 << 10

// ErrNoReads is what a Publisher's reads return: its facts are in the
// collectors' store.
var ErrNoReads = errors.New("a NATS publisher has no facts to read: ask the collectors' store")

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// Sensor names the publishing sensor (its subjects and batch ids).
	Sensor string
	// TimeZone is the zone the sensor computes days in (default UTC); a
	// collector refuses batches of another zone than its store's.
	TimeZone string
	// Zone, when set, names the zone at each publish instead (a Tee's
	// local store's, known once it is open).
	Zone func() string
	// PartBytes is the size parts aim at (default DefaultPartBytes).
	PartBytes int
	// Retry is how long a publish is retried before the write fails
	// (default 30s; the sensor's own server is local, so this only
	// runs out when it is unwell).
	Retry time.Duration
}

// Publisher is a store.Store whose writes are published: each Tx (a
// capture, a live interval) as its parts and a commit record, each
// session batch likewise, sample contents into the object store. Reads
// return ErrNoReads. Its methods may be called from several goroutines.
type Publisher struct {
	js      jetstream.JetStream
	cfg     PublisherConfig
	loc     *time.Location
	boot    string
	seq     atomic.Uint64
	objOnce sync.Once
	obj     jetstream.ObjectStore
	objErr  error

	// Counters (messages and payload bytes published).
	Messages, Bytes atomic.Uint64
	noReads
}

// NewPublisher publishes through nc (a connection to the sensor's own
// server, Leaf.Connect, or to the hub).
func NewPublisher(nc *nats.Conn, cfg PublisherConfig) (*Publisher, error) {
	if cfg.Sensor == "" {
		return nil, errors.New("publisher: a sensor name is required")
	}
	if cfg.TimeZone == "" {
		cfg.TimeZone = "UTC"
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("publisher: %w", err)
	}
	if cfg.PartBytes <= 0 {
		cfg.PartBytes = DefaultPartBytes
	}
	cfg.PartBytes = min(cfg.PartBytes, maxPayload/2)
	if cfg.Retry <= 0 {
		cfg.Retry = 30 * time.Second
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(64))
	if err != nil {
		return nil, err
	}
	return &Publisher{js: js, cfg: cfg, loc: loc, boot: strconv.FormatInt(time.Now().UnixNano(), 10)}, nil
}

// nextBatch returns a new batch id (sensor, the publisher's start time
// and a sequence) and its subject token.
func (p *Publisher) nextBatch() (id, token string, n uint64) {
	n = p.seq.Add(1)
	token = p.boot + "-" + strconv.FormatUint(n, 10)
	return p.cfg.Sensor + "/" + token, token, n
}

// publish publishes m, retrying (with its Nats-Msg-Id, so a retry of a
// stored message is dropped) until p.cfg.Retry has passed.
func (p *Publisher) publish(ctx context.Context, m *nats.Msg) error {
	deadline := time.Now().Add(p.cfg.Retry)
	for {
		_, err := p.js.PublishMsg(ctx, m)
		if err == nil {
			p.Messages.Add(1)
			p.Bytes.Add(uint64(len(m.Data)))
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("publish %s: %w", m.Subject, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// publishAsync publishes m without waiting for its ack; the future is
// waited for by wait.
func (p *Publisher) publishAsync(m *nats.Msg) (jetstream.PubAckFuture, error) {
	f, err := p.js.PublishMsgAsync(m)
	if err != nil {
		return nil, err
	}
	p.Messages.Add(1)
	p.Bytes.Add(uint64(len(m.Data)))
	return f, nil
}

// wait waits for the acks of fs, publishing again (synchronously) the
// messages whose publish failed.
func (p *Publisher) wait(ctx context.Context, fs []jetstream.PubAckFuture) error {
	for _, f := range fs {
		select {
		case <-f.Ok():
		case <-f.Err():
			if err := p.publish(ctx, f.Msg()); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func partMsg(subject, batch string, i int, data []byte) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Header.Set(HdrBatch, batch)
	m.Header.Set(HdrPart, strconv.Itoa(i))
	m.Header.Set(jetstream.MsgIDHeader, batch+"/"+strconv.Itoa(i))
	m.Data = data
	return m
}

func commitMsg(subject, batch string, parts int, data []byte) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Header.Set(HdrBatch, batch)
	m.Header.Set(HdrParts, strconv.Itoa(parts))
	m.Header.Set(jetstream.MsgIDHeader, batch+"/commit")
	m.Data = data
	return m
}

// finishRecord is an ingest commit record's body.
type finishRecord struct {
	Ingest  store.Ingest
	Replace bool
	Sensor  store.Sensor
}

// Begin starts a Tx: its Appends publish parts as they come, its Finish
// the commit record.
func (p *Publisher) Begin(ctx context.Context) (store.Tx, error) {
	id, token, n := p.nextBatch()
	return &pubTx{p: p, batch: id, subject: partSubject(p.cfg.Sensor, token), id: int32(n)}, nil
}

// Commit publishes a batch as one Tx.
func (p *Publisher) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	return store.CommitBatch(ctx, b, p.Begin)
}

// KnownSizes knows no earlier ingests: the collectors' store drops a
// capture it already has (by content hash) when its batch arrives.
func (p *Publisher) KnownSizes(ctx context.Context) (map[int64][]store.KnownIngest, error) {
	return map[int64][]store.KnownIngest{}, nil
}

// Reassign is not published: run it on the collectors' store.
func (p *Publisher) Reassign(ctx context.Context, from, to string, locate func(netip.Addr) store.Place, countryDB, asnDB string) (store.ReassignResult, error) {
	return store.ReassignResult{}, ErrNoReads
}

// Path names where the publisher publishes.
func (p *Publisher) Path() string { return "nats:" + Subject(p.cfg.Sensor, "*") }

// TimeZone is the zone the sensor's days are in.
func (p *Publisher) TimeZone() string { return p.loc.String() }

// zone names the zone of the days being published.
func (p *Publisher) zone() string {
	if p.cfg.Zone != nil {
		return p.cfg.Zone()
	}
	return p.loc.String()
}

// Location is the zone the sensor's days are in.
func (p *Publisher) Location() *time.Location { return p.loc }

// Close waits for the publishes in flight (at most 10s); the connection
// is the caller's.
func (p *Publisher) Close() error {
	select {
	case <-p.js.PublishAsyncComplete():
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("publisher: publishes still pending at close")
	}
}

// pubTx is a Tx being published.
type pubTx struct {
	p       *Publisher
	batch   string
	subject string
	id      int32

	mu      sync.Mutex
	parts   int
	futures []jetstream.PubAckFuture
	done    bool
}

// ID is a local number: the ingest id is the collectors' store's.
func (t *pubTx) ID() int32 { return t.id }

// Append publishes the rows as parts in the store owner's bulk encoding.
func (t *pubTx) Append(ctx context.Context, r *aggregate.Result, places []store.Place, sensor string, pattern func(int) string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("transaction already finished")
	}
	return remote.EncodeAppend(r, places, sensor, pattern, t.p.cfg.PartBytes, func(b []byte) error {
		if len(b) > maxPayload {
			return fmt.Errorf("publish: a part of %d bytes exceeds the %d-byte message limit", len(b), maxPayload)
		}
		m := partMsg(t.subject, t.batch, t.parts, bytes.Clone(b))
		f, err := t.p.publishAsync(m)
		if err != nil {
			if err := t.p.publish(ctx, m); err != nil {
				return err
			}
		} else {
			t.futures = append(t.futures, f)
		}
		t.parts++
		return nil
	})
}

// Finish publishes the commit record once every part is stored.
func (t *pubTx) Finish(ctx context.Context, in store.Ingest, replace bool, sensor store.Sensor) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("transaction already finished")
	}
	t.done = true
	if err := t.p.wait(ctx, t.futures); err != nil {
		return err
	}
	in.BatchID = t.batch
	body, err := json.Marshal(finishRecord{Ingest: in, Replace: replace, Sensor: sensor})
	if err != nil {
		return err
	}
	m := commitMsg(Subject(t.p.cfg.Sensor, KindIngest), t.batch, t.parts, body)
	m.Header.Set(HdrTimeZone, t.p.zone())
	return t.p.publish(ctx, m)
}

// Abort publishes nothing more: parts without a commit record are never
// applied, and age out of the streams.
func (t *pubTx) Abort() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done = true
	return nil
}

// sessionWire is a store.SessionBatch as it travels (gob): file contents
// left out (they go to the object store), the hits' pattern function as
// the names its exploit hits use.
type sessionWire struct {
	ID       string
	Sessions []session.Session
	Hits     *hitsWire
	TimeZone string
}

type hitsWire struct {
	Ingest   store.Ingest
	Replace  bool
	Result   *aggregate.Result
	Places   []store.Place
	Sensor   store.Sensor
	Patterns map[int]string
}

// sampleRecord is a .samples message's body.
type sampleRecord struct {
	SHA256  string
	Size    int64
	Type    string
	Session string
}

// CommitSessions publishes the batch: the contents of its files to the
// object store (once per content), then the batch, gob-encoded, as parts
// and a commit record. Its ID is its batch id.
func (p *Publisher) CommitSessions(ctx context.Context, b store.SessionBatch) error {
	if b.ID == "" {
		return errors.New("publish sessions: a batch id is required")
	}
	w := sessionWire{ID: b.ID, TimeZone: p.zone(), Sessions: make([]session.Session, len(b.Sessions))}
	for i, s := range b.Sessions {
		if len(s.Files) > 0 {
			files := make([]session.File, len(s.Files))
			for j, f := range s.Files {
				if f.Sample && len(f.Content) > 0 {
					if err := p.putSample(ctx, s.ID, f); err != nil {
						return err
					}
				}
				f.Content = nil
				files[j] = f
			}
			s.Files = files
		}
		w.Sessions[i] = s
	}
	if h := b.Hits; h != nil {
		hw := &hitsWire{Ingest: h.Ingest, Replace: h.Replace, Result: h.Result, Places: h.Places, Sensor: h.Sensor}
		if h.Pattern != nil && h.Result != nil {
			hw.Patterns = map[int]string{}
			for _, e := range h.Result.Exploits {
				hw.Patterns[e.Pattern] = h.Pattern(e.Pattern)
			}
		}
		w.Hits = hw
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&w); err != nil {
		return fmt.Errorf("publish sessions %s: %w", b.ID, err)
	}
	if buf.Len() > maxSessionBatch {
		return fmt.Errorf("publish sessions %s: %d bytes encoded, the limit is %d", b.ID, buf.Len(), maxSessionBatch)
	}
	// The batch's own id keys its messages (a retry is the same batch);
	// its token is a hash, subject-safe whatever the id holds.
	token := tokenOf(p.cfg.Sensor + "\x00" + b.ID)
	batch := p.cfg.Sensor + "/s/" + token
	subj := partSubject(p.cfg.Sensor, token)
	data := buf.Bytes()
	var futures []jetstream.PubAckFuture
	parts := 0
	for len(data) > 0 {
		n := min(len(data), p.cfg.PartBytes)
		m := partMsg(subj, batch, parts, data[:n])
		f, err := p.publishAsync(m)
		if err != nil {
			if err := p.publish(ctx, m); err != nil {
				return err
			}
		} else {
			futures = append(futures, f)
		}
		data = data[n:]
		parts++
	}
	if err := p.wait(ctx, futures); err != nil {
		return err
	}
	return p.publish(ctx, commitMsg(Subject(p.cfg.Sensor, KindSessions), batch, parts, nil))
}

// maxSessionBatch bounds an encoded session batch (as the store owner does).
const maxSessionBatch = 256 << 20

// putSample stores a sample's content in the object store under its
// SHA-256 (when not there yet) and publishes its record.
func (p *Publisher) putSample(ctx context.Context, sessionID string, f session.File) error {
	p.objOnce.Do(func() {
		p.obj, p.objErr = p.js.ObjectStore(ctx, SampleBucket)
	})
	if p.objErr != nil {
		return fmt.Errorf("publish sample: %w", p.objErr)
	}
	if !validSHA256(f.SHA256) {
		return fmt.Errorf("publish sample: bad SHA-256 %q", f.SHA256)
	}
	if _, err := p.obj.GetInfo(ctx, f.SHA256); err == nil {
		return nil
	}
	if _, err := p.obj.PutBytes(ctx, f.SHA256, f.Content); err != nil {
		return fmt.Errorf("publish sample %s: %w", f.SHA256, err)
	}
	body, _ := json.Marshal(sampleRecord{SHA256: f.SHA256, Size: int64(len(f.Content)), Type: f.Type, Session: sessionID})
	m := commitMsg(Subject(p.cfg.Sensor, KindSamples), p.cfg.Sensor+"/f/"+f.SHA256, 0, body)
	return p.publish(ctx, m)
}

var _ store.Store = (*Publisher)(nil)
