package store

import (
	"context"
	"errors"
	"time"
)

// SampleAdd is a sample added by hand (`samples add`): its content is in
// the sample store, this is its row.
type SampleAdd struct {
	SHA256 string
	Size   int64
	Type   string    // session.FileType
	Time   time.Time // when it was added
	// Name is where it came from (a file or a zip member), printable and
	// at most 256 bytes: shown to the analyst, never used as a path.
	Name string
}

// TriageRecord is a sample's stored triage.
type TriageRecord struct {
	SHA256        string
	Version       int // triage.Version of the analysis
	Time          time.Time
	Arch          string
	Family        string // from markers ("" for none)
	Cluster       string // from the last clustering ("" before one)
	ClusterFamily string // the family clustering gave ("" before one)
	TLSH          string
	Telfhash      string
	Packed        bool
	// Result is the whole triage.Result as JSON.
	Result []byte
}

// TriageItem is what clustering needs of a triaged sample.
type TriageItem struct {
	SHA256, TLSH, Telfhash, Family, Arch string
	First                                time.Time // the sample's first seen
}

// ClusterAssignment is a sample's cluster and family (SetClusters).
type ClusterAssignment struct {
	SHA256, Cluster, Family string
}

// TriageStore keeps samples added by hand and the samples' triage
// (duckstore.Store, and the owner's client of one).
type TriageStore interface {
	// AddSamples records samples added by hand in one transaction: a row
	// in samples for a content the store did not know (via "added", its
	// first and last seen the time added), last seen moved on for one it
	// knew, and the add itself. It returns how many were new to the store.
	AddSamples(ctx context.Context, adds []SampleAdd) (int, error)
	// PutTriage stores (replaces) the records.
	PutTriage(ctx context.Context, recs []TriageRecord) error
	// Triage returns the records of the given samples (full SHA-256s),
	// keyed by SHA-256; samples without triage are absent.
	Triage(ctx context.Context, sha []string) (map[string]TriageRecord, error)
	// Untriaged lists the samples with no triage or one older than version,
	// at most limit (0: all), most recently seen first.
	Untriaged(ctx context.Context, version, limit int) ([]string, error)
	// TriageItems lists every triaged sample for clustering.
	TriageItems(ctx context.Context) ([]TriageItem, error)
	// SetClusters stores the clustering's answer (replacing the last one).
	SetClusters(ctx context.Context, as []ClusterAssignment) error
}

// TriageOf returns st as a TriageStore, or an error saying it keeps none.
func TriageOf(st any) (TriageStore, error) {
	if t, ok := st.(TriageStore); ok {
		return t, nil
	}
	return nil, errors.New("this store keeps no sample triage")
}
