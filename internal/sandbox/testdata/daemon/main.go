// Command daemon is a sandbox test program: it forks, the child calls
// setsid and forks again, and the grandchild sleeps for ever, as a
// daemonising bot does; the first process exits at once.
package main

import (
	"syscall"
	"unsafe"
)

func fork() uintptr {
	pid, _, errno := syscall.RawSyscall(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0)
	if errno != 0 {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 3, 0, 0)
	}
	return pid
}

func main() {
	if fork() != 0 {
		return
	}
	syscall.RawSyscall(syscall.SYS_SETSID, 0, 0, 0)
	if fork() != 0 {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
	}
	ts := syscall.Timespec{Sec: 1}
	for {
		syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
	}
}
