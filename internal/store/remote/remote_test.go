package remote

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// owned opens a store in a temporary directory and starts an owner on it.
func owned(t *testing.T) (*duckstore.Store, *Server) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "o.duckdb")
	st, err := duckstore.Open(ctx, path, duckstore.Options{TimeZone: "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(st, nil)
	if err := srv.Start(ctx); err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Stop(context.Background())
		st.Close()
	})
	return st, srv
}

func direct(t *testing.T) *duckstore.Store {
	t.Helper()
	st, err := duckstore.Open(context.Background(), filepath.Join(t.TempDir(), "d.duckdb"), duckstore.Options{TimeZone: "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func dial(t *testing.T, st *duckstore.Store) *Client {
	t.Helper()
	c, err := DialClient(context.Background(), st.Path())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var countries = []string{"CN", "US", "JP", "BR", "ZZ", "??"}

// result makes a Result of n source-days with hits, exploit hits and
// hourly counts, from seed.
func result(seed uint64, n int) (*aggregate.Result, []store.Place) {
	rng := rand.New(rand.NewPCG(seed, 1))
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	r := &aggregate.Result{}
	places := make([]store.Place, n)
	for i := 0; i < n; i++ {
		var a netip.Addr
		if rng.IntN(5) == 0 {
			var b [16]byte
			b[0], b[1] = 0x20, 0x01
			for j := 2; j < 16; j++ {
				b[j] = byte(rng.UintN(256))
			}
			a = netip.AddrFrom16(b)
		} else {
			a = netip.AddrFrom4([4]byte{byte(1 + rng.UintN(220)), byte(rng.UintN(256)), byte(rng.UintN(256)), byte(rng.UintN(256))})
		}
		d := rng.IntN(3)
		ts := base.Add(time.Duration(d)*24*time.Hour + time.Duration(rng.IntN(86400))*time.Second).UnixNano()
		tags := classify.Access.Bit()
		if rng.IntN(3) == 0 {
			tags |= classify.Mirai.Bit()
		}
		sd := aggregate.SourceDay{Addr: a, Day: aggregate.Day(ts / 1e9 / 86400), First: ts, Last: ts + int64(rng.IntN(1e6)), Tags: tags, PortState: uint8(rng.IntN(3))}
		if sd.PortState == 1 {
			sd.SrcPort = uint16(rng.UintN(65536))
		}
		nh := 1 + rng.IntN(4)
		for j := 0; j < nh; j++ {
			p := uint64(1 + rng.IntN(50))
			r.Hits = append(r.Hits, aggregate.Hit{Source: uint32(i), Proto: []uint8{6, 17, 1}[rng.IntN(3)], Port: uint16(rng.UintN(1024)), Tags: tags, Packets: p})
			sd.Packets += p
			sd.Bytes += p * 60
		}
		if rng.IntN(10) == 0 {
			r.Exploits = append(r.Exploits, aggregate.ExploitHit{Source: uint32(i), Proto: 6, Port: 80, Pattern: rng.IntN(3), Packets: 1})
		}
		r.Sources = append(r.Sources, sd)
		cc := countries[rng.IntN(len(countries))]
		places[i] = store.Place{Country: cc, ASN: uint32(rng.IntN(5)), Org: "org-" + cc}
		if cc == "ZZ" {
			places[i].Special = "documentation"
		}
	}
	// Hits in another order than by source, as shards produce them.
	rng.Shuffle(len(r.Hits), func(i, j int) { r.Hits[i], r.Hits[j] = r.Hits[j], r.Hits[i] })
	for h := 0; h < 30; h++ {
		r.Hourly = append(r.Hourly, aggregate.HourCount{Hour: base.Unix() + int64(h)*3600, Proto: 6, Tags: classify.Access.Bit(), Packets: uint64(h + 1), Bytes: uint64(60 * (h + 1))})
	}
	return r, places
}

func pattern(id int) string { return []string{"jaws-shell", "busybox", "gpon"}[id%3] }

func ingestOf(path, hash string, sensor string) store.Ingest {
	t := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	return store.Ingest{Path: path, Hash: hash, Size: 1000, Sensor: sensor, Format: "pcap", Frames: 10, Packets: 9,
		First: t, Last: t.Add(time.Hour), ErrorOffset: -1, Supersedes: []string{"sha256:old"}, Duration: time.Second, Version: "test"}
}

// queries are the stats questions compared between the two stores.
func queries() []store.StatsQuery {
	var qs []store.StatsQuery
	for _, d := range store.Dimensions {
		qs = append(qs, store.StatsQuery{By: []string{d}, OrderBy: "key"})
	}
	qs = append(qs,
		store.StatsQuery{},
		store.StatsQuery{By: []string{"day", "class"}, OrderBy: "key"},
		store.StatsQuery{By: []string{"asn"}, OrderBy: "key"},
		store.StatsQuery{By: []string{"country", "port"}, Classes: []string{"mirai"}, Top: 5},
		store.StatsQuery{By: []string{"src"}, Countries: []string{"cn", "US"}, OrderBy: "key", From: "2026-05-02"},
		store.StatsQuery{By: []string{"sensor", "proto"}, Protos: []string{"tcp"}, Ports: []int{80, 23}, OrderBy: "key"},
	)
	return qs
}

// TestClientEqualsDirect runs the same writes on a store written directly
// and on one written through its owner, and checks that every call gives
// the same answer and that the stores end up holding the same rows.
func TestClientEqualsDirect(t *testing.T) {
	old := chunkTarget
	chunkTarget = 8 << 10 // many chunks per Append
	defer func() { chunkTarget = old }()
	ctx := context.Background()
	d := direct(t)
	o, _ := owned(t)
	c := dial(t, o)
	if c.TimeZone() != d.TimeZone() || c.Location().String() != d.Location().String() || c.Path() != SocketPath(o.Path()) {
		t.Fatalf("client zone %s %s path %s", c.TimeZone(), c.Location(), c.Path())
	}
	stores := []store.Store{d, c}

	// Commit, the same content again (duplicate), with Replace, and a
	// batch without rows.
	r1, p1 := result(1, 3000)
	r2, p2 := result(2, 500)
	batches := []*store.Batch{
		{Ingest: ingestOf("/c/a.pcap", "sha256:a", "tokyo"), Result: r1, Places: p1, Pattern: pattern, Sensor: store.Sensor{Name: "tokyo", Nets: "192.0.2.0/24", Addresses: 256}},
		{Ingest: ingestOf("/c/a.pcap", "sha256:a", "tokyo"), Result: r1, Places: p1, Pattern: pattern},
		{Ingest: ingestOf("/c/b.pcap", "sha256:b", "osaka"), Result: r2, Places: p2, Sensor: store.Sensor{Name: "osaka"}},
		{Ingest: ingestOf("/c/b.pcap", "sha256:b", "osaka"), Replace: true, Result: r2, Places: p2, Pattern: pattern, Sensor: store.Sensor{Name: "osaka", Addresses: 1}},
		{Ingest: ingestOf("/c/e.pcap", "sha256:e", "tokyo")},
	}
	for i, b := range batches {
		var ids [2]int32
		var errs [2]error
		for j, st := range stores {
			ids[j], errs[j] = st.Commit(ctx, b)
		}
		if ids != [2]int32{ids[0], ids[0]} || fmt.Sprint(errs[0]) != fmt.Sprint(errs[1]) || errors.Is(errs[0], store.ErrDuplicate) != errors.Is(errs[1], store.ErrDuplicate) {
			t.Fatalf("commit %d: direct %d %v, owner %d %v", i, ids[0], errs[0], ids[1], errs[1])
		}
	}
	// A transaction in parts, finished; one aborted.
	for j, st := range stores {
		tx, err := st.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for seed := uint64(10); seed < 13; seed++ {
			r, p := result(seed, 700)
			if err := tx.Append(ctx, r, p, "nagoya", pattern); err != nil {
				t.Fatalf("store %d: append: %v", j, err)
			}
		}
		if err := tx.Finish(ctx, ingestOf("/c/n.pcap", "sha256:n", "nagoya"), false, store.Sensor{Name: "nagoya"}); err != nil {
			t.Fatalf("store %d: finish: %v", j, err)
		}
		if err := tx.Finish(ctx, ingestOf("/c/n.pcap", "sha256:n", "nagoya"), false, store.Sensor{}); err == nil {
			t.Errorf("store %d: second finish accepted", j)
		}
		tx, err = st.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r, p := result(20, 100)
		if err := tx.Append(ctx, r, p, "x", nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Abort(); err != nil {
			t.Fatalf("store %d: abort: %v", j, err)
		}
	}
	compare := func(when string) {
		t.Helper()
		for _, q := range queries() {
			a, errA := d.Stats(ctx, q)
			b, errB := c.Stats(ctx, q)
			if errA != nil || errB != nil {
				t.Fatalf("%s: stats %+v: %v / %v", when, q, errA, errB)
			}
			if len(a) == 0 {
				t.Fatalf("%s: stats %+v: no rows", when, q)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s: stats %+v differ:\ndirect %v\nowner  %v", when, q, a[:min(3, len(a))], b[:min(3, len(b))])
			}
		}
		ka, errA := d.KnownSizes(ctx)
		kb, errB := c.KnownSizes(ctx)
		if errA != nil || errB != nil || !reflect.DeepEqual(ka, kb) {
			t.Errorf("%s: known sizes %v %v: %v / %v", when, ka, kb, errA, errB)
		}
		sameTables(t, when, d, o)
	}
	compare("after commits")
	// An error the store gives comes back with the same message.
	_, errA := d.Stats(ctx, store.StatsQuery{By: []string{"nonsense"}})
	_, errB := c.Stats(ctx, store.StatsQuery{By: []string{"nonsense"}})
	if errA == nil || errB == nil || errA.Error() != errB.Error() {
		t.Errorf("bad query: %v / %v", errA, errB)
	}

	// Reassign with a locate that changes countries and ASNs, over a day
	// range, then over everything without an ASN database.
	locate := func(a netip.Addr) store.Place {
		b := a.As16()
		cc := countries[int(b[15])%len(countries)]
		return store.Place{Country: cc, ASN: uint32(b[14]), Org: "new-" + cc}
	}
	for _, rg := range [][4]string{{"2026-05-02", "2026-05-02", "c.mmdb", "a.mmdb"}, {"", "", "c2.mmdb", ""}} {
		ra, errA := d.Reassign(ctx, rg[0], rg[1], locate, rg[2], rg[3])
		rb, errB := c.Reassign(ctx, rg[0], rg[1], locate, rg[2], rg[3])
		if errA != nil || errB != nil || ra != rb || ra.Changed == 0 {
			t.Fatalf("reassign %v: direct %+v %v, owner %+v %v", rg, ra, errA, rb, errB)
		}
		compare("after reassign " + rg[2])
	}
	if _, err := c.Reassign(ctx, "May 1", "", locate, "", ""); err == nil {
		t.Error("reassign with a bad day accepted")
	}

	// A read-only client refuses writes.
	ro := dial(t, o).ReadOnly()
	if _, err := ro.Commit(ctx, batches[4]); err == nil {
		t.Error("read-only client committed")
	}
	c.Close()
	if _, err := c.Stats(ctx, store.StatsQuery{}); err == nil {
		t.Error("closed client answered")
	}
}

// sameTables compares the rows of two stores' tables (times of writing
// left out).
func sameTables(t *testing.T, when string, a, b *duckstore.Store) {
	t.Helper()
	for _, q := range []string{
		`SELECT * EXCLUDE (ingested_at) FROM ingests ORDER BY id`,
		`SELECT * FROM sources ORDER BY ALL`,
		`SELECT * FROM hit_counts ORDER BY ALL`,
		`SELECT * FROM exploits ORDER BY ALL`,
		`SELECT * FROM hourly ORDER BY ALL`,
		`SELECT * FROM sensors ORDER BY ALL`,
		`SELECT * EXCLUDE (done_at) FROM geo_history ORDER BY ALL`,
	} {
		da, db := dump(t, a, q), dump(t, b, q)
		if da != db {
			t.Errorf("%s: %s differs (%d / %d bytes)", when, q, len(da), len(db))
		}
	}
}

func dump(t *testing.T, st *duckstore.Store, q string) string {
	t.Helper()
	rows, err := st.DB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
	}
	return b.String()
}

func count(t *testing.T, st *duckstore.Store, q string) int64 {
	t.Helper()
	var n int64
	if err := st.DB().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitWriteFree waits until the owner's write lock is free (the
// transaction of a client that went away was rolled back).
func waitWriteFree(t *testing.T, srv *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.acquireWrite(ctx); err != nil {
		t.Fatal("the transaction of a client that went away still holds the write lock")
	}
	srv.releaseWrite()
}

// TestDisconnectRollsBack: a client that goes away mid-transaction (its
// connection closed, or its context cancelled) leaves nothing behind, and
// the next writer goes on.
func TestDisconnectRollsBack(t *testing.T) {
	ctx := context.Background()
	o, srv := owned(t)
	c := dial(t, o)
	for _, how := range []string{"closed", "cancelled"} {
		tctx, cancel := context.WithCancel(ctx)
		tx, err := c.Begin(tctx)
		if err != nil {
			t.Fatal(err)
		}
		r, p := result(3, 2000)
		if err := tx.Append(tctx, r, p, "s", pattern); err != nil {
			t.Fatal(err)
		}
		if how == "closed" {
			tx.(*clientTx).k.c.rw.Close() // as when the process dies
		} else {
			cancel()
			if err := tx.Append(tctx, r, p, "s", pattern); !errors.Is(err, context.Canceled) {
				t.Errorf("append after cancel: %v", err)
			}
		}
		cancel()
		waitWriteFree(t, srv)
		if n := count(t, o, `SELECT count(*) FROM sources`) + count(t, o, `SELECT count(*) FROM ingests`); n != 0 {
			t.Fatalf("%s: %d rows left by a transaction whose client went away", how, n)
		}
	}
	r, p := result(4, 100)
	if _, err := c.Commit(ctx, &store.Batch{Ingest: ingestOf("/x", "sha256:x", "s"), Result: r, Places: p}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, o, `SELECT count(*) FROM sources`); n != 100 {
		t.Errorf("%d sources after a commit of 100", n)
	}
	if srv.Commits() != 1 {
		t.Errorf("Commits() = %d, want 1", srv.Commits())
	}
}

// TestWritersSerialised: a second transaction waits for the first, so
// the same content committed by two clients at once is stored once.
func TestWritersSerialised(t *testing.T) {
	ctx := context.Background()
	o, srv := owned(t)
	c := dial(t, o)
	tx1, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, p := result(5, 300)
	done := make(chan error, 1)
	go func() {
		_, err := c.Commit(ctx, &store.Batch{Ingest: ingestOf("/y", "sha256:same", "s"), Result: r, Places: p})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a second writer ran during a transaction: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if n := srv.WriteQueue(); n != 2 {
		t.Errorf("write queue %d during a transaction with a commit waiting, want 2", n)
	}
	if err := tx1.Append(ctx, r, p, "s", nil); err != nil {
		t.Fatal(err)
	}
	if err := tx1.Finish(ctx, ingestOf("/y", "sha256:same", "s"), false, store.Sensor{}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("second commit of the same content: %v, want ErrDuplicate", err)
	}
	// The owner releases the write lock just after its reply.
	for deadline := time.Now().Add(5 * time.Second); srv.WriteQueue() != 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if n := srv.WriteQueue(); n != 0 {
		t.Errorf("write queue %d after both writes, want 0", n)
	}
	if n := count(t, o, `SELECT count(*) FROM ingests`); n != 1 {
		t.Errorf("%d ingests", n)
	}
}

// TestStaleSocket: a socket file nobody listens on is removed by Dial
// (ErrNoOwner) and by Start; a running owner's is not.
func TestStaleSocket(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	stale := func() {
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: SocketPath(db), Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		ln.SetUnlinkOnClose(false)
		ln.Close()
		if _, err := os.Stat(SocketPath(db)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Dial(ctx, db); !errors.Is(err, ErrNoOwner) {
		t.Fatalf("no socket: %v", err)
	}
	stale()
	// While a process holds the owner's lock (an owner starting), the
	// socket is left alone.
	f, ok, err := tryLock(lockPath(SocketPath(db)))
	if err != nil || !ok {
		t.Fatal(err)
	}
	if _, err := Dial(ctx, db); !errors.Is(err, ErrNoOwner) {
		t.Fatalf("stale socket, lock held: %v", err)
	}
	if _, err := os.Stat(SocketPath(db)); err != nil {
		t.Fatalf("socket removed while the owner's lock was held: %v", err)
	}
	f.Close()
	if _, err := Dial(ctx, db); !errors.Is(err, ErrNoOwner) {
		t.Fatalf("stale socket: %v", err)
	}
	if _, err := os.Stat(SocketPath(db)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale socket not removed: %v", err)
	}
	// Start over a stale socket.
	stale()
	st, err := duckstore.Open(ctx, db, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := NewServer(st, nil)
	if err := srv.Start(ctx); err != nil {
		t.Fatalf("start over a stale socket: %v", err)
	}
	fi, err := os.Stat(SocketPath(db))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("socket %v %v", fi, err)
	}
	if pid, err := OwnerPID(ctx, db); err != nil || pid != os.Getpid() {
		t.Fatalf("owner pid %d %v", pid, err)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(SocketPath(db)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after Stop: %v", err)
	}
	if _, err := Dial(ctx, db); !errors.Is(err, ErrNoOwner) {
		t.Errorf("after Stop: %v", err)
	}
}

// TestSecondServerRefused: a second owner of the same store fails to
// start, naming the first one's pid, and leaves the first one working.
func TestSecondServerRefused(t *testing.T) {
	ctx := context.Background()
	o, _ := owned(t)
	second := NewServer(o, nil)
	err := second.Start(ctx)
	if !errors.Is(err, ErrOwned) || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", os.Getpid())) || !strings.Contains(err.Error(), o.Path()) {
		t.Fatalf("second Start: %v", err)
	}
	if _, err := dial(t, o).Stats(ctx, store.StatsQuery{}); err != nil {
		t.Fatalf("first owner after a refused second: %v", err)
	}
}

// TestStopRollsBack: Stop with a transaction still open waits until its
// context ends, then rolls the transaction back.
func TestStopRollsBack(t *testing.T) {
	ctx := context.Background()
	o, srv := owned(t)
	c := dial(t, o)
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, p := result(6, 500)
	if err := tx.Append(ctx, r, p, "s", nil); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := srv.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Finish(ctx, ingestOf("/z", "sha256:z", "s"), false, store.Sensor{}); err == nil {
		t.Fatal("finish after Stop's deadline succeeded")
	}
	if n := count(t, o, `SELECT count(*) FROM sources`); n != 0 {
		t.Errorf("%d sources after a transaction cut by Stop", n)
	}
	// A transaction that finishes before the deadline is kept.
	srv2 := NewServer(o, nil)
	if err := srv2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	tx, err = dial(t, o).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		stopped <- srv2.Stop(sctx)
	}()
	time.Sleep(100 * time.Millisecond)
	if err := tx.Append(ctx, r, p, "s", nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Finish(ctx, ingestOf("/z", "sha256:z", "s"), false, store.Sensor{}); err != nil {
		t.Fatalf("finish while stopping: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if n := count(t, o, `SELECT count(*) FROM sources`); n != 500 {
		t.Errorf("%d sources, want 500", n)
	}
}
