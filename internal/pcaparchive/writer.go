// Package pcaparchive writes the raw archive of a live capture: rotating
// pcapng files, gzip-compressed, each renamed into place only when it is
// complete, with retention by age and total size.
//
// # Files
//
// A file is written as NAME.pcapng.gz.part and renamed to NAME.pcapng.gz
// once it is complete: the pcapng blocks flushed, the gzip stream closed,
// the file synced; the directory is synced after the rename. A file under
// its final name is therefore always a whole gzip stream of whole pcapng
// blocks. Names sort by time:
//
//	PREFIX-YYYYMMDDTHHMMSSZ-SEQ.pcapng.gz
//
// where the time (UTC) is that of the file's first packet and SEQ (four
// digits or more) tells apart files begun in the same second. A file is
// created only when a packet arrives: an idle interface leaves no empty
// files.
//
// A file is completed (rotated) when its compressed size reaches
// Config.MaxFileBytes, when a packet arrives Config.MaxFileAge or more
// after the file's first one, or at the first packet of a new day in
// Config.Location; Tick completes an idle file whose time is up.
//
// # Crashes
//
// A process killed while writing leaves its current file as a .part file.
// Such leftovers are never renamed to a final name and never deleted by
// retention: Leftovers lists them so that the operator can be told. Their
// beginning reads as pcapng (the header blocks are flushed when the file is
// created, the rest as far as gzip had written it); `gzip -dc` recovers
// what can be read. They are marked as live archives like complete files,
// so ingest skips one in the same way (see Marker).
//
// # Marker
//
// Every file's Section Header Block says it is a honeyscope live archive:
// shb_userappl is "honeyscope VERSION" and shb_comment is
//
//	honeyscope-live-archive sensor=NAME interface=IF
//
// Its packets were counted by the live capture as they arrived; Marker
// reads this back so that `honeyscope ingest` does not count them again.
//
// # Use from a capture worker
//
// A Writer is owned by one goroutine: WritePacket, Tick and Close take no
// locks and must not be called concurrently. Each capture worker opens its
// own Writer; the workers of one interface may share a Prefix (file names
// never collide: a name is claimed by creating its .part file exclusively)
// and then share its retention limits. A worker does, in short:
//
//	w, err := pcaparchive.New(pcaparchive.Config{Dir: dir, Prefix: iface,
//		Sensor: sensor, Interface: iface, LinkType: layers.LinkType(src.Link()),
//		Location: store.Location(), Version: version})
//	...
//	for {
//		frame, ts, err := src.Next()
//		switch {
//		case err == nil:
//			if err := w.WritePacket(time.Unix(0, ts), frame, len(frame)); err != nil {
//				// count it as not archived; log the first error
//			}
//		case errors.Is(err, ErrTimeout):
//			w.Tick(time.Now()) // completes a file whose time is up
//		}
//		...
//	}
//	w.Close() // at shutdown: completes the current file
//
// The frame is copied into the compressor before WritePacket returns, so a
// frame valid only until the next read may be passed. Archive every frame
// the socket returned, before it is decoded: the archive is what tcpdump
// on the interface would have written, outbound and undecodable frames
// included (ingest's sensor-net check sorts them again when an archive is
// recounted). A busy interface rotates its files on packets; Tick matters
// for a quiet one, and is cheap enough for every poll timeout and interval
// hand-over. On SIGTERM, Close after the last interval is committed.
//
// WritePacket costs about 0.6 µs of CPU per small packet, mostly gzip
// (BENCHMARKS.md): several times the rest of the live path. A worker that
// cannot afford it inline may hand frames to an archive goroutine of its
// own, which then owns the Writer.
package pcaparchive

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/klauspost/compress/gzip"
)

// Defaults of Config.
const (
	DefaultMaxFileBytes  = 256 << 20           // compressed bytes per file
	DefaultMaxFileAge    = time.Hour           // time spanned by one file's packets
	DefaultMaxAge        = 30 * 24 * time.Hour // retention by age
	DefaultMaxTotalBytes = 10 << 30            // retention by total size, per prefix
)

