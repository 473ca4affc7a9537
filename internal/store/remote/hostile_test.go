package remote

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// rawConn connects to the owner without the client, optionally saying hello.
func rawConn(t *testing.T, db string, hello bool) (*conn, net.Conn) {
	t.Helper()
	nc, err := net.Dial("unix", SocketPath(db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := newConn(nc, maxReplyFrame)
	if hello {
		if _, err := handshake(c); err != nil {
			t.Fatal(err)
		}
	}
	return c, nc
}

func frameBytes(kind byte, n uint32, payload []byte) []byte {
	b := []byte{kind, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], n)
	return append(b, payload...)
}

// TestHostileFrames sends the owner what no client would and checks that
// it closes or refuses those connections, rolls back their transactions
// and goes on serving.
func TestHostileFrames(t *testing.T) {
	ctx := context.Background()
	o, srv := owned(t)
	alive := func(what string) {
		t.Helper()
		waitWriteFree(t, srv)
		if _, err := dial(t, o).Stats(ctx, store.StatsQuery{}); err != nil {
			t.Fatalf("after %s: %v", what, err)
		}
		if n := count(t, o, `SELECT count(*) FROM sources`); n != 0 {
			t.Fatalf("after %s: %d sources stored", what, n)
		}
	}
	// expectClosed reads until the owner closes the connection, allowing
	// one error reply.
	expectClosed := func(what string, c *conn, wantErr string) {
		t.Helper()
		m, err := c.readMessage()
		if err == nil {
			if wantErr == "" || !strings.Contains(m.Err, wantErr) {
				t.Errorf("%s: reply %q, want an error with %q", what, m.Err, wantErr)
			}
			_, err = c.readMessage()
		} else if wantErr != "" {
			t.Errorf("%s: %v, want an error reply with %q", what, err, wantErr)
		}
		if err == nil {
			t.Errorf("%s: connection still open", what)
		}
	}

	t.Run("garbage before hello", func(t *testing.T) {
		c, nc := rawConn(t, o.Path(), false)
		nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		expectClosed("garbage", c, "")
		alive("garbage")
	})
	t.Run("huge control frame", func(t *testing.T) {
		c, nc := rawConn(t, o.Path(), false)
		nc.Write(frameBytes(kindControl, 1<<31, nil))
		expectClosed("huge frame", c, "")
		alive("huge frame")
	})
	t.Run("other version", func(t *testing.T) {
		c, _ := rawConn(t, o.Path(), false)
		c.writeMessage(&message{Op: opHello, Magic: magic, Version: 99})
		c.flush()
		expectClosed("version", c, "protocol version")
		alive("version")
	})
	t.Run("gob garbage", func(t *testing.T) {
		c, nc := rawConn(t, o.Path(), true)
		nc.Write(frameBytes(kindControl, 8, []byte{0xff, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05}))
		expectClosed("gob garbage", c, "bad control frame")
		alive("gob garbage")
	})
	t.Run("truncated frame", func(t *testing.T) {
		c, nc := rawConn(t, o.Path(), true)
		nc.Write(frameBytes(kindControl, 1000, []byte("short")))
		nc.(*net.UnixConn).CloseWrite()
		expectClosed("truncated", c, "")
		alive("truncated")
	})
	for name, payload := range map[string][]byte{
		"chunk of garbage":       bytes.Repeat([]byte{0xa5}, 4096),
		"chunk claiming 4G rows": append([]byte{chunkVersion, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, make([]byte, 64)...),
		"empty chunk":            nil,
		"huge bulk frame":        nil,
	} {
		t.Run(name, func(t *testing.T) {
			c, nc := rawConn(t, o.Path(), true)
			c.writeMessage(&message{Op: opBegin})
			c.flush()
			if m, err := c.readMessage(); err != nil || m.Err != "" {
				t.Fatalf("begin: %v %v", m, err)
			}
			if name == "huge bulk frame" {
				nc.Write(frameBytes(kindBulk, maxBulkFrame+1, nil))
				expectClosed(name, c, "")
			} else {
				nc.Write(frameBytes(kindBulk, uint32(len(payload)), payload))
				expectClosed(name, c, "bad append chunk")
			}
			alive(name)
		})
	}
	t.Run("hit naming a source beyond the chunk", func(t *testing.T) {
		r, p := result(7, 3)
		r.Hits[0].Source = 2
		ch, err := newChunker(r, p, "s", nil, chunkTarget)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := ch.next()
		// Point the first hit at source 3 of 3.
		i := bytes.Index(b, []byte{2, 0, 0, 0, r.Hits[0].Proto})
		if i < 0 {
			t.Fatal("hit not found in the encoding")
		}
		b[i] = 3
		if _, err := decodeChunk(b); err == nil || !strings.Contains(err.Error(), "names source 3 of 3") {
			t.Errorf("decode: %v", err)
		}
	})
}

// TestChunkRoundTrip: a Result cut into chunks and decoded again gives
// the same sources, places, hits (per source) and hourly counts.
func TestChunkRoundTrip(t *testing.T) {
	r, p := result(8, 5000)
	ch, err := newChunker(r, p, "tokyo", pattern, 16<<10)
	if err != nil {
		t.Fatal(err)
	}
	var got []*chunk
	for {
		b, err := ch.next()
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			break
		}
		c, err := decodeChunk(b)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c)
	}
	if len(got) < 10 {
		t.Fatalf("%d chunks, want many", len(got))
	}
	var srcs int
	var hourly int
	hits := map[string]uint64{}
	for _, c := range got {
		if c.sensor != "tokyo" {
			t.Fatalf("sensor %q", c.sensor)
		}
		for i, sd := range c.result.Sources {
			if !reflect.DeepEqual(sd, r.Sources[srcs+i]) || c.places[i] != p[srcs+i] {
				t.Fatalf("source %d: %+v %+v, want %+v %+v", srcs+i, sd, c.places[i], r.Sources[srcs+i], p[srcs+i])
			}
		}
		for _, h := range c.result.Hits {
			s := srcs + int(h.Source)
			hits[string(rune(s))+"/"+string(rune(h.Port))+"/"+string(rune(h.Proto))] += h.Packets
		}
		for _, x := range c.result.Exploits {
			if c.pattern()(x.Pattern) != pattern(x.Pattern) {
				t.Errorf("pattern %d: %q", x.Pattern, c.pattern()(x.Pattern))
			}
		}
		srcs += len(c.result.Sources)
		hourly += len(c.result.Hourly)
	}
	want := map[string]uint64{}
	for _, h := range r.Hits {
		want[string(rune(int(h.Source)))+"/"+string(rune(h.Port))+"/"+string(rune(h.Proto))] += h.Packets
	}
	if srcs != len(r.Sources) || hourly != len(r.Hourly) || !reflect.DeepEqual(hits, want) {
		t.Errorf("%d sources, %d hourly, hits equal: %v", srcs, hourly, reflect.DeepEqual(hits, want))
	}
}

