package privdrop

import (
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"testing"
)

func TestDropErrors(t *testing.T) {
	if err := Drop(""); err == nil {
		t.Error("Drop(\"\") succeeded")
	}
	if err := Drop("no-such-user-honeyscope"); err == nil {
		t.Error("Drop of an unknown user succeeded")
	}
	if os.Geteuid() == 0 {
		if err := Drop("root"); err != nil {
			t.Errorf("Drop(root) as root: %v (want no-op)", err)
		}
	}
}

// Drop in a child process (it cannot be undone) and check the ids there.
func TestDropChild(t *testing.T) {
	if name := os.Getenv("PRIVDROP_CHILD"); name != "" {
		if err := Drop(name); err != nil {
			os.Stdout.WriteString("error " + err.Error())
			os.Exit(0)
		}
		os.Stdout.WriteString(strconv.Itoa(os.Getuid()) + " " + strconv.Itoa(os.Geteuid()) + " " + strconv.Itoa(os.Getgid()))
		os.Exit(0)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDropChild$")
	cmd.Env = append(os.Environ(), "PRIVDROP_CHILD=nobody")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	want := u.Uid + " " + u.Uid + " " + u.Gid
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("child ids %q, want %q", got, want)
	}
}
