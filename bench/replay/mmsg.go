package main

import (
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr of sendmmsg(2).
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
	_   [4]byte
}

// sendMmsg sends the frames on fd with sendmmsg(2), batch frames a call:
// the kernel builds one socket buffer per frame from the caller's memory.
func sendMmsg(fd int, fr *frames, pps, batch int) (int, time.Duration, error) {
	iovs := make([]unix.Iovec, batch)
	msgs := make([]mmsghdr, batch)
	start := time.Now()
	sent := 0
	for sent < fr.len() {
		n := min(batch, fr.len()-sent)
		for i := 0; i < n; i++ {
			b := fr.frame(sent + i)
			iovs[i].Base = &b[0]
			iovs[i].SetLen(len(b))
			msgs[i].hdr = unix.Msghdr{Iov: &iovs[i], Iovlen: 1}
		}
		pace(start, sent, pps)
		for off := 0; off < n; {
			k, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&msgs[off])), uintptr(n-off), 0, 0, 0)
			if e != 0 {
				if e == unix.EAGAIN || e == unix.ENOBUFS || e == unix.EINTR {
					continue
				}
				return sent, time.Since(start), fmt.Errorf("sendmmsg: %w", e)
			}
			off += int(k)
		}
		sent += n
	}
	return sent, time.Since(start), nil
}

// pace sleeps until frame sent is due at pps frames a second from start
// (pps 0: never).
func pace(start time.Time, sent, pps int) {
	if pps <= 0 {
		return
	}
	due := start.Add(time.Duration(float64(sent) / float64(pps) * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		time.Sleep(d)
	}
}
