package ingest

import (
	"net/netip"

	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/evidence"
)

// evFeed runs a capture's evidence collection on a goroutine of its own,
// off the decoding goroutine that every packet passes through. Only the
// packets whose payload the classifier inspected (evidence.Inspected: most
// darknet packets carry none) are handed over, their fields and a copy of
// their payload in batches, in the order they were read, so the collector
// keeps what it would have kept on the decoding goroutine, bounds
// included. Batches are reused: handing a packet over allocates nothing.
type evFeed struct {
	c     *evidence.Collector
	cur   *evBatch
	in    chan *evBatch
	free  chan *evBatch
	done  chan struct{}
	ended bool           // in is closed
	want  bool           // the goroutine ends with the collector's result (end)
	part  *evidence.Part // the result, once done is closed
}

// evItem is one packet of an evBatch; its payload is data[off:end].
type evItem struct {
	ts       int64
	src      netip.Addr
	proto    uint8
	port     uint16
	off, end int32
}

// evBatch holds up to evBatchItems packets and evBatchBytes of payload
// (one packet's payload fits in any empty batch: an IP packet is shorter).
type evBatch struct {
	items []evItem
	data  []byte
}

const (
	evBatchItems = 512
	evBatchBytes = 256 << 10
	evBatches    = 4 // batches in flight; the decoding goroutine waits beyond
)

func newEvFeed(c *evidence.Collector) *evFeed {
	f := &evFeed{c: c, in: make(chan *evBatch, evBatches), free: make(chan *evBatch, evBatches+1),
		done: make(chan struct{})}
	for range evBatches + 1 {
		f.free <- &evBatch{items: make([]evItem, 0, evBatchItems), data: make([]byte, 0, evBatchBytes)}
	}
	f.cur = <-f.free
	go f.run()
	return f
}

func (f *evFeed) run() {
	defer close(f.done)
	for b := range f.in {
		for i := range b.items {
			it := &b.items[i]
			f.c.AddPayload(it.ts, it.src, it.proto, it.port, b.data[it.off:it.end])
		}
		b.items, b.data = b.items[:0], b.data[:0]
		f.free <- b
	}
	if f.want {
		f.part = f.c.Result()
	}
}

// add hands p over when its payload is one the collector keeps.
func (f *evFeed) add(ts int64, p *decode.Packet) {
	if !evidence.Inspected(p) {
		return
	}
	b := f.cur
	if len(b.items) == cap(b.items) || cap(b.data)-len(b.data) < len(p.Payload) {
		f.in <- b
		b = <-f.free
		f.cur = b
	}
	off := len(b.data)
	b.data = append(b.data, p.Payload...)
	b.items = append(b.items, evItem{ts: ts, src: p.Src, proto: p.Proto, port: evidence.Port(p),
		off: int32(off), end: int32(len(b.data))})
}

// end hands over what is left: the goroutine then builds the collector's
// result (sorting its rows) while the caller goes on, such as waiting
// for the counting shards to build theirs.
func (f *evFeed) end() {
	if f.ended {
		return
	}
	if len(f.cur.items) > 0 {
		f.in <- f.cur
	}
	f.want, f.ended = true, true
	close(f.in)
}

// finish ends the feed (end) and returns what the collector kept.
func (f *evFeed) finish() *evidence.Part {
	f.end()
	<-f.done
	return f.part
}

// stop ends the goroutine without a result (the file is abandoned).
func (f *evFeed) stop() {
	if !f.ended {
		f.ended = true
		close(f.in)
	}
	<-f.done
}
