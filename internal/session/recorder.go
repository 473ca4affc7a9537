package session

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// NewID returns a fresh random session id (16 hex digits).
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Recorder keeps one session's record as it grows. Its methods are safe for
// concurrent use (the front end writes, the committer snapshots).
type Recorder struct {
	hub    *Hub
	limits Limits
	sink   Sink
	now    func() time.Time

	mu      sync.Mutex
	s       Session
	dirty   bool // changed since the last snapshot
	closed  bool
	fsBytes int64
}

// Limits returns the recorder's limits.
func (r *Recorder) Limits() Limits { return r.limits }

// Header returns a copy of the session's header fields (no lists).
func (r *Recorder) Header() Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.header()
}

func (r *Recorder) header() Session {
	h := r.s
	h.Logins, h.Commands, h.Requests, h.URLs, h.Files, h.FirstBytes = nil, nil, nil, nil, nil, nil
	return h
}

func (r *Recorder) emit(e Event) {
	if r.sink == nil {
		return
	}
	h := r.header()
	e.Session = &h
	if e.Time.IsZero() {
		e.Time = r.now()
	}
	r.sink.Event(e)
}

// Update changes header fields (fingerprints, architecture, country) under
// the recorder's lock. kind, when not empty, is emitted as an event after.
func (r *Recorder) Update(kind EventKind, f func(s *Session)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.s)
	r.dirty = true
	if kind != "" {
		r.emit(Event{Kind: kind})
	}
}

// AddBytes counts bytes read from and written to the client. It reports
// false once the session's byte limit is passed.
func (r *Recorder) AddBytes(in, out int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.BytesIn += in
	r.s.BytesOut += out
	r.dirty = true
	return r.limits.Bytes <= 0 || r.s.BytesIn <= r.limits.Bytes
}

// FirstBytes keeps up to Limits.FirstBytes of the client's first input and
// emits an EventInput with what was kept of data.
func (r *Recorder) FirstBytes(data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	room := r.limits.FirstBytes - len(r.s.FirstBytes)
	if room <= 0 || len(data) == 0 {
		return
	}
	data = data[:min(room, len(data))]
	r.s.FirstBytes = append(r.s.FirstBytes, data...)
	r.dirty = true
	r.emit(Event{Kind: EventInput, Data: append([]byte(nil), data...)})
}

// Login records an attempt; a success sets the session's credentials.
func (r *Recorder) Login(l Login) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l.Time.IsZero() {
		l.Time = r.now()
	}
	if l.Success {
		r.s.LoggedIn, r.s.Username, r.s.Password = true, l.Username, l.Password
	}
	r.dirty = true
	if len(r.s.Logins) >= r.limits.Logins {
		r.s.Truncated++
	} else {
		r.s.Logins = append(r.s.Logins, l)
	}
	r.emit(Event{Kind: EventLogin, Time: l.Time, Login: &l})
}

// Command records a command; it reports false when the session has reached
// its command limit (the caller ends the session with reason "commands").
func (r *Recorder) Command(c Command) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.Time.IsZero() {
		c.Time = r.now()
	}
	if r.limits.Line > 0 && len(c.Input) > r.limits.Line {
		c.Input = c.Input[:r.limits.Line]
	}
	if len(r.s.Commands) >= r.limits.Commands {
		r.s.Truncated++
		return false
	}
	r.s.Commands = append(r.s.Commands, c)
	r.dirty = true
	r.emit(Event{Kind: EventCommand, Time: c.Time, Command: &c})
	return true
}

// Request records an HTTP request; false when the request limit is reached.
func (r *Recorder) Request(q Request) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if q.Time.IsZero() {
		q.Time = r.now()
	}
	if len(r.s.Requests) >= r.limits.Requests {
		r.s.Truncated++
		return false
	}
	if r.limits.Body > 0 && len(q.Body) > r.limits.Body {
		q.Body = q.Body[:r.limits.Body]
	}
	if r.limits.Headers > 0 && len(q.Headers) > r.limits.Headers {
		q.Headers = q.Headers[:r.limits.Headers]
	}
	r.s.Requests = append(r.s.Requests, q)
	r.dirty = true
	r.emit(Event{Kind: EventRequest, Time: q.Time, Request: &q})
	return true
}

// URL records a URL seen in the session.
func (r *Recorder) URL(u URL) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u.Time.IsZero() {
		u.Time = r.now()
	}
	if len(r.s.URLs) >= r.limits.URLs {
		r.s.Truncated++
		return
	}
	r.s.URLs = append(r.s.URLs, u)
	r.dirty = true
	r.emit(Event{Kind: EventURL, Time: u.Time, URL: &u})
}

// File records a file the attacker created, computing its SHA-256 and type
// from content. A file at a path already recorded replaces that record (an
// upload written in chunks is one file). Content is kept for the sample
// store only when the file is a sample (ELF or script).
func (r *Recorder) File(path, via string, content []byte) {
	sum := sha256.Sum256(content)
	typ := FileType(content)
	f := File{Path: path, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), Type: typ, Via: via, Sample: IsSample(typ)}
	if f.Sample {
		f.Content = append([]byte(nil), content...)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f.Time = r.now()
	r.dirty = true
	if path != "" {
		for i := range r.s.Files {
			// The same path is the same file while its content grows
			// (an upload written in chunks) or while it held no sample; a
			// sample replaced by other content (a second architecture's
			// binary written to the same name) is kept as its own record.
			if r.s.Files[i].Path == path && !(r.s.Files[i].Sample && !bytes.HasPrefix(content, r.s.Files[i].Content)) {
				if r.s.Files[i].Via != via && r.s.Files[i].Via != "" {
					f.Via = r.s.Files[i].Via // how it first arrived
				}
				r.s.Files[i] = f
				r.emit(Event{Kind: EventFile, Time: f.Time, File: &f})
				return
			}
		}
	}
	if len(r.s.Files) >= r.limits.Files {
		r.s.Truncated++
		return
	}
	r.s.Files = append(r.s.Files, f)
	r.emit(Event{Kind: EventFile, Time: f.Time, File: &f})
}

// Close ends the session with reason (first call wins) and hands it to the
// hub as finished.
func (r *Recorder) Close(reason string) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.s.End = r.now()
	r.s.EndReason = reason
	r.dirty = true
	r.emit(Event{Kind: EventClosed, Time: r.s.End})
	r.mu.Unlock()
	if r.hub != nil {
		r.hub.finish(r)
	}
}

// Snapshot returns a deep copy of the session as it is now.
func (r *Recorder) Snapshot() Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.snapshot()
}

func (r *Recorder) snapshot() Session {
	s := r.s
	s.FirstBytes = append([]byte(nil), r.s.FirstBytes...)
	s.Logins = append([]Login(nil), r.s.Logins...)
	s.Commands = append([]Command(nil), r.s.Commands...)
	s.Requests = append([]Request(nil), r.s.Requests...)
	s.URLs = append([]URL(nil), r.s.URLs...)
	s.Files = append([]File(nil), r.s.Files...)
	r.dirty = false
	return s
}
