package synth

import (
	"bytes"
	"io"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/decode"
)

// TestAgreesWithClassify runs the project's decoder and classifier (with the
// built-in exploit patterns) over a capture and checks that every packet gets
// the classes this package's truth counted it under.
func TestAgreesWithClassify(t *testing.T) {
	for _, hostile := range []bool{false, true} {
		cfg := Config{Packets: 100000, Days: 3, Seed: 31, Pool: newPool(), Hostile: hostile}
		data, _ := writeBuf(t, cfg)
		// Hostile payloads are in the capture only when asked for.
		if got := bytes.Contains(data, []byte("<script>alert(")); got != hostile {
			t.Errorf("Hostile %v: script tags in the capture: %v", hostile, got)
		}
		agrees(t, cfg, data)
	}
}

func agrees(t *testing.T, cfg Config, data []byte) {
	norm, err := cfg.normalize()
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := &classify.Classifier{Exploits: classify.NewBuiltinExploits()}
	var p decode.Packet
	var counts [classify.NumClasses]int
	bad := 0
	for n := 0; ; n++ {
		frame, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want := parseFrame(t, frame, norm.SensorNet, norm.SensorNet6).tags
		if err := decode.Decode(decode.LinkEthernet, frame, &p); err != nil {
			t.Fatalf("packet %d: decode: %v", n, err)
		}
		got, _ := c.Classify(&p)
		if got != want {
			if bad++; bad <= 5 {
				t.Errorf("packet %d: classify gives %08b, truth counts %08b (%s > %s proto %d port %d payload %q)",
					n, got, want, p.Src, p.Dst, p.Proto, p.DstPort, p.Payload)
			}
		}
		for cl := range classify.NumClasses {
			if got.Has(cl) {
				counts[cl]++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d packets disagree", bad)
	}
	for cl := range classify.NumClasses {
		if counts[cl] == 0 && cl != classify.Intrusion { // honeypot sessions: never in a capture
			t.Errorf("no %s packet in the capture", cl)
		}
	}
}
