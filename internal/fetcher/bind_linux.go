package fetcher

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// bindToDevice sets SO_BINDTODEVICE on the socket.
func bindToDevice(c syscall.RawConn, iface string) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.BindToDevice(int(fd), iface)
	})
	if err != nil {
		return err
	}
	return serr
}
