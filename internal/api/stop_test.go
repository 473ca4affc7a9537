package api

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
)

// blockingStore answers Stats only when released (or its context ends).
type blockingStore struct {
	fakeStore
	entered chan struct{}
	release chan struct{}
}

func (b *blockingStore) Stats(ctx context.Context, q store.StatsQuery) ([]store.StatsRow, error) {
	b.entered <- struct{}{}
	select {
	case <-b.release:
		return []store.StatsRow{{Packets: 42, Sources: 7}}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func startBlocking(t *testing.T) (*Component, *blockingStore, chan result) {
	t.Helper()
	bs := &blockingStore{entered: make(chan struct{}, 1), release: make(chan struct{})}
	c := newTestComponent(t, bs, Configuration{}, Dependencies{})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	res := make(chan result, 1)
	url := "http://" + c.Addr().String() + "/api/v1/stats"
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			res <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{code: resp.StatusCode, body: string(b)}
	}()
	<-bs.entered // the request is in flight, inside the store
	return c, bs, res
}

type result struct {
	code int
	body string
	err  error
}

// TestStopFinishesInFlight: Stop stops accepting at once, but the request
// already in flight is answered in full before Stop returns.
func TestStopFinishesInFlight(t *testing.T) {
	c, bs, res := startBlocking(t)
	addr := c.Addr().String()
	stopped := make(chan error, 1)
	go func() { stopped <- c.Stop(context.Background()) }()
	// New connections are refused once the listener is closed.
	for {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		conn.Close()
	}
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) with a request in flight", err)
	default:
	}
	close(bs.release)
	r := <-res
	if r.err != nil || r.code != 200 || !strings.Contains(r.body, `"packets": 42`) {
		t.Errorf("in-flight request: %+v", r)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// TestStopDeadlineCancels: when the stop deadline passes, the request's
// connection is closed and its query cancelled; Stop still returns.
func TestStopDeadlineCancels(t *testing.T) {
	c, _, res := startBlocking(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Stop: %v", err)
	}
	if r := <-res; r.err == nil && r.code == 200 {
		t.Errorf("request past the deadline answered 200: %+v", r)
	}
}

// TestHeaderLimit: a request with headers beyond MaxHeaderBytes is refused
// by the server before any handler runs.
func TestHeaderLimit(t *testing.T) {
	fs := &fakeStore{}
	c := newTestComponent(t, fs, Configuration{MaxHeaderBytes: 4 << 10}, Dependencies{})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	req, _ := http.NewRequest("GET", "http://"+c.Addr().String()+"/api/v1/totals", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || fs.asked() != 0 {
		t.Errorf("64 KiB header: %d, store asked %d times", resp.StatusCode, fs.asked())
	}
}
