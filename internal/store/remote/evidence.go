package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"

	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Evidence through the owner (docs/rules.md "Evidence"): the reads a
// report and `stats --ruleset` need (EvidenceDays, RuleSetRuns) are Reader
// calls; a transaction's evidence (store.EvidenceTx) is an opEvidence
// message announcing the part, then its payloads and counts in bulk
// frames (gob, at most evidenceFrame bytes of payload data each), checked
// by the owner before it appends them. A backfill through the owner runs
// on the owner, under its write lock, with the classifiers its
// Server.Classifiers builds for the rule set (the rules run where the
// store is open; the client's classifiers are not sent).
const (
	opEvidenceDays = "evidence-days"
	opRuleSetRuns  = "rule-set-runs"
	opEvidence     = "evidence"
	opBackfill     = "backfill"
)

// evidenceFrame is the payload bytes a client puts in one bulk frame (a
// variable so that tests can make many small frames).
var evidenceFrame = 4 << 20

// Bounds of one evidence part sent through the owner.
const (
	// maxEvidencePayloads and maxEvidenceCounts bound the rows of a part.
	maxEvidencePayloads = 1 << 24
	maxEvidenceCounts   = 1 << 24
	// maxEvidenceBytes bounds its payload bytes (a collector holds 128 MiB
	// by default).
	maxEvidenceBytes = 1 << 30
)

// errBackfillRemote is the answer of an owner without Server.Classifiers.
var errBackfillRemote = errors.New("this store owner cannot backfill (rules backfill runs on the store file: stop the process that owns it, backfill, and start it again)")

// backfillArgs is a backfill's request.
type backfillArgs struct {
	RuleSet int32
	Query   store.EvidenceQuery
}

func init() {
	readOps[opEvidenceDays] = readOp(func(st store.Store, ctx context.Context, q store.EvidenceQuery) ([]store.EvidenceDay, error) {
		e, err := store.EvidenceOf(st)
		if err != nil {
			return nil, err
		}
		return e.EvidenceDays(ctx, q)
	})
	readOps[opRuleSetRuns] = readOp(func(st store.Store, ctx context.Context, q store.EvidenceQuery) ([]store.RuleSetRun, error) {
		e, err := store.EvidenceOf(st)
		if err != nil {
			return nil, err
		}
		return e.RuleSetRuns(ctx, q)
	})
}

var (
	_ store.EvidenceStore = (*Client)(nil)
	_ store.EvidenceTx    = (*clientTx)(nil)
)

// EvidenceDays asks the owner.
func (cl *Client) EvidenceDays(ctx context.Context, q store.EvidenceQuery) ([]store.EvidenceDay, error) {
	return readCall[[]store.EvidenceDay](ctx, cl, opEvidenceDays, q)
}

// RuleSetRuns asks the owner.
func (cl *Client) RuleSetRuns(ctx context.Context, q store.EvidenceQuery) ([]store.RuleSetRun, error) {
	return readCall[[]store.RuleSetRun](ctx, cl, opRuleSetRuns, q)
}

// Backfill asks the owner to backfill rule set ruleSet over q. The owner
// classifies with the classifiers its Server.Classifiers builds for that
// set (the `rules backfill` ones, backfill.Classifier); c is not sent, and
// progress is told only the end.
func (cl *Client) Backfill(ctx context.Context, ruleSet int32, q store.EvidenceQuery, c store.Classifiers, progress func(done, total int)) (store.BackfillResult, error) {
	if cl.readOnly {
		return store.BackfillResult{}, errReadOnly
	}
	res, err := readCall[store.BackfillResult](ctx, cl, opBackfill, backfillArgs{ruleSet, q})
	if err == nil && progress != nil {
		progress(res.Payloads, res.Payloads)
	}
	return res, err
}

// backfillOp is the readFunc of a backfill, run by the server holding its
// write lock.
func (s *Server) backfillOp(ctx context.Context, st store.Store, args func(any) error) (any, error) {
	var a backfillArgs
	if err := args(&a); err != nil {
		return nil, err
	}
	if s.Classifiers == nil {
		return nil, errBackfillRemote
	}
	e, err := store.EvidenceOf(st)
	if err != nil {
		return nil, err
	}
	c, err := s.Classifiers(ctx, a.RuleSet)
	if err != nil {
		return nil, err
	}
	return e.Backfill(ctx, a.RuleSet, a.Query, c, nil)
}

// evidenceChunk is one bulk frame of a part: some payloads, then some
// counts (each in the order of the part).
type evidenceChunk struct {
	Payloads []evidence.Payload
	Counts   []evidence.Count
}

