package decode

import "testing"

// FuzzDecode checks on arbitrary frames that Decode never panics, fails only
// with its sentinel errors, resets the packet, and returns a payload that
// lies inside the frame. Seeds are the generated cases and every frame of
// the shared captures, when present.
func FuzzDecode(f *testing.F) {
	for _, tc := range decodeCases() {
		f.Add(uint32(tc.link), tc.frame)
	}
	for _, fr := range allCaptureFrames(f) {
		f.Add(uint32(fr.link), fr.data)
	}
	sentinels := []error{ErrTruncated, ErrNotIP, ErrBadIPHeader, ErrTooManyTags, ErrUnsupportedLink}
	f.Fuzz(func(t *testing.T, link uint32, frame []byte) {
		var p Packet
		err := Decode(LinkType(link), frame, &p)

		dirty := Packet{Quoted: true, HasTransport: true, SrcPort: 1, VLANs: 3, Encap: 2, Payload: frame}
		err2 := Decode(LinkType(link), frame, &dirty)
		if err != err2 || !samePacket(p, dirty) {
			t.Fatalf("decode into a used packet differs: %+v (%v) vs %+v (%v)", dirty, err2, p, err)
		}
		if err != nil {
			if !slicesContainsErr(sentinels, err) {
				t.Fatalf("unexpected error %v", err)
			}
			// On error only the VLAN count may have been set.
			if !samePacket(p, Packet{VLANs: p.VLANs}) {
				t.Fatalf("error %v with fields set: %+v", err, p)
			}
			return
		}
		if !p.Src.IsValid() || !p.Dst.IsValid() || p.Src.Is4() == p.IPv6 || p.Dst.Is4() == p.IPv6 {
			t.Fatalf("incoherent addresses: %+v", p)
		}
		if p.Encap > MaxEncap || int(p.VLANs) > MaxVLANs*(int(p.Encap)+1) {
			t.Fatalf("layer counts out of bounds: %+v", p)
		}
		if p.Frag == FragLater && p.HasTransport {
			t.Fatalf("later fragment with a transport header: %+v", p)
		}
		if !p.HasTransport && (p.SrcPort|p.DstPort != 0 || p.Seq|p.Ack != 0 || p.TCPFlags|p.ICMPType|p.ICMPCode != 0 || len(p.Payload) != 0 || p.Quoted) {
			t.Fatalf("transport fields without a transport header: %+v", p)
		}
		if n := len(p.Payload); n > 0 {
			off := cap(frame) - cap(p.Payload)
			if off < 0 || off+n > len(frame) || &frame[off] != &p.Payload[0] {
				t.Fatalf("payload of %d bytes is not inside the %d-byte frame", n, len(frame))
			}
		}
	})
}
