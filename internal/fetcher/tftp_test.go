package fetcher

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// tftpBehaviour says how the test server answers a read request.
type tftpBehaviour int

const (
	tftpGood         tftpBehaviour = iota
	tftpReorder                    // sends block n+1 before block n, then block n
	tftpDuplicates                 // sends every block twice
	tftpStrayPort                  // sends a packet from another port before every block after the first
	tftpEndless                    // never sends a short block
	tftpWrongBlocks                // only ever sends blocks ahead of the one expected
	tftpSilent                     // never answers
	tftpNotFound                   // an ERROR packet
	tftpLoseFirstAck               // ignores the first ACK of block 1 (the client sends it again on a timeout)
)

// tftpServer is a TFTP server for tests on loopback: one transfer per
// request, from a port of its own (its TID), serving files (by name).
func tftpServer(t *testing.T, files map[string][]byte, how tftpBehaviour) string {
	t.Helper()
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); pc.Close() })
	go func() {
		buf := make([]byte, 1024)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if n < 4 || binary.BigEndian.Uint16(buf) != tftpRRQ {
				continue
			}
			parts := bytes.Split(buf[2:n], []byte{0})
			name := string(parts[0])
			if len(parts) < 2 || string(parts[1]) != "octet" {
				continue
			}
			go serveTFTP(done, from, files[name], name, files, how)
		}
	}()
	return pc.LocalAddr().String()
}

func dataPacket(block uint16, b []byte) []byte {
	p := []byte{0, tftpDATA, byte(block >> 8), byte(block)}
	return append(p, b...)
}

func serveTFTP(done chan struct{}, client netip.AddrPort, content []byte, name string, files map[string][]byte, how tftpBehaviour) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return
	}
	defer c.Close()
	go func() { <-done; c.Close() }()
	if how == tftpSilent {
		<-done
		return
	}
	if _, ok := files[name]; !ok || how == tftpNotFound {
		c.WriteToUDPAddrPort(tftpError(1, "File not found"), client)
		return
	}
	block := func(n uint16) []byte {
		if how == tftpEndless {
			return bytes.Repeat([]byte{byte(n)}, tftpBlock)
		}
		lo := int(n-1) * tftpBlock
		if lo > len(content) {
			return nil
		}
		return content[lo:min(lo+tftpBlock, len(content))]
	}
	var stray *net.UDPConn
	if how == tftpStrayPort {
		stray, _ = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		defer stray.Close()
	}
	buf := make([]byte, 1024)
	lostOne := false
	for n := uint16(1); ; n++ {
		b := block(n)
		if how == tftpWrongBlocks {
			for i := 0; i < 1000; i++ {
				if _, err := c.WriteToUDPAddrPort(dataPacket(n+5, block(n)), client); err != nil {
					return
				}
			}
			return
		}
		// Before the first block the client cannot tell a transfer port
		// from another (RFC 1350): strays come once the transfer has one.
		if stray != nil && n > 1 {
			stray.WriteToUDPAddrPort(dataPacket(n, bytes.Repeat([]byte("!"), len(b))), client)
		}
		if how == tftpReorder && len(b) == tftpBlock {
			c.WriteToUDPAddrPort(dataPacket(n+1, block(n+1)), client)
		}
		c.WriteToUDPAddrPort(dataPacket(n, b), client)
		if how == tftpDuplicates {
			c.WriteToUDPAddrPort(dataPacket(n, b), client)
		}
		// Wait for the ACK of n (sending n again on a timeout, as a
		// server does).
		for acked := false; !acked; {
			c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			m, _, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					c.WriteToUDPAddrPort(dataPacket(n, b), client)
					continue
				}
				return
			}
			if m < 4 {
				continue
			}
			op, blk := binary.BigEndian.Uint16(buf), binary.BigEndian.Uint16(buf[2:])
			if op == tftpERROR {
				return
			}
			if how == tftpLoseFirstAck && n == 1 && !lostOne {
				lostOne = true
				continue
			}
			acked = op == tftpACK && blk == n
		}
		if len(b) < tftpBlock {
			return
		}
	}
}

