package bus

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Auth is how a connection to a NATS server proves itself and checks the
// server. Anything that is not loopback needs TLS and credentials, as
// serve's own listener needs authentication beyond loopback.
type Auth struct {
	// User and Password, or a user:password in the URL.
	User, Password string
	// NkeySeedFile holds an nkey seed (SU...): the server knows the
	// public key.
	NkeySeedFile string
	// CredsFile holds a user JWT and its nkey seed (decentralised auth).
	CredsFile string
	// CAFile verifies the server's certificate (default: the system's
	// roots); CertFile and KeyFile are a client certificate.
	CAFile, CertFile, KeyFile string
}

// ErrInsecure is returned for a non-loopback server without TLS or
// without credentials.
var ErrInsecure = errors.New("a NATS server beyond loopback needs TLS (tls://HOST:PORT or a CA file) and credentials (user:password in the URL, a password, an nkey seed or a creds file)")

// parseURL parses a NATS URL (nats://, tls://; a bare HOST:PORT is
// nats://).
func parseURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "nats://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("NATS URL: %w", err)
	}
	switch u.Scheme {
	case "nats", "tls":
	default:
		return nil, fmt.Errorf("NATS URL %q: scheme %q (want nats:// or tls://)", u.Redacted(), u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("NATS URL %q: no host", u.Redacted())
	}
	return u, nil
}

// isLoopback reports whether host names this machine's loopback.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckSecure refuses a non-loopback server URL unless a has TLS and
// credentials (ErrInsecure).
func CheckSecure(raw string, a Auth) error {
	u, err := parseURL(raw)
	if err != nil {
		return err
	}
	if isLoopback(u.Hostname()) {
		return nil
	}
	tlsOn := u.Scheme == "tls" || a.CAFile != ""
	_, urlPass := u.User.Password()
	creds := urlPass || a.Password != "" || a.NkeySeedFile != "" || a.CredsFile != ""
	if !tlsOn || !creds {
		return fmt.Errorf("%s: %w", u.Redacted(), ErrInsecure)
	}
	return nil
}

// Connect connects to the server at raw (after CheckSecure), reconnecting
// for ever when the link drops: a sensor or a collector outlives the hub's
// restarts.
func Connect(raw string, a Auth, name string) (*nats.Conn, error) {
	if err := CheckSecure(raw, a); err != nil {
		return nil, err
	}
	u, err := parseURL(raw)
	if err != nil {
		return nil, err
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(true),
	}
	more, err := a.options()
	if err != nil {
		return nil, err
	}
	opts = append(opts, more...)
	if u.Scheme == "tls" && a.CAFile == "" {
		opts = append(opts, nats.Secure())
	}
	nc, err := nats.Connect(u.String(), opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", u.Redacted(), err)
	}
	return nc, nil
}

// options are a's connection options.
func (a Auth) options() ([]nats.Option, error) {
	var opts []nats.Option
	if a.User != "" || a.Password != "" {
		opts = append(opts, nats.UserInfo(a.User, a.Password))
	}
	if a.NkeySeedFile != "" {
		o, err := nats.NkeyOptionFromSeed(a.NkeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("nkey seed: %w", err)
		}
		opts = append(opts, o)
	}
	if a.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(a.CredsFile))
	}
	if a.CAFile != "" {
		opts = append(opts, nats.RootCAs(a.CAFile))
	}
	if a.CertFile != "" || a.KeyFile != "" {
		opts = append(opts, nats.ClientCert(a.CertFile, a.KeyFile))
	}
	return opts, nil
}
