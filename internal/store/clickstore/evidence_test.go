package clickstore_test

import (
	"context"
	"crypto/sha256"
	"reflect"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// TestEvidenceContract runs the evidence contract (contract.RunEvidence)
// on a ClickHouse store.
func TestEvidenceContract(t *testing.T) {
	contract.RunEvidence(t, contract.ClickHouse(t, ""))
}

// TestEvidenceCleanup: Cleanup deletes the evidence of an aborted Tx, the
// exploit counts of a backfill a later one superseded and the stage rows,
// and the counts read stay as they were.
func TestEvidenceCleanup(t *testing.T) {
	ctx := context.Background()
	st := contract.ClickHouse(t, "")
	r := contractResult()
	src := r.Sources[0]
	part := func(text string) *evidence.Part {
		p := []byte(text)
		return &evidence.Part{MaxLen: 64, Packets: 5, Kept: 5,
			Payloads: []evidence.Payload{{Hash: sha256.Sum256(p), Len: len(p), Data: p}},
			Counts:   []evidence.Count{{Day: src.Day, Src: src.Addr, Proto: 6, Port: 23, Payload: 0, Packets: 5}}}
	}
	for i, abort := range []bool{false, true} {
		tx, err := st.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Append(ctx, r, []store.Place{{Country: "CN", ASN: 4134}}, "s1", nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.(store.EvidenceTx).AppendEvidence(ctx, part([]string{"GET /shell?a", "GET /shell?b"}[i]), "s1"); err != nil {
			t.Fatal(err)
		}
		if abort {
			if err := tx.Abort(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := tx.Finish(ctx, store.Ingest{Path: "a.pcap", Hash: "sha256:a", Sensor: "s1", Format: "pcap", Packets: 5}, false, store.Sensor{Name: "s1"}); err != nil {
			t.Fatal(err)
		}
	}
	c := store.Classifiers{Payload: func(store.EvidencePayload) string { return "1:1:1" }}
	for range 2 {
		if _, err := st.Backfill(ctx, 7, store.EvidenceQuery{}, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	q := store.StatsQuery{By: []string{"day", "src", "country", "pattern"}, RuleSet: 7}
	before, err := st.Stats(ctx, q)
	if err != nil || len(before) != 1 || before[0].Packets != 5 {
		t.Fatalf("stats under the set: %v %v, want one row of 5 packets", before, err)
	}
	rows := func() [3]uint64 {
		var n [3]uint64
		for i, tb := range []string{"exploit_counts", "evidence_counts", "backfill_stage"} {
			if n[i], err = clickstore.RollupRows(ctx, st, tb); err != nil {
				t.Fatal(err)
			}
		}
		return n
	}
	if n := rows(); n[0] != 2 || n[1] != 2 {
		t.Fatalf("before cleanup: %v rows of exploit_counts, evidence_counts, backfill_stage; want 2 and 2", n)
	}
	if err := st.Cleanup(ctx, 0); err != nil {
		t.Fatal(err)
	}
	// Mutations run in the background.
	want := [3]uint64{1, 1, 0}
	deadline := time.Now().Add(30 * time.Second)
	for n := rows(); n != want; n = rows() {
		if time.Now().After(deadline) {
			t.Fatalf("after cleanup: %v rows of exploit_counts, evidence_counts, backfill_stage; want %v", n, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	after, err := st.Stats(ctx, q)
	if err != nil || !reflect.DeepEqual(before, after) {
		t.Fatalf("stats under the set after cleanup: %v %v, before %v", after, err, before)
	}
	days, err := st.EvidenceDays(ctx, store.EvidenceQuery{})
	if err != nil || len(days) != 1 || days[0].Packets != 5 || days[0].Payloads != 1 {
		t.Fatalf("evidence days after cleanup: %v %v", days, err)
	}
}
