package livecap

import (
	"errors"
	"os"
	"time"

	"github.com/gopacket/gopacket/afpacket"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// pollTimeout is how long a socket waits for a packet before Next
// returns ErrTimeout (so an interval ends on time on a quiet link).
const pollTimeout = 100 * time.Millisecond

// afSource is an AF_PACKET TPACKET_V3 socket. It only reads.
type afSource struct {
	tp *afpacket.TPacket
}

// openAFPacket opens worker w of n of an interface: n > 1 sockets join one
// fanout group (hashed by flow) so the kernel spreads packets over them.
func openAFPacket(ifc Interface, w, n int, cfg Configuration) (Source, error) {
	opts := []any{
		afpacket.OptInterface(ifc.Name),
		afpacket.TPacketVersion3,
		afpacket.OptPollTimeout(pollTimeout),
		afpacket.OptBlockTimeout(10 * time.Millisecond),
	}
	if cfg.BlockSize > 0 {
		opts = append(opts, afpacket.OptBlockSize(cfg.BlockSize))
	}
	if cfg.NumBlocks > 0 {
		opts = append(opts, afpacket.OptNumBlocks(cfg.NumBlocks))
	}
	tp, err := afpacket.NewTPacket(opts...)
	if err != nil {
		return nil, err
	}
	s := &afSource{tp: tp}
	if len(ifc.BPF) > 0 {
		if err := tp.SetBPF(ifc.BPF); err != nil {
			tp.Close()
			return nil, err
		}
	}
	if ifc.Promisc {
		if err := tp.SetPromiscuous(true); err != nil {
			tp.Close()
			return nil, err
		}
	}
	if n > 1 {
		// One group per interface and process (fanout ids are per
		// network namespace).
		id := uint16(os.Getpid()*64 + fanoutIndex(ifc.Name))
		if err := tp.SetFanout(afpacket.FanoutHash, id); err != nil {
			tp.Close()
			return nil, err
		}
	}
	return s, nil
}

// fanoutIndex spreads interface names over fanout ids.
func fanoutIndex(name string) int {
	h := 0
	for i := 0; i < len(name); i++ {
		h = h*31 + int(name[i])
	}
	return h & 63
}

func (s *afSource) Next() ([]byte, int64, error) {
	data, ci, err := s.tp.ZeroCopyReadPacketData()
	if err != nil {
		if errors.Is(err, afpacket.ErrTimeout) {
			return nil, 0, ErrTimeout
		}
		return nil, 0, err
	}
	return data, ci.Timestamp.UnixNano(), nil
}

func (s *afSource) Link() decode.LinkType { return decode.LinkEthernet }

func (s *afSource) Stats() (Stats, error) {
	_, v3, err := s.tp.SocketStats()
	if err != nil {
		return Stats{}, err
	}
	return Stats{Packets: uint64(v3.Packets()), Drops: uint64(v3.Drops()), Freezes: uint64(v3.QueueFreezes())}, nil
}

func (s *afSource) Close() error { s.tp.Close(); return nil }
