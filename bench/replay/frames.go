package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket/pcapgo"
)

// frames are a capture's frames held in memory, back to back in one
// buffer, so that the timed send reads no file and allocates nothing.
type frames struct {
	buf   []byte
	off   []uint32 // frame i is buf[off[i]:off[i+1]]
	max   int      // longest frame
	loops int      // the frames are sent this many times over
}

// n is the number of frames in the file (as loaded).
func (f *frames) n() int { return len(f.off) - 1 }

// len is the number of frames to send.
func (f *frames) len() int { return f.n() * f.loops }

// frame returns frame i of those to send.
func (f *frames) frame(i int) []byte {
	i %= f.n()
	return f.buf[f.off[i]:f.off[i+1]]
}

// load reads at most limit frames (0: all) of the pcap file at path, to be
// sent loops times.
func load(path string, limit, loops int) (*frames, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, err
	}
	r, err := pcapgo.NewReader(bufio.NewReaderSize(file, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f := &frames{buf: make([]byte, 0, st.Size()), off: []uint32{0}, loops: loops}
	for limit == 0 || f.n() < limit {
		data, _, err := r.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: frame %d: %w", path, f.n()+1, err)
		}
		if uint64(len(f.buf))+uint64(len(data)) > 1<<32-1 {
			return nil, fmt.Errorf("%s: more than 4 GiB of frames (use -n)", path)
		}
		f.buf = append(f.buf, data...)
		f.off = append(f.off, uint32(len(f.buf)))
		f.max = max(f.max, len(data))
	}
	return f, nil
}
