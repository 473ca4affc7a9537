package synth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// TestGoldenBytes pins the bytes of captures made without the swarm
// options, and of their truth: options added later must not change what
// an existing configuration writes.
func TestGoldenBytes(t *testing.T) {
	sp, _ := ParseSpike("DE:1:6")
	cases := []struct {
		name      string
		cfg       Config
		capture   string
		truthJSON string
	}{
		{"pcap", Config{Packets: 60000, Days: 3, Seed: 5, Pool: newPool()},
			"22b5bbda2960214ce477ab0826ee0f186e8b948d651482b3c4ebb6d325cf8c53", "82cb49b3362717575cbbc6c4a94203016be916e3e2211eec5d6f621562e43bff"},
		{"pcapng-events", Config{Packets: 40000, Days: 4, Seed: 9, Format: "pcapng", Pool: newPool(), Hostile: true,
			Spikes: []Spike{sp}, Scanners: []Scanner{{Country: "NL", Day: 2, Packets: 500}}},
			"3a511e9ce99b648ddff37302b9af426e0c6907da2fe4b9a08c1c77d628f0b36c", "e7efa072e28d9c4e747106f2024099b8e86ca0850f3c0df941a593306157d143"},
	}
	for _, c := range cases {
		data, tr := writeBuf(t, c.cfg)
		sum := sha256.Sum256(data)
		tj, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		tsum := sha256.Sum256(tj)
		got, gotT := hex.EncodeToString(sum[:]), hex.EncodeToString(tsum[:])
		if got != c.capture || gotT != c.truthJSON {
			t.Errorf("%s: capture sha256 %s, truth %s; pinned %s, %s", c.name, got, gotT, c.capture, c.truthJSON)
		}
	}
}
