package guard

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
)

func pair(t *testing.T, lim session.Limits, ctx context.Context) (*Conn, net.Conn, *session.Recorder) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	rec := session.NewHub(session.HubConfig{Limits: lim}).Open(session.Session{}, lim)
	g := Wrap(ctx, sc, rec)
	t.Cleanup(func() { g.Close(); cl.Close() })
	return g, cl, rec
}

func TestCountsBytes(t *testing.T) {
	g, cl, rec := pair(t, session.DefaultLimits(), context.Background())
	cl.Write([]byte("hello"))
	buf := make([]byte, 16)
	n, err := g.Read(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q %v", buf[:n], err)
	}
	g.Write([]byte("abc"))
	if s := rec.Snapshot(); s.BytesIn != 5 || s.BytesOut != 3 {
		t.Errorf("bytes in %d out %d", s.BytesIn, s.BytesOut)
	}
	io.ReadFull(cl, make([]byte, 3))
	cl.Close()
	if _, err := g.Read(buf); !errors.Is(err, io.EOF) || Reason(err) != "closed" {
		t.Errorf("after close: %v (%s)", err, Reason(err))
	}
}

func TestLimits(t *testing.T) {
	lim := session.DefaultLimits()
	lim.Idle = 100 * time.Millisecond
	g, _, _ := pair(t, lim, context.Background())
	if _, err := g.Read(make([]byte, 1)); !errors.Is(err, ErrIdle) || Reason(err) != "idle" {
		t.Errorf("idle: %v", err)
	}
	if _, err := g.Write([]byte("x")); !errors.Is(err, ErrIdle) {
		t.Errorf("the idle error is not sticky: %v", err)
	}

	lim = session.DefaultLimits()
	lim.Total = 100 * time.Millisecond
	g, cl, _ := pair(t, lim, context.Background())
	go func() {
		for range 100 {
			if _, err := cl.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	var err error
	for err == nil {
		_, err = g.Read(make([]byte, 1))
	}
	if !errors.Is(err, ErrTimeout) || Reason(err) != "timeout" {
		t.Errorf("total: %v", err)
	}

	lim = session.DefaultLimits()
	lim.Bytes = 10
	g, cl, _ = pair(t, lim, context.Background())
	cl.Write(make([]byte, 11))
	time.Sleep(20 * time.Millisecond)
	if _, err := g.Read(make([]byte, 64)); !errors.Is(err, ErrBytes) || Reason(err) != "bytes" {
		t.Errorf("bytes: %v", err)
	}
}

func TestShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	g, _, _ := pair(t, session.DefaultLimits(), ctx)
	done := make(chan error)
	go func() { _, err := g.Read(make([]byte, 1)); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, ErrShutdown) || Reason(err) != "shutdown" {
		t.Errorf("shutdown: %v", err)
	}
}

// A front end's own deadline gives the plain timeout error and does not
// end the session (net/http aborts background reads this way).
func TestUserDeadline(t *testing.T) {
	g, cl, _ := pair(t, session.DefaultLimits(), context.Background())
	g.SetReadDeadline(time.Now().Add(-time.Second))
	_, err := g.Read(make([]byte, 1))
	if !errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, ErrIdle) {
		t.Fatalf("user deadline: %v", err)
	}
	g.SetReadDeadline(time.Time{})
	cl.Write([]byte("y"))
	if n, err := g.Read(make([]byte, 1)); n != 1 || err != nil {
		t.Errorf("after clearing the deadline: %d %v", n, err)
	}
}