func TestTFTP(t *testing.T) {
	files := map[string][]byte{
		"bins/mirai.arm": bytes.Repeat([]byte("0123456789abcdef"), 82)[:1300], // 3 blocks, the last short
		"exact":          bytes.Repeat([]byte{7}, 1024),                       // 2 full blocks and an empty one
		"empty":          {},
	}
	cfg := testConfig()
	cfg.Idle = 2 * time.Second
	cl := newTestClient(t, cfg)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		how  tftpBehaviour
	}{{"good", tftpGood}, {"reordered", tftpReorder}, {"duplicates", tftpDuplicates}, {"stray port", tftpStrayPort}, {"lost ack", tftpLoseFirstAck}} {
		addr := tftpServer(t, files, c.how)
		for name, want := range files {
			r := cl.Fetch(ctx, "tftp://"+addr+"/"+name)
			if r.Err != nil {
				t.Errorf("%s %s: %v", c.name, name, r.Err)
				continue
			}
			if !bytes.Equal(r.Content, want) || r.Size != int64(len(want)) || r.SHA256 != hexSHA(want) {
				t.Errorf("%s %s: %d bytes (size %d), want %d", c.name, name, len(r.Content), r.Size, len(want))
			}
			if !strings.HasPrefix(r.Server, "127.0.0.1:") || r.Server == addr {
				t.Errorf("%s %s: server %q, want the transfer port (not %s)", c.name, name, r.Server, addr)
			}
		}
	}
}

// TestHostileTFTP: a transfer that never ends, blocks that never come in
// order, a silent server and an error are all bounded.
func TestHostileTFTP(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBytes = 8 << 10
	cfg.Idle = 500 * time.Millisecond
	cfg.Timeout = 5 * time.Second
	cl := newTestClient(t, cfg)
	ctx := context.Background()
	files := map[string][]byte{"x": []byte("small")}
	for _, c := range []struct {
		name  string
		how   tftpBehaviour
		check func(r Result) bool
	}{
		{"endless", tftpEndless, func(r Result) bool { return errors.Is(r.Err, ErrTooLarge) && r.Size <= cfg.MaxBytes+tftpBlock }},
		{"wrong blocks", tftpWrongBlocks, func(r Result) bool { return errors.Is(r.Err, ErrProtocol) }},
		{"silent", tftpSilent, func(r Result) bool { return r.Err != nil && r.Temporary }},
		{"not found", tftpNotFound, func(r Result) bool {
			return errors.Is(r.Err, ErrStatus) && strings.Contains(r.Err.Error(), "File not found")
		}},
	} {
		addr := tftpServer(t, files, c.how)
		r := cl.Fetch(ctx, "tftp://"+addr+"/x")
		if !c.check(r) || r.Content != nil {
			t.Errorf("%s: err %v, size %d, %d bytes kept, temporary %v", c.name, r.Err, r.Size, len(r.Content), r.Temporary)
		}
	}
	for _, bad := range []string{"tftp://127.0.0.1/", "tftp://127.0.0.1/" + strings.Repeat("n", tftpMaxName+1)} {
		if r := cl.Fetch(ctx, bad); !errors.Is(r.Err, ErrBadURL) {
			t.Errorf("%.40s: %v", bad, r.Err)
		}
	}
	p := testConfig()
	p.Proxy = "socks5://127.0.0.1:1"
	if r := newTestClient(t, p).Fetch(ctx, "tftp://127.0.0.1/x"); !errors.Is(r.Err, ErrNeedsDirect) {
		t.Errorf("tftp through a proxy: %v", r.Err)
	}
}

func FuzzParseTFTP(f *testing.F) {
	f.Add(dataPacket(1, []byte("abc")))
	f.Add(tftpError(1, "File not found"))
	f.Add([]byte{0, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseTFTP(b)
		if err == nil && (len(p.data) > tftpBlock || len(b) < 4) {
			t.Fatalf("accepted %d bytes with %d data", len(b), len(p.data))
		}
	})
}
