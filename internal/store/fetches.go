package store

import (
	"context"
	"errors"
	"net/netip"
	"time"
)

// Fetch is what the URL fetcher (internal/fetcher) recorded of one URL the
// honeypot saw: one row per URL, whatever the number of sessions that named
// it. A fetch that got content holds its SHA-256; the content itself is in
// the sample store, and the samples table has a row for it (via "fetched"
// when no session dropped the same content first).
type Fetch struct {
	URL      string
	Time     time.Time     // when the last attempt started (UTC)
	Duration time.Duration // of the last attempt
	Attempts int
	// Status is the answer's status: the HTTP status code, the FTP reply
	// code of the transfer, 0 for TFTP and when no answer came.
	Status int
	// Headers: the answer's header block, one "Name: value" per line
	// (HTTP), or the server's greeting (FTP); bounded by the fetcher.
	Headers string
	// Server is the address the content came from ("ip:port").
	Server string
	// FinalURL is the URL after redirects ("" when there were none).
	FinalURL string
	Error    string // "" when the content was got whole
	Size     int64  // content bytes received
	SHA256   string // hex, "" without content
	Type     string // session.FileType of the content

	// The session that first named the URL.
	SessionID string
	Src       netip.Addr
	Sensor    string
}

// PendingURL is a URL recorded in a session (hp_urls) that no Fetch names.
type PendingURL struct {
	URL       string
	First     time.Time // first seen
	SessionID string    // first session
	Src       netip.Addr
	Sensor    string
}

// FetchQuery selects fetches.
type FetchQuery struct {
	URL    string // one URL ("" = any)
	SHA256 string // fetches that got this content ("" = any)
	Limit  int    // 0 = 1000; newest first
	Offset int
}

// FetchStore keeps what the URL fetcher got (duckstore.Store implements it;
// a Store without it keeps none).
type FetchStore interface {
	// RecordFetch upserts f by URL and, when f.SHA256 is set, adds a
	// samples row for the content unless one is there (the existing row's
	// last seen moves on), in one transaction.
	RecordFetch(ctx context.Context, f Fetch) error
	// PendingURLs returns up to limit URLs of hp_urls without a fetch,
	// oldest first.
	PendingURLs(ctx context.Context, limit int) ([]PendingURL, error)
	// Fetched reports whether a fetch of url is recorded.
	Fetched(ctx context.Context, url string) (bool, error)
	// Fetches returns the fetches q selects.
	Fetches(ctx context.Context, q FetchQuery) ([]Fetch, error)
}

// ErrNoFetches is returned by a store that keeps no fetches.
var ErrNoFetches = errors.New("this store keeps no fetched URLs")

// FetchesOf returns st as a FetchStore, or an error saying it keeps none.
func FetchesOf(st any) (FetchStore, error) {
	if f, ok := st.(FetchStore); ok {
		return f, nil
	}
	return nil, ErrNoFetches
}