// FuzzDecodeChunk: no input makes decoding panic or allocate beyond what
// its length allows.
func FuzzDecodeChunk(f *testing.F) {
	r, p := result(9, 20)
	ch, _ := newChunker(r, p, "s", pattern, chunkTarget)
	b, _ := ch.next()
	f.Add(append([]byte(nil), b...))
	f.Add([]byte{chunkVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeChunk(b)
		if err != nil {
			return
		}
		for _, h := range c.result.Hits {
			if int(h.Source) >= len(c.result.Sources) {
				t.Fatalf("hit names source %d of %d", h.Source, len(c.result.Sources))
			}
		}
		if len(c.places) != len(c.result.Sources) {
			t.Fatal("places and sources differ in number")
		}
		decodeAddrs(b)
		decodePlaces(b, map[string]string{})
	})
}

// TestStatsWire: rows by column come back as they were, whatever their
// keys' types, and ragged rows as they are.
func TestStatsWire(t *testing.T) {
	day := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, rows := range [][]store.StatsRow{
		{{Keys: []any{"a", int64(1), nil, day}, Org: "o", Packets: 3, Sources: 1}, {Keys: []any{"b", int64(2), "x", "2026-05-02"}, Packets: 2, Sources: 2}},
		{{Keys: []any{}, Packets: 7, Sources: 4}},
		{{Keys: []any{"a"}, Packets: 1}, {Keys: []any{"a", "b"}, Packets: 2}},
	} {
		w := toStatsWire(rows)
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(w); err != nil {
			t.Fatal(err)
		}
		var back statsWire
		if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
			t.Fatal(err)
		}
		if got := back.rows(); !reflect.DeepEqual(got, rows) {
			t.Errorf("rows %v came back as %v", rows, got)
		}
	}
}
