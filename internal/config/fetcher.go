package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/samplestore"
)

// Fetcher is the fetcher section: serve's opt-in downloader of the URLs
// the honeypot records (internal/fetcher; docs/honeypot.md). Zero values
// take the defaults (DefaultFetcher).
type Fetcher struct {
	// Enabled turns the fetcher on (default off).
	Enabled bool `yaml:"enabled" toml:"enabled"`
	// MaxBytes is the largest content kept (default 16 MiB; at most the
	// sample store's 32 MiB).
	MaxBytes int64 `yaml:"max_bytes" toml:"max_bytes" unit:"bytes"`
	// Timeout bounds one attempt, redirects included (default 2m).
	Timeout time.Duration `yaml:"timeout" toml:"timeout"`
	// Idle bounds the time without a byte from the server (default 20s).
	Idle time.Duration `yaml:"idle" toml:"idle"`
	// MaxRedirects is the number of HTTP redirects followed (default 3, -1: none).
	MaxRedirects int `yaml:"max_redirects" toml:"max_redirects"`
	// MaxHeaderBytes bounds an answer's header block (default 32 KiB).
	MaxHeaderBytes int `yaml:"max_header_bytes" toml:"max_header_bytes" unit:"bytes"`
	// Concurrency is the number of fetches at once (default 4).
	Concurrency int `yaml:"concurrency" toml:"concurrency"`
	// PerHost is the number of fetches at once to one host (default 1).
	PerHost int `yaml:"per_host" toml:"per_host"`
	// Retries after a failure that may pass (default 2, -1: none).
	Retries int `yaml:"retries" toml:"retries"`
	// Backoff is the wait before the first retry, doubled each time (default 30s).
	Backoff time.Duration `yaml:"backoff" toml:"backoff"`
	// Queue bounds the URLs waiting (default 10000).
	Queue int `yaml:"queue" toml:"queue"`
	// BacklogInterval is how often stored URLs not yet fetched are looked
	// for (default 1m).
	BacklogInterval time.Duration `yaml:"backlog_interval" toml:"backlog_interval"`
	// SourceAddr is the local address connections leave from ("": any).
	SourceAddr string `yaml:"source_addr" toml:"source_addr"`
	// Interface binds the fetcher's sockets to an interface
	// (SO_BINDTODEVICE, needs CAP_NET_RAW; "": none).
	Interface string `yaml:"interface" toml:"interface"`
	// Proxy: "socks5://HOST:PORT" or "http://HOST:PORT" ("": none).
	Proxy string `yaml:"proxy" toml:"proxy"`
	// Deny lists CIDRs never fetched from besides the built-in private
	// and local ranges: the sensor's own networks.
	Deny []string `yaml:"deny" toml:"deny"`
	// Allow lists CIDRs fetched from although denied (for tests).
	Allow []string `yaml:"allow" toml:"allow"`
	// UserAgent sent with HTTP requests (default "Wget/1.21.3").
	UserAgent string `yaml:"user_agent" toml:"user_agent"`
}

// DefaultFetcher returns the fetcher section's defaults (off).
func DefaultFetcher() Fetcher {
	return Fetcher{
		MaxBytes: 16 << 20, Timeout: 2 * time.Minute, Idle: 20 * time.Second, MaxRedirects: 3,
		MaxHeaderBytes: 32 << 10, Concurrency: 4, PerHost: 1, Retries: 2, Backoff: 30 * time.Second,
		Queue: 10000, BacklogInterval: time.Minute, UserAgent: "Wget/1.21.3",
	}
}

// Prefixes parses a list of CIDRs or addresses (an address is its /32 or
// /128).
func Prefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR (like 192.0.2.0/24)", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (v *validator) fetcher(c *Fetcher) {
	const fp = "fetcher"
	if c.MaxBytes < 0 || c.MaxBytes > samplestore.DefaultMaxSize || (c.MaxBytes > 0 && c.MaxBytes < 1024) {
		v.fail(fp+".max_bytes", "%d: give 1KiB to %dMiB (the sample store's limit)", c.MaxBytes, samplestore.DefaultMaxSize>>20)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
		min time.Duration
	}{{"timeout", c.Timeout, time.Second}, {"idle", c.Idle, 100 * time.Millisecond}, {"backoff", c.Backoff, time.Millisecond},
		{"backlog_interval", c.BacklogInterval, time.Second}} {
		if d.v < 0 || (d.v > 0 && d.v < d.min) {
			v.fail(fp+"."+d.key, "%v: give at least %v", d.v, d.min)
		}
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultFetcher().Timeout
	}
	if c.Idle > timeout {
		v.fail(fp+".idle", "%v: give at most the timeout (%v)", c.Idle, timeout)
	}
	for _, n := range []struct {
		key      string
		v        int
		min, max int
	}{{"max_redirects", c.MaxRedirects, -1, 20}, {"max_header_bytes", c.MaxHeaderBytes, 0, 1 << 20},
		{"concurrency", c.Concurrency, 0, 256}, {"per_host", c.PerHost, 0, 64}, {"retries", c.Retries, -1, 10},
		{"queue", c.Queue, 0, 1 << 20}} {
		if n.v < n.min || n.v > n.max {
			v.fail(fp+"."+n.key, "%d: give %d to %d", n.v, n.min, n.max)
		}
	}
	if c.SourceAddr != "" {
		if _, err := netip.ParseAddr(c.SourceAddr); err != nil {
			v.fail(fp+".source_addr", "%q is not an IP address", c.SourceAddr)
		}
	}
	if c.Interface != "" && (len(c.Interface) > 15 || strings.ContainsAny(c.Interface, "/ \t\n\x00")) {
		v.fail(fp+".interface", "%q is not an interface name", c.Interface)
	}
	if c.Proxy != "" {
		u, err := url.Parse(c.Proxy)
		switch {
		case err != nil || u.Host == "" || u.Port() == "":
			v.fail(fp+".proxy", "%q is not a proxy URL like socks5://127.0.0.1:1080 or http://127.0.0.1:3128", c.Proxy)
		case u.Scheme != "socks5" && u.Scheme != "socks5h" && u.Scheme != "http":
			v.fail(fp+".proxy", "%q: scheme %q (give socks5 or http)", c.Proxy, u.Scheme)
		}
	}
	for _, l := range []struct {
		key  string
		list []string
	}{{"deny", c.Deny}, {"allow", c.Allow}} {
		for i, s := range l.list {
			if _, err := Prefixes([]string{s}); err != nil {
				v.fail(fmt.Sprintf("%s.%s[%d]", fp, l.key, i), "%v", err)
			}
		}
	}
	if len(c.UserAgent) > 256 || strings.ContainsAny(c.UserAgent, "\r\n\x00") {
		v.fail(fp+".user_agent", "give one line of at most 256 bytes")
	}
}
