package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/remote"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// These tests run the honeyscope binary, built once per test run, as a
// user would, against a store owned by another process: a child of the
// test binary running remote.NewServer over duckstore (testOwnerMain), so
// that it can be killed with SIGKILL.

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// binary builds the honeyscope binary once.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "honeyscope-bin")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "honeyscope")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// removeBinary removes the binary's directory (from TestMain).
func removeBinary() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// hs runs the binary and returns its stdout, stderr and exit status.
func hs(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "HONEYSCOPE_DB=", "HOME="+t.TempDir())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// childOwner is a store owner in a child process.
type childOwner struct {
	cmd     *exec.Cmd
	mu      sync.Mutex
	commits []string
	done    chan struct{}
}

// startOwner starts an owner of db; kill, when set, makes it kill itself
// with SIGKILL at that point (see testOwnerMain).
func startOwner(t *testing.T, db, kill string) *childOwner {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HONEYSCOPE_TEST_OWNER="+db, "HONEYSCOPE_TEST_OWNER_KILL="+kill)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	o := &childOwner{cmd: cmd, done: make(chan struct{})}
	ready := make(chan bool, 1)
	go func() {
		defer close(o.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "ready":
				ready <- true
			case strings.HasPrefix(line, "commit "):
				o.mu.Lock()
				o.commits = append(o.commits, strings.TrimPrefix(line, "commit "))
				o.mu.Unlock()
			}
		}
		ready <- false
		cmd.Wait()
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("the owner exited before it was ready")
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the owner did not start")
	}
	t.Cleanup(func() { o.stop() })
	return o
}

// stop ends the owner with SIGTERM (it stops, closing the store).
func (o *childOwner) stop() {
	select {
	case <-o.done:
		return
	default:
	}
	o.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-o.done:
	case <-time.After(30 * time.Second):
		o.cmd.Process.Kill()
		<-o.done
	}
}

// wait waits for the owner to exit by itself (after killing itself).
func (o *childOwner) wait(t *testing.T) {
	t.Helper()
	select {
	case <-o.done:
	case <-time.After(60 * time.Second):
		t.Fatal("the owner did not exit")
	}
}

// committedN waits (briefly: the owner's line may still be in the pipe)
// until the owner has reported n commits, and returns them.
func (o *childOwner) committedN(n int) []string {
	for deadline := time.Now().Add(5 * time.Second); len(o.committed()) < n && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	return o.committed()
}

func (o *childOwner) committed() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.commits...)
}

// testOwnerMain is the child process: it owns db until SIGTERM.
func testOwnerMain(db, kill string) int {
	ctx := context.Background()
	st, err := duckstore.Open(ctx, db, duckstore.Options{TimeZone: "UTC"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "owner:", err)
		return 1
	}
	var owned store.Store = st
	if kill != "" {
		owned = &killingStore{Store: st, kill: kill}
	}
	srv := remote.NewServer(owned, nil)
	srv.Classifiers = backfillClassifiers(owned)
	srv.OnCommit = func(in store.Ingest) { fmt.Printf("commit %s\n", in.Path) }
	if err := srv.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "owner:", err)
		return 1
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err = errors.Join(srv.Stop(sctx), st.Close())
	if err != nil {
		fmt.Fprintln(os.Stderr, "owner:", err)
		return 1
	}
	return 0
}

// killingStore kills its process with SIGKILL at a chosen point of the
// first transaction: "append:N" after the Nth append was written into the
// transaction, "finish" before the commit, "finished" after the commit
// but before the client hears of it. It embeds *duckstore.Store, so the
// owner can still re-geolocate.
type killingStore struct {
	*duckstore.Store
	kill    string
	appends int
}

func (k *killingStore) Begin(ctx context.Context) (store.Tx, error) {
	tx, err := k.Store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &killingTx{Tx: tx, k: k}, nil
}

type killingTx struct {
	store.Tx
	k *killingStore
}

