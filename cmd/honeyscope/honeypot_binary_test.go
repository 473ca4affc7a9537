package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/samplestore"
	"github.com/honeyscope/honeyscope/internal/store/clickstore"
)

// freePort returns a TCP port on 127.0.0.1 nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startHoneypotServe starts `honeyscope serve` with a telnet honeypot on
// port and waits until it serves; db is a DuckDB file or a ClickHouse URL.
func startHoneypotServe(t *testing.T, db string, port int, extra ...string) *exec.Cmd {
	t.Helper()
	storeFlag := "--db"
	if clickstore.IsURL(db) {
		storeFlag = "--store"
	}
	args := append([]string{"serve", storeFlag, db, "--listen", "127.0.0.1:0", "--honeypot", "--bind", "127.0.0.1",
		"--telnet", fmt.Sprint(port), "--name", "hp", "--commit-interval", "300ms"}, extra...)
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "HONEYSCOPE_DB=", "HOME="+t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	var once sync.Once
	var logMu sync.Mutex
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if strings.Contains(sc.Text(), "msg=serving") {
				once.Do(func() { close(ready) })
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("serve did not start:\n%s", log.String())
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			logMu.Lock()
			defer logMu.Unlock()
			t.Logf("serve's log:\n%s", log.String())
		}
	})
	return cmd
}

// telnetLoader plays a Mirai-style loader against the telnet honeypot:
// login, probe, upload an ELF with echo -ne chunks, run it; when stay is
// true it leaves the session open after the upload.
type telnetClient struct {
	c   net.Conn
	buf []byte // read and not yet matched
}

// untilAny reads until the output holds one of ss, consumes the output
// through the first match and returns the string matched.
func (tc *telnetClient) untilAny(t *testing.T, ss ...string) string {
	t.Helper()
	tc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	chunk := make([]byte, 4096)
	for {
		best, at := "", -1
		for _, s := range ss {
			if i := strings.Index(string(tc.buf), s); i >= 0 && (at < 0 || i < at) {
				best, at = s, i
			}
		}
		if at >= 0 {
			tc.buf = tc.buf[at+len(best):]
			return best
		}
		n, err := tc.c.Read(chunk)
		tc.buf = append(tc.buf, chunk[:n]...)
		if err != nil {
			t.Fatalf("waiting for %q: %v (got %q)", ss, err, tc.buf)
		}
	}
}

// until reads until the output holds s and consumes it.
func (tc *telnetClient) until(t *testing.T, s string) { t.Helper(); tc.untilAny(t, s) }

func dialTelnet(t *testing.T, port int) *telnetClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return &telnetClient{c: c}
}

func (tc *telnetClient) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(tc.c, line+"\r\n"); err != nil {
		t.Fatal(err)
	}
}

// testELF is a small ELF image the test builds (no real program).
func testELF(tag int) []byte {
	b := []byte("\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00\x01\x00\x00\x00")
	b = append(b, []byte(fmt.Sprintf("honeyscope test sample %d ", tag))...)
	for len(b) < 600 {
		b = append(b, byte(len(b)))
	}
	return b
}

// load logs in, probes and uploads elf to /tmp/upnp with echo -ne chunks.
func (tc *telnetClient) load(t *testing.T, elf []byte) {
	t.Helper()
	// The default policy lets a login in after two failed tries.
	for try := 0; ; try++ {
		tc.until(t, "login: ")
		tc.send(t, "root")
		tc.until(t, "Password: ")
		tc.send(t, "vizxv")
		if tc.untilAny(t, "# ", "login: ") == "# " {
			break
		}
		if try == 5 {
			t.Fatalf("no shell after %d logins", try+1)
		}
		// the next until finds "login: " already read
		tc.buf = append([]byte("login: "), tc.buf...)
	}
	for _, l := range []string{"enable", "system", "shell", "sh"} {
		tc.send(t, l)
		tc.until(t, "# ")
	}
	tc.send(t, "/bin/busybox ECCHI")
	tc.until(t, "ECCHI: applet not found")
	tc.until(t, "# ")
	for i := 0; i < len(elf); i += 128 {
		var sb strings.Builder
		for _, c := range elf[i:min(i+128, len(elf))] {
			fmt.Fprintf(&sb, "\\x%02x", c)
		}
		redir := ">>"
		if i == 0 {
			redir = ">"
		}
		tc.send(t, fmt.Sprintf("echo -ne '%s' %s /tmp/upnp && /bin/busybox ECCHI", sb.String(), redir))
		tc.until(t, "ECCHI: applet not found")
	}
}

