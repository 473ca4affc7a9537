package main

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// txRing is a PACKET_TX_RING (TPACKET_V2) mapped into the sender: frames
// are copied into its slots and the kernel sends every slot marked
// TP_STATUS_SEND_REQUEST at one send(2), building each socket buffer
// from the ring's pages; a slot is free again (TP_STATUS_AVAILABLE) once
// its buffer has been released.
type txRing struct {
	fd        int
	mem       []byte
	frameSize int
	perBlock  int
	blockSize int
	n         int // slots
	poll      []unix.PollFd
}

// vnetHdrLen is the size of struct virtio_net_hdr, which leads every frame
// in the ring (PACKET_VNET_HDR): its hdr_len, set to the frame's length,
// makes the kernel copy the whole frame into the socket buffer's linear
// part. Without it, all but the Ethernet header is attached as pages of the
// ring, and the veth then copies those into pages it allocates for each
// frame (skb_copy_ubufs), which costs more than the copy.
const vnetHdrLen = 10

// tpacket2DataOff is where a TPACKET_V2 TX frame's data begins in its
// slot: TPACKET2_HDRLEN - sizeof(struct sockaddr_ll), the aligned header.
const tpacket2DataOff = (int(unsafe.Sizeof(unix.Tpacket2Hdr{})) + unix.TPACKET_ALIGNMENT - 1) &^ (unix.TPACKET_ALIGNMENT - 1)

// newTxRing sets up a TX ring of about ringBytes on fd for frames of at
// most maxFrame bytes. It must be called before fd is bound.
func newTxRing(fd, maxFrame, ringBytes int) (*txRing, error) {
	frameSize := 128
	for frameSize < tpacket2DataOff+vnetHdrLen+maxFrame {
		frameSize *= 2
	}
	blockSize := max(1<<18, frameSize)
	blocks := max(1, ringBytes/blockSize)
	r := &txRing{fd: fd, frameSize: frameSize, blockSize: blockSize, perBlock: blockSize / frameSize}
	r.n = r.perBlock * blocks
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V2); err != nil {
		return nil, fmt.Errorf("PACKET_VERSION: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VNET_HDR, 1); err != nil {
		return nil, fmt.Errorf("PACKET_VNET_HDR: %w", err)
	}
	req := unix.TpacketReq{Block_size: uint32(blockSize), Block_nr: uint32(blocks), Frame_size: uint32(frameSize), Frame_nr: uint32(r.n)}
	if err := unix.SetsockoptTpacketReq(fd, unix.SOL_PACKET, unix.PACKET_TX_RING, &req); err != nil {
		return nil, fmt.Errorf("PACKET_TX_RING (%d blocks of %d, frames of %d): %w", blocks, blockSize, frameSize, err)
	}
	mem, err := unix.Mmap(fd, 0, blockSize*blocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap TX ring: %w", err)
	}
	r.mem = mem
	r.poll = []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	return r, nil
}

func (r *txRing) close() { _ = unix.Munmap(r.mem) }

// slot returns the memory of slot i.
func (r *txRing) slot(i int) []byte {
	off := (i/r.perBlock)*r.blockSize + (i%r.perBlock)*r.frameSize
	return r.mem[off : off+r.frameSize]
}

func status(s []byte) *uint32 { return (*uint32)(unsafe.Pointer(&s[0])) }

// kick asks the kernel to send every slot marked for sending; wait makes
// it return only once all of them are sent and released.
func (r *txRing) kick(wait bool) error {
	flags := uintptr(unix.MSG_DONTWAIT)
	if wait {
		flags = 0
	}
	for {
		var e unix.Errno
		if wait {
			_, _, e = unix.Syscall6(unix.SYS_SENDTO, uintptr(r.fd), 0, 0, flags, 0, 0)
		} else {
			// Not a blocking call: RawSyscall spares the Go scheduler
			// handing the thread's P to another thread while the kernel
			// sends the batch (which costs futex wake-ups per call).
			_, _, e = unix.RawSyscall6(unix.SYS_SENDTO, uintptr(r.fd), 0, 0, flags, 0, 0)
		}
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		case unix.EAGAIN, unix.ENOBUFS:
			// The socket's send buffer is full: the frames stay marked
			// and go at the next kick.
			return nil
		}
		return fmt.Errorf("send (TX ring): %w", e)
	}
}

// free waits until slot s can be written.
func (r *txRing) free(s []byte) error {
	for {
		switch st := atomic.LoadUint32(status(s)); {
		case st == unix.TP_STATUS_AVAILABLE:
			return nil
		case st&unix.TP_STATUS_WRONG_FORMAT != 0:
			return fmt.Errorf("TX ring: the kernel refused a frame (wrong format, %d bytes)", *(*uint32)(unsafe.Pointer(&s[4])))
		}
		if err := r.kick(false); err != nil {
			return err
		}
		if _, err := unix.Poll(r.poll, 10); err != nil && err != unix.EINTR {
			return fmt.Errorf("poll (TX ring): %w", err)
		}
	}
}

// sendRing sends the frames through a TX ring: batch frames are copied
// into consecutive slots, then one send(2) sends them all.
func sendRing(r *txRing, fr *frames, pps, batch int) (int, time.Duration, error) {
	batch = min(batch, r.n/2)
	start := time.Now()
	sent, next := 0, 0
	for sent < fr.len() {
		n := min(batch, fr.len()-sent)
		pace(start, sent, pps)
		for i := 0; i < n; i++ {
			s := r.slot(next)
			if err := r.free(s); err != nil {
				return sent, time.Since(start), err
			}
			b := fr.frame(sent + i)
			v := s[tpacket2DataOff : tpacket2DataOff+vnetHdrLen]
			clear(v)                                             // no checksum offload, no GSO
			binary.LittleEndian.PutUint16(v[2:], uint16(len(b))) // hdr_len: copy it all
			copy(s[tpacket2DataOff+vnetHdrLen:], b)
			h := (*unix.Tpacket2Hdr)(unsafe.Pointer(&s[0]))
			h.Len = uint32(vnetHdrLen + len(b))
			atomic.StoreUint32(status(s), unix.TP_STATUS_SEND_REQUEST)
			if next++; next == r.n {
				next = 0
			}
		}
		if err := r.kick(false); err != nil {
			return sent, time.Since(start), err
		}
		sent += n
	}
	// Every frame marked has gone once a blocking send returns.
	err := r.kick(true)
	return sent, time.Since(start), err
}