// AppendEvidence implements store.EvidenceTx: the part goes to the owner,
// which appends it to the transaction.
func (t *clientTx) AppendEvidence(ctx context.Context, p *evidence.Part, sensor string) error {
	if p == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("transaction already finished")
	}
	hdr := *p
	hdr.Payloads, hdr.Counts = nil, nil
	var frames [][]byte
	enc := func(c evidenceChunk) error {
		var b bytes.Buffer
		if err := gob.NewEncoder(&b).Encode(c); err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		frames = append(frames, b.Bytes())
		return nil
	}
	for i := 0; i < len(p.Payloads); {
		j, n := i, 0
		for j < len(p.Payloads) && (j == i || n+len(p.Payloads[j].Data) <= evidenceFrame) {
			n += len(p.Payloads[j].Data) + 48
			j++
		}
		if err := enc(evidenceChunk{Payloads: p.Payloads[i:j]}); err != nil {
			return err
		}
		i = j
	}
	countsPerFrame := max(1, evidenceFrame/64)
	for i := 0; i < len(p.Counts); i += countsPerFrame {
		if err := enc(evidenceChunk{Counts: p.Counts[i:min(len(p.Counts), i+countsPerFrame)]}); err != nil {
			return err
		}
	}
	var hb bytes.Buffer
	if err := gob.NewEncoder(&hb).Encode(evidenceHeader{Part: hdr, Sensor: sensor, Payloads: len(p.Payloads), Counts: len(p.Counts)}); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	return t.sendPart(ctx, "evidence", opEvidence, hb.Bytes(), frames)
}

// sendPart sends a part of a capture's transaction (evidence, source-port
// histograms): a control message of op with its header, then its frames
// of rows in bulk. The owner ends a transaction whose part failed, and so
// does the client.
func (t *clientTx) sendPart(ctx context.Context, what, op string, hdr []byte, frames [][]byte) error {
	_, err := t.roundTrip(ctx, what, func() error {
		if err := t.k.c.writeMessage(&message{Op: op, Args: hdr, Count: len(frames)}); err != nil {
			return err
		}
		for _, f := range frames {
			if err := t.k.c.writeBulk(f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.done = true
		t.k.close()
	}
	return err
}

// evidenceHeader announces a part: its totals and the rows to come.
type evidenceHeader struct {
	Part     evidence.Part // without its rows
	Sensor   string
	Payloads int
	Counts   int
}

// receiveEvidence reads the part m announces from the next frames and
// checks it: every row announced and no more, payloads within their
// bounds and hashes, counts naming payloads of the part.
func receiveEvidence(m *message, next func() (frame, bool)) (*evidence.Part, string, error) {
	var h evidenceHeader
	if err := gob.NewDecoder(bytes.NewReader(m.Args)).Decode(&h); err != nil {
		return nil, "", fmt.Errorf("evidence: bad header: %w", err)
	}
	if h.Payloads < 0 || h.Payloads > maxEvidencePayloads || h.Counts < 0 || h.Counts > maxEvidenceCounts ||
		m.Count < 0 || m.Count > h.Payloads+h.Counts {
		return nil, "", fmt.Errorf("evidence: %d payloads, %d counts in %d frames: beyond the bounds", h.Payloads, h.Counts, m.Count)
	}
	p := h.Part
	if p.MaxLen <= 0 || p.MaxLen > evidence.MaxMaxLen {
		return nil, "", fmt.Errorf("evidence: kept length %d (want 1 to %d)", p.MaxLen, evidence.MaxMaxLen)
	}
	var total int64
	for range m.Count {
		f, ok := next()
		if !ok {
			return nil, "", errors.New("evidence: the client left")
		}
		if f.kind != kindBulk {
			return nil, "", errors.New("evidence: a control frame among its rows")
		}
		var c evidenceChunk
		if err := gob.NewDecoder(bytes.NewReader(f.payload)).Decode(&c); err != nil {
			return nil, "", fmt.Errorf("evidence: bad rows: %w", err)
		}
		if len(p.Payloads)+len(c.Payloads) > h.Payloads || len(p.Counts)+len(c.Counts) > h.Counts {
			return nil, "", errors.New("evidence: more rows than announced")
		}
		for i := range c.Payloads {
			q := &c.Payloads[i]
			if len(q.Data) > p.MaxLen || q.Len < len(q.Data) || (q.Len > len(q.Data) && len(q.Data) < p.MaxLen) {
				return nil, "", fmt.Errorf("evidence: payload %d: %d bytes kept of %d (kept length %d)", len(p.Payloads)+i, len(q.Data), q.Len, p.MaxLen)
			}
			if !q.Truncated() && sha256.Sum256(q.Data) != q.Hash {
				return nil, "", fmt.Errorf("evidence: payload %d: hash does not match its bytes", len(p.Payloads)+i)
			}
			if total += int64(len(q.Data)); total > maxEvidenceBytes {
				return nil, "", fmt.Errorf("evidence: more than %d MiB of payloads", maxEvidenceBytes>>20)
			}
		}
		p.Payloads = append(p.Payloads, c.Payloads...)
		p.Counts = append(p.Counts, c.Counts...)
	}
	if len(p.Payloads) != h.Payloads || len(p.Counts) != h.Counts {
		return nil, "", fmt.Errorf("evidence: got %d payloads and %d counts, announced %d and %d", len(p.Payloads), len(p.Counts), h.Payloads, h.Counts)
	}
	for i := range p.Counts {
		c := &p.Counts[i]
		if int(c.Payload) >= len(p.Payloads) || !c.Src.IsValid() {
			return nil, "", fmt.Errorf("evidence: count %d: payload %d of %d, source %v", i, c.Payload, len(p.Payloads), c.Src)
		}
	}
	return &p, h.Sensor, nil
}