// TestHoneypotKill9: sessions of a telnet honeypot under `serve` reach the
// store at each commit interval; a kill -9 loses at most the last
// interval, and the store and the sample store open intact afterwards
// with the finished sessions, their intrusion counts and their sample.
func TestHoneypotKill9(t *testing.T) {
	binary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "hp.duckdb")
	port := freePort(t)
	srv := startHoneypotServe(t, db, port)

	const finished = 8
	elf := testELF(1)
	for i := 0; i < finished; i++ {
		tc := dialTelnet(t, port)
		tc.load(t, elf)
		tc.send(t, "./upnp; exit")
		tc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		io.Copy(io.Discard, tc.c) // the honeypot closes the session
		tc.c.Close()
	}
	// One session still open when the process dies.
	open := dialTelnet(t, port)
	defer open.c.Close()
	open.load(t, testELF(2))

	// Wait until the store (through serve) holds every finished session
	// and a snapshot of the open one: then at most one interval is at risk.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _, code := hs(t, "sessions", "--db", db, "--format", "json")
		var ss []json.RawMessage
		if code == 0 && json.Unmarshal([]byte(out), &ss) == nil && len(ss) == finished+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store did not get %d sessions through serve: %s", finished+1, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	srv.Wait()

	// The store opens directly (nobody owns it now) with what was committed.
	out, errOut, code := hs(t, "sessions", "--db", db, "--format", "json")
	if code != 0 {
		t.Fatalf("sessions after kill -9: %d %s", code, errOut)
	}
	var ss []struct {
		ID        string
		EndReason string
		LoggedIn  bool
		Commands  []json.RawMessage
		Files     []struct {
			SHA256 string
			Sample bool
		}
	}
	if err := json.Unmarshal([]byte(out), &ss); err != nil {
		t.Fatalf("sessions json: %v\n%s", err, out)
	}
	sum := sha256.Sum256(elf)
	want := hex.EncodeToString(sum[:])
	ended, stillOpen := 0, 0
	for _, s := range ss {
		if s.EndReason == "" {
			stillOpen++
			continue
		}
		ended++
		if !s.LoggedIn || len(s.Commands) == 0 {
			t.Errorf("session %s: logged in %v, %d commands", s.ID, s.LoggedIn, len(s.Commands))
		}
		found := false
		for _, f := range s.Files {
			found = found || (f.Sample && f.SHA256 == want)
		}
		if !found {
			t.Errorf("session %s: the uploaded ELF %s is not among its files %+v", s.ID, want, s.Files)
		}
	}
	if ended != finished || stillOpen != 1 {
		t.Errorf("after kill -9: %d finished sessions and %d open (want %d and 1)", ended, stillOpen, finished)
	}
	out, errOut, code = hs(t, "stats", "--db", db, "--class", "intrusion", "--format", "json")
	if code != 0 {
		t.Fatalf("stats: %s", errOut)
	}
	if !strings.Contains(out, fmt.Sprintf(`"packets": %d`, finished)) && !strings.Contains(out, fmt.Sprintf(`"packets":%d`, finished)) {
		t.Errorf("intrusion count after kill -9, want %d:\n%s", finished, out)
	}
	samples, err := samplestore.Open(filepath.Join(dir, "samples"), samplestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := samples.Scan(true)
	if err != nil {
		t.Fatal(err)
	}
	if !samples.Has(want) || len(res.Corrupt) > 0 || len(res.Stray) > 0 {
		t.Errorf("sample %s in the sample store: %v; scan %+v", want, samples.Has(want), res)
	}
	fi, err := os.Stat(filepath.Join(dir, "samples", want[:2], want[2:4], want))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o111 != 0 {
		t.Errorf("sample mode %v has an execute bit", fi.Mode())
	}
	// And serve starts again on the same store.
	startHoneypotServe(t, db, freePort(t))
}
