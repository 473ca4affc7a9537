package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
)

// sessionBatches are batches of sessions: a few intrusions dropping
// samples, then more than one bulk frame's worth of HTTP sessions with
// large bodies, and hits with an exploit pattern.
func sessionBatches() []store.SessionBatch {
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	loc, _ := time.LoadLocation("Asia/Tokyo")
	var out []store.SessionBatch
	var first []session.Session
	for i := range 5 {
		src := netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)})
		first = append(first, storetest.Telnet(fmt.Sprintf("t%d", i), "hp1", src, t0.Add(time.Duration(i)*time.Minute),
			storetest.ELF(fmt.Sprint(i%2)), "enable", "sh", "/bin/busybox ECCHI"))
	}
	hits := storetest.IntrusionHits("r1", "hp1", first, loc)
	hits.Result.Exploits = []aggregate.ExploitHit{{Source: 0, Proto: 6, Port: 23, Pattern: 2, Packets: 1}}
	hits.Pattern = func(id int) string { return fmt.Sprintf("pattern-%d", id) }
	out = append(out, store.SessionBatch{ID: "r1", Sessions: first, Hits: hits})
	var web []session.Session
	body := bytes.Repeat([]byte("A\x00\x1b[2J"), 16<<10)
	for i := range 100 {
		s := storetest.HTTP(fmt.Sprintf("w%03d", i), "hp2", netip.MustParseAddr("2001:db8::5"), t0.Add(time.Duration(i)*time.Second), "/cgi-bin/x")
		s.Requests[0].Body, s.Requests[0].BodySize = body, int64(len(body))
		web = append(web, s)
	}
	out = append(out, store.SessionBatch{ID: "r2", Sessions: web})
	return out
}

// TestSessionsThroughOwner commits the same batches directly and through
// an owner and checks that both stores hold the same rows and answer the
// same.
func TestSessionsThroughOwner(t *testing.T) {
	ctx := context.Background()
	ost, _ := owned(t)
	dst := direct(t)
	cl := dial(t, ost)
	batches := sessionBatches()
	for _, b := range batches {
		if err := dst.CommitSessions(ctx, b); err != nil {
			t.Fatal(err)
		}
		if err := cl.CommitSessions(ctx, b); err != nil {
			t.Fatal(err)
		}
		// A retry is idempotent through the owner too.
		if err := cl.CommitSessions(ctx, b); err != nil {
			t.Fatalf("retry: %v", err)
		}
	}
	// The same hits under another batch id: refused, as directly.
	dup := batches[0]
	dup.ID = "r1-again"
	if err := cl.CommitSessions(ctx, dup); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate hits through the owner: %v, want ErrDuplicate", err)
	}
	sameTables(t, "after the batches", ost, dst)
	for _, q := range []string{
		`SELECT * FROM hp_sessions ORDER BY id`,
		`SELECT * FROM hp_logins ORDER BY ALL`,
		`SELECT * FROM hp_commands ORDER BY ALL`,
		`SELECT * FROM hp_requests ORDER BY ALL`,
		`SELECT * FROM hp_urls ORDER BY ALL`,
		`SELECT * FROM hp_files ORDER BY ALL`,
		`SELECT * FROM samples ORDER BY ALL`,
		`SELECT id, sessions FROM hp_batches ORDER BY ALL`,
	} {
		if a, b := dump(t, ost, q), dump(t, dst, q); a != b {
			t.Errorf("%s differs (%d / %d bytes)", q, len(a), len(b))
		}
	}
	if n := count(t, ost, `SELECT count(*) FROM exploits WHERE pattern = 'pattern-2'`); n != 1 {
		t.Errorf("%d exploit rows named by the pattern function, want 1", n)
	}
	for _, q := range []store.SessionQuery{{}, {Limit: 3}, {Intrusions: true}, {Services: []string{"http"}, Limit: 10000}, {ID: "t3"}} {
		want, err := dst.Sessions(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cl.Sessions(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: %d sessions through the owner, %d directly (or they differ)", q, len(got), len(want))
		}
	}
	want, err := dst.Samples(ctx, store.SampleQuery{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := cl.Samples(ctx, store.SampleQuery{})
	if err != nil || len(want) != 2 || !reflect.DeepEqual(got, want) {
		t.Errorf("samples through the owner %+v (%v), directly %+v", got, err, want)
	}
	if _, err := cl.Sessions(ctx, store.SessionQuery{SHA256: "zz"}); err == nil {
		t.Error("a bad query was accepted through the owner")
	}
	// Stats see the intrusions.
	rows, err := cl.Stats(ctx, store.StatsQuery{By: []string{"class"}, Classes: []string{classify.Intrusion.String()}})
	if err != nil || len(rows) != 1 || rows[0].Packets != 5 {
		t.Errorf("intrusion stats through the owner: %+v (%v), want 5", rows, err)
	}
	if err := cl.ReadOnly().CommitSessions(ctx, batches[1]); err == nil {
		t.Error("a read-only client committed")
	}
}

// TestSessionBatchHostile sends batches the owner must refuse without
// committing anything.
func TestSessionBatchHostile(t *testing.T) {
	ctx := context.Background()
	ost, _ := owned(t)
	send := func(announce int, parts ...[]byte) error {
		c, _, err := dialOwner(ctx, ost.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer c.rw.Close()
		if err := c.writeMessage(&message{Op: opCommitSessions, Count: announce}); err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			c.writeBulk(p)
		}
		c.flush()
		m, err := c.readMessage()
		if err != nil {
			return err
		}
		return replyError(m)
	}
	for name, err := range map[string]error{
		"too large": send(maxSessionBatch + 1),
		"negative":  send(-1),
		"overrun":   send(4, []byte("12345")),
		"garbage":   send(5, []byte("\xff\x00\x01\x02\x03")),
		"bad hit source": func() error {
			var b bytes.Buffer
			w := sessionBatchWire{ID: "x", Hits: &hitsWire{Result: &aggregate.Result{Hits: []aggregate.Hit{{Source: 7}}}}}
			if err := gobEncode(&b, w); err != nil {
				t.Fatal(err)
			}
			return send(b.Len(), b.Bytes())
		}(),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := count(t, ost, `SELECT count(*) FROM hp_batches`); n != 0 {
		t.Errorf("%d batches committed", n)
	}
}
