package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/zeebo/xxh3"

	"github.com/honeyscope/honeyscope/internal/store"
)

// A capture's content identity (store.Ingest.Hash) is what tells that a
// file was ingested before: XXH3-128 of the file's bytes as stored on disk
// and their number, written "xxh3-128:<32 hex digits>:<size>". Hashing is
// on the critical path of every ingest, and XXH3 reads the 840 MB benchmark
// capture in 0.05 CPU-s where SHA-256 takes 0.5 (BENCHMARKS.md). It is not
// a cryptographic digest: it identifies content for de-duplication, and
// the size in it means that two files taken for one must at least be of
// one length.
//
// Builds before it recorded "sha256:<hex>" (and Cowrie logs still are):
// those ingests are still recognised. A file is only compared with stored
// ingests of its size (or, for a file still being written then, of its
// earlier, shorter sizes), and it is hashed with the scheme of each of
// them, so content an old build ingested is skipped, or replaced with
// --force, as before.

// idScheme is a content identity scheme.
type idScheme uint8

const (
	schemeXXH3   idScheme = 1 << iota // "xxh3-128:<hex>:<size>", what ingest records
	schemeSHA256                      // "sha256:<hex>", what earlier builds recorded
)

const (
	prefixXXH3   = "xxh3-128:"
	prefixSHA256 = "sha256:"
)

// schemeOf returns the scheme of a stored identity (0 for one ingest does
// not know, which matches nothing).
func schemeOf(id string) idScheme {
	switch {
	case strings.HasPrefix(id, prefixXXH3):
		return schemeXXH3
	case strings.HasPrefix(id, prefixSHA256):
		return schemeSHA256
	}
	return 0
}

// schemesOf returns the schemes of ks's identities.
func schemesOf(ks []store.KnownIngest) idScheme {
	var s idScheme
	for _, k := range ks {
		s |= schemeOf(k.Hash)
	}
	return s
}

// idHash hashes content with a set of schemes at once.
type idHash struct {
	xx  *xxh3.Hasher
	sha hash.Hash
	n   int64
}

func newIDHash(schemes idScheme) *idHash {
	h := &idHash{}
	if schemes&schemeXXH3 != 0 {
		h.xx = xxh3.New()
	}
	if schemes&schemeSHA256 != 0 {
		h.sha = sha256.New()
	}
	return h
}

// Write implements io.Writer.
func (h *idHash) Write(p []byte) (int, error) {
	if h.xx != nil {
		h.xx.Write(p)
	}
	if h.sha != nil {
		h.sha.Write(p)
	}
	h.n += int64(len(p))
	return len(p), nil
}

// id returns the identity of what was written so far in scheme s ("" when
// h does not compute it); the state is left as it was.
func (h *idHash) id(s idScheme) string {
	switch {
	case s == schemeXXH3 && h.xx != nil:
		b := h.xx.Sum128().Bytes()
		return prefixXXH3 + hex.EncodeToString(b[:]) + ":" + strconv.FormatInt(h.n, 10)
	case s == schemeSHA256 && h.sha != nil:
		return prefixSHA256 + hex.EncodeToString(h.sha.Sum(nil))
	}
	return ""
}

// matches reports whether the content written so far is the one stored
// identity k names.
func (h *idHash) matches(k string) bool {
	id := h.id(schemeOf(k))
	return id != "" && id == k
}

// fileIDs hashes the whole file at path with schemes.
func fileIDs(path string, schemes idScheme) (*idHash, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := newIDHash(schemes)
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return h, nil
}

// prefixMatches returns the identities of the earlier ingests whose
// content is the start of the file at path, reading the file once (up to
// the largest of their sizes): a path ingested many times over (a name
// reused hourly) costs one read, not one per earlier ingest.
func prefixMatches(path string, earlier []store.KnownIngest) ([]string, error) {
	earlier = slices.Clone(earlier)
	slices.SortFunc(earlier, func(a, b store.KnownIngest) int { return int(min(1, max(-1, a.Size-b.Size))) })
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := newIDHash(schemesOf(earlier))
	var out []string
	var done int64
	for _, k := range earlier {
		if _, err := io.CopyN(h, f, k.Size-done); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		done = k.Size
		if h.matches(k.Hash) {
			out = append(out, k.Hash)
		}
	}
	return out, nil
}
