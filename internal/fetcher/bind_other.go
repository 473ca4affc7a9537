//go:build !linux

package fetcher

import (
	"errors"
	"syscall"
)

// bindToDevice is not supported off Linux.
func bindToDevice(c syscall.RawConn, iface string) error {
	return errors.New("binding to an interface needs Linux (SO_BINDTODEVICE)")
}
