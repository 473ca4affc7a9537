package remote

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// The owner's lock: SOCK.lock beside the socket, held with flock(2) by the
// running owner for its whole life (the kernel lets go of it when the
// owner dies, even by SIGKILL). Whoever holds it may remove a socket file
// left behind: a client that finds the socket refusing connections takes
// the lock, and only when it gets it (no owner runs) removes the socket.
// A new owner takes the lock before it listens. The lock file is never
// removed (removing it would let two processes lock two different files);
// it holds the pid of the last owner.

func lockPath(sock string) string { return sock + ".lock" }

// tryLock takes the lock without waiting. ok is false when another process
// holds it.
func tryLock(path string) (f *os.File, ok bool, err error) {
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("owner lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("owner lock %s: %w", path, err)
	}
	return f, true, nil
}

// writePID records the owner's pid in the lock file it holds.
func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// readPID returns the pid recorded in a lock file (0 when unknown).
func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}
