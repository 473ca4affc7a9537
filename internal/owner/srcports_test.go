package owner

import (
	"context"
	"crypto/sha256"
	"net/netip"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/storecache"
)

// TestHistogramsAndEvidenceThroughOwner: a capture's transaction through
// the owner's guarded view, and through serve's cache over it, keeps its
// source-port histograms and its evidence, and both read back.
func TestHistogramsAndEvidenceThroughOwner(t *testing.T) {
	c, _ := newComponent(t)
	ctx := context.Background()
	for i, st := range []store.Store{c.Store(), storecache.New(c.Store(), storecache.Options{})} {
		src := netip.AddrFrom4([4]byte{198, 51, 100, byte(10 + i)})
		day := civil.Day(20574 + i) // 2026-05-01 on
		ts := day.Start(time.UTC).Add(time.Hour).UnixNano()
		r := &aggregate.Result{Packets: 5, Inbound: 5, First: ts, Last: ts + 1e9}
		r.Sources = []aggregate.SourceDay{{Addr: src, Day: aggregate.Day(day), First: ts, Last: ts + 1e9, Packets: 5, Tags: classify.Access.Bit()}}
		r.Hits = []aggregate.Hit{{Source: 0, Proto: 6, Port: 23, Tags: classify.Access.Bit(), Packets: 5}}
		tx, err := st.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Append(ctx, r, []store.Place{{Country: "JP"}}, "s", func(int) string { return "" }); err != nil {
			t.Fatal(err)
		}
		spt, ok := tx.(store.SrcPortTx)
		if !ok {
			t.Fatalf("view %d: its transaction keeps no source-port histograms", i)
		}
		part := &srcports.Part{K: 4, Packets: 5, Confined: 1, Rows: []srcports.Row{
			{Day: day, Src: src, Kind: srcports.KindSrc, Proto: 6, Port: 40000, Packets: 5},
			{Day: day, Src: src, Kind: srcports.KindDst, Proto: 6, Port: 23, Packets: 5}}}
		if err := spt.AppendSrcPorts(ctx, part, "s"); err != nil {
			t.Fatal(err)
		}
		et, ok := tx.(store.EvidenceTx)
		if !ok {
			t.Fatalf("view %d: its transaction keeps no evidence", i)
		}
		data := []byte("GET /shell?cd+/tmp")
		ev := &evidence.Part{MaxLen: 64, Packets: 5, Kept: 5, Payloads: []evidence.Payload{{Hash: sha256.Sum256(data), Len: len(data), Data: data}},
			Counts: []evidence.Count{{Day: day, Src: src, Proto: 6, Port: 23, Payload: 0, Packets: 5}}}
		if err := et.AppendEvidence(ctx, ev, "s"); err != nil {
			t.Fatal(err)
		}
		in := store.Ingest{Path: "/c/" + src.String() + ".pcap", Hash: "sha256:" + src.String(), Size: 1, Sensor: "s", Format: "pcap", Packets: 5,
			First: time.Unix(0, ts).UTC(), Last: time.Unix(0, ts+1e9).UTC(), ErrorOffset: -1}
		if err := tx.Finish(ctx, in, false, store.Sensor{Name: "s"}); err != nil {
			t.Fatal(err)
		}
		sp, err := store.SrcPortsOf(st)
		if err != nil {
			t.Fatal(err)
		}
		obs, _, err := sp.SrcPortObs(ctx, store.SrcPortQuery{Src: src})
		if err != nil || len(obs) != 2 || obs[0].Packets != 5 {
			t.Errorf("view %d: bins %+v (%v), want the 2 appended", i, obs, err)
		}
		e, err := store.EvidenceOf(st)
		if err != nil {
			t.Fatal(err)
		}
		days, err := e.EvidenceDays(ctx, store.EvidenceQuery{From: day, To: day})
		if err != nil || len(days) == 0 {
			t.Errorf("view %d: evidence days %+v (%v), want the appended", i, days, err)
		}
	}
}
