package owner

import (
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// Configuration says which store the process owns.
type Configuration struct {
	// Path is the DuckDB file, created when absent.
	Path string
	// TimeZone is the zone of days for a new store ("" = the store's own,
	// UTC when new); opening an existing store with another zone fails.
	TimeZone string
	// LockTimeout is how long Start waits while another process holds the
	// file (an ingest committing) before giving up.
	LockTimeout time.Duration
	// AbortGrace bounds how long Stop waits, once its context has expired
	// and open transactions were rolled back, for them to return before the
	// store is closed anyway.
	AbortGrace time.Duration
	// WriteThreads, when above 0, is the number of threads DuckDB uses
	// while a commit's transaction is open (duckstore.Options.WriteThreads;
	// 0: DuckDB's default, one per CPU).
	WriteThreads int
}

// DefaultConfiguration is the store the CLI uses by default.
func DefaultConfiguration() Configuration {
	return Configuration{Path: store.DefaultPath, LockTimeout: 30 * time.Second, AbortGrace: 10 * time.Second}
}
