package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/cowrie"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// FormatCowrie is the ingest log's format of a Cowrie JSON log.
const FormatCowrie = "cowrie"

// CowrieResult is what a Cowrie JSON log held.
type CowrieResult struct {
	Events     int64
	Sessions   int
	LoggedIn   int // sessions with a successful login
	Intrusions int // of them, sessions that ran at least one command
	Commands   int
	URLs       int
	Files      int
	Sources    int
	Sensor     string
	// BadLines counts lines that were not events; BadErrors holds the
	// first of them, each naming file:line.
	BadLines  int64
	BadErrors []error
	Ignored   int64 // events of kinds that add nothing to a session
}

// isCowrie reports whether the file is a Cowrie JSON log (see cowrie.Detect).
func isCowrie(path string) bool { return cowrie.DetectFile(path) }

// ingestCowrie ingests a Cowrie JSON log as sessions: it reads the file's
// sessions, counts its intrusions (class intrusion, one per intrusion
// session per day × source × port) and commits both in one SessionBatch.
// The same content ingested before is skipped, as for captures.
func ingestCowrie(ctx context.Context, cfg *Config, loc *time.Location, known knownSet, com *committer, path string) (res FileResult) {
	start := time.Now()
	res.Path = path
	fi, err := os.Stat(path)
	if err != nil {
		res.Err = fmt.Errorf("stat %s: %w", path, err)
		return res
	}
	absPath, err := filepath.Abs(path)
	if err != nil {
		absPath = path
	}
	hexSum, err := hashHex(path)
	if err != nil {
		res.Err = err
		return res
	}
	res.Hash = "sha256:" + hexSum
	for _, k := range known.bySize[fi.Size()] {
		if k.Hash == res.Hash && !cfg.Force {
			res.Skipped, res.Duplicate = true, k.Path
			res.Sensor = cfg.Sensor
			res.Duration = time.Since(start)
			return res
		}
	}
	ss, st, readErr := cowrie.ReadFile(path, cowrie.ReadOptions{})
	if cfg.Progress != nil {
		cfg.Progress(fi.Size(), st.Events)
	}
	if ctx.Err() != nil {
		res.Err = fmt.Errorf("%s: interrupted while reading: %w", path, ctx.Err())
		res.Interrupted = InterruptedReading
		return res
	}
	sensor, note, err := cowrieSensor(cfg.Sensor, path, ss)
	res.Sensor, res.SensorNote = sensor, note
	if err != nil {
		res.Err = fmt.Errorf("%s: %w", path, err)
		return res
	}
	for i := range ss {
		ss[i].Sensor = sensor
		// The session's source placed as the packet path places sources
		// (a country the log names itself is kept).
		if ss[i].Country == "" && cfg.Locate != nil && ss[i].Src.IsValid() {
			ss[i].Country = cfg.Locate(ss[i].Src).Country
		}
	}
	matchPatterns(cfg.commands, ss)
	cr := &CowrieResult{Events: st.Events, Sessions: len(ss), Sources: st.Sources, Sensor: sensor, BadLines: st.Bad, BadErrors: st.Errors, Ignored: st.Ignored}
	for i := range ss {
		s := &ss[i]
		if s.LoggedIn {
			cr.LoggedIn++
		}
		if s.Intrusion() {
			cr.Intrusions++
		}
		cr.Commands += len(s.Commands)
		cr.URLs += len(s.URLs)
		cr.Files += len(s.Files)
	}
	res.Cowrie = cr

	r := aggregate.Intrusions(ss, loc)
	r.Packets = uint64(st.Events)
	places := locateAll(cfg, r)
	in := store.Ingest{
		Path: absPath, Hash: res.Hash, Size: fi.Size(), Sensor: sensor, Format: FormatCowrie,
		Frames: uint64(st.Events), Packets: r.Inbound, Undecodable: uint64(st.Bad),
		First: st.First, Last: st.Last, ErrorOffset: -1,
		CountryDB: cfg.CountryDB, ASNDB: cfg.ASNDB, Version: cfg.Version,
		Detection: classify.DetectionVersion(cfg.commands), RuleSet: cfg.RuleSet,
	}
	var problems []string
	if st.Bad > 0 {
		problems = append(problems, fmt.Sprintf("%d bad lines (first: %v)", st.Bad, st.Errors[0]))
	}
	if readErr != nil {
		problems = append(problems, readErr.Error())
		res.Err = readErr
	}
	in.Error = strings.Join(problems, "; ")
	in.Duration = time.Since(start)
	res.Frames, res.Packets = uint64(st.Events), r.Inbound
	res.Classes[classify.Intrusion] = r.Inbound
	batch := store.SessionBatch{
		ID:       "cowrie:" + hexSum,
		Sessions: ss,
		Hits: &store.Batch{
			Ingest: in, Replace: cfg.Force, Result: r, Places: places,
			Sensor: store.Sensor{Name: sensor},
		},
	}
	cerr := com.commitSessions(ctx, batch)
	cerr = com.resolveInterrupted(ctx, &res, cerr, absPath, nil, cfg.Force, known)
	switch {
	case errors.Is(cerr, store.ErrDuplicate):
		res.Skipped = true
	case cerr != nil:
		res.Err = errors.Join(res.Err, fmt.Errorf("%s: writing to the store: %w", path, cerr))
	default:
		res.Committed = true
		res.Parts = 1
		res.Replaced = cfg.Force && slices.ContainsFunc(known.bySize[fi.Size()], func(k store.KnownIngest) bool { return k.Hash == res.Hash })
	}
	res.Duration = time.Since(start)
	return res
}

