package synth

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/honeyscope/honeyscope/internal/cowrie"
	"github.com/honeyscope/honeyscope/internal/session"
)

// cowrieChunk is the number of events written through one cowrie.Writer:
// its queue holds them all, so none is dropped, and memory stays bounded.
const cowrieChunk = 4096

// WriteCowrie writes sessions as a Cowrie JSON log (one event per line),
// the way the honeypot's Cowrie writer logs them as they happen: for each
// session a connect, the client's version, its logins, commands, URLs,
// files and requests in time order, and the close, with the session's
// events in order of time across sessions. ingest reads the log back into
// the same sessions (file contents aside: a log holds their SHA-256 only).
func WriteCowrie(w io.Writer, ss []session.Session) error {
	evs := cowrieEvents(ss)
	nc := nopCloser{w}
	for len(evs) > 0 {
		n := min(len(evs), cowrieChunk)
		cw := cowrie.NewWriter(nc, cowrie.WriterConfig{Queue: n + 1, QueueBytes: 1 << 40})
		for _, e := range evs[:n] {
			cw.Event(e)
		}
		if err := cw.Close(); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		if d := cw.Dropped(); d > 0 {
			return fmt.Errorf("synth: cowrie log: %d lines dropped", d)
		}
		evs = evs[n:]
	}
	return nil
}

// WriteCowrieFile writes the log to path (created or truncated).
func WriteCowrieFile(path string, ss []session.Session) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	if err := WriteCowrie(f, ss); err != nil {
		f.Close()
		return fmt.Errorf("synth: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("synth: close %s: %w", path, err)
	}
	return nil
}

// nopCloser keeps cowrie.Writer.Close from closing w between chunks.
type nopCloser struct{ w io.Writer }

func (n nopCloser) Write(p []byte) (int, error) { return n.w.Write(p) }

// cowrieEvents returns the events of every session, ordered by time (a
// session's own events keep their order).
func cowrieEvents(ss []session.Session) []session.Event {
	type tev struct {
		e    session.Event
		sess int
		seq  int
	}
	var all []tev
	for i := range ss {
		s := &ss[i]
		h := *s
		h.Logins, h.Commands, h.Requests, h.URLs, h.Files, h.FirstBytes = nil, nil, nil, nil, nil, nil
		hdr := &h
		var evs []session.Event
		add := func(e session.Event) {
			e.Session = hdr
			evs = append(evs, e)
		}
		if s.Filtered {
			add(session.Event{Kind: session.EventFiltered, Time: s.Start})
		} else {
			add(session.Event{Kind: session.EventConnect, Time: s.Start})
		}
		if s.ClientVersion != "" || s.HASSH != "" || s.TelnetOptions != "" {
			add(session.Event{Kind: session.EventVersion, Time: s.Start})
		}
		if len(s.FirstBytes) > 0 {
			add(session.Event{Kind: session.EventInput, Time: s.Start, Data: s.FirstBytes})
		}
		// The session's steps, merged by time; at equal times a URL
		// follows the command or request that named it, and a file the
		// commands that wrote it.
		var steps []session.Event
		for j := range s.Logins {
			steps = append(steps, session.Event{Kind: session.EventLogin, Time: s.Logins[j].Time, Login: &s.Logins[j]})
		}
		for j := range s.Commands {
			steps = append(steps, session.Event{Kind: session.EventCommand, Time: s.Commands[j].Time, Command: &s.Commands[j]})
		}
		for j := range s.Requests {
			steps = append(steps, session.Event{Kind: session.EventRequest, Time: s.Requests[j].Time, Request: &s.Requests[j]})
		}
		for j := range s.URLs {
			steps = append(steps, session.Event{Kind: session.EventURL, Time: s.URLs[j].Time, URL: &s.URLs[j]})
		}
		for j := range s.Files {
			steps = append(steps, session.Event{Kind: session.EventFile, Time: s.Files[j].Time, File: &s.Files[j]})
		}
		rank := map[session.EventKind]int{session.EventLogin: 0, session.EventCommand: 1, session.EventRequest: 1, session.EventURL: 2, session.EventFile: 3}
		slices.SortStableFunc(steps, func(a, b session.Event) int {
			return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(rank[a.Kind], rank[b.Kind]))
		})
		for _, e := range steps {
			add(e)
		}
		end := s.End
		if end.IsZero() {
			end = s.Start
		}
		add(session.Event{Kind: session.EventClosed, Time: end})
		for k, e := range evs {
			all = append(all, tev{e, i, k})
		}
	}
	slices.SortStableFunc(all, func(a, b tev) int {
		return cmp.Or(a.e.Time.Compare(b.e.Time), cmp.Compare(a.sess, b.sess), cmp.Compare(a.seq, b.seq))
	})
	out := make([]session.Event, len(all))
	for i := range all {
		out[i] = all[i].e
	}
	return out
}
