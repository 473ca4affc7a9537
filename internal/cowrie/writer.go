package cowrie

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/honeyscope/honeyscope/internal/session"
)

// WriterConfig configures a Writer.
type WriterConfig struct {
	// Queue is the number of lines waiting to be written before new ones
	// are dropped (default 4096).
	Queue int
	// QueueBytes bounds the bytes of the lines waiting (default 16 MiB).
	QueueBytes int64
}

// Writer is a session.Sink that writes each event as one Cowrie-format
// JSON line. Event never blocks: lines wait in a bounded queue for the
// writing goroutine, and a line that finds the queue full is dropped and
// counted. It is safe for concurrent use.
type Writer struct {
	queue      chan []byte
	queueBytes int64
	pending    atomic.Int64
	dropped    atomic.Uint64
	written    atomic.Uint64

	mu     sync.RWMutex // held for reading by Event, for writing by Close
	closed bool

	w      *bufio.Writer
	closer io.Closer
	done   chan struct{}
	err    error // the first write error, read after done
}

// NewWriter returns a Writer writing to w. Close flushes it; w is closed
// when it is an io.Closer.
func NewWriter(w io.Writer, c WriterConfig) *Writer {
	if c.Queue <= 0 {
		c.Queue = 4096
	}
	if c.QueueBytes <= 0 {
		c.QueueBytes = 16 << 20
	}
	cw := &Writer{
		queue:      make(chan []byte, c.Queue),
		queueBytes: c.QueueBytes,
		w:          bufio.NewWriterSize(w, 64<<10),
		done:       make(chan struct{}),
	}
	if cl, ok := w.(io.Closer); ok {
		cw.closer = cl
	}
	go cw.run()
	return cw
}

// OpenFile returns a Writer appending to the file at path, created 0640
// when absent.
func OpenFile(path string, c WriterConfig) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("cowrie log: %w", err)
	}
	return NewWriter(f, c), nil
}

// Event encodes e and queues its lines (session.Sink).
func (w *Writer) Event(e session.Event) {
	recs := records(e)
	if len(recs) == 0 {
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			w.dropped.Add(1)
			return
		}
	}
	line := buf.Bytes()
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.dropped.Add(uint64(len(recs)))
		return
	}
	if w.pending.Add(int64(len(line))) > w.queueBytes {
		w.pending.Add(-int64(len(line)))
		w.dropped.Add(uint64(len(recs)))
		return
	}
	select {
	case w.queue <- line:
	default:
		w.pending.Add(-int64(len(line)))
		w.dropped.Add(uint64(len(recs)))
	}
}

func (w *Writer) run() {
	defer close(w.done)
	for line := range w.queue {
		w.pending.Add(-int64(len(line)))
		if w.err == nil {
			if _, err := w.w.Write(line); err != nil {
				w.err = err
			} else {
				w.written.Add(uint64(bytes.Count(line, []byte{'\n'})))
			}
		}
		// Flushed whenever the queue runs dry, so lines reach the file
		// promptly without a write per line under load.
		if len(w.queue) == 0 && w.err == nil {
			if err := w.w.Flush(); err != nil {
				w.err = err
			}
		}
	}
	if w.err == nil {
		w.err = w.w.Flush()
	}
}

// Dropped returns the number of lines dropped because the queue was full
// (or the Writer closed).
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Written returns the number of lines written.
func (w *Writer) Written() uint64 { return w.written.Load() }

// Close writes the queued lines, flushes, closes the underlying writer
// when it is a Closer and returns the first error. Events after Close are
// dropped.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return nil
	}
	w.closed = true
	close(w.queue)
	w.mu.Unlock()
	<-w.done
	err := w.err
	if w.closer != nil {
		if f, ok := w.closer.(*os.File); ok {
			_ = f.Sync() // best effort: a pipe or terminal cannot sync
		}
		err = errors.Join(err, w.closer.Close())
	}
	if err != nil {
		return fmt.Errorf("cowrie log: %w", err)
	}
	return nil
}
