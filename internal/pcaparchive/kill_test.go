package pcaparchive

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const childEnv = "HONEYSCOPE_PCAPARCHIVE_CHILD_DIR"

// childPackets is what the child writes, and the parent expects, in order.
func childPackets() []pkt {
	return packets(14, 50000, t0, 100*time.Microsecond, 120)
}

// TestKillChild is the child of TestKill9: it writes packets into the
// directory named by the environment until it is killed.
func TestKillChild(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("run by TestKill9 only")
	}
	w, err := New(Config{Dir: dir, Prefix: "eth0", Sensor: "s", MaxFileBytes: 200 << 10, MaxTotalBytes: -1, MaxAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range childPackets() {
		if err := w.WritePacket(p.ts, p.data, p.origLen); err != nil {
			t.Fatal(err)
		}
		if i%50 == 49 {
			time.Sleep(time.Millisecond)
		}
	}
	select {} // all written: wait to be killed with the last file open
}

// TestKill9: a Writer killed with SIGKILL while it writes leaves every file
// under a final name complete, holding the first packets in order; the
// file it was writing is left as a .part file, incomplete, holding the
// packets that follow as far as it was written.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Wait for a few complete files and a file being written that holds
	// packets already (bounded: the child may fail).
	for deadline := time.Now().Add(2 * time.Minute); ; {
		final, part := dirFiles(t, dir)
		if len(final) >= 3 && len(part) == 1 {
			if fi, err := os.Stat(filepath.Join(dir, part[0])); err == nil && fi.Size() > fileBuffer {
				break
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("the child ended before it was killed: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no complete files from the child")
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited

	want := childPackets()
	final, part := dirFiles(t, dir)
	all, _ := readAll(t, dir) // fails on any file under a final name that is not complete
	if len(all) == 0 || len(all) > len(want) {
		t.Fatalf("%d packets in %d complete files", len(all), len(final))
	}
	samePackets(t, all, want[:len(all)], 0)
	t.Logf("%d complete files, %d packets; part files %v", len(final), len(all), part)
	if len(part) != 1 {
		t.Fatalf("part files %v: the child was killed while writing one", part)
	}
	{
		got, _, _, err := readPackets(filepath.Join(dir, part[0]))
		if err == nil {
			t.Errorf("%s reads as complete", part[0])
		}
		if len(got) == 0 || len(all)+len(got) > len(want) {
			t.Fatalf("%d packets in the part file", len(got))
		}
		samePackets(t, got, want[len(all):len(all)+len(got)], 0)
		t.Logf("%d packets readable in the part file", len(got))
		if _, err := os.Stat(filepath.Join(dir, part[0][:len(part[0])-len(partSuffix)])); err == nil {
			t.Errorf("%s also exists under its final name", part[0])
		}
	}
}
