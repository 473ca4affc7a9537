package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/ingest"
)

// TestReportUndecoded: a committed capture whose frames were not decoded
// says so, by link type, instead of a bare "0 packets counted".
func TestReportUndecoded(t *testing.T) {
	for _, tc := range []struct {
		r    ingest.FileResult
		want []string
	}{
		{ingest.FileResult{Path: "wifi.pcap", Committed: true, Frames: 7, Undecodable: 7,
			NotDecoded: []ingest.LinkFrames{{Link: 105, Frames: 7}}},
			[]string{"note: wifi.pcap: 7 frames of link type 105 (IEEE802_11) not decoded"}},
		{ingest.FileResult{Path: "spb.pcapng", Committed: true, Frames: 3, Packets: 2, Undecodable: 1, Undated: 1},
			[]string{"note: spb.pcapng: 1 packet with no usable time (undated) not counted"}},
		{ingest.FileResult{Path: "arp.pcap", Committed: true, Frames: 4, Undecodable: 4},
			[]string{"note: arp.pcap: no packet counted: 4 frames without a valid IPv4 or IPv6 packet"}},
		{ingest.FileResult{Path: "ok.pcap", Committed: true, Frames: 4, Packets: 3, Undecodable: 1}, nil},
	} {
		var out, errw bytes.Buffer
		_ = reportIngest(&out, &errw, []ingest.FileResult{tc.r}, 0)
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(errw.String()), "\n") {
			if l != "" {
				got = append(got, l)
			}
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s: notes\n%s\nwant\n%s", tc.r.Path, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}
