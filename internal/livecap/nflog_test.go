package livecap

import (
	"bytes"
	"testing"
)

func TestNFLOGGroup(t *testing.T) {
	for _, tc := range []struct {
		in     string
		group  uint16
		isNF   bool
		hasErr bool
	}{
		{"eth0", 0, false, false},
		{"nflog:7", 7, true, false},
		{"nflog:65535", 65535, true, false},
		{"nflog:65536", 0, true, true},
		{"nflog:", 0, true, true},
		{"nflog:x", 0, true, true},
	} {
		g, ok, err := nflogGroup(tc.in)
		if g != tc.group || ok != tc.isNF || (err != nil) != tc.hasErr {
			t.Errorf("%q: %d %v %v", tc.in, g, ok, err)
		}
	}
}

// TestNFLOGRing: packets handed over by the reader come out of Next in
// order, each valid until the next call; a full ring drops and counts.
func TestNFLOGRing(t *testing.T) {
	const slots = 4
	s := &nflogSource{done: make(chan struct{}), held: -1,
		slots: make([][]byte, slots), lens: make([]int, slots), ts: make([]int64, slots),
		full: make(chan int, slots), free: make(chan int, slots)}
	for i := range s.slots {
		s.slots[i] = make([]byte, 8)
		s.free <- i
	}
	for i := 0; i < slots+2; i++ {
		s.handle(int64(i), 4, bytes.Repeat([]byte{byte(i)}, 12)) // longer than a slot: cut
	}
	if got := s.dropped.Load(); got != 2 {
		t.Errorf("dropped %d, want 2", got)
	}
	for i := 0; i < slots; i++ {
		pkt, ts, err := s.Next()
		if err != nil || ts != int64(i) || !bytes.Equal(pkt, bytes.Repeat([]byte{byte(i)}, 8)) {
			t.Fatalf("packet %d: %v %d %v", i, pkt, ts, err)
		}
	}
	// The slots came back: the reader can hand over again.
	s.Next() // returns the last held slot; times out
	s.handle(99, 4, []byte{1, 2, 3})
	if pkt, ts, err := s.Next(); err != nil || ts != 99 || !bytes.Equal(pkt, []byte{1, 2, 3}) {
		t.Errorf("after reuse: %v %d %v", pkt, ts, err)
	}
}

// TestNFLOGRingNoAllocs: handing a packet over and taking it out
// allocates nothing.
func TestNFLOGRingNoAllocs(t *testing.T) {
	s := &nflogSource{done: make(chan struct{}), held: -1,
		slots: [][]byte{make([]byte, 64), make([]byte, 64)}, lens: make([]int, 2), ts: make([]int64, 2),
		full: make(chan int, 2), free: make(chan int, 2)}
	s.free <- 0
	s.free <- 1
	pkt := bytes.Repeat([]byte{0x45}, 40)
	if n := testing.AllocsPerRun(1000, func() {
		s.handle(1, 2, pkt)
		if _, _, err := s.Next(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per packet", n)
	}
}
