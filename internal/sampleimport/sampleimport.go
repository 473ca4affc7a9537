// Package sampleimport finds the samples an analyst adds by hand: files,
// directories (walked, symbolic links not followed) and zip archives,
// including the password-protected ones malware repositories export
// (ZipCrypto and WinZip AES; password "infected" by default).
//
// Contents are read into memory with bounds and handed to the caller;
// nothing is ever written, let alone under a name from an archive, and
// nothing is executed. What is refused (symbolic links, names that climb
// out of the archive, members or archives over the bounds, a password that
// does not fit) is reported with a reason and the walk goes on.
package sampleimport

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Defaults of Options.
const (
	DefaultPassword   = "infected"
	DefaultMaxSize    = 32 << 20 // as the sample store's
	DefaultMaxTotal   = 1 << 30  // uncompressed bytes per archive
	DefaultMaxEntries = 100000   // members per archive
	DefaultMaxRatio   = 1000     // uncompressed : compressed, beyond 1 MiB
)

// Options bound a walk.
type Options struct {
	Password   string // "" : DefaultPassword
	MaxSize    int64  // one sample (0: DefaultMaxSize)
	MaxTotal   int64  // uncompressed bytes read from one archive (0: DefaultMaxTotal)
	MaxEntries int    // members of one archive (0: DefaultMaxEntries)
	MaxRatio   int64  // compression ratio refused for members over 1 MiB (0: DefaultMaxRatio)
}

func (o *Options) defaults() {
	if o.Password == "" {
		o.Password = DefaultPassword
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.MaxTotal <= 0 {
		o.MaxTotal = DefaultMaxTotal
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = DefaultMaxRatio
	}
}

// Found is one sample's content.
type Found struct {
	// Name says where it came from: a file's path, or "ARCHIVE:MEMBER"
	// with the member's name made printable. It is for display only.
	Name    string
	Content []byte
}

// Refusal is something not taken, and why.
type Refusal struct {
	Name   string
	Reason string
}

func (r Refusal) String() string { return r.Name + ": " + r.Reason }

var errTooLarge = errors.New("too large")

// Walk calls f for every sample in paths, in order (directories in
// lexical order, archive members in archive order), and returns what it
// refused. An error from f stops the walk and is returned.
func Walk(paths []string, opt Options, f func(Found) error) ([]Refusal, error) {
	opt.defaults()
	w := &walker{opt: opt, f: f}
	for _, p := range paths {
		if err := w.path(p, true); err != nil {
			return w.refused, err
		}
	}
	return w.refused, nil
}

type walker struct {
	opt     Options
	f       func(Found) error
	refused []Refusal
}

func (w *walker) refuse(name, format string, a ...any) {
	w.refused = append(w.refused, Refusal{printable(name, 512), fmt.Sprintf(format, a...)})
}

func (w *walker) path(p string, top bool) error {
	fi, err := os.Lstat(p)
	if err != nil {
		w.refuse(p, "%v", unwrapPath(err))
		return nil
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		w.refuse(p, "symbolic link: not followed (give its target)")
		return nil
	case fi.IsDir():
		if !top {
			return nil
		}
		return filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				w.refuse(q, "%v", unwrapPath(err))
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			return w.path(q, false)
		})
	case !fi.Mode().IsRegular():
		w.refuse(p, "not a regular file")
		return nil
	}
	return w.file(p, fi.Size())
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (w *walker) file(p string, size int64) error {
	fh, err := os.Open(p)
	if err != nil {
		w.refuse(p, "%v", unwrapPath(err))
		return nil
	}
	defer fh.Close()
	var magic [4]byte
	n, _ := io.ReadFull(fh, magic[:])
	if n == 4 && (string(magic[:]) == "PK\x03\x04" || string(magic[:]) == "PK\x05\x06") {
		return w.archive(p, fh, size)
	}
	if size > w.opt.MaxSize {
		w.refuse(p, "%d bytes, over the sample size bound of %d", size, w.opt.MaxSize)
		return nil
	}
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		w.refuse(p, "%v", err)
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(fh, w.opt.MaxSize+1))
	if err != nil {
		w.refuse(p, "%v", unwrapPath(err))
		return nil
	}
	if int64(len(b)) > w.opt.MaxSize {
		w.refuse(p, "over the sample size bound of %d bytes", w.opt.MaxSize)
		return nil
	}
	if len(b) == 0 {
		w.refuse(p, "empty")
		return nil
	}
	return w.f(Found{Name: printable(p, 256), Content: b})
}

