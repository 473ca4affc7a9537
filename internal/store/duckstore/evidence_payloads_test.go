package duckstore

import (
	"context"
	"crypto/sha256"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/store"
)

// TestEvidencePayloadIDs checks how AppendEvidence stores payloads: a
// payload already stored is not stored twice, and a payload whose id (the
// first 64 bits of its hash) is another's, in the part or in the store, is
// refused.
func TestEvidencePayloadIDs(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "e.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pay := func(text string) evidence.Payload {
		return evidence.Payload{Hash: sha256.Sum256([]byte(text)), Len: len(text), Data: []byte(text)}
	}
	src := netip.MustParseAddr("192.0.2.7")
	d := day("2026-05-01")
	part := func(pays ...evidence.Payload) *evidence.Part {
		p := &evidence.Part{Payloads: pays, MaxLen: 64}
		for i := range pays {
			p.Counts = append(p.Counts, evidence.Count{Day: d, Src: src, Proto: 6, Port: 80, Payload: uint32(i), Packets: 1})
		}
		return p
	}
	n := 0
	ingest := func(p *evidence.Part) error {
		t.Helper()
		n++
		tx, err := st.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.(store.EvidenceTx).AppendEvidence(ctx, p, "s"); err != nil {
			tx.Abort()
			return err
		}
		return tx.Finish(ctx, store.Ingest{Path: "p", Hash: "h" + strings.Repeat("x", n), Sensor: "s"}, false, store.Sensor{})
	}
	count := func(q string) int {
		t.Helper()
		var c int
		if err := st.db.QueryRowContext(ctx, q).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := ingest(part(pay("GET /a"), pay("GET /b"))); err != nil {
		t.Fatal(err)
	}
	if err := ingest(part(pay("GET /b"), pay("GET /c"))); err != nil {
		t.Fatal(err)
	}
	if got := count(`SELECT count(*) FROM payloads`); got != 3 {
		t.Errorf("%d payloads stored, want 3 (one of them in both ingests)", got)
	}
	if got := count(`SELECT count(*) FROM evidence_counts`); got != 4 {
		t.Errorf("%d evidence counts, want 4", got)
	}
	if got := count(`SELECT count(*) FROM evidence_counts c JOIN payloads p ON p.id = c.payload AND p.data = CAST('GET /b' AS BLOB)`); got != 2 {
		t.Errorf("%d counts of the shared payload, want 2", got)
	}
	// Other content under a stored payload's id.
	fake := pay("GET /d")
	a := pay("GET /a")
	copy(fake.Hash[:8], a.Hash[:8])
	if err := ingest(part(pay("GET /e"), fake)); err == nil || !strings.Contains(err.Error(), "1 payload ids collide") {
		t.Errorf("payload with a stored payload's id: %v, want a collision", err)
	}
	// Two payloads of one part with one id.
	other := pay("GET /f")
	g := pay("GET /g")
	copy(other.Hash[:8], g.Hash[:8])
	if err := ingest(part(pay("GET /g"), other)); err == nil || !strings.Contains(err.Error(), "1 payload ids collide") {
		t.Errorf("two payloads of a part with one id: %v, want a collision", err)
	}
	if got := count(`SELECT count(*) FROM payloads`); got != 3 {
		t.Errorf("%d payloads stored after the refused parts, want 3", got)
	}
}
