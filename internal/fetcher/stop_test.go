package fetcher

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/honeyscope/honeyscope/internal/store"
)

// slowStore is a memStore whose RecordFetch waits for release and, like
// DuckDB (a cancelled context interrupts the statement), fails when its
// context is done by then.
type slowStore struct {
	*memStore
	entered chan struct{}
	release chan struct{}
}

func (s *slowStore) RecordFetch(ctx context.Context, f store.Fetch) error {
	close(s.entered)
	<-s.release
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.memStore.RecordFetch(ctx, f)
}

// TestStopDuringRecord: a fetch that has finished is recorded even when
// Stop comes while it is being written, and it is counted only once
// recorded (who sees the count sees the row).
func TestStopDuringRecord(t *testing.T) {
	elf := append([]byte("\x7fELF\x01\x01\x01"), bytes.Repeat([]byte{0}, 100)...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(elf) }))
	defer srv.Close()
	st := &slowStore{memStore: newMemStore(), entered: make(chan struct{}), release: make(chan struct{})}
	c, _ := startComponent(t, testConfig(), st)
	u := srv.URL + "/bins/x"
	c.Enqueue(store.PendingURL{URL: u})
	<-st.entered
	if n := testutil.ToFloat64(c.m.fetches.WithLabelValues("ok")); n != 0 {
		t.Errorf("%v fetches counted before the record was written", n)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- c.Stop(context.Background()) }()
	waitFor(t, "Stop to cancel the fetches", func() bool { return c.ctx.Err() != nil })
	close(st.release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if f, ok := st.get(u); !ok || f.Status != 200 || f.Size != int64(len(elf)) || f.SHA256 == "" {
		t.Errorf("fetch not recorded across Stop: %+v %v", f, ok)
	}
	if n := testutil.ToFloat64(c.m.fetches.WithLabelValues("ok")); n != 1 {
		t.Errorf("%v ok fetches counted, want 1", n)
	}
}
