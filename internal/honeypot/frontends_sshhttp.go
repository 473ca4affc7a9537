//go:build sshhttp

package honeypot

import (
	"github.com/honeyscope/honeyscope/internal/honeypot/httpd"
	"github.com/honeyscope/honeyscope/internal/honeypot/sshd"
	"github.com/honeyscope/honeyscope/internal/session"
)

// protocolFrontEnd returns the SSH and HTTP front ends.
func protocolFrontEnd(service string) FrontEnd {
	switch service {
	case session.SSH:
		return func(s Settings) (Handler, error) {
			return sshd.New(sshd.Config{
				Sensor:      s.Sensor,
				Hostname:    s.Hostname,
				Banner:      s.Banner,
				Arch:        s.Arch,
				Credentials: s.Credentials,
			})
		}
	case session.HTTP:
		return func(s Settings) (Handler, error) {
			return httpd.New(httpd.Config{
				Sensor:      s.Sensor,
				Hostname:    s.Hostname,
				Banner:      s.Banner,
				Arch:        s.Arch,
				Credentials: s.Credentials,
				TLS:         s.TLS,
			})
		}
	}
	return nil
}
