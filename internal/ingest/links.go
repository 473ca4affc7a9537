package ingest

import (
	"fmt"
	"strings"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// maxLinkTallies bounds the link types a file's report names one by one; the
// frames of further ones are counted together (a pcapng file may define
// thousands of interfaces, each with its own link type).
const maxLinkTallies = 8

// LinkFrames counts the frames of one link type that the decoder does not
// understand (decode.ErrUnsupportedLink). Other is set on the entry that
// counts together the link types beyond the first few of a file.
type LinkFrames struct {
	Link   decode.LinkType
	Frames uint64
	Other  bool
}

// String says what was not decoded: "12 frames of link type 105
// (IEEE802_11) not decoded".
func (l LinkFrames) String() string {
	what := "frame"
	if l.Frames != 1 {
		what = "frames"
	}
	if l.Other {
		return fmt.Sprintf("%d %s of other link types not decoded", l.Frames, what)
	}
	if name := linkNames[l.Link]; name != "" {
		return fmt.Sprintf("%d %s of link type %d (%s) not decoded", l.Frames, what, l.Link, name)
	}
	return fmt.Sprintf("%d %s of link type %d not decoded", l.Frames, what, l.Link)
}

// linkNames names link types a capture may hold that the decoder does not
// read (https://www.tcpdump.org/linktypes.html), for reports.
var linkNames = map[decode.LinkType]string{
	6: "IEEE802_5", 7: "ARCNET_BSD", 8: "SLIP", 10: "FDDI", 100: "ATM_RFC1483",
	105: "IEEE802_11", 107: "FRELAY", 114: "LTALK", 119: "IEEE802_11_PRISM",
	127: "IEEE802_11_RADIOTAP", 138: "APPLE_IP_OVER_IEEE1394", 139: "MTP2_WITH_PHDR",
	143: "DOCSIS", 147: "USER0", 148: "USER1", 149: "USER2", 150: "USER3",
	163: "IEEE802_11_AVS", 165: "BACNET_MS_TP", 166: "PPP_PPPD", 187: "BLUETOOTH_HCI_H4",
	189: "USB_LINUX", 192: "PPI", 195: "IEEE802_15_4_WITHFCS", 201: "BLUETOOTH_HCI_H4_WITH_PHDR",
	215: "IEEE802_15_4_NONASK_PHY", 220: "USB_LINUX_MMAPPED", 227: "CAN_SOCKETCAN",
	230: "IEEE802_15_4_NOFCS", 249: "USBPCAP", 253: "NETLINK", 254: "BLUETOOTH_LINUX_MONITOR",
	263: "NETANALYZER", 264: "NETANALYZER_TRANSPARENT", 265: "IPOIB", 266: "MPEG_2_TS",
	274: "NORDIC_BLE", 281: "ETW", 282: "NETANALYZER_NG",
}

// linkTally counts a file's frames of undecoded link types, bounded.
type linkTally struct{ list []LinkFrames }

func (t *linkTally) add(link decode.LinkType) {
	for i := range t.list {
		if t.list[i].Link == link && !t.list[i].Other {
			t.list[i].Frames++
			return
		}
	}
	if len(t.list) < maxLinkTallies {
		t.list = append(t.list, LinkFrames{Link: link, Frames: 1})
		return
	}
	last := &t.list[len(t.list)-1]
	if !last.Other {
		t.list = append(t.list, LinkFrames{Other: true})
		last = &t.list[len(t.list)-1]
	}
	last.Frames++
}

// notDecodedText joins the tallies for the ingest log's not_decoded column.
func notDecodedText(list []LinkFrames) string {
	parts := make([]string, len(list))
	for i, l := range list {
		parts[i] = l.String()
	}
	return strings.Join(parts, "; ")
}
