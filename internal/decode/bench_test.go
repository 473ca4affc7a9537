package decode

import "testing"

func benchmarkFrame(b *testing.B, link LinkType, frame []byte) {
	b.Helper()
	var p Packet
	if err := Decode(link, frame, &p); err != nil || !p.HasTransport {
		b.Fatalf("benchmark frame does not decode: %v %+v", err, p)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Decode(link, frame, &p)
	}
}

// caseFrame returns the frame of the named generated case.
func caseFrame(b *testing.B, name string) (LinkType, []byte) {
	b.Helper()
	for _, tc := range decodeCases() {
		if tc.name == name {
			return tc.link, tc.frame
		}
	}
	b.Fatalf("no case %q", name)
	return 0, nil
}

func BenchmarkDecodeEthernetTCPSyn(b *testing.B) {
	link, frame := caseFrame(b, "ethernet tcp syn")
	benchmarkFrame(b, link, frame)
}

func BenchmarkDecodeVLAN(b *testing.B) {
	link, frame := caseFrame(b, "802.1Q")
	benchmarkFrame(b, link, frame)
}

func BenchmarkDecodeQinQ(b *testing.B) {
	link, frame := caseFrame(b, "802.1ad QinQ")
	benchmarkFrame(b, link, frame)
}

func BenchmarkDecodeGREERSPAN(b *testing.B) {
	link, frame := caseFrame(b, "erspan type II")
	benchmarkFrame(b, link, frame)
}

func BenchmarkDecodeIPv6(b *testing.B) {
	link, frame := caseFrame(b, "linktype ipv6")
	benchmarkFrame(b, link, frame)
}

func BenchmarkDecodeIPv6ExtHeaders(b *testing.B) {
	link, frame := caseFrame(b, "ipv6 hop-by-hop routing dstopts")
	benchmarkFrame(b, link, frame)
}

func BenchmarkDecodeICMPError(b *testing.B) {
	link, frame := caseFrame(b, "icmp unreachable quoting tcp")
	benchmarkFrame(b, link, frame)
}

// BenchmarkDecodeCaptures decodes every frame of the shared captures; ns/op
// is per frame.
func BenchmarkDecodeCaptures(b *testing.B) {
	frames := allCaptureFrames(b)
	if len(frames) == 0 {
		b.Skipf("no captures under %s", pcapDir)
	}
	var p Packet
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		fr := frames[i]
		_ = Decode(fr.link, fr.data, &p)
		if i++; i == len(frames) {
			i = 0
		}
	}
}

func BenchmarkDecodeNFLOG(b *testing.B) {
	link, frame := caseFrame(b, "nflog ipv4 mirai syn")
	benchmarkFrame(b, link, frame)
}

func BenchmarkDecodePPPoEVLAN(b *testing.B) {
	link, frame := caseFrame(b, "pppoe ipv6 behind 802.1Q")
	benchmarkFrame(b, link, frame)
}

func BenchmarkDecodePPPMPLS(b *testing.B) {
	link, frame := caseFrame(b, "ppp mpls")
	benchmarkFrame(b, link, frame)
}
