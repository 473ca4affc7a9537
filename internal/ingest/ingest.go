// Package ingest runs the capture pipeline: read → decode → classify →
// aggregate → enrich → store, one goroutine per file (files in parallel, one
// core each), each file committed to the store in one transaction.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/ruleset"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/capture"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/pcaparchive"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// Config configures an ingest run.
type Config struct {
	DBPath     string
	Sensor     string         // sensor name; "" = derived from each file name (see SensorFromPath)
	SensorNets []netip.Prefix // the sensor's addresses; empty = every packet is inbound
	TimeZone   string         // zone of days for a new store ("" = the store's, UTC when new)
	Force      bool           // replace earlier ingests of the same content
	Workers    int            // files processed at once (default GOMAXPROCS)
	// Shards is the number of goroutines counting one file's packets, each
	// owning a share of the sources (default GOMAXPROCS / files at once).
	Shards int
	// PartSources and PartCells bound the memory of counting one file: when
	// a shard holds this many source-days or cell entries, what it counted so
	// far is written to the store as one part of the file's transaction and
	// counting starts afresh (defaults 512Ki and 4Mi per shard, roughly 45 MB
	// and 65 MB of tables). A file that needs parts holds the store's write
	// lock while it is read.
	PartSources, PartCells int
	// DayPartsMinSize: a file at least this large (in bytes on disk) is
	// written one day at a time while it is still being read: when its
	// packets move on to a new day, what was counted so far becomes a part
	// of the file's transaction, written by another goroutine while reading
	// goes on. Small files are written in one short transaction at the end.
	// Default 256 MiB; negative: never. (A file written in parts holds the
	// store's one write transaction while it is read, so other files wait
	// to commit: only large files are worth it.) A day ends a part only
	// once MinDayPartPackets packets were counted since the part began;
	// shorter days join the next part, so a file whose packets are spread
	// thinly over many days is written in as few parts as the same packets
	// on one day.
	DayPartsMinSize int64
	// dayPartMinPackets overrides MinDayPartPackets (tests).
	dayPartMinPackets uint64

	// Open opens the store the files are committed to, creating it (with
	// timeZone, "" for the store's own) when absent. Nil: the DuckDB file
	// at DBPath.
	Open func(ctx context.Context, timeZone string) (store.Store, error)

	// Locate geolocates a source address (nil: every country "??").
	Locate func(netip.Addr) store.Place
	// CountryDB and ASNDB describe the geolocation databases for the ingest log.
	CountryDB, ASNDB string
	// Exploits is the exploit matcher (nil: the built-in rule file,
	// ruleset.Builtin, for packets; for Cowrie logs the built-in pattern
	// set, classify.NewBuiltinExploits, which the honeypot's own sessions
	// are matched with too).
	Exploits classify.ExploitMatcher
	Version  string
	Log      *slog.Logger
	// Progress, when set, is called from several goroutines with the number of
	// compressed bytes and frames read since the previous call.
	Progress func(bytes, frames int64)
	// Status, when set, is told what a file is doing beyond reading
	// ("writing tokyo.pcap to the store").
	Status func(msg string)
	// RecountArchives counts live archives (files a live capture's
	// archive wrote, whose packets it counted as they arrived: see
	// pcaparchive.Marker) instead of skipping them. They are counted under
	// Sensor, which must then be given and differ from the sensor the
	// archive names: counted as that sensor again, every packet would be
	// counted twice. An archive is refused (FileResult.Err) otherwise.
	RecountArchives bool
	// SkipVerify skips the check, before anything is written, that every
	// block of the store reads back (see duckstore.Store.Verify): one scan
	// of the whole store per run.
	SkipVerify bool

	// RuleSet is the id of the stored rule set Exploits holds the rules
	// of (store.Ingest.RuleSet); 0 for the built-in rules alone.
	RuleSet int32
	// Evidence bounds the evidence kept of each capture (evidence.go);
	// NoEvidence keeps none.
	Evidence   evidence.Options
	NoEvidence bool
	// SrcPorts bounds the source-port histograms kept of each capture
	// (package srcports); NoSrcPorts keeps none.
	SrcPorts   srcports.Options
	NoSrcPorts bool

	commands classify.ExploitMatcher // Cowrie logs' matcher (see Exploits)
}

// MinDayPartPackets is the number of packets a part must hold before the
// end of a day ends it (see Config.DayPartsMinSize), so that the fixed
// cost of writing a part stays small beside that of counting its packets,
// however the file's packets spread over days.
const MinDayPartPackets = 1 << 16

// Phase is where a file was when the run was interrupted.
type Phase uint8

// The phases of FileResult.Interrupted.
const (
	NotInterrupted     Phase = iota
	InterruptedQueued        // before the file was opened
	InterruptedReading       // while it was read; nothing of it was written
	InterruptedWriting       // while it was written to the store (see FileResult.Committed, CommitUnknown)
)

// FamilyCounts counts packets by IP version.
type FamilyCounts struct{ IPv4, IPv6 uint64 }

// Total is IPv4 + IPv6.
func (c FamilyCounts) Total() uint64 { return c.IPv4 + c.IPv6 }