// safeMemberName reports why an archive member's name is refused ("" when
// it is not): one that would climb out of a directory it was extracted
// to, an absolute one, or one with control bytes, whatever we do with it.
func safeMemberName(name string) string {
	switch {
	case name == "":
		return "empty name"
	case strings.ContainsAny(name, "\x00"):
		return "NUL in the name"
	case strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || len(name) > 1 && name[1] == ':':
		return "absolute path in the archive (path traversal)"
	}
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return "\"..\" in the name (path traversal)"
		}
	}
	return ""
}

func (w *walker) archive(p string, fh *os.File, size int64) error {
	zr, err := zip.NewReader(fh, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		w.refuse(p, "not a readable zip archive: %v", err)
		return nil
	}
	if len(zr.File) > w.opt.MaxEntries {
		w.refuse(p, "%d members, over the bound of %d", len(zr.File), w.opt.MaxEntries)
		return nil
	}
	var total int64
	for _, zf := range zr.File {
		name := p + ":" + printable(zf.Name, 256)
		if why := safeMemberName(zf.Name); why != "" {
			w.refuse(name, "%s: refused", why)
			continue
		}
		mode := zf.Mode()
		if mode.IsDir() || strings.HasSuffix(zf.Name, "/") {
			continue
		}
		if mode&fs.ModeSymlink != 0 {
			w.refuse(name, "symbolic link in the archive: refused")
			continue
		}
		if !mode.IsRegular() && mode.Type() != 0 {
			w.refuse(name, "not a regular file in the archive")
			continue
		}
		if strings.HasSuffix(strings.ToLower(zf.Name), ".zip") {
			w.refuse(name, "nested archive: not opened (extract it and add it)")
			continue
		}
		if zf.UncompressedSize64 > uint64(w.opt.MaxSize) {
			w.refuse(name, "%d bytes uncompressed, over the sample size bound of %d", zf.UncompressedSize64, w.opt.MaxSize)
			continue
		}
		if zf.UncompressedSize64 > 1<<20 && zf.CompressedSize64 > 0 && zf.UncompressedSize64/zf.CompressedSize64 > uint64(w.opt.MaxRatio) {
			w.refuse(name, "compression ratio over %d:1 (zip bomb?)", w.opt.MaxRatio)
			continue
		}
		left := w.opt.MaxTotal - total
		if left <= 0 || zf.UncompressedSize64 > uint64(left) {
			w.refuse(p, "more than %d bytes uncompressed: the rest of the archive is not read (zip bomb?)", w.opt.MaxTotal)
			return nil
		}
		max := min(w.opt.MaxSize, left)
		var b []byte
		if zf.Flags&0x1 != 0 || zf.Method == methodAES {
			b, err = readEncrypted(zf, w.opt.Password, max)
		} else {
			b, err = readPlain(zf, max)
		}
		switch {
		case errors.Is(err, ErrPassword):
			w.refuse(name, "the password does not open it (--password)")
			continue
		case errors.Is(err, errTooLarge) && max < w.opt.MaxSize:
			w.refuse(p, "more than %d bytes uncompressed: the rest of the archive is not read (zip bomb?)", w.opt.MaxTotal)
			return nil
		case errors.Is(err, errTooLarge):
			w.refuse(name, "more than %d bytes uncompressed (the header said %d; zip bomb?)", max, zf.UncompressedSize64)
			continue
		case err != nil:
			w.refuse(name, "%v", err)
			continue
		}
		total += int64(len(b))
		if len(b) == 0 {
			w.refuse(name, "empty")
			continue
		}
		if err := w.f(Found{Name: name, Content: b}); err != nil {
			return err
		}
	}
	return nil
}

// readPlain reads an unencrypted member, at most max bytes (its CRC is
// checked by archive/zip at the end).
func readPlain(zf *zip.File, max int64) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errTooLarge
	}
	return b, nil
}

// printable returns s with control bytes and invalid UTF-8 as '?', at
// most max bytes.
func printable(s string, max int) string {
	var b bytes.Buffer
	for _, r := range s {
		if b.Len() >= max {
			b.WriteString("...")
			break
		}
		if r < 0x20 || r == 0x7f || r == 0xfffd || r >= 0x80 && r < 0xa0 {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}
