// Command forks is a sandbox test program: it forks children that sleep
// until fork fails (or 500 are made), and prints how many it made.
package main

import (
	"fmt"
	"syscall"
	"unsafe"
)

func main() {
	n := 0
	for n < 500 {
		pid, _, errno := syscall.RawSyscall(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0)
		if errno != 0 {
			break
		}
		if pid == 0 {
			ts := syscall.Timespec{Sec: 1}
			for {
				syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
			}
		}
		n++
	}
	fmt.Printf("forked %d\n", n)
}