// FileResult is the outcome of one file.
type FileResult struct {
	Path      string
	Sensor    string
	Hash      string
	Skipped   bool   // same content already ingested (and not --force)
	Duplicate string // path recorded for the earlier ingest
	Replaced  bool   // an earlier ingest of the same content, or the file's own shorter version, was replaced (--force)
	// Grown: the store holds an earlier ingest of the same path whose
	// content is the start of this file's (it was still being written).
	// Without --force both are counted; with it the earlier one is replaced.
	Grown bool
	// Rewritten: the store holds an ingest of the same path with other
	// content that is not the start of this file's (another capture under
	// the same name). Both are counted, with or without --force.
	Rewritten bool
	Frames    uint64
	Packets   uint64
	// Undecodable counts the frames without a decodable IP packet (a link
	// type the decoder does not read, no IP inside, a broken IP header),
	// Undated among them included; NotDecoded names, of those, the frames
	// of link types the decoder does not read, by link type.
	Undecodable uint64
	NotDecoded  []LinkFrames
	// Undated counts the packets the file gives no usable time for (see
	// capture.Undated): they are not counted (and are in Undecodable).
	Undated   uint64
	Err       error // reading stopped early or the commit failed
	Committed bool
	Parts     int // parts the file was written in (1 unless it exceeded Config.PartSources/PartCells)
	Duration  time.Duration
	Classes   [classify.NumClasses]uint64 // packets per class
	// SensorNote is set when the sensor name was derived from the file name
	// and that part of the name had to be changed (see DeriveSensor).
	SensorNote string
	// ToSensor and NotToSensor count, when Config.SensorNets is set, the
	// decoded packets addressed to one of them (counted) and to other
	// addresses (not counted), by IP version: a list that matches nothing
	// of a file, or that names no network of one version, shows here.
	ToSensor, NotToSensor FamilyCounts
	// Interrupted says where the file was when ctx was cancelled. Err then
	// wraps context.Canceled unless the file was committed all the same.
	// For InterruptedWriting, Committed says whether the commit had in
	// fact completed, as the store told afterwards; CommitUnknown that it
	// could not be told.
	Interrupted   Phase
	CommitUnknown bool
	// Archive is set when the file is a live archive (pcaparchive.Marker):
	// its packets were counted by the live capture of Archive.Sensor.
	// Unless Config.RecountArchives it is skipped: Skipped is set,
	// Duplicate empty, and Archive.SkipReason() says why.
	Archive *pcaparchive.Info
	// Cowrie is set when the file was a Cowrie JSON log, ingested as
	// honeypot sessions (Frames then counts its events, Packets its
	// intrusions).
	Cowrie *CowrieResult
	// Evidence says what was kept of the payloads for rules backfill.
	Evidence EvidenceResult
	// SrcPorts says what was kept of the source-port histograms.
	SrcPorts SrcPortResult
}

// ErrDamaged is wrapped by Run's error when the store did not read back
// (duckstore.ErrCorrupt): nothing was written to it.
var ErrDamaged = errors.New("the store is damaged, nothing was written to it")

// verifier is a store that can check that it reads back (duckstore.Store).
type verifier interface {
	Verify(ctx context.Context) error
}

// damaged marks a verification error that found damage with ErrDamaged.
func damaged(err error) error {
	if errors.Is(err, duckstore.ErrCorrupt) {
		return fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	return err
}

// verifyFile verifies the DuckDB store at path, when there is one, opened
// read-only so that nothing of the file changes when it is refused. done
// is false when that open failed for another reason than damage (a store
// a writable open would first migrate, say): the store is then verified
// once opened for writing.
func verifyFile(ctx context.Context, path string) (done bool, err error) {
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return true, nil // a new store, or a path duckstore.Open refuses
	}
	st, err := duckstore.Open(ctx, path, duckstore.Options{ReadOnly: true})
	switch {
	case err != nil && duckstore.IsCorruption(err):
		return false, fmt.Errorf("%w: %w: %v", ErrDamaged, duckstore.ErrCorrupt, err)
	case err != nil:
		return false, nil
	}
	defer st.Close()
	return true, damaged(st.Verify(ctx))
}

