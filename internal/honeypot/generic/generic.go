// Package generic is the honeypot's front end for ports without a protocol
// of their own (SMB, ADB, Redis, RDP, MSSQL, ... and every port an nftables
// redirect sends to it): it writes an optional banner, keeps the first bytes
// the client sends (bounded by the session's limits) and answers nothing
// else; the session ends when the client stops sending or goes away.
package generic

import (
	"context"
	"net"

	"github.com/honeyscope/honeyscope/internal/honeypot/guard"
	"github.com/honeyscope/honeyscope/internal/session"
)

// Config configures the generic front end.
type Config struct {
	Banner      string            // written on connect to ports without their own banner ("": none)
	PortBanners map[uint16]string // per destination port (the session's Port, the original port when redirected)
}

// Server is the generic front end. It is safe for concurrent use.
type Server struct {
	cfg Config
}

// New returns a generic front end.
func New(cfg Config) *Server { return &Server{cfg: cfg} }

// Serve writes the port's banner, records the client's first bytes and
// reads (discarding) until the session ends.
func (s *Server) Serve(ctx context.Context, c net.Conn, rec *session.Recorder) string {
	banner, ok := s.cfg.PortBanners[rec.Header().Port]
	if !ok {
		banner = s.cfg.Banner
	}
	if banner != "" {
		if _, err := c.Write([]byte(banner)); err != nil {
			return guard.Reason(err)
		}
	}
	buf := make([]byte, 1024)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			rec.FirstBytes(buf[:n])
		}
		if err != nil {
			return guard.Reason(err)
		}
	}
}
