// Command probe is a sandbox test program: it reports the processes it can
// see in /proc and the ones kill(pid, 0) finds, its uid, and whether it
// can write outside /tmp.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	ents, _ := os.ReadDir("/proc")
	var seen []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			seen = append(seen, e.Name())
		}
	}
	fmt.Printf("proc %s\n", strings.Join(seen, ","))
	// kill(pid, 0) finds threads too: report their processes (Tgid).
	var alive []string
	have := map[string]bool{}
	for pid := 1; pid < 65536; pid++ {
		if err := syscall.Kill(pid, 0); err == nil || err == syscall.EPERM {
			tgid := "?" + strconv.Itoa(pid)
			if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status"); err == nil {
				for _, l := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(l, "Tgid:"); ok {
						tgid = strings.TrimSpace(v)
					}
				}
			}
			if !have[tgid] {
				have[tgid] = true
				alive = append(alive, tgid)
			}
		}
	}
	fmt.Printf("kill %s\n", strings.Join(alive, ","))
	fmt.Printf("uid %d\n", os.Getuid())
	err := os.WriteFile("/escape", []byte("x"), 0o644)
	fmt.Printf("write-root %v\n", err == nil)
	err = syscall.Kill(1, syscall.SIGKILL)
	fmt.Printf("kill-init %v\n", err == nil)
	// A nested user namespace (as root in it, much more of the kernel is reachable).
	runtime.LockOSThread()
	err = syscall.Unshare(syscall.CLONE_NEWUSER)
	fmt.Printf("userns %v\n", err == nil)
}
