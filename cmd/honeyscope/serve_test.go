package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// TestServe starts serve in-process on 127.0.0.1:0 over a store made by
// synth and ingest, asks the API what stats answers, reloads GeoIP on
// SIGHUP, stops it by cancelling (what SIGTERM does in main) and reopens
// the store.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "radiation.pcap")
	db := filepath.Join(dir, "s.duckdb")
	if _, err := run(t, "synth", "--out", capPath, "--packets", "20000", "--days", "3", "--seed", "5"); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "ingest", "-q", "--db", db, "--tz", "Asia/Tokyo", capPath); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	cliStats := func() []map[string]any {
		out, err := run(t, "stats", "--db", db, "--by", "day,class", "--order", "packets", "--format", "json")
		if err != nil {
			t.Fatalf("stats: %v", err)
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) == 0 {
			t.Fatalf("stats JSON: %v %s", err, out)
		}
		return rows
	}
	before := cliStats()

	ready := make(chan string, 1)
	serveReady = func(addr string) { ready <- addr }
	defer func() { serveReady = nil }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	root := newRoot()
	root.SetOut(io.Discard)
	root.SetErr(logs)
	root.SetArgs([]string{"serve", "--db", db, "--listen", "127.0.0.1:0"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("serve ended before it was ready: %v\n%s", err, logs)
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve not ready\n%s", logs)
	}

	code, body := httpGet(t, base+"/api/v1/stats?by=day,class")
	var ans struct {
		Dims []string         `json:"dims"`
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(body, &ans); code != 200 || err != nil {
		t.Fatalf("stats: %d %v %s", code, err, body)
	}
	if !reflect.DeepEqual(ans.Rows, before) {
		t.Errorf("API rows differ from `stats --format json`\n api %v\n cli %v", ans.Rows, before)
	}
	code, body = httpGet(t, base+"/api/v1/info")
	var info struct {
		Store struct {
			Path     string `json:"path"`
			TimeZone string `json:"time_zone"`
		} `json:"store"`
	}
	if json.Unmarshal(body, &info); code != 200 || info.Store.TimeZone != "Asia/Tokyo" || info.Store.Path != db {
		t.Errorf("info: %d %s", code, body)
	}
	if code, body = httpGet(t, base+"/api/v1/stats?port=99999"); code != 400 || !strings.Contains(string(body), `"param": "port"`) {
		t.Errorf("bad port: %d %s", code, body)
	}
	code, body = httpGet(t, base+"/metrics")
	for _, want := range []string{
		`honeyscope_http_requests_total{code="200",route="stats"} 1`,
		`honeyscope_http_requests_total{code="400",route="stats"} 1`,
		`honeyscope_store_query_duration_seconds_count{route="stats"} 1`,
		"honeyscope_store_commits_total 0",
		"honeyscope_ingest_queue_length 0",
	} {
		if code != 200 || !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !strings.Contains(string(body), "honeyscope_store_file_bytes ") || strings.Contains(string(body), "honeyscope_store_file_bytes 0\n") {
		t.Errorf("store file size not reported")
	}

	// SIGHUP reloads the GeoIP databases (here the built-in table).
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); !strings.Contains(logs.String(), "geo databases reloaded"); {
		if time.Now().After(deadline) {
			t.Fatalf("no reload logged after SIGHUP\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, logs)
		}
	case <-time.After(time.Minute):
		t.Fatalf("serve did not stop\n%s", logs)
	}
	for _, want := range []string{"store closed", "stopped listening", "msg=stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q\n%s", want, logs)
		}
	}
	// Closed cleanly: another process can open it again. (A process of its
	// own: in this one, DuckDB's instance cache was once seen spinning on
	// the path serve had just closed.)
	out, errs, code := hs(t, "stats", "--db", db, "--by", "day,class", "--order", "packets", "--format", "json")
	var after []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &after) != nil {
		t.Fatalf("stats after serve: exit %d\n%s%s", code, out, errs)
	}
	if !reflect.DeepEqual(after, before) {
		t.Errorf("stats after serve differ")
	}
}

func TestServeRefusesOpenListenWithoutAuth(t *testing.T) {
	db := filepath.Join(t.TempDir(), "new.duckdb")
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		_, err := run(t, "serve", "--db", db, "--listen", listen)
		if err == nil || !strings.Contains(err.Error(), "--auth-token-file") || !strings.Contains(err.Error(), "--users-file") {
			t.Errorf("%s: err = %v, want advice naming --auth-token-file and --users-file", listen, err)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("refused serve created the store: %v", err)
	}
}

func TestHashPassword(t *testing.T) {
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(io.Discard)
	root.SetIn(strings.NewReader("correct horse battery\n"))
	root.SetArgs([]string{"serve", "hash-password", "alice"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	user, hash, ok := strings.Cut(strings.TrimSpace(out.String()), ":")
	if !ok || user != "alice" || bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse battery")) != nil {
		t.Errorf("line %q does not verify", out.String())
	}
	root = newRoot()
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	root.SetIn(strings.NewReader("short\n"))
	root.SetArgs([]string{"serve", "hash-password", "bob"})
	if err := root.Execute(); err == nil {
		t.Error("a 5-byte password was hashed")
	}
}
