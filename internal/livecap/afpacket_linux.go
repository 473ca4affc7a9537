package livecap

import (
	"errors"
	"golang.org/x/net/bpf"
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
	if err := tp.SetBPF(inboundFilter(ifc.BPF)); err != nil {
		tp.Close()
		return nil, err
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

// inboundFilter returns the classic BPF program attached to every capture
// socket: packets the host itself sends (pkt_type PACKET_OUTGOING, which
// AF_PACKET also delivers, and which the sensor-net check cannot tell
// from inbound ones on loopback) are dropped in the kernel, then the
// user's program, if any, decides. Prepending keeps the user's program
// valid: classic BPF jumps are relative and only go forward.
func inboundFilter(user []bpf.RawInstruction) []bpf.RawInstruction {
	const (
		ldAbsB   = 0x30       // BPF_LD | BPF_B | BPF_ABS
		jeqK     = 0x15       // BPF_JMP | BPF_JEQ | BPF_K
		retK     = 0x06       // BPF_RET | BPF_K
		pktType  = 0xfffff004 // SKF_AD_OFF + SKF_AD_PKTTYPE
		outgoing = 4          // PACKET_OUTGOING
	)
	prog := []bpf.RawInstruction{
		{Op: ldAbsB, K: pktType},
		{Op: jeqK, Jt: 0, Jf: 1, K: outgoing},
		{Op: retK, K: 0},
	}
	if len(user) == 0 {
		return append(prog, bpf.RawInstruction{Op: retK, K: 0xffffffff})
	}
	return append(prog, user...)
}
