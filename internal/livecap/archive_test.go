package livecap

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/klauspost/compress/gzip"

	"github.com/honeyscope/honeyscope/internal/pcaparchive"
)

// TestArchive: with an archive directory, every frame the socket returned
// is in a complete, marked pcapng file once the capture stops, byte for
// byte, and nothing is left under .part.
func TestArchive(t *testing.T) {
	dir := t.TempDir()
	src := newFakeSource()
	st := &fakeStore{loc: time.UTC, done: make(chan error, 100)}
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	c, err := New(nil, Configuration{
		Interfaces:     []Interface{{Name: "eth3", Sensor: "osaka", SensorNets: []string{"192.0.2.0/24"}}},
		CommitInterval: 10 * time.Second,
		Archive:        Archive{Dir: dir},
	}, Dependencies{Store: st, Now: clk.now, Version: "test", Open: func(Interface, int, int, Configuration) (Source, error) { return src, nil }})
	if err != nil {
		t.Fatal(err)
	}
	c.tick = make(chan struct{})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := trafficTo(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"), 3)
	src.feed(t, clk.now(), m.frames...)
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-st.done
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 || !strings.HasSuffix(files[0], pcaparchive.Suffix) || !strings.HasPrefix(filepath.Base(files[0]), "eth3-") {
		t.Fatalf("archive files %v", files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	info, ok, err := pcaparchive.Marker(bytes.NewReader(raw))
	if err != nil || !ok || info.Sensor != "osaka" || info.Interface != "eth3" {
		t.Fatalf("marker %+v %v %v", info, ok, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewNgReader(zr, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ; ; n++ {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n >= len(m.frames) || !bytes.Equal(data, m.frames[n]) {
			t.Fatalf("frame %d differs", n)
		}
	}
	if n != len(m.frames) {
		t.Fatalf("%d frames archived, %d captured", n, len(m.frames))
	}
}
