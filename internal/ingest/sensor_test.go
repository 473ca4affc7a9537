package ingest

import "testing"

func TestSensorFromPath(t *testing.T) {
	cases := map[string]string{
		"captures/tokyo-open-2026-05-01.pcap.gz": "tokyo-open",
		"honey1_20260501T0000.pcap":              "honey1",
		"/x/osaka.2026-05-01.pcapng":             "osaka",
		"2026-05-01.pcap":                        "default",
		"capture.pcap":                           "default",
		"sv_mac-eve-packet_mirai-syn23.pcap":     "default",
	}
	for in, want := range cases {
		if got := SensorFromPath(in); got != want {
			t.Errorf("SensorFromPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseNets(t *testing.T) {
	n, err := ParseNets([]string{"192.0.2.0/24, 2001:db8::/64", "198.51.100.7"})
	if err != nil || len(n) != 3 || n[2].Bits() != 32 {
		t.Fatalf("%v %v", n, err)
	}
	if netsSize(n[:1]) != 256 || netsSize(n[2:]) != 1 {
		t.Errorf("sizes %v %v", netsSize(n[:1]), netsSize(n[2:]))
	}
	for _, bad := range []string{"192.0.2.0/33", "nonsense", "10.0.0.1/8/2"} {
		if _, err := ParseNets([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