// Config configures a Writer. Zero values take the defaults; a negative
// MaxFileAge, MaxAge or MaxTotalBytes turns that limit off.
type Config struct {
	Dir       string // directory of the files (created when absent)
	Prefix    string // file name prefix, the interface name usually (Sanitize is applied)
	Sensor    string // sensor name written in the marker (required)
	Interface string // interface name written in the marker and the IDB (default Prefix)
	Version   string // honeyscope version for shb_userappl

	LinkType layers.LinkType // link type of the packets (pcap LINKTYPE_ value)
	Snaplen  int             // longest packet kept (longer ones are cut; 0: 262144)

	// MaxFileBytes completes a file once this many compressed bytes were
	// written to it (the file ends a little larger: the compressor's
	// buffer and the packet that crossed the limit).
	MaxFileBytes int64
	// MaxFileAge completes a file at the first packet this long after the
	// file's first packet (or at Tick).
	MaxFileAge time.Duration
	// Location, when set, also completes a file at the first packet of a
	// new day in this zone (the store's days).
	Location *time.Location

	// MaxAge deletes complete files of this prefix last modified longer
	// ago than this; MaxTotalBytes then deletes the oldest complete files
	// of this prefix until the rest take at most this many bytes. Both
	// apply when the Writer is created and after every completed file.
	// .part files are never deleted.
	MaxAge        time.Duration
	MaxTotalBytes int64

	// Level is the gzip level, 1 (the default) to 9, or -2 for Huffman
	// coding only (github.com/klauspost/compress/gzip levels; it measured
	// about 40% cheaper per packet than compress/gzip at level 1, for
	// slightly smaller files: BENCHMARKS.md).
	Level int

	// Now is the clock of retention (default time.Now).
	Now func() time.Time
	// Log receives retention deletions and their failures (nil: discarded).
	Log *slog.Logger
}

// Stats are a Writer's counters since it was created.
type Stats struct {
	Packets   uint64 // packets written
	Failed    uint64 // packets not archived because of a write error
	Files     uint64 // files completed (renamed into place)
	Abandoned uint64 // files given up after a write error (left as .part)
	Deleted   uint64 // files deleted by retention
	Bytes     int64  // compressed bytes written to completed and current files
}

// ErrClosed is returned by WritePacket after Close.
var ErrClosed = errors.New("pcaparchive: writer closed")

// ErrSuspended is returned by WritePacket while the Writer waits after a
// write error before it tries a new file (the packet is not archived).
var ErrSuspended = errors.New("pcaparchive: archive suspended after a write error")

// retryAfter is how long, in packet time, a Writer waits after a write
// error before it creates a new file.
const retryAfter = 10 * time.Second

const defaultSnaplen = 262144

// maxName bounds the names written in the section header (its options
// hold at most 65535 bytes each).
const maxName = 1024

// Writer writes one prefix's archive files. It is not safe for concurrent
// use: one goroutine owns it.
type Writer struct {
	cfg Config

	f        *os.File
	bw       *bufio.Writer // between the compressor and the file
	cw       countingWriter
	gz       *gzip.Writer
	ng       *pcapgo.NgWriter
	part     string // path of the current .part file
	final    string // its final path
	deadline int64  // Unix ns of the first packet that starts a new file
	ci       gopacket.CaptureInfo

	lastSec int64 // Unix second of the previous file's name
	lastSeq int   // its sequence number

	suspendedUntil int64 // Unix ns; 0 when not suspended
	closed         bool
	stats          Stats
	done           int64 // compressed bytes of completed files
}

// fileBuffer is the write buffer in front of the file: the compressor
// writes its output in pieces of 246 bytes.
const fileBuffer = 64 << 10

