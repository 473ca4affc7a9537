package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNoRun is returned by SandboxRun for a run the store does not hold.
var ErrNoRun = errors.New("no such sandbox run")

// SandboxRun is one run of a sample in the sandbox and what it showed.
type SandboxRun struct {
	ID       int64         `json:"id"`
	SHA256   string        `json:"sha256"`
	Arch     string        `json:"arch"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	// Exit is the sample's exit status (-1: killed), TimedOut whether the
	// time limit ended the run.
	Exit     int   `json:"exit"`
	TimedOut bool  `json:"timed_out"`
	Packets  int64 `json:"packets"`
	// Sensor is the sensor its capture was ingested as ("" : not ingested).
	Sensor string   `json:"sensor,omitempty"`
	Notes  []string `json:"notes,omitempty"`
	// Indicators are filled by SandboxRun, not by SandboxRuns.
	Indicators []SandboxIndicator `json:"indicators,omitempty"`
}

// Kinds of sandbox indicators.
const (
	IndicatorDomain     = "domain"      // a name resolved
	IndicatorContacted  = "contacted"   // proto/address:port contacted (value "tcp 198.18.0.1:6667 c2.example")
	IndicatorScanned    = "scanned"     // a TCP port SYNs went to; count: distinct addresses
	IndicatorSourcePort = "source_port" // a source port of SYNs; count: SYNs
	IndicatorFile       = "file"        // a file created or written
	IndicatorOpened     = "opened"      // a file opened for reading
	IndicatorDeleted    = "deleted"     // a file deleted or renamed away
	IndicatorExec       = "exec"        // a program executed
	IndicatorProcesses  = "processes"   // processes created (value "fork"; count)
	IndicatorSocket     = "socket"      // a kind of socket opened
	IndicatorMirai      = "syn_seq_dst" // SYNs whose sequence number is their destination (count)
)

// SandboxIndicator is one indicator of a run: its kind, value and count.
type SandboxIndicator struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// SandboxRunQuery selects runs: those of the samples whose SHA-256 starts
// with SHA256 (all when ""), most recent first, at most Limit (0: 100).
type SandboxRunQuery struct {
	SHA256 string
	Limit  int
}

// MaxSandboxRuns is the most runs a SandboxRunQuery may ask for.
const MaxSandboxRuns = 10000

// Checked returns the number of runs q asks for (100 when it says none)
// and its SHA-256 prefix in lower case, or an error naming what of q a
// store cannot answer: a limit over MaxSandboxRuns, or a prefix that is
// not the start of a SHA-256.
func (q SandboxRunQuery) Checked() (limit int, prefix string, err error) {
	limit = q.Limit
	if limit <= 0 {
		limit = 100
	}
	if limit > MaxSandboxRuns {
		return 0, "", fmt.Errorf("limit %d over %d", limit, MaxSandboxRuns)
	}
	prefix = strings.ToLower(q.SHA256)
	for _, c := range prefix {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') || len(prefix) > 64 {
			return 0, "", fmt.Errorf("%q is not the start of a SHA-256", q.SHA256[:min(len(q.SHA256), 80)])
		}
	}
	return limit, prefix, nil
}

// SandboxStore keeps sandbox runs.
type SandboxStore interface {
	// AddSandboxRun stores a run and its indicators and returns it with its id.
	AddSandboxRun(ctx context.Context, r SandboxRun) (SandboxRun, error)
	// SandboxRuns lists runs (without their indicators).
	SandboxRuns(ctx context.Context, q SandboxRunQuery) ([]SandboxRun, error)
	// SandboxRun returns one run with its indicators (ErrNoRun when absent).
	SandboxRun(ctx context.Context, id int64) (SandboxRun, error)
}

// SandboxOf returns st as a SandboxStore, or an error saying it keeps none.
func SandboxOf(st any) (SandboxStore, error) {
	if s, ok := st.(SandboxStore); ok {
		return s, nil
	}
	return nil, errors.New("this store keeps no sandbox runs")
}
