package remote

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// The honeypot's sessions (store.SessionStore). Sessions and Samples are
// Reader calls (reads.go). CommitSessions sends its batch gob-encoded in
// bulk frames: a control message announcing the encoded size (at most
// maxSessionBatch), then the bytes, then the owner's reply once the batch
// is committed in one transaction under the write lock. File contents stay
// with the client (the store keeps none), and the hits' pattern function
// travels as the names of the patterns their exploit hits use.

const (
	opSessions       = "sessions"
	opSamples        = "samples"
	opCommitSessions = "commit-sessions"
)

// maxSessionBatch bounds the encoded batch the owner accepts.
const maxSessionBatch = 256 << 20

// sessionPart is how much of an encoded batch one bulk frame carries.
const sessionPart = 4 << 20

// sessionBatchWire is a store.SessionBatch as it travels.
type sessionBatchWire struct {
	ID       string
	Sessions []session.Session
	Hits     *hitsWire
}

// hitsWire is a store.Batch without its function.
type hitsWire struct {
	Ingest   store.Ingest
	Replace  bool
	Result   *aggregate.Result
	Places   []store.Place
	Sensor   store.Sensor
	Patterns map[int]string // nil: the batch had no pattern function
}

func init() {
	readOps[opSessions] = readOp(store.Store.Sessions)
	readOps[opSamples] = readOp(store.Store.Samples)
}

// Sessions asks the owner.
func (cl *Client) Sessions(ctx context.Context, q store.SessionQuery) ([]session.Session, error) {
	return readCall[[]session.Session](ctx, cl, opSessions, q)
}

// Samples asks the owner.
func (cl *Client) Samples(ctx context.Context, q store.SampleQuery) ([]session.Sample, error) {
	return readCall[[]session.Sample](ctx, cl, opSamples, q)
}

// wireBatch is b as it travels: file contents left out.
func wireBatch(b store.SessionBatch) sessionBatchWire {
	w := sessionBatchWire{ID: b.ID, Sessions: make([]session.Session, len(b.Sessions))}
	for i, s := range b.Sessions {
		if len(s.Files) > 0 {
			files := make([]session.File, len(s.Files))
			for j, f := range s.Files {
				f.Content = nil
				files[j] = f
			}
			s.Files = files
		}
		w.Sessions[i] = s
	}
	if h := b.Hits; h != nil {
		hw := &hitsWire{Ingest: h.Ingest, Replace: h.Replace, Result: h.Result, Places: h.Places, Sensor: h.Sensor}
		if h.Pattern != nil {
			hw.Patterns = map[int]string{}
			if h.Result != nil {
				for _, e := range h.Result.Exploits {
					if _, ok := hw.Patterns[e.Pattern]; !ok {
						hw.Patterns[e.Pattern] = h.Pattern(e.Pattern)
					}
				}
			}
		}
		w.Hits = hw
	}
	return w
}

// batch is the store.SessionBatch w stands for.
func (w *sessionBatchWire) batch() store.SessionBatch {
	b := store.SessionBatch{ID: w.ID, Sessions: w.Sessions}
	if h := w.Hits; h != nil {
		b.Hits = &store.Batch{Ingest: h.Ingest, Replace: h.Replace, Result: h.Result, Places: h.Places, Sensor: h.Sensor}
		if h.Patterns != nil {
			names := h.Patterns
			b.Hits.Pattern = func(id int) string {
				if n, ok := names[id]; ok {
					return n
				}
				return fmt.Sprint(id)
			}
		}
	}
	return b
}

// CommitSessions sends b to the owner, which commits it in one
// transaction while it holds off other writers.
func (cl *Client) CommitSessions(ctx context.Context, b store.SessionBatch) error {
	if cl.readOnly {
		return errReadOnly
	}
	var buf bytes.Buffer
	if err := gobEncode(&buf, wireBatch(b)); err != nil {
		return fmt.Errorf("commit sessions %s: encode: %w", b.ID, err)
	}
	if buf.Len() > maxSessionBatch {
		return fmt.Errorf("commit sessions %s: batch of %d bytes exceeds the owner's limit of %d: commit fewer sessions at once", b.ID, buf.Len(), maxSessionBatch)
	}
	k, err := cl.open(ctx)
	if err != nil {
		return err
	}
	defer k.close()
	if err := k.c.writeMessage(&message{Op: opCommitSessions, Count: buf.Len()}); err != nil {
		return k.err(opCommitSessions, err)
	}
	for p := buf.Bytes(); len(p) > 0; {
		n := min(len(p), sessionPart)
		if err := k.c.writeBulk(p[:n]); err != nil {
			return k.err(opCommitSessions, err)
		}
		p = p[n:]
	}
	if err := k.c.flush(); err != nil {
		return k.err(opCommitSessions, err)
	}
	_, err = k.recv(opCommitSessions)
	return err
}

// commitSessions receives a batch (m announced its size) and commits it.
func (s *Server) commitSessions(ctx context.Context, c *conn, m *message, next func() (frame, bool)) {
	if m.Count < 0 || m.Count > maxSessionBatch {
		s.reply(c, &message{Op: opOK}, fmt.Errorf("commit sessions: batch of %d bytes (the limit is %d)", m.Count, maxSessionBatch))
		return
	}
	var buf bytes.Buffer
	buf.Grow(min(m.Count, sessionPart))
	for buf.Len() < m.Count {
		f, ok := next()
		if !ok {
			return
		}
		if f.kind != kindBulk || buf.Len()+len(f.payload) > m.Count {
			s.reply(c, &message{Op: opOK}, errors.New("commit sessions: the batch's bytes do not match its announced size"))
			return
		}
		buf.Write(f.payload)
	}
	w, err := decodeSessionBatch(buf.Bytes())
	if err != nil {
		s.reply(c, &message{Op: opOK}, err)
		return
	}
	buf = bytes.Buffer{}
	if err := s.acquireWrite(ctx); err != nil {
		s.reply(c, &message{Op: opOK}, err)
		return
	}
	b := w.batch()
	err = s.st.CommitSessions(ctx, b)
	s.releaseWrite()
	if err == nil && b.Hits != nil {
		s.committed(b.Hits.Ingest)
	}
	s.reply(c, &message{Op: opOK}, err)
}

// decodeSessionBatch decodes an encoded batch; gob recovers from its own
// panics, the recover keeps any other from reaching the owner.
func decodeSessionBatch(p []byte) (w *sessionBatchWire, err error) {
	defer func() {
		if r := recover(); r != nil {
			w, err = nil, fmt.Errorf("commit sessions: bad batch: %v", r)
		}
	}()
	w = new(sessionBatchWire)
	if err := gob.NewDecoder(bytes.NewReader(p)).Decode(w); err != nil {
		return nil, fmt.Errorf("commit sessions: bad batch: %w", err)
	}
	if h := w.Hits; h != nil && h.Result != nil {
		// The commit path checks places against sources; hits must name
		// sources that exist.
		n := uint32(len(h.Result.Sources))
		for _, x := range h.Result.Hits {
			if x.Source >= n {
				return nil, fmt.Errorf("commit sessions: hit of source %d of %d", x.Source, n)
			}
		}
		for _, x := range h.Result.Exploits {
			if x.Source >= n {
				return nil, fmt.Errorf("commit sessions: exploit hit of source %d of %d", x.Source, n)
			}
		}
	}
	return w, nil
}

// gobEncode encodes v into b.
func gobEncode(b *bytes.Buffer, v any) error { return gob.NewEncoder(b).Encode(v) }
