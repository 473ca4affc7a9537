package remote

import (
	"bytes"
	"context"
	"encoding/gob"
	"net/netip"
	"reflect"
	"testing"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

// TestSrcPortsThroughOwner: a capture's source-port histograms committed
// through the owner (in many frames) are kept, and the study's reads
// (bins, days, the ranking) through the owner equal those of a store
// given the same capture directly.
func TestSrcPortsThroughOwner(t *testing.T) {
	old := srcPortFrame
	srcPortFrame = 50
	defer func() { srcPortFrame = old }()
	ctx := context.Background()
	d := direct(t)
	o, _ := owned(t)
	c := dial(t, o)
	r, p := result(5, 400)
	part := &srcports.Part{K: 4}
	for i, sd := range r.Sources {
		day := civil.Day(sd.Day)
		part.Rows = append(part.Rows, srcports.Row{Day: day, Src: sd.Addr, Kind: srcports.KindSrc, Proto: 6, Port: uint16(40000 + i%3), Packets: sd.Packets})
		part.Rows = append(part.Rows, srcports.Row{Day: day, Src: sd.Addr, Kind: srcports.KindDst, Proto: 6, Port: 23, Packets: 1})
	}
	for _, st := range []store.Store{d, c} {
		b := &store.Batch{Ingest: ingestOf("/c/s.pcap", "sha256:s", "tokyo"), Result: r, Places: p, Pattern: pattern,
			Sensor: store.Sensor{Name: "tokyo"}, SrcPorts: part}
		if _, err := st.Commit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	all, _, err := d.SrcPortObs(ctx, store.SrcPortQuery{})
	if err != nil || len(all) == 0 {
		t.Fatalf("%d bins (%v)", len(all), err)
	}
	for _, q := range []store.SrcPortQuery{{}, {Srcs: []netip.Addr{all[0].Src, all[len(all)-1].Src}}, {Limit: 7}, {Sensors: []string{"osaka"}}} {
		a, ca, errA := d.SrcPortObs(ctx, q)
		b, cb, errB := c.SrcPortObs(ctx, q)
		if errA != nil || errB != nil || !reflect.DeepEqual(a, b) || ca != cb {
			t.Errorf("bins %+v: %d (cut %v, %v) through the owner, %d (cut %v, %v) direct", q, len(b), cb, errB, len(a), ca, errA)
		}
		ra, errA := d.SrcPortTop(ctx, q, 10, 2)
		rb, errB := c.SrcPortTop(ctx, q, 10, 2)
		if errA != nil || errB != nil || !reflect.DeepEqual(ra, rb) {
			t.Errorf("ranking %+v: %+v (%v) through the owner, %+v (%v) direct", q, rb, errB, ra, errA)
		}
	}
	first, last := all[0].Day, all[len(all)-1].Day
	da, errA := d.SrcPortDays(ctx, first, last, nil)
	db, errB := c.SrcPortDays(ctx, first, last, nil)
	if errA != nil || errB != nil || len(da) == 0 || !reflect.DeepEqual(da, db) {
		t.Errorf("days: %v (%v) through the owner, %v (%v) direct", db, errB, da, errA)
	}
}

// TestReceiveSrcPortsHostile: a part announced one way and sent another,
// or with rows no collector makes, is refused with a message, never kept.
func TestReceiveSrcPortsHostile(t *testing.T) {
	src := netip.MustParseAddr("192.0.2.7")
	good := []srcports.Row{{Day: 20574, Src: src, Kind: srcports.KindSrc, Proto: 6, Port: 40000, Packets: 3},
		{Day: 20574, Src: src, Kind: srcports.KindOther, Packets: 1}}
	enc := func(v any) []byte {
		var b bytes.Buffer
		if err := gob.NewEncoder(&b).Encode(v); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	run := func(k, rows int, frames ...frame) error {
		m := &message{Op: opSrcPorts, Args: enc(srcPortHeader{Part: srcports.Part{K: k}, Sensor: "s", Rows: rows}), Count: len(frames)}
		i := 0
		_, _, err := receiveSrcPorts(m, func() (frame, bool) {
			if i == len(frames) {
				return frame{}, false
			}
			i++
			return frames[i-1], true
		})
		return err
	}
	bulk := func(rows []srcports.Row) frame { return frame{kind: kindBulk, payload: enc(rows)} }
	if err := run(4, 2, bulk(good[:1]), bulk(good[1:])); err != nil {
		t.Fatalf("a good part refused: %v", err)
	}
	for name, err := range map[string]error{
		"more rows than announced": run(4, 1, bulk(good[:1]), bulk(good[1:])),
		"fewer rows":               run(4, 3, bulk(good)),
		"a bad kind":               run(4, 1, bulk([]srcports.Row{{Src: src, Kind: 9, Proto: 6}})),
		"no source":                run(4, 1, bulk([]srcports.Row{{Kind: srcports.KindSrc, Proto: 6}})),
		"a protocol of no scan":    run(4, 1, bulk([]srcports.Row{{Src: src, Kind: srcports.KindDst, Proto: 1}})),
		"K 0":                      run(0, 2, bulk(good)),
		"a control frame":          run(4, 2, frame{kind: kindControl, payload: enc(good)}),
		"garbage":                  run(4, 2, frame{kind: kindBulk, payload: []byte("\x07nonsense")}),
		"more frames than rows":    run(4, 1, bulk(good[:1]), bulk(nil)),
		"the client left":          run(4, 2, bulk(good[:1])),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
