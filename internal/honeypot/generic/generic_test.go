package generic

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/honeypot/guard"
	"github.com/honeyscope/honeyscope/internal/session"
)

func run(t *testing.T, srv *Server, port uint16, lim session.Limits, send []byte) (string, session.Session) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out := make(chan session.Session, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		rec := session.NewHub(session.HubConfig{Limits: lim}).Open(session.Session{Service: session.Generic, Port: port}, lim)
		g := guard.Wrap(context.Background(), c, rec)
		reason := srv.Serve(context.Background(), g, rec)
		g.Close()
		rec.Close(reason)
		out <- rec.Snapshot()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(send)
	var got []byte
	buf := make([]byte, 256)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	select {
	case s := <-out:
		return string(got), s
	case <-time.After(10 * time.Second):
		t.Fatal("session did not end")
	}
	return "", session.Session{}
}

func TestGeneric(t *testing.T) {
	srv := New(Config{Banner: "220 ready\r\n", PortBanners: map[uint16]string{6379: "-NOAUTH\r\n"}})
	lim := session.DefaultLimits()
	lim.Idle = 100 * time.Millisecond
	lim.FirstBytes = 8
	got, s := run(t, srv, 6379, lim, []byte("AUTH hunter2\r\n"))
	if got != "-NOAUTH\r\n" || string(s.FirstBytes) != "AUTH hun" || s.EndReason != "idle" || s.BytesIn != 14 {
		t.Errorf("answer %q first bytes %q end %q in %d", got, s.FirstBytes, s.EndReason, s.BytesIn)
	}
	got, s = run(t, srv, 21, lim, nil)
	if got != "220 ready\r\n" || len(s.FirstBytes) != 0 {
		t.Errorf("default banner %q, first bytes %q", got, s.FirstBytes)
	}
	got, _ = run(t, New(Config{}), 445, lim, []byte{0, 0, 0, 0x85, 0xff, 'S', 'M', 'B'})
	if got != "" {
		t.Errorf("no banner configured but %q sent", got)
	}
}
