package ingest

import (
	"context"
	"time"

	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/store"
)

// EvidenceResult says what a capture's evidence kept (package evidence):
// of the Packets whose payload the exploit classifier looked at, Kept are
// stored with their payload (Truncated of them cut to the kept length),
// Dropped are not (the bounds of evidence.Options were reached); Payloads
// is the distinct payloads among them. All zero with Config.NoEvidence; a
// store whose Tx is not a store.EvidenceTx (one reached through its owner)
// keeps none of it.
type EvidenceResult struct {
	Packets, Kept, Dropped, Truncated uint64
	Payloads                          int
}

func newEvidence(cfg *Config, loc *time.Location) *evidence.Collector {
	if cfg.NoEvidence {
		return nil
	}
	return evidence.NewCollector(loc, cfg.Evidence)
}

// finishEvidence accounts a capture's evidence p in res.
func finishEvidence(p *evidence.Part, res *FileResult) *evidence.Part {
	res.Evidence = EvidenceResult{Packets: p.Packets, Kept: p.Kept, Dropped: p.Dropped,
		Truncated: p.Truncated, Payloads: len(p.Payloads)}
	return p
}

// writeEvidence appends the capture's evidence to the file's transaction
// (a store whose Tx keeps none is left as it is).
func (s *partSink) writeEvidence(ctx context.Context, p *evidence.Part) {
	if p == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil || s.tx == nil {
		return
	}
	if et, ok := s.tx.(store.EvidenceTx); ok {
		if err := et.AppendEvidence(ctx, p, s.sensor); err != nil {
			s.err = err
		}
	}
}
