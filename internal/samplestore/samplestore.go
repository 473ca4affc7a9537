// Package samplestore keeps the files attackers drop (ELF binaries,
// scripts) on disk, content-addressed: a sample with SHA-256 "abcd12..." is
// the file DIR/ab/cd/abcd12... . Samples are written read-only (0400, never
// an execute bit) in directories only the owner may enter (0700), and
// atomically: the content goes to a temporary file in the sample's
// directory, is synced, renamed to its final name and the directory synced,
// so a crash leaves either the whole sample under its name or none (Open
// removes the temporary files a crash left). The same content stored twice
// is one file.
//
// Nothing an attacker sends becomes a path: a sample's name is the hex
// digest of its content, and every method taking a digest accepts only 64
// hexadecimal digits.
package samplestore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultMaxSize is the largest sample Put accepts when Options.MaxSize is 0.
const DefaultMaxSize = 32 << 20

// tempPrefix starts the names of temporary files; a sample's name never
// does (it is 64 hex digits).
const tempPrefix = ".tmp-"

// Errors returned by the store.
var (
	// ErrTooLarge is returned by Put for content over the size bound.
	ErrTooLarge = errors.New("sample too large")
	// ErrBadDigest is returned for a digest that is not 64 hex digits.
	ErrBadDigest = errors.New("not a SHA-256 digest (64 hex digits)")
	// ErrNotFound is returned by Read for a sample the store does not hold.
	ErrNotFound = errors.New("no such sample")
)

// Options configure a store.
type Options struct {
	// MaxSize bounds one sample in bytes (0: DefaultMaxSize).
	MaxSize int64
}

// Store is a sample directory. Its methods are safe for concurrent use, by
// several goroutines and several processes.
type Store struct {
	dir     string
	maxSize int64
}

// ScanResult says what Scan found.
type ScanResult struct {
	Samples      int      // samples with a valid name and content
	TempsRemoved int      // temporary files left by an interrupted Put, removed
	Corrupt      []string // digests whose content does not hash to their name (left in place)
	Stray        []string // other files, relative to the store's directory (left in place)
}

// Open opens the store in dir, creating it (0700) when absent, and removes
// the temporary files an interrupted Put left behind.
func Open(dir string, opt Options) (*Store, error) {
	if opt.MaxSize <= 0 {
		opt.MaxSize = DefaultMaxSize
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sample store %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("sample store %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("sample store %s: not a directory", dir)
	}
	s := &Store{dir: dir, maxSize: opt.MaxSize}
	if err := s.removeTemps(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// MaxSize returns the largest sample Put accepts.
func (s *Store) MaxSize() int64 { return s.maxSize }

// ValidDigest reports whether sha is 64 lower- or upper-case hex digits.
func ValidDigest(sha string) bool {
	if len(sha) != 64 {
		return false
	}
	for i := 0; i < len(sha); i++ {
		c := sha[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Path returns the file a sample is (or would be) stored in. sha must be 64
// hex digits (upper case is taken as lower case); anything else is
// ErrBadDigest, so no other string ever reaches a path.
func (s *Store) Path(sha string) (string, error) {
	if !ValidDigest(sha) {
		return "", fmt.Errorf("%w: %q", ErrBadDigest, truncate(sha, 80))
	}
	sha = strings.ToLower(sha)
	return filepath.Join(s.dir, sha[0:2], sha[2:4], sha), nil
}

// RelPath returns a sample's path relative to the store's directory
// ("ab/cd/abcd..."), or "" for an invalid digest.
func RelPath(sha string) string {
	if !ValidDigest(sha) {
		return ""
	}
	sha = strings.ToLower(sha)
	return sha[0:2] + "/" + sha[2:4] + "/" + sha
}

// Has reports whether the store holds the sample (false for an invalid digest).
func (s *Store) Has(sha string) bool {
	p, err := s.Path(sha)
	if err != nil {
		return false
	}
	fi, err := os.Lstat(p)
	return err == nil && fi.Mode().IsRegular()
}

// Put stores content and returns its SHA-256 (lower-case hex). Content
// already stored is not written again. Content over the size bound is
// ErrTooLarge and nothing is written.
func (s *Store) Put(content []byte) (string, error) {
	if int64(len(content)) > s.maxSize {
		return "", fmt.Errorf("%w: %d bytes (at most %d)", ErrTooLarge, len(content), s.maxSize)
	}
	sum := sha256.Sum256(content)
	sha := hex.EncodeToString(sum[:])
	final, _ := s.Path(sha)
	if sameContent(final, content) {
		return sha, nil
	}
	dir := filepath.Dir(final)
	if err := s.mkdirs(sha); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return "", fmt.Errorf("sample %s: %w", sha, err)
	}
	tmp := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("sample %s: %w", sha, err)
	}
	if err := f.Chmod(0o400); err != nil {
		return fail(err)
	}
	if _, err := f.Write(content); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("sample %s: %w", sha, err)
	}
	// Rename replaces a damaged file found under the final name with the
	// content that hashes to it.
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("sample %s: %w", sha, err)
	}
	if err := syncDir(dir); err != nil {
		return "", fmt.Errorf("sample %s: %w", sha, err)
	}
	return sha, nil
}

// sameContent reports whether the regular file at p holds exactly content
// (a sample stored before; a damaged one is written again).
func sameContent(p string, content []byte) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len(content)) {
		return false
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(len(content))+1))
	return err == nil && bytes.Equal(b, content)
}

