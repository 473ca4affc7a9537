package main

import (
	"os"
	"runtime/debug"
)

// ingest's memory: DuckDB's share and Go's are bounded apart, so that a
// capture with millions of sources a day stays within about 1 GiB
// (BENCHMARKS.md, "Ingest at darknet scale").

// ingestDuckMemory is DuckDB's memory limit while ingest's transaction is
// open (duckstore.Options.WriteMemory): without one, DuckDB keeps the
// blocks of a large capture's rows cached up to most of the machine's
// memory. 64 MiB rather than 128: the 10 M-packet week peaked at 515–535
// MiB against 591–611, the 4 M-source day at 862 against 904, CPU within
// the noise (BENCHMARKS.md, "A week within 512 MiB").
const ingestDuckMemory = 64 << 20

// ingestGoMemory is the Go heap's soft limit during ingest, unless
// GOMEMLIMIT says otherwise. The counting tables and parts in flight live
// for a part each, and with the default collector pacing (GOGC=100) the
// heap grows to twice what is live before a collection; the soft limit
// makes the collector run earlier instead once the heap nears it. It is
// soft: a capture that needs more gets more.
const ingestGoMemory = 600 << 20

// ingestGCPercent is the collector's pacing during ingest, unless GOGC
// says otherwise: a collection once the heap has grown by 30 % of what is
// live, not by all of it. Most of ingest's live heap is pointer-free
// tables (counting, source-port bins, evidence rows and payloads), which
// a collection does not scan, so collecting more often costs little: on
// the 10 M-packet week it kept peak RSS to about 590 MiB against 750 at
// the default 100, on the 4 M-source day about 910 against 960 MiB, CPU
// within the noise (BENCHMARKS.md, "Source ports and evidence off the
// decoding goroutine"); 30 rather than 50 with DuckDB's 64 MiB: the week
// at 510 MiB against 549 at 50 (495 at 25), one run each (BENCHMARKS.md,
// "A week within 512 MiB").
const ingestGCPercent = 30

func limitIngestMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(ingestGoMemory)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(ingestGCPercent)
	}
}
