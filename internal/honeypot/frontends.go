package honeypot

import (
	"github.com/honeyscope/honeyscope/internal/honeypot/creds"
	"github.com/honeyscope/honeyscope/internal/honeypot/generic"
	"github.com/honeyscope/honeyscope/internal/honeypot/telnet"
	"github.com/honeyscope/honeyscope/internal/session"
)

// Settings are what a front end is built from: one service's
// configuration with the sensor-wide parts filled in.
type Settings struct {
	Sensor      string
	Service     string
	TLS         bool // the port speaks TLS (HTTP)
	Hostname    string
	Banner      string
	Arch        []string
	PortBanners map[uint16]string // generic
	Credentials creds.Credentials
	Limits      session.Limits
	// StateDir keeps what must survive a restart so the sensor looks the
	// same to returning clients: the SSH host keys and the TLS
	// certificate ("": made anew in memory at each start).
	StateDir string
}

// FrontEnd builds a service's handler.
type FrontEnd func(Settings) (Handler, error)

// handlerKey names a handler: one per service and TLS flag.
type handlerKey struct {
	service string
	tls     bool
}

// builtinFrontEnd returns the front end built into the package for a
// service (telnet and generic here; SSH and HTTP in frontends_sshhttp.go),
// or nil.
func builtinFrontEnd(service string) FrontEnd {
	switch service {
	case session.Telnet:
		return func(s Settings) (Handler, error) {
			return telnet.New(telnet.Config{
				Banner:      s.Banner,
				Hostname:    s.Hostname,
				Arch:        s.Arch,
				Credentials: s.Credentials,
				FSBytes:     s.Limits.FSBytes,
			})
		}
	case session.Generic:
		return func(s Settings) (Handler, error) {
			return generic.New(generic.Config{Banner: s.Banner, PortBanners: s.PortBanners}), nil
		}
	}
	return protocolFrontEnd(service)
}