// Run ingests the files. It returns one result per file; the error is
// non-nil only when the run could not start (e.g. the store cannot be
// opened, or is damaged: ErrDamaged).
func Run(ctx context.Context, cfg Config, files []string) ([]FileResult, error) {
	if cfg.Sensor != "" {
		if err := CheckSensor(cfg.Sensor); err != nil {
			return nil, err
		}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Exploits == nil {
		cfg.commands = classify.NewBuiltinExploits()
		a, err := ruleset.Builtin()
		if err != nil {
			return nil, err
		}
		cfg.Exploits = a
	} else {
		cfg.commands = cfg.Exploits
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	// Create the store (or check its time zone) up front, and learn which
	// contents it already holds, then let go of it while files are read.
	// The store is verified before anything is written: a damaged block
	// is otherwise found only by a later query (docs/store.md).
	verified := cfg.SkipVerify
	if cfg.Open == nil {
		path := cfg.DBPath
		if !verified {
			// Read-only: even opening a store for writing changes its file.
			var err error
			if verified, err = verifyFile(ctx, path); err != nil {
				return nil, err
			}
		}
		cfg.Open = func(ctx context.Context, tz string) (store.Store, error) {
			return duckstore.Open(ctx, path, duckstore.Options{TimeZone: tz})
		}
	}
	st, err := cfg.Open(ctx, cfg.TimeZone)
	if err != nil {
		return nil, err
	}
	loc := st.Location()
	sizes, err := st.KnownSizes(ctx)
	if v, ok := st.(verifier); ok && err == nil && !verified {
		err = damaged(v.Verify(ctx))
	}
	st.Close()
	if err != nil {
		return nil, err
	}
	known := knownSet{bySize: sizes, byPath: map[string][]store.KnownIngest{}}
	for _, ks := range sizes {
		for _, k := range ks {
			known.byPath[k.Path] = append(known.byPath[k.Path], k)
		}
	}

	if cfg.PartSources <= 0 {
		cfg.PartSources = 1 << 19
	}
	if cfg.PartCells <= 0 {
		cfg.PartCells = 4 << 20
	}
	if cfg.DayPartsMinSize == 0 {
		cfg.DayPartsMinSize = 256 << 20
	}
	if cfg.Shards <= 0 {
		cfg.Shards = max(1, runtime.GOMAXPROCS(0)/min(cfg.Workers, max(1, len(files))))
	}
	results := make([]FileResult, len(files))
	com := newCommitter(cfg.Open)
	defer com.close()

	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(cfg.Workers, len(files)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) || ctx.Err() != nil {
					return
				}
				results[i] = ingestFile(ctx, &cfg, loc, known, com, files[i])
			}
		}()
	}
	wg.Wait()
	for i := range results {
		if results[i].Path == "" {
			results[i] = FileResult{Path: files[i], Err: fmt.Errorf("%s: not read: %w", files[i], ctx.Err()), Interrupted: InterruptedQueued}
		}
	}
	return results, nil
}

// hashingReader hashes a file as it is read. It reads on the calling
// goroutine: XXH3 costs about 5 ns per packet, less than handing blocks
// from a reading goroutine over and copying them out again did (the
// SHA-256 that goroutine was for cost ten times as much).
type hashingReader struct {
	f    io.Reader
	h    io.Writer // nil: nothing to hash
	read atomic.Int64
	err  error
}

func newHashingReader(f io.Reader, h io.Writer) *hashingReader {
	return &hashingReader{f: f, h: h}
}