func die() {
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

func (t *killingTx) Append(ctx context.Context, r *aggregate.Result, places []store.Place, sensor string, pattern func(int) string) error {
	err := t.Tx.Append(ctx, r, places, sensor, pattern)
	t.k.appends++
	if n, ok := strings.CutPrefix(t.k.kill, "append:"); ok && strconv.Itoa(t.k.appends) == n {
		die()
	}
	return err
}

func (t *killingTx) Finish(ctx context.Context, in store.Ingest, replace bool, sensor store.Sensor) error {
	if t.k.kill == "finish" {
		die()
	}
	err := t.Tx.Finish(ctx, in, replace, sensor)
	if t.k.kill == "finished" {
		die()
	}
	return err
}

// synthFile writes a synthetic capture and returns its truth.
func synthFile(t *testing.T, path string, packets, days int, seed int) *synth.Truth {
	t.Helper()
	if _, err := run(t, "synth", "--out", path, "--packets", strconv.Itoa(packets), "--days", strconv.Itoa(days), "--seed", strconv.Itoa(seed)); err != nil {
		t.Fatal(err)
	}
	truth, err := synth.ReadTruth(path + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	return truth
}

const sensorNets = "192.0.2.0/24,2001:db8:4e:100::/64"

// dayClass runs `stats --by day,class` with the binary and returns
// packets and sources per "day/class".
func dayClass(t *testing.T, db string) map[string][2]uint64 {
	t.Helper()
	out, errs, code := hs(t, "stats", "--db", db, "--by", "day,class", "--format", "json")
	if code != 0 {
		t.Fatalf("stats: exit %d\n%s", code, errs)
	}
	var rows []struct {
		Day     string `json:"day"`
		Class   string `json:"class"`
		Packets uint64 `json:"packets"`
		Sources uint64 `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("stats JSON: %v\n%s", err, out)
	}
	got := map[string][2]uint64{}
	for _, r := range rows {
		got[r.Day+"/"+r.Class] = [2]uint64{r.Packets, r.Sources}
	}
	return got
}

// checkTruth compares the store's day/class packets with the truths'
// sums (and sources when there is one truth).
func checkTruth(t *testing.T, db string, truths ...*synth.Truth) {
	t.Helper()
	want := map[string][2]uint64{}
	for _, tr := range truths {
		for _, w := range tr.ByDayClass {
			k := w.Day + "/" + w.Class
			v := want[k]
			v[0] += w.Packets
			if len(truths) == 1 {
				v[1] = w.Sources
			}
			want[k] = v
		}
	}
	got := dayClass(t, db)
	if len(got) != len(want) {
		t.Errorf("%d day/class rows, truth %d", len(got), len(want))
	}
	for k, w := range want {
		g := got[k]
		if len(truths) > 1 {
			g[1] = 0
		}
		if g != w {
			t.Errorf("%s: %v, truth %v", k, g, w)
		}
	}
}

// locked says whether the store file is held by another process: proof
// that a command went through the owner rather than opening it.
func locked(t *testing.T, db string) bool {
	t.Helper()
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true, LockTimeout: 50 * time.Millisecond, Waiting: func() {}})
	if err == nil {
		st.Close()
		return false
	}
	if !errors.Is(err, duckstore.ErrLocked) {
		t.Fatal(err)
	}
	return true
}

// TestOwnerCommands: with an owner running, ingest, stats and geo
// reassign go through it, with the output, exit status and guarantees
// they have on the file itself.
func TestOwnerCommands(t *testing.T) {
	binary(t)
	dir := t.TempDir()
	f1 := filepath.Join(dir, "tokyo-20260501.pcap")
	truth := synthFile(t, f1, 60000, 3, 1)
	db := filepath.Join(dir, "s.duckdb")
	o := startOwner(t, db, "")
	if !locked(t, db) {
		t.Fatal("the owner does not hold the store")
	}

	out, errs, code := hs(t, "ingest", "-q", "--db", db, "--sensor-net", sensorNets, f1)
	if code != 0 || !strings.HasPrefix(out, "ingested 1 file: ") {
		t.Fatalf("ingest through the owner: exit %d\n%s%s", code, out, errs)
	}
	if c := o.committedN(1); len(c) != 1 || c[0] != f1 {
		t.Fatalf("owner committed %v, want %s", c, f1)
	}
	checkTruth(t, db, truth)

	// The same content again: skipped, exit 0; --force replaces it.
	out, errs, code = hs(t, "ingest", "-q", "--db", db, f1)
	if code != 0 || !strings.Contains(errs, "skipped "+f1) || !strings.Contains(out, "skipped 1") {
		t.Errorf("re-ingest: exit %d\n%s%s", code, out, errs)
	}
	out, errs, code = hs(t, "ingest", "-q", "--force", "--db", db, "--sensor-net", sensorNets, f1)
	if code != 0 || !strings.HasPrefix(out, "ingested 1 file") {
		t.Errorf("--force: exit %d\n%s%s", code, out, errs)
	}
	checkTruth(t, db, truth)
	// Another zone than the store's is refused, as on the file.
	if _, errs, code := hs(t, "ingest", "-q", "--tz", "Asia/Tokyo", "--db", db, f1); code == 0 || !strings.Contains(errs, "store days are in UTC") {
		t.Errorf("--tz Asia/Tokyo on a UTC store: exit %d\n%s", code, errs)
	}
	// geo reassign through the owner.
	out, errs, code = hs(t, "geo", "reassign", "--db", db)
	if code != 0 || !strings.HasPrefix(out, "re-geolocated ") {
		t.Errorf("geo reassign: exit %d\n%s%s", code, out, errs)
	}
	checkTruth(t, db, truth)

	// A damaged file: the same messages (byte offset), exit status and
	// kept packets through the owner as on a store opened directly.
	data, err := os.ReadFile(f1)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "osaka-20260501.pcap")
	cut := len(data) / 2
	damaged := append(append([]byte(nil), data[:cut]...), bytes.Repeat([]byte{0xff}, 64)...)
	if err := os.WriteFile(bad, damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code = hs(t, "ingest", "-q", "--db", db, bad)
	db2 := filepath.Join(dir, "direct.duckdb")
	out2, errs2, code2 := hs(t, "ingest", "-q", "--db", db2, bad)
	if code != 1 || !strings.Contains(errs, "offset") || out != out2 || errs != errs2 || code != code2 {
		t.Errorf("damaged file through the owner: exit %d\n%s%s\ndirectly: exit %d\n%s%s", code, out, errs, code2, out2, errs2)
	}
	o.stop()
	// The owner gone, every command opens the file itself.
	if locked(t, db) {
		t.Fatal("store still held after the owner stopped")
	}
	if _, err := os.Stat(remote.SocketPath(db)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after the owner stopped: %v", err)
	}
	got := dayClass(t, db)
	if len(got) == 0 {
		t.Error("no rows without the owner")
	}
}

// TestOwnerConcurrent: stats while an ingest writes a file in parts sees
// either none of it or all of it; two ingests at once each commit their
// files once, and a file both name is counted once.
func TestOwnerConcurrent(t *testing.T) {
	binary(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "big-20260501.pcap")
	bigTruth := synthFile(t, big, 300000, 3, 2)
	db := filepath.Join(dir, "s.duckdb")
	startOwner(t, db, "")

	ing := exec.Command(binary(t), "ingest", "-q", "--part-sources", "2000", "--db", db, "--sensor-net", sensorNets, big)
	var ingOut bytes.Buffer
	ing.Stdout, ing.Stderr = &ingOut, &ingOut
	if err := ing.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ing.Wait() }()
	var total uint64
	for _, w := range bigTruth.ByDayClass {
		if w.Class == "access" {
			total += w.Packets
		}
	}
	polls, sawEmpty, sawFull := 0, false, false
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("ingest: %v\n%s", err, ingOut.String())
			}
			running = false
		default:
		}
		var n uint64
		for k, v := range dayClass(t, db) {
			if strings.HasSuffix(k, "/access") {
				n += v[0]
			}
		}
		polls++
		switch n {
		case 0:
			sawEmpty = true
		case total:
			sawFull = true
		default:
			t.Fatalf("stats during the ingest saw %d packets of %d", n, total)
		}
	}
	t.Logf("%d stats calls during the ingest; saw it absent: %v, complete: %v", polls, sawEmpty, sawFull)
	checkTruth(t, db, bigTruth)

	// Two ingests at once, sharing one file.
	var files []string
	var truths []*synth.Truth
	for i := 0; i < 3; i++ {
		f := filepath.Join(dir, fmt.Sprintf("s%d-20260501.pcap", i))
		truths = append(truths, synthFile(t, f, 40000, 2, 10+i))
		files = append(files, f)
	}
	var wg sync.WaitGroup
	outs := make([]string, 2)
	codes := make([]int, 2)
	for i, fs := range [][]string{{files[0], files[1]}, {files[1], files[2]}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var errs string
			outs[i], errs, codes[i] = hs(t, append([]string{"ingest", "-q", "--db", db, "--sensor-net", sensorNets}, fs...)...)
			outs[i] += errs
		}()
	}
	wg.Wait()
	if codes[0] != 0 || codes[1] != 0 {
		t.Fatalf("concurrent ingests: %v\n%s\n%s", codes, outs[0], outs[1])
	}
	if n := strings.Count(outs[0]+outs[1], "skipped "+files[1]); n != 1 {
		t.Errorf("the shared file skipped %d times, want once:\n%s\n%s", n, outs[0], outs[1])
	}
	checkTruth(t, db, append(truths, bigTruth)...)
}

// TestOwnerKilled: the owner killed with SIGKILL in the middle of a
// client's transaction (after some parts, before the commit, after the
// commit but before the client heard of it): the client's file fails,
// every command then works on the file itself (the stale socket removed,
// DuckDB's log replayed), and running the ingest again gives counts equal
// to the truth: no loss, no double count.
func TestOwnerKilled(t *testing.T) {
	binary(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "big-20260501.pcap")
	truth := synthFile(t, big, 200000, 3, 3)
	for _, kill := range []string{"append:3", "finish", "finished"} {
		t.Run(kill, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "s.duckdb")
			o := startOwner(t, db, kill)
			out, errs, code := hs(t, "ingest", "-q", "--part-sources", "2000", "--db", db, "--sensor-net", sensorNets, big)
			o.wait(t)
			if code != 1 || !strings.Contains(errs, "writing to the store") {
				t.Fatalf("ingest while the owner died: exit %d\n%s%s", code, out, errs)
			}
			if _, err := os.Stat(remote.SocketPath(db)); err != nil {
				t.Fatalf("want the dead owner's socket left behind: %v", err)
			}
			// stats opens the file itself, removing the stale socket.
			got := dayClass(t, db)
			if _, err := os.Stat(remote.SocketPath(db)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("stale socket not removed: %v", err)
			}
			committed := len(got) > 0
			if committed != (kill == "finished") {
				t.Errorf("killed at %s: store has the file: %v", kill, committed)
			}
			if committed {
				checkTruth(t, db, truth)
			}
			// Again, directly: committed now, or skipped when it was.
			out, errs, code = hs(t, "ingest", "-q", "--db", db, "--sensor-net", sensorNets, big)
			if code != 0 || strings.Contains(errs, "skipped") != committed {
				t.Fatalf("ingest after the crash: exit %d\n%s%s", code, out, errs)
			}
			checkTruth(t, db, truth)
			// A new owner over the recovered store; ingest once more through it.
			startOwner(t, db, "")
			out, errs, code = hs(t, "ingest", "-q", "--db", db, big)
			if code != 0 || !strings.Contains(errs, "skipped") {
				t.Fatalf("ingest through a new owner: exit %d\n%s%s", code, out, errs)
			}
			checkTruth(t, db, truth)
		})
	}
}
