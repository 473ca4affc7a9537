package livecap

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/nflogsrc"
)

// NFLOGPrefix names an NFLOG group as an interface: "nflog:N" captures
// what an iptables/nftables `log group N` rule logs (the usual way a Linux
// honeypot logs every inbound connection before NAT).
const NFLOGPrefix = "nflog:"

// NFLOG slots: packets are copied out of the netlink buffer into a ring of
// fixed slots (no allocation per packet); a packet longer than a slot is
// cut to it, as a capture's snap length cuts it.
const (
	nflogSlots    = 1024
	nflogSlotSize = 4096
)

// nflogGroup parses "nflog:N".
func nflogGroup(name string) (uint16, bool, error) {
	g, ok := strings.CutPrefix(name, NFLOGPrefix)
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(g, 10, 16)
	if err != nil {
		return 0, true, fmt.Errorf("interface %q: want nflog:N with a group number 0-65535", name)
	}
	return uint16(n), true, nil
}

// nflogSource adapts an NFLOG group to Source: the netlink reader runs in
// its own goroutine and hands packets over through a ring of slots; when
// the ring is full the packet is dropped and counted (with the kernel's
// own losses) in Stats.Drops.
type nflogSource struct {
	src    *nflogsrc.Source
	cancel context.CancelFunc
	done   chan struct{}

	slots [][]byte
	lens  []int
	ts    []int64
	full  chan int // filled slots, in arrival order
	free  chan int // empty slots
	held  int      // the slot Next returned last (-1: none)
	timer *time.Timer

	dropped atomic.Uint64
	closeMu sync.Once
}

func openNFLOG(group uint16) (*nflogSource, error) {
	src, err := nflogsrc.OpenOptions(group, nflogsrc.Options{CopyRange: nflogSlotSize})
	if err != nil {
		return nil, err
	}
	s := &nflogSource{
		src: src, done: make(chan struct{}), held: -1,
		slots: make([][]byte, nflogSlots), lens: make([]int, nflogSlots), ts: make([]int64, nflogSlots),
		full: make(chan int, nflogSlots), free: make(chan int, nflogSlots),
	}
	buf := make([]byte, nflogSlots*nflogSlotSize)
	for i := range s.slots {
		s.slots[i] = buf[i*nflogSlotSize : (i+1)*nflogSlotSize : (i+1)*nflogSlotSize]
		s.free <- i
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		defer close(s.done)
		_ = src.Run(ctx, s.handle)
	}()
	return s, nil
}

func (s *nflogSource) handle(ts int64, _ uint8, pkt []byte) {
	select {
	case i := <-s.free:
		s.lens[i] = copy(s.slots[i], pkt)
		s.ts[i] = ts
		s.full <- i
	default:
		s.dropped.Add(1)
	}
}

// Next returns the next logged packet (a raw IP packet).
func (s *nflogSource) Next() ([]byte, int64, error) {
	if s.held >= 0 {
		s.free <- s.held
		s.held = -1
	}
	// A packet waiting is taken at once; only an empty ring arms the
	// (one, reused) poll timer, so the per-packet path allocates nothing.
	select {
	case i := <-s.full:
		s.held = i
		return s.slots[i][:s.lens[i]], s.ts[i], nil
	default:
	}
	if s.timer == nil {
		s.timer = time.NewTimer(pollTimeout)
	} else {
		s.timer.Reset(pollTimeout)
	}
	defer s.timer.Stop()
	select {
	case i := <-s.full:
		s.held = i
		return s.slots[i][:s.lens[i]], s.ts[i], nil
	case <-s.done:
		return nil, 0, fmt.Errorf("nflog group %d: reader stopped", s.src.Group())
	case <-s.timer.C:
		return nil, 0, ErrTimeout
	}
}

// Link is raw IP: NFLOG carries the IP packet without a link header.
func (s *nflogSource) Link() decode.LinkType { return decode.LinkRaw }

// Stats counts the messages the kernel logged and those lost: by the
// kernel (sequence gaps) or because the ring was full.
func (s *nflogSource) Stats() (Stats, error) {
	st := s.src.Stats()
	return Stats{Packets: st.Messages + st.Lost, Drops: st.Lost + s.dropped.Load(), Freezes: st.Overruns}, nil
}

// Close stops the reader and closes the netlink socket.
func (s *nflogSource) Close() error {
	var err error
	s.closeMu.Do(func() {
		s.cancel()
		err = s.src.Close()
		<-s.done
	})
	return err
}