// countingWriter counts the compressed bytes written.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// New checks cfg, creates the directory and applies retention once.
func New(cfg Config) (*Writer, error) {
	if cfg.Dir == "" {
		return nil, errors.New("pcaparchive: no directory")
	}
	cfg.Prefix = Sanitize(cfg.Prefix)
	if cfg.Sensor == "" {
		return nil, errors.New("pcaparchive: no sensor name")
	}
	if cfg.Interface == "" {
		cfg.Interface = cfg.Prefix
	}
	if len(cfg.Sensor) > maxName || len(cfg.Interface) > maxName || len(cfg.Version) > maxName {
		return nil, fmt.Errorf("pcaparchive: sensor, interface or version name longer than %d bytes", maxName)
	}
	if cfg.Snaplen <= 0 {
		cfg.Snaplen = defaultSnaplen
	}
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = DefaultMaxFileBytes
	}
	if cfg.MaxFileAge == 0 {
		cfg.MaxFileAge = DefaultMaxFileAge
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.MaxTotalBytes == 0 {
		cfg.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if cfg.MaxTotalBytes > 0 && cfg.MaxTotalBytes < cfg.MaxFileBytes {
		return nil, fmt.Errorf("pcaparchive: total size limit %d is below the file size limit %d", cfg.MaxTotalBytes, cfg.MaxFileBytes)
	}
	if cfg.Level == 0 {
		cfg.Level = gzip.BestSpeed
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	gz, err := gzip.NewWriterLevel(io.Discard, cfg.Level)
	if err != nil {
		return nil, fmt.Errorf("pcaparchive: %w", err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("pcaparchive: %w", err)
	}
	w := &Writer{cfg: cfg, gz: gz, bw: bufio.NewWriterSize(io.Discard, fileBuffer), lastSeq: -1}
	w.retain()
	return w, nil
}

// Prefix is the file name prefix in use (Config.Prefix sanitised).
func (w *Writer) Prefix() string { return w.cfg.Prefix }

// Stats returns the Writer's counters.
func (w *Writer) Stats() Stats {
	s := w.stats
	s.Bytes = w.done + w.cw.n
	return s
}

// Current is the path of the file being written ("" when none is open).
func (w *Writer) Current() string { return w.part }

// WritePacket appends a packet: data as captured (cut to the snap length),
// origLen its length on the wire, ts when it arrived. It first completes
// the current file when it is full or its time is up. It allocates
// nothing except when a file is created or completed.
//
// After a write error the current file is abandoned (left as .part) and
// packets are refused with ErrSuspended for a while (retryAfter of packet
// time) before a new file is tried.
func (w *Writer) WritePacket(ts time.Time, data []byte, origLen int) error {
	if w.closed {
		return ErrClosed
	}
	tsn := ts.UnixNano()
	if w.suspendedUntil != 0 {
		if tsn < w.suspendedUntil {
			w.stats.Failed++
			return ErrSuspended
		}
		w.suspendedUntil = 0
	}
	if w.f != nil && (tsn >= w.deadline || w.cw.n >= w.cfg.MaxFileBytes) {
		if err := w.complete(); err != nil {
			w.stats.Failed++
			w.fail(tsn)
			return err
		}
	}
	if w.f == nil {
		if err := w.open(ts); err != nil {
			w.stats.Failed++
			w.fail(tsn)
			return err
		}
	}
	origLen = max(origLen, len(data))
	if len(data) > w.cfg.Snaplen {
		data = data[:w.cfg.Snaplen]
	}
	w.ci.Timestamp = ts
	w.ci.CaptureLength = len(data)
	w.ci.Length = origLen
	if err := w.ng.WritePacket(w.ci, data); err != nil {
		err = fmt.Errorf("pcaparchive: writing %s: %w", w.part, err)
		w.stats.Failed++
		w.fail(tsn)
		return err
	}
	w.stats.Packets++
	return nil
}

// Tick completes the current file when its time is up at now (no packet
// came to do it). Call it when the capture is idle, e.g. at each poll
// timeout.
func (w *Writer) Tick(now time.Time) error {
	if w.f == nil || now.UnixNano() < w.deadline {
		return nil
	}
	if err := w.complete(); err != nil {
		w.fail(now.UnixNano())
		return err
	}
	return nil
}

// Close completes the current file, if any. Later writes return ErrClosed.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.f == nil {
		return nil
	}
	if err := w.complete(); err != nil {
		w.abandon()
		return err
	}
	return nil
}

// fail abandons the current file after an error and suspends writing.
func (w *Writer) fail(tsn int64) {
	w.abandon()
	w.suspendedUntil = tsn + int64(retryAfter)
	if w.suspendedUntil == 0 {
		w.suspendedUntil = 1
	}
}

// abandon closes the current file, if any, leaving it under .part.
func (w *Writer) abandon() {
	if w.f == nil {
		return
	}
	w.f.Close()
	w.stats.Abandoned++
	w.done += w.cw.n
	w.f, w.ng, w.part, w.final, w.cw = nil, nil, "", "", countingWriter{}
}

// open creates the .part file of a file whose first packet arrived at ts
// and writes its header blocks.
func (w *Writer) open(ts time.Time) error {
	utc := ts.UTC()
	sec := utc.Unix()
	seq := 0
	if sec == w.lastSec && w.lastSeq >= 0 {
		seq = w.lastSeq + 1
	}
	var f *os.File
	var name string
	for tries := 0; ; tries++ {
		if tries == maxSeqTries {
			return fmt.Errorf("pcaparchive: no free file name for %s in %s", fileName(w.cfg.Prefix, utc, seq), w.cfg.Dir)
		}
		name = fileName(w.cfg.Prefix, utc, seq)
		final := filepath.Join(w.cfg.Dir, name)
		var err error
		f, err = os.OpenFile(final+partSuffix, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if errors.Is(err, os.ErrExist) {
			seq++
			continue
		}
		if err != nil {
			return fmt.Errorf("pcaparchive: %w", err)
		}
		// The name is ours once its .part file is: another Writer of the
		// same prefix can only have completed a file of this name before.
		if _, err := os.Lstat(final); err == nil {
			f.Close()
			os.Remove(final + partSuffix)
			seq++
			continue
		}
		break
	}
	w.lastSec, w.lastSeq = sec, seq
	w.f = f
	w.final = filepath.Join(w.cfg.Dir, name)
	w.part = w.final + partSuffix
	w.bw.Reset(f)
	w.cw = countingWriter{w: w.bw}
	w.gz.Reset(&w.cw)
	ng, err := pcapgo.NewNgWriterInterface(w.gz, pcapgo.NgInterface{
		Name:                w.cfg.Interface,
		OS:                  runtime.GOOS,
		LinkType:            w.cfg.LinkType,
		SnapLength:          uint32(w.cfg.Snaplen),
		TimestampResolution: 9,
	}, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
		Application: Application(w.cfg.Version),
		Comment:     Info{Sensor: w.cfg.Sensor, Interface: w.cfg.Interface}.comment(),
		Hardware:    runtime.GOARCH,
		OS:          runtime.GOOS,
	}})
	if err == nil {
		w.ng = ng
		// The header blocks reach the file at once: even a .part file left
		// by a crash carries the marker.
		if err = ng.Flush(); err == nil {
			if err = w.gz.Flush(); err == nil {
				err = w.bw.Flush()
			}
		}
	}
	if err != nil {
		w.ng = ng
		w.abandon()
		return fmt.Errorf("pcaparchive: writing %s: %w", name+partSuffix, err)
	}
	w.deadline = deadline(ts, w.cfg.MaxFileAge, w.cfg.Location)
	return nil
}

