package sshd

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
)

// TestHASSHOfOpenSSH checks the recorded offer against the one OpenSSH's
// client prints in its debug output (skipped when ssh is not installed).
func TestHASSHOfOpenSSH(t *testing.T) {
	bin, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("no ssh client")
	}
	srv := testServer(t, Config{})
	addr, done := serve(t, srv, session.DefaultLimits())
	_, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-vv", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "PreferredAuthentications=password", "-p", port, "root@127.0.0.1", "true")
	out, _ := cmd.CombinedOutput() // the login fails in batch mode
	var version string
	lists := map[string]string{}
	proposal := false
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimRight(line, "\r")
		if v, ok := strings.CutPrefix(line, "debug1: Local version string "); ok {
			version = v
		}
		switch {
		case strings.Contains(line, "local client KEXINIT proposal"):
			proposal = true
		case strings.Contains(line, "peer server KEXINIT proposal"):
			proposal = false
		case proposal:
			for _, k := range []string{"KEX algorithms", "ciphers ctos", "MACs ctos", "compression ctos"} {
				if v, ok := strings.CutPrefix(line, "debug2: "+k+": "); ok {
					lists[k] = v
				}
			}
		}
	}
	if len(lists) != 4 || version == "" {
		t.Skipf("ssh -vv did not print its proposal:\n%s", out)
	}
	s := wait(t, done).sess
	want := lists["KEX algorithms"] + ";" + lists["ciphers ctos"] + ";" + lists["MACs ctos"] + ";" + lists["compression ctos"]
	if s.HASSHAlgos != want {
		t.Errorf("recorded %q\nOpenSSH offered %q", s.HASSHAlgos, want)
	}
	if s.ClientVersion != version {
		t.Errorf("version %q, want %q", s.ClientVersion, version)
	}
}
