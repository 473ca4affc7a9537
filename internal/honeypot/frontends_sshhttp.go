package honeypot

import (
	"path/filepath"

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
				HostKeyPath: stateFile(s.StateDir, "ssh_host_keys"),
			})
		}
	case session.HTTP:
		return func(s Settings) (Handler, error) {
			return httpd.New(httpd.Config{
				Sensor:      s.Sensor,
				Hostname:    s.Hostname,
				Banner:      s.Banner,
				Credentials: s.Credentials,
				TLS:         s.TLS,
				CertDir:     s.StateDir,
			})
		}
	}
	return nil
}

// stateFile is name in dir, or "" (keys made in memory) when dir is "".
func stateFile(dir, name string) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, name)
}