// cowrieSensor decides a Cowrie log's sensor: the one given, else the
// sessions' "sensor" field when they agree on one, else a name derived
// from the file name. Sessions of several sensors in one file are refused
// (a file is one ingest of one sensor).
func cowrieSensor(given, path string, ss []session.Session) (name, note string, err error) {
	if given != "" {
		return given, "", nil
	}
	var names []string
	for i := range ss {
		if n := ss[i].Sensor; n != "" && !slices.Contains(names, n) {
			names = append(names, n)
			if len(names) > 5 {
				break
			}
		}
	}
	switch len(names) {
	case 0:
		name, note = DeriveSensor(path)
		return name, note, nil
	case 1:
		if err := CheckSensor(names[0]); err != nil {
			return "", "", fmt.Errorf("the log's sensor field: %w; give --sensor", err)
		}
		return names[0], "", nil
	}
	return "", "", fmt.Errorf("the log holds sessions of several sensors (%s): ingest it with --sensor, or split it by sensor",
		strings.Join(names, ", "))
}

// matchPatterns sets the exploit patterns of commands and requests that
// have none (a Cowrie log carries none) with the ingest's matcher.
func matchPatterns(m classify.ExploitMatcher, ss []session.Session) {
	if m == nil {
		return
	}
	for i := range ss {
		for j := range ss[i].Commands {
			c := &ss[i].Commands[j]
			if len(c.Patterns) == 0 {
				if id := m.Match([]byte(c.Input)); id >= 0 {
					if n, _ := m.Pattern(id); n != "" {
						c.Patterns = []string{n}
					}
				}
			}
		}
		for j := range ss[i].Requests {
			q := &ss[i].Requests[j]
			if len(q.Patterns) == 0 {
				payload := q.Method + " " + q.Path + " " + q.Version + "\r\n" + q.Headers + "\r\n\r\n" + string(q.Body)
				if id := m.Match([]byte(payload)); id >= 0 {
					if n, _ := m.Pattern(id); n != "" {
						q.Patterns = []string{n}
					}
				}
			}
		}
	}
}

// hashHex returns the SHA-256 of a file's bytes, in hex.
func hashHex(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// commitSessions writes a session batch through the shared store handle,
// serialised with the captures' commits.
func (c *committer) commitSessions(ctx context.Context, b store.SessionBatch) error {
	c.txMu.Lock()
	defer c.txMu.Unlock()
	st, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.releaseStore()
	return st.CommitSessions(ctx, b)
}
