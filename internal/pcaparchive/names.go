package pcaparchive

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	// Suffix ends the name of a complete archive file.
	Suffix     = ".pcapng.gz"
	partSuffix = ".part"
	timeLayout = "20060102T150405Z"
	// maxSeqTries bounds the names tried for one new file.
	maxSeqTries = 10000
	// maxPrefix bounds the length of a prefix, in bytes.
	maxPrefix = 64
)

// Sanitize turns an interface name into a file name prefix: every byte
// other than an ASCII letter, a digit, '.', '_' or '+' becomes '_' (a
// '-' too: it separates the prefix from the time), the result is cut to
// 64 bytes, and a prefix that is empty or all dots becomes "capture".
// "nflog:5" gives "nflog_5".
func Sanitize(name string) string {
	b := []byte(name)
	if len(b) > maxPrefix {
		b = b[:maxPrefix]
	}
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '+':
		default:
			b[i] = '_'
		}
	}
	s := string(b)
	if strings.Trim(s, ".") == "" {
		return "capture"
	}
	return s
}

// fileName is the final name of a file of prefix begun at t (UTC).
func fileName(prefix string, t time.Time, seq int) string {
	return prefix + "-" + t.UTC().Format(timeLayout) + "-" + fmtSeq(seq) + Suffix
}

func fmtSeq(seq int) string {
	s := strconv.Itoa(seq)
	if len(s) < 4 {
		s = strings.Repeat("0", 4-len(s)) + s
	}
	return s
}

// parseName tells whether name is a complete archive file of prefix and
// returns the time and sequence number in it.
func parseName(prefix, name string) (t time.Time, seq int, ok bool) {
	rest, found := strings.CutPrefix(name, prefix+"-")
	if !found {
		return t, 0, false
	}
	rest, found = strings.CutSuffix(rest, Suffix)
	if !found || len(rest) < len(timeLayout)+2 || rest[len(timeLayout)] != '-' {
		return t, 0, false
	}
	t, err := time.Parse(timeLayout, rest[:len(timeLayout)])
	if err != nil {
		return t, 0, false
	}
	digits := rest[len(timeLayout)+1:]
	if len(digits) < 4 || len(digits) > 9 {
		return t, 0, false
	}
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return t, 0, false
		}
	}
	seq, _ = strconv.Atoi(digits)
	return t, seq, true
}

// Leftovers lists the .part files in dir, of any prefix, sorted: files a
// crash left incomplete (or that a running Writer is writing now). They
// are kept as they are; see the package documentation.
func Leftovers(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), Suffix+partSuffix) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	slices.Sort(out)
	return out, nil
}

// archived is a complete file of the Writer's prefix.
type archived struct {
	name  string
	t     time.Time
	seq   int
	size  int64
	mtime time.Time
}

// completeFiles lists the complete files of prefix in dir, oldest first.
func completeFiles(dir, prefix string) ([]archived, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []archived
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		t, seq, ok := parseName(prefix, e.Name())
		if !ok {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // deleted meanwhile
		}
		out = append(out, archived{name: e.Name(), t: t, seq: seq, size: fi.Size(), mtime: fi.ModTime()})
	}
	slices.SortFunc(out, func(a, b archived) int {
		if c := a.t.Compare(b.t); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	return out, nil
}

// retain deletes the complete files of the prefix that are too old, then
// the oldest until the rest fit in MaxTotalBytes.
func (w *Writer) retain() {
	if w.cfg.MaxAge < 0 && w.cfg.MaxTotalBytes < 0 {
		return
	}
	files, err := completeFiles(w.cfg.Dir, w.cfg.Prefix)
	if err != nil {
		w.cfg.Log.Warn("archive retention: listing the directory failed", "dir", w.cfg.Dir, "err", err)
		return
	}
	var total int64
	for _, f := range files {
		total += f.size
	}
	cutoff := w.cfg.Now().Add(-w.cfg.MaxAge)
	for _, f := range files {
		tooOld := w.cfg.MaxAge > 0 && f.mtime.Before(cutoff)
		tooMuch := w.cfg.MaxTotalBytes > 0 && total > w.cfg.MaxTotalBytes
		if !tooOld && !tooMuch {
			// Age is checked on every file: one's modification time need
			// not follow the order of the names (a file copied back).
			continue
		}
		path := filepath.Join(w.cfg.Dir, f.name)
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			w.cfg.Log.Warn("archive retention: deleting a file failed", "file", path, "err", err)
			continue
		}
		why := "age"
		if !tooOld {
			why = "total size"
		}
		w.cfg.Log.Info("archive retention: file deleted", "file", path, "reason", why)
		w.stats.Deleted++
		total -= f.size
	}
}