// deadline is the time of the first packet that no longer belongs in a
// file begun at ts.
func deadline(ts time.Time, age time.Duration, loc *time.Location) int64 {
	d := int64(1<<63 - 1)
	if age > 0 {
		d = ts.Add(age).UnixNano()
	}
	if loc != nil {
		t := ts.In(loc)
		y, m, day := t.Date()
		next := time.Date(y, m, day+1, 0, 0, 0, 0, loc).UnixNano()
		d = min(d, next)
	}
	return d
}

// complete finishes the current file and renames it into place, then
// applies retention.
func (w *Writer) complete() error {
	if err := w.ng.Flush(); err != nil {
		return fmt.Errorf("pcaparchive: writing %s: %w", w.part, err)
	}
	if err := w.gz.Close(); err != nil {
		return fmt.Errorf("pcaparchive: writing %s: %w", w.part, err)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("pcaparchive: writing %s: %w", w.part, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("pcaparchive: syncing %s: %w", w.part, err)
	}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("pcaparchive: closing %s: %w", w.part, err)
	}
	w.f = nil
	if err := os.Rename(w.part, w.final); err != nil {
		w.stats.Abandoned++
		w.done += w.cw.n
		w.ng, w.part, w.final, w.cw = nil, "", "", countingWriter{}
		return fmt.Errorf("pcaparchive: %w", err)
	}
	syncDir(w.cfg.Dir)
	w.stats.Files++
	w.done += w.cw.n
	w.ng, w.part, w.final, w.cw = nil, "", "", countingWriter{}
	w.retain()
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