// mkdirs creates the sample's two directory levels (0700), syncing each
// parent so the new directory entries survive a crash.
func (s *Store) mkdirs(sha string) error {
	parent := s.dir
	for _, part := range []string{sha[0:2], sha[2:4]} {
		d := filepath.Join(parent, part)
		err := os.Mkdir(d, 0o700)
		switch {
		case err == nil:
			if err := syncDir(parent); err != nil {
				return fmt.Errorf("sample store %s: %w", parent, err)
			}
		case errors.Is(err, fs.ErrExist):
		default:
			return fmt.Errorf("sample store: %w", err)
		}
		parent = d
	}
	return nil
}

// Read returns a sample's content, at most max bytes of it (max <= 0: the
// store's size bound). A sample longer than max is an error, not cut.
func (s *Store) Read(sha string, max int64) ([]byte, error) {
	p, err := s.Path(sha)
	if err != nil {
		return nil, err
	}
	if max <= 0 {
		max = s.maxSize
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, strings.ToLower(sha))
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("sample %s: %w", sha, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: sample %s is over %d bytes", ErrTooLarge, strings.ToLower(sha), max)
	}
	return b, nil
}

// removeTemps removes the temporary files of interrupted Puts: they are
// only ever in the sample directories (DIR/ab/cd).
func (s *Store) removeTemps() error {
	_, err := s.scan(false)
	return err
}

// Scan walks the store: it removes temporary files an interrupted Put left,
// counts the samples and, with verify, hashes each one and lists those whose
// content does not match their name (they are left for the operator).
func (s *Store) Scan(verify bool) (ScanResult, error) {
	return s.scan(verify)
}

func (s *Store) scan(verify bool) (ScanResult, error) {
	var r ScanResult
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.dir, p)
		if d.IsDir() {
			return nil
		}
		name := d.Name()
		depth := strings.Count(filepath.ToSlash(rel), "/")
		switch {
		case strings.HasPrefix(name, tempPrefix) && depth == 2:
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("sample store: remove %s: %w", rel, err)
			}
			r.TempsRemoved++
		case depth == 2 && d.Type().IsRegular() && ValidDigest(name) && strings.ToLower(name) == name &&
			filepath.ToSlash(rel) == RelPath(name):
			if verify {
				ok, err := s.check(p, name)
				if err != nil {
					return err
				}
				if !ok {
					r.Corrupt = append(r.Corrupt, name)
					return nil
				}
			}
			r.Samples++
		default:
			r.Stray = append(r.Stray, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("sample store %s: %w", s.dir, err)
	}
	return r, nil
}

// check reports whether the file at p hashes to sha.
func (s *Store) check(p, sha string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, fmt.Errorf("sample %s: %w", sha, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, fmt.Errorf("sample %s: %w", sha, err)
	}
	return hex.EncodeToString(h.Sum(nil)) == sha, nil
}

// syncDir makes a directory's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