// Read implements io.Reader.
func (r *hashingReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.f.Read(p)
	if n > 0 {
		if r.h != nil {
			r.h.Write(p[:n])
		}
		r.read.Add(int64(n))
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

// drain reads the rest of the file so the hash covers all of it.
func (r *hashingReader) drain() {
	buf := make([]byte, 256<<10)
	for {
		if _, err := r.Read(buf); err != nil {
			return
		}
	}
}

// checkArchive looks for the live archive marker at the start of f and
// rewinds it. It reports whether the file is done with: skipped as a live
// archive, refused, or unreadable.
func checkArchive(cfg *Config, f *os.File, fi os.FileInfo, res *FileResult) (done bool) {
	info, ok, err := pcaparchive.Marker(f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		res.Err = fmt.Errorf("read %s: %w", res.Path, err)
		return true
	}
	if !ok {
		return false
	}
	res.Archive = &info
	switch {
	case !cfg.RecountArchives:
		// Nothing is counted: the sensor is the archive's, and a note on
		// a sensor name derived from the file name would say nothing.
		res.Skipped, res.Sensor, res.SensorNote = true, info.Sensor, ""
		if cfg.Progress != nil {
			cfg.Progress(fi.Size(), 0)
		}
		return true
	case cfg.Sensor == "":
		res.Err = fmt.Errorf("%s: %s: recounting it needs a sensor name other than %q", res.Path, info, info.Sensor)
		return true
	case cfg.Sensor == info.Sensor:
		res.Err = fmt.Errorf("%s: %s: recounting it as the same sensor would count its packets twice; name another sensor", res.Path, info)
		return true
	}
	return false
}

// knownSet is what the store held when the run started.
type knownSet struct {
	bySize map[int64][]store.KnownIngest
	byPath map[string][]store.KnownIngest // by absolute path
}

func ingestFile(ctx context.Context, cfg *Config, loc *time.Location, known knownSet, com *committer, path string) (res FileResult) {
	if isCowrie(path) {
		return ingestCowrie(ctx, cfg, loc, known, com, path)
	}
	start := time.Now()
	res.Path = path
	res.Sensor = cfg.Sensor
	if res.Sensor == "" {
		res.Sensor, res.SensorNote = DeriveSensor(path)
	}
	f, err := os.Open(path)
	if err != nil {
		res.Err = fmt.Errorf("open %s: %w", path, err)
		return res
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		res.Err = fmt.Errorf("stat %s: %w", path, err)
		return res
	}
	if fi.Mode().IsRegular() {
		if done := checkArchive(cfg, f, fi, &res); done {
			res.Duration = time.Since(start)
			return res
		}
	}
	// The ingest log keeps absolute paths, so that a file ingested again
	// from another directory is still recognised by its path.
	absPath, err := filepath.Abs(path)
	if err != nil {
		absPath = path
	}
	// Earlier ingests of this path that were shorter: if one's content is
	// the start of this file's, the file was still being written then.
	var supersedes []string
	var shorter []store.KnownIngest
	for _, k := range known.byPath[absPath] {
		if k.Size < fi.Size() {
			shorter = append(shorter, k)
		}
	}
	if len(shorter) > 0 {
		if ms, err := prefixMatches(path, shorter); err == nil {
			supersedes = ms
		}
	}
	// Only when a stored ingest has the same size is the content hashed
	// first, to skip duplicates without decoding them, with the scheme of
	// each such ingest (see identity.go): same holds those it matches.
	var same []string
	if ks := known.bySize[fi.Size()]; len(ks) > 0 {
		h, err := fileIDs(path, schemeXXH3|schemesOf(ks))
		if err != nil {
			res.Err = err
			return res
		}
		res.Hash = h.id(schemeXXH3)
		for _, k := range ks {
			if !h.matches(k.Hash) {
				continue
			}
			if !cfg.Force {
				res.Skipped, res.Duplicate = true, k.Path
				res.Duration = time.Since(start)
				if cfg.Progress != nil {
					cfg.Progress(fi.Size(), 0)
				}
				return res
			}
			same = append(same, k.Hash)
		}
	}

	var idh *idHash
	var hw io.Writer
	if res.Hash == "" {
		idh = newIDHash(schemeXXH3)
		hw = idh
	}
	hr := newHashingReader(f, hw)
	rd, err := capture.NewReader(hr, path)
	var (
		undec   uint64
		readErr error
		errOff  int64 = -1
		format  string
		frames  uint64
		outb    uint64
	)
	var (
		undated uint64
		links   linkTally
		// first and last are the times of the first and last counted
		// packets (any value is a time: counted says whether there is one).
		first, last int64
		counted     uint64
	)
	sink := &partSink{cfg: cfg, com: com, sensor: res.Sensor}
	var ev *evFeed
	if c := newEvidence(cfg, loc); c != nil {
		ev = newEvFeed(c)
	}
	sp := newSrcPorts(cfg, loc, cfg.Shards)
	spill := func(part *aggregate.Result) {
		sink.account(part)
		sink.spill(ctx, part)
	}
	cuts := newCutParts(cfg.Shards, spill)
	sh := newShards(loc, cfg.Shards, func(a *aggregate.Aggregator, cut uint64) {
		n, c := a.Size()
		switch {
		case cut > 0:
			// A day ended: the shards' parts of it are written as one.
			var part *aggregate.Result
			if n > 0 {
				part = a.Flush()
			}
			cuts.add(cut, part)
		case n >= cfg.PartSources || c >= cfg.PartCells:
			spill(a.Flush())
		}
	}, sp)
	// dayParts: cut the file into parts at day boundaries (see
	// Config.DayPartsMinSize); dayHi is the end of the current day.
	dayParts := cfg.DayPartsMinSize > 0 && fi.Size() >= cfg.DayPartsMinSize
	var (
		dayHi      int64  // end of the day of the last packet (Unix ns)
		dayStarted bool   // dayHi is set
		sinceCut   uint64 // packets counted since the last cut
	)
	minPart := uint64(MinDayPartPackets)
	if cfg.dayPartMinPackets > 0 {
		minPart = cfg.dayPartMinPackets
	}
	if err != nil {
		readErr = err
		errOff = 0
	} else {
		format = rd.Format()
		cls := classify.Classifier{Exploits: cfg.Exploits}
		nets := cfg.SensorNets
		var lastBytes int64
		var scratch decode.Packet
		for {
			data, ts, link, _, err := rd.Next()
			if err != nil {
				if err != io.EOF {
					readErr = err
					errOff = rd.Offset()
				}
				break
			}
			frames++
			if frames&0xffff == 0 {
				if ctx.Err() != nil {
					readErr = ctx.Err()
					break
				}
				if cfg.Progress != nil {
					b := hr.read.Load()
					cfg.Progress(b-lastBytes, 1<<16)
					lastBytes = b
				}
			}
			// Decode into scratch, then copy into the batch of the shard
			// that owns the source.
			p := &scratch
			if ts == capture.Undated {
				undated++
				undec++
				continue
			}
			if err := decode.Decode(link, data, p); err != nil {
				undec++
				if err == decode.ErrUnsupportedLink {
					links.add(link)
				}
				continue
			}
			if len(nets) > 0 {
				v6 := !p.Dst.Is4()
				if !InNets(nets, p.Dst) {
					outb++
					if v6 {
						res.NotToSensor.IPv6++
					} else {
						res.NotToSensor.IPv4++
					}
					continue
				}
				if v6 {
					res.ToSensor.IPv6++
				} else {
					res.ToSensor.IPv4++
				}
			}
			tags, pat := cls.Classify(p)
			if ev != nil {
				ev.add(ts, p)
			}
			if counted == 0 || ts < first {
				first = ts
			}
			if counted == 0 || ts > last {
				last = ts
			}
			counted++
			if dayParts && (!dayStarted || ts >= dayHi) {
				if dayStarted && sinceCut >= minPart {
					sh.cut()
					sinceCut = 0
				}
				dayStarted = true
				dayHi = nextDay(ts, loc)
			}
			sinceCut++
			sh.add(ts, p, tags, pat, counted, sp != nil && srcports.Scan(p))
		}
		if cfg.Progress != nil {
			cfg.Progress(hr.read.Load()-lastBytes, int64(frames&0xffff))
		}
	}
	if ev != nil && format != "" && !errors.Is(readErr, context.Canceled) {
		ev.end() // its result is built while the shards build theirs
	}
	r := sh.finish()
	sink.drain()
	if readErr == nil || !errors.Is(readErr, context.Canceled) {
		hr.drain()
	}
	if idh != nil {
		res.Hash = idh.id(schemeXXH3)
	}
	if errors.Is(readErr, context.Canceled) || format == "" {
		// Interrupted, or not a capture at all: nothing to record.
		sink.abort()
		if ev != nil {
			ev.stop()
		}
		res.Err = readErr
		if errors.Is(readErr, context.Canceled) {
			res.Err = fmt.Errorf("%s: interrupted while reading: %w", path, readErr)
			res.Interrupted = InterruptedReading
		}
		res.Duration = time.Since(start)
		return res
	}
	readDone := time.Now()
	sink.account(r)
	res.Frames, res.Packets, res.Classes = frames, sink.inbound, sink.classes
	res.Undecodable, res.Undated, res.NotDecoded = undec, undated, links.list
	for _, k := range known.byPath[absPath] {
		if k.Hash != res.Hash && !slices.Contains(supersedes, k.Hash) && !slices.Contains(same, k.Hash) {
			res.Rewritten = true
		}
	}
	res.Grown = len(supersedes) > 0
	// With --force, the same content recorded under another identity
	// scheme (by an earlier build) is replaced as well.
	replaces := slices.Clone(supersedes)
	for _, h := range same {
		if h != res.Hash {
			replaces = append(replaces, h)
		}
	}
	in := store.Ingest{
		Supersedes: replaces,
		Path:       absPath, Hash: res.Hash, Size: fi.Size(), Sensor: res.Sensor, Format: format,
		Frames: frames, Packets: sink.inbound, Outbound: outb, Undecodable: undec,
		ErrorOffset: errOff, CountryDB: cfg.CountryDB, ASNDB: cfg.ASNDB, Version: cfg.Version,
		Detection: classify.DetectionVersion(cfg.Exploits), RuleSet: cfg.RuleSet,
	}
	if counted > 0 {
		in.First, in.Last = time.Unix(0, first), time.Unix(0, last)
	}
	in.Undated, in.NotDecoded = undated, notDecodedText(links.list)
	if readErr != nil {
		in.Error = readErr.Error()
		res.Err = readErr
	}
	sensor := SensorOf(res.Sensor, cfg.SensorNets)
	var evPart *evidence.Part
	if ev != nil {
		evPart = finishEvidence(ev.finish(), &res)
	}
	spPart := finishSrcPorts(sp, &res)
	if cfg.Status != nil && fi.Size() >= 64<<20 {
		// Only large files take long enough to write to be worth a line.
		cfg.Status("writing " + filepath.Base(path) + " to the store")
	}
	var cerr error
	geoDone := readDone
	switch {
	case !sink.used:
		// The usual case: the whole file was counted in memory; write it in
		// one short transaction.
		places := locateAll(cfg, r)
		geoDone = time.Now()
		in.Duration = time.Since(start)
		cerr = com.commit(ctx, &store.Batch{
			Ingest: in, Replace: cfg.Force, Result: r, Places: places,
			Pattern: sink.pattern, Sensor: sensor, Evidence: evPart, SrcPorts: spPart,
		})
	case sink.err != nil && sink.tx == nil:
		// An earlier part could not be written (the store could not be
		// opened): committing the rest would record counts whose rows are
		// missing.
		cerr = sink.err
	default:
		sink.write(ctx, r)
		sink.writeEvidence(ctx, evPart)
		sink.writeSrcPorts(ctx, spPart)
		in.Duration = time.Since(start)
		cerr = sink.finish(ctx, in, cfg.Force, sensor)
	}
	res.Parts = sink.parts
	if !sink.used {
		res.Parts = 1
	}
	cfg.Log.Debug("ingested", "file", path, "read", readDone.Sub(start), "geo", geoDone.Sub(readDone),
		"commit", time.Since(geoDone), "parts", res.Parts, "appending parts", sink.writing, "sources", sink.sources, "cells", sink.cells)
	cerr = com.resolveInterrupted(ctx, &res, cerr, absPath, replaces, cfg.Force, known)
	switch {
	case errors.Is(cerr, store.ErrDuplicate):
		res.Skipped = true
	case cerr != nil:
		res.Err = errors.Join(res.Err, fmt.Errorf("%s: writing to the store: %w", path, cerr))
	default:
		res.Committed = true
		res.Replaced = cfg.Force && (len(same) > 0 || res.Grown)
	}
	res.Duration = time.Since(start)
	return res
}

// locateAll geolocates a result's sources, once per source-day (never per
// packet). Deduplicating addresses first with a map, or a cache in front of
// the lookup, measured slower than looking each source-day up (BENCHMARKS.md).
func locateAll(cfg *Config, r *aggregate.Result) []store.Place {
	places := make([]store.Place, len(r.Sources))
	for i := range r.Sources {
		if cfg.Locate != nil {
			places[i] = cfg.Locate(r.Sources[i].Addr)
		} else {
			places[i] = store.Place{Country: "??"}
		}
	}
	return places
}

// partSink totals a file's parts and, once a part must be written before the
// file ends, holds the file's store transaction.
type partSink struct {
	cfg    *Config
	com    *committer
	sensor string

	mu      sync.Mutex
	used    bool                   // a part was handed over: the file is written in parts
	queue   chan *aggregate.Result // parts waiting for the writer goroutine
	written chan struct{}          // closed when the writer has finished
	tx      store.Tx
	release func()
	err     error
	parts   int
	inbound uint64
	classes [classify.NumClasses]uint64
	sources int
	cells   int
	writing time.Duration // spent appending parts
}

func (s *partSink) pattern(id int) string { n, _ := s.cfg.Exploits.Pattern(id); return n }

// account adds a part's totals.
func (s *partSink) account(r *aggregate.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inbound += r.Inbound
	// Packets per class set first: a part has millions of cells, and at
	// most 256 class sets.
	var perTags [256]uint64
	for i := range r.Hits {
		perTags[uint8(r.Hits[i].Tags)] += r.Hits[i].Packets
	}
	for t, n := range perTags {
		for c := classify.Class(0); n > 0 && c < classify.NumClasses; c++ {
			if classify.Tags(t).Has(c) {
				s.classes[c] += n
			}
		}
	}
	s.sources += len(r.Sources)
	s.cells += len(r.Hits)
}

// spill hands a part (already accounted) to the sink's writer goroutine,
// which geolocates it and appends it to the file's transaction while the
// file is still being read. Called from shard goroutines; a full queue
// holds the caller back, so at most one part waits besides the one being
// written.
func (s *partSink) spill(ctx context.Context, r *aggregate.Result) {
	s.mu.Lock()
	if s.queue == nil {
		s.queue = make(chan *aggregate.Result, 1)
		s.written = make(chan struct{})
		go func(q <-chan *aggregate.Result, done chan<- struct{}) {
			defer close(done)
			for r := range q {
				s.write(ctx, r)
			}
		}(s.queue, s.written)
	}
	s.used = true
	q := s.queue
	s.mu.Unlock()
	q <- r
}

// drain waits until every part handed to spill has been written. No spill
// may run concurrently with it.
func (s *partSink) drain() {
	s.mu.Lock()
	q, done := s.queue, s.written
	s.queue = nil
	s.mu.Unlock()
	if q != nil {
		close(q)
		<-done
	}
}

// write appends a part to the file's transaction, beginning it if needed;
// the first error is kept for finish.
func (s *partSink) write(ctx context.Context, r *aggregate.Result) {
	places := locateAll(s.cfg, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	if s.tx == nil {
		tx, release, err := s.com.begin(ctx)
		if err != nil {
			s.err = err
			return
		}
		s.tx, s.release = tx, release
	}
	s.parts++
	t0 := time.Now()
	if err := s.tx.Append(ctx, r, places, s.sensor, s.pattern); err != nil {
		s.err = err
	}
	s.writing += time.Since(t0)
}

func (s *partSink) finish(ctx context.Context, in store.Ingest, replace bool, sensor store.Sensor) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.release()
	if s.err != nil {
		s.tx.Abort()
		return s.err
	}
	return s.tx.Finish(ctx, in, replace, sensor)
}

func (s *partSink) abort() {
	s.drain()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tx != nil {
		s.tx.Abort()
		s.release()
		s.tx = nil
	}
}

// InNets reports whether a is in one of nets (the sensor-net check of
// every counted packet, files and live capture alike).
func InNets(nets []netip.Prefix, a netip.Addr) bool {
	for _, n := range nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// SensorOf is the sensor row of a sensor monitoring nets.
func SensorOf(name string, nets []netip.Prefix) store.Sensor {
	return store.Sensor{Name: name, Nets: netsString(nets), Addresses: netsSize(nets)}
}

func netsString(nets []netip.Prefix) string {
	s := make([]string, len(nets))
	for i, n := range nets {
		s[i] = n.String()
	}
	return strings.Join(s, ",")
}

func netsSize(nets []netip.Prefix) float64 {
	var n float64
	for _, p := range nets {
		n += float64(uint64(1) << min(63, p.Addr().BitLen()-p.Bits()))
	}
	return n
}

// ParseNets parses a comma-separated CIDR list (plain addresses are /32 or /128).
func ParseNets(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range list {
		for _, s := range strings.Split(item, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if !strings.Contains(s, "/") {
				a, err := netip.ParseAddr(s)
				if err != nil {
					return nil, fmt.Errorf("--sensor-net %q: not an address or CIDR", s)
				}
				out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
				continue
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("--sensor-net %q: %v", s, err)
			}
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

// committer shares one store handle among a run's files and holds it only
// while a commit or a file's transaction is in progress, so other processes
// can open the store between captures.
//
// Writes are serialised: a file written in parts holds its transaction
// from its first part to its end, and no other file's transaction runs
// meanwhile. DuckDB transactions see the store as it was when they began,
// so two files' transactions open at once could not see each other's
// ingest when checking for duplicates (the same content would count twice)
// and would conflict on the rows both change (the sensors table, earlier
// ingests replaced with --force). Other files go on being read meanwhile;
// a file that needs the store waits.
type committer struct {
	mu    sync.Mutex
	open  func(ctx context.Context, timeZone string) (store.Store, error)
	st    store.Store
	users int
	txMu  sync.Mutex // held by the one transaction in progress
}

func newCommitter(open func(context.Context, string) (store.Store, error)) *committer {
	return &committer{open: open}
}

func (c *committer) acquire(ctx context.Context) (store.Store, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		st, err := c.open(ctx, "")
		if err != nil {
			return nil, err
		}
		c.st = st
	}
	c.users++
	return c.st, nil
}

func (c *committer) releaseStore() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.users--
	if c.users == 0 && c.st != nil {
		c.st.Close()
		c.st = nil
	}
}

func (c *committer) commit(ctx context.Context, b *store.Batch) error {
	c.txMu.Lock()
	defer c.txMu.Unlock()
	st, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.releaseStore()
	_, err = st.Commit(ctx, b)
	return err
}

// begin starts a file's transaction for writing it in parts; release must
// be called when the transaction has finished or been aborted.
func (c *committer) begin(ctx context.Context) (store.Tx, func(), error) {
	c.txMu.Lock()
	st, err := c.acquire(ctx)
	if err != nil {
		c.txMu.Unlock()
		return nil, nil, err
	}
	tx, err := st.Begin(ctx)
	if err != nil {
		c.releaseStore()
		c.txMu.Unlock()
		return nil, nil, err
	}
	return tx, func() {
		c.releaseStore()
		c.txMu.Unlock()
	}, nil
}

type commitOutcome uint8

const (
	commitNotDone commitOutcome = iota
	commitDone
	commitUnknown
)

// landed tells, after a commit of (path, hash) returned an error because
// ctx was cancelled, whether it had completed all the same, from what the
// store holds now compared with what it held when the run started
// (known). It opens the store with a context of its own, bounded in time.
//
// Without force no ingest of this path and content was in the store (the
// file would have been skipped): one is there now exactly when the commit
// completed. With force the commit replaces every ingest of the same
// content and of the file's shorter versions (supersedes) by one of this
// path: a change in those tells, except when the one there before was of
// this path and content already. The store then holds the same either way,
// and the outcome is commitUnknown (as it is when another process wrote).
func (c *committer) landed(ctx context.Context, path, hash string, supersedes []string, force bool, known knownSet) (commitOutcome, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	c.txMu.Lock()
	defer c.txMu.Unlock()
	st, err := c.acquire(ctx)
	if err != nil {
		return commitUnknown, err
	}
	defer c.releaseStore()
	now, err := st.KnownSizes(ctx)
	if err != nil {
		return commitUnknown, err
	}
	// count returns the ingests of this path and content, and all those a
	// forced commit replaces.
	count := func(sizes map[int64][]store.KnownIngest) (same, all int) {
		for _, ks := range sizes {
			for _, k := range ks {
				if k.Hash == hash && k.Path == path {
					same++
				}
				if k.Hash == hash || slices.Contains(supersedes, k.Hash) {
					all++
				}
			}
		}
		return same, all
	}
	bs, ba := count(known.bySize)
	as, aa := count(now)
	switch {
	case !force && as > bs:
		return commitDone, nil
	case !force && as == bs:
		return commitNotDone, nil
	case !force:
		return commitUnknown, nil
	case bs == 1 && ba == 1:
		return commitUnknown, nil
	case as == 1 && aa == 1:
		return commitDone, nil
	case as == bs && aa == ba:
		return commitNotDone, nil
	}
	return commitUnknown, nil
}

func (c *committer) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st != nil {
		c.st.Close()
		c.st = nil
	}
}

// shards counts a file's packets on several goroutines, each owning the
// sources that aggregate.Shard assigns it; the reading goroutine only
// decodes, classifies and hands over batches.
type shards struct {
	n    int
	aggs []*aggregate.Aggregator
	res  []*aggregate.Result
	cur  []*aggregate.Batch
	in   []chan shardMsg
	free []chan *aggregate.Batch
	wg   sync.WaitGroup
	cuts uint64 // cuts asked for so far
}

// cutParts gathers the parts the shards pass on at one cut into one part of
// the file: a day is then one part, whatever the number of shards, and the
// store's fixed work per part and day (its rollups) is done once per day.
// Shards own disjoint sources, so their parts merge without adding up
// rows.
type cutParts struct {
	mu      sync.Mutex
	n       int                            // shards
	got     map[uint64]int                 // shards that reached each cut
	pending map[uint64][]*aggregate.Result // their non-empty parts
	done    func(*aggregate.Result)        // called with each cut's part, when not empty
}

func newCutParts(shards int, done func(*aggregate.Result)) *cutParts {
	return &cutParts{n: shards, got: map[uint64]int{}, pending: map[uint64][]*aggregate.Result{}, done: done}
}

// add takes one shard's part of cut (nil when it counted nothing since its
// last part); the last shard to reach the cut passes the merged part on.
func (c *cutParts) add(cut uint64, part *aggregate.Result) {
	c.mu.Lock()
	if part != nil {
		c.pending[cut] = append(c.pending[cut], part)
	}
	c.got[cut]++
	if c.got[cut] < c.n {
		c.mu.Unlock()
		return
	}
	parts := c.pending[cut]
	delete(c.pending, cut)
	delete(c.got, cut)
	c.mu.Unlock()
	if len(parts) > 0 {
		c.done(aggregate.Merge(parts))
	}
}

// shardMsg hands a batch to a shard; a cut (numbered from 1) asks it to
// pass on what it has counted so far once the batch is counted (a day
// ended).
type shardMsg struct {
	b   *aggregate.Batch
	cut uint64
}

// newShards starts n counting goroutines; after runs on a shard's goroutine
// after each batch, with the cut's number when the reader asked for a cut
// (0 otherwise).
//
// ports, when not nil, holds each shard's source-port collector, given
// the scan packets of each batch once it is counted.
func newShards(loc *time.Location, n int, after func(a *aggregate.Aggregator, cut uint64), ports []*shardPorts) *shards {
	s := &shards{n: n, res: make([]*aggregate.Result, n)}
	for i := 0; i < n; i++ {
		a := aggregate.New(loc)
		in := make(chan shardMsg, 8)
		free := make(chan *aggregate.Batch, 10)
		for j := 0; j < 9; j++ {
			free <- new(aggregate.Batch)
		}
		s.aggs = append(s.aggs, a)
		s.in = append(s.in, in)
		s.free = append(s.free, free)
		s.cur = append(s.cur, new(aggregate.Batch))
		var sp *shardPorts
		if ports != nil {
			sp = ports[i]
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for m := range in {
				n := m.b.N
				a.AddBatch(m.b)
				if sp != nil {
					sp.addBatch(m.b, n, a)
				}
				free <- m.b
				after(a, m.cut)
			}
			s.res[i] = a.Result() // shards finish in parallel too
		}()
	}
	return s
}

// add hands a packet over to the shard that owns its source: seq is its
// position among the file's counted packets, scan whether the source-port
// collectors count it (aggregate.Rec.Scan).
func (s *shards) add(ts int64, p *decode.Packet, tags classify.Tags, pat int, seq uint64, scan bool) {
	i := aggregate.ShardOf(p.Src, s.n)
	b := s.cur[i]
	r := &b.Recs[b.N] // filled in place: no copy of the record
	r.Set(ts, p, tags, pat)
	r.Scan = scan
	b.Seq[b.N] = seq
	if b.N++; b.N == aggregate.BatchSize {
		s.in[i] <- shardMsg{b: b}
		s.cur[i] = <-s.free[i]
	}
}

// cut hands every shard its current batch, however full, with a request to
// pass on what it has counted: everything read so far goes into that part.
func (s *shards) cut() {
	s.cuts++
	for i := range s.in {
		s.in[i] <- shardMsg{b: s.cur[i], cut: s.cuts}
		s.cur[i] = <-s.free[i]
	}
}

// nextDay returns the start of the day after the one holding ts (Unix
// nanoseconds), in loc: exact over the whole int64 range, and
// math.MaxInt64 when that day starts after the last instant an int64 holds
// (2262-04-11), which no later packet can reach.
func nextDay(ts int64, loc *time.Location) int64 {
	t := civil.FromTime(time.Unix(0, ts), loc).AddDays(1).Start(loc)
	if t.After(maxNanoTime) {
		return math.MaxInt64
	}
	return t.UnixNano()
}

// maxNanoTime is the last instant int64 Unix nanoseconds hold.
var maxNanoTime = time.Unix(0, math.MaxInt64)

// finish counts what is left, stops the goroutines and merges their results.
func (s *shards) finish() *aggregate.Result {
	for i := range s.in {
		if s.cur[i].N > 0 {
			s.in[i] <- shardMsg{b: s.cur[i]}
		}
		close(s.in[i])
	}
	s.wg.Wait()
	return aggregate.Merge(s.res)
}

// resolveInterrupted settles a commit error that came with an interruption
// (ctx done while writing). The error says the write was cut short, not
// whether the commit had completed first (DuckDB may report an
// interruption of the work that follows a commit): the store says what
// happened. It returns the error that stands (nil when the commit landed)
// and marks res interrupted and, when the store could not tell, unknown.
func (com *committer) resolveInterrupted(ctx context.Context, res *FileResult, cerr error, absPath string, supersedes []string, force bool, known knownSet) error {
	if cerr == nil || errors.Is(cerr, store.ErrDuplicate) || ctx.Err() == nil {
		return cerr
	}
	res.Interrupted = InterruptedWriting
	landed, err := com.landed(ctx, absPath, res.Hash, supersedes, force, known)
	switch {
	case err != nil:
		res.CommitUnknown = true
		return fmt.Errorf("interrupted; whether the commit completed could not be checked: %w", err)
	case landed == commitUnknown:
		res.CommitUnknown = true
		return fmt.Errorf("interrupted: %w", ctx.Err())
	case landed == commitDone:
		return nil
	}
	return fmt.Errorf("interrupted, the commit did not complete: %w", ctx.Err())
}
