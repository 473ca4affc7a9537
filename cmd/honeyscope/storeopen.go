package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/remote"
)

// storeLockTimeout is how long a command waits for a store another
// process (not an owner) holds, as duckstore does by default.
var storeLockTimeout = 30 * time.Second

// openStore opens the store at path for reading, or for writing too:
// through its owner when `honeyscope serve` runs on it (docs/store.md),
// else the file itself. See openStoreOpts.
func openStore(ctx context.Context, path string, write bool) (store.Store, error) {
	return openStoreOpts(ctx, path, duckstore.Options{ReadOnly: !write})
}

// openStoreOpts opens the store at path with opt (ReadOnly, MustExist,
// TimeZone; LockTimeout and Waiting are its own). It asks for an owner
// first; when none runs it opens the file. When the file is locked, the
// process holding it may be an owner that has just started (its socket
// not there yet) or a command committing: it asks for an owner again
// between short attempts, saying once on stderr that it waits, until
// storeLockTimeout has passed.
func openStoreOpts(ctx context.Context, path string, opt duckstore.Options) (store.Store, error) {
	if clickstore.IsURL(path) {
		return clickstore.Open(ctx, path, clickstore.Options{ReadOnly: opt.ReadOnly, TimeZone: opt.TimeZone, MustExist: opt.MustExist})
	}
	deadline := time.Now().Add(storeLockTimeout)
	waited := false
	for {
		c, err := remote.DialClient(ctx, path)
		if err == nil {
			if opt.ReadOnly {
				c.ReadOnly()
			}
			if err := duckstore.CheckTimeZone(path, c.TimeZone(), opt.TimeZone); err != nil {
				return nil, err
			}
			return c, nil
		}
		if !errors.Is(err, remote.ErrNoOwner) {
			return nil, err
		}
		o := opt
		o.LockTimeout = 250 * time.Millisecond
		o.Waiting = func() {}
		if o.Migrating == nil {
			o.Migrating = func(from, to int, name string) {
				fmt.Fprintf(os.Stderr, "upgrading store %s: schema %d → %d (%s)\n", path, from, to, name)
			}
		}
		st, err := duckstore.Open(ctx, path, o)
		if err == nil {
			return st, nil
		}
		if !errors.Is(err, duckstore.ErrLocked) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("store %s is in use by another process, which is not a `honeyscope serve` (waited %s): %w", path, storeLockTimeout, duckstore.ErrLocked)
		}
		if !waited && duckstore.DefaultWaiting != nil {
			duckstore.DefaultWaiting()
		}
		waited = true
	}
}

// clickSidePath stands for a ClickHouse store's URL where a file beside
// the store is wanted (samples, reports, a leaf node's storage, named
// after the store's path): clickhouse-DB in the working directory.
func clickSidePath(raw string) string {
	db := "honeyscope"
	if u, err := url.Parse(raw); err == nil {
		if p := strings.Trim(u.Path, "/"); p != "" {
			db = p
		}
	}
	return "clickhouse-" + filepath.Base(db)
}
