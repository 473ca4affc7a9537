//go:build !linux

package livecap

import "errors"

func openAFPacket(ifc Interface, w, n int, cfg Configuration) (Source, error) {
	return nil, errors.New("AF_PACKET capture needs Linux")
}
