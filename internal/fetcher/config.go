package fetcher

import (
	"net/netip"
	"time"
)

// Configuration is the fetcher's configuration (the fetcher section of
// serve's configuration file, internal/config). Zero values take the
// defaults of DefaultConfiguration.
type Configuration struct {
	// MaxBytes is the largest content kept; a longer answer is cut off
	// and recorded with an error, without a sample (default 16 MiB, never
	// above the sample store's limit).
	MaxBytes int64
	// Timeout bounds one attempt from the first connection to the last
	// byte, redirects included (default 2m).
	Timeout time.Duration
	// Idle bounds the time without a byte from the server (default 20s).
	Idle time.Duration
	// MaxRedirects is the number of HTTP redirects followed (default 3;
	// -1: none).
	MaxRedirects int
	// MaxHeaderBytes bounds an HTTP answer's header block (default 32 KiB).
	MaxHeaderBytes int
	// Concurrency is the number of fetches at once (default 4); PerHost
	// the number at once to one host (default 1).
	Concurrency, PerHost int
	// Retries is the number of attempts after the first for errors that
	// may pass (no connection, timeouts, 5xx), waiting Backoff, then twice
	// as long each time (default 2 retries, 30s; -1: no retry).
	Retries int
	Backoff time.Duration
	// Queue bounds the URLs waiting (default 10000): more are left to the
	// backlog pass, which looks for URLs of stored sessions not yet
	// fetched every BacklogInterval (default 1m).
	Queue           int
	BacklogInterval time.Duration

	// SourceAddr is the local address connections leave from (zero: the
	// system's choice).
	SourceAddr netip.Addr
	// Interface binds every socket to this interface (SO_BINDTODEVICE;
	// needs CAP_NET_RAW) ("" : none).
	Interface string
	// Proxy is an HTTP or SOCKS5 proxy every connection goes through:
	// "socks5://host:port" (the destination is resolved and checked here
	// first, then given to the proxy as an address) or "http://host:port"
	// (HTTP and HTTPS only; the destination is resolved and checked here,
	// and the proxy connects to that address). "" : none. TFTP never uses
	// a proxy and is refused when one is set, FTP only through SOCKS5.
	Proxy string
	// Deny lists ranges never connected to besides the built-in ones
	// (DeniedRanges): the sensor's own networks above all.
	Deny []netip.Prefix
	// Allow lists ranges connected to although denied (tests: loopback).
	Allow []netip.Prefix
	// UserAgent is sent with HTTP requests (default: a wget user agent,
	// as the bots use).
	UserAgent string
}

// DefaultConfiguration returns the defaults.
func DefaultConfiguration() Configuration {
	return Configuration{
		MaxBytes:        16 << 20,
		Timeout:         2 * time.Minute,
		Idle:            20 * time.Second,
		MaxRedirects:    3,
		MaxHeaderBytes:  32 << 10,
		Concurrency:     4,
		PerHost:         1,
		Retries:         2,
		Backoff:         30 * time.Second,
		Queue:           10000,
		BacklogInterval: time.Minute,
		UserAgent:       "Wget/1.21.3",
	}
}

// withDefaults returns c with zero values replaced by the defaults.
func (c Configuration) withDefaults() Configuration {
	d := DefaultConfiguration()
	if c.MaxBytes <= 0 {
		c.MaxBytes = d.MaxBytes
	}
	if c.Timeout <= 0 {
		c.Timeout = d.Timeout
	}
	if c.Idle <= 0 {
		c.Idle = d.Idle
	}
	switch {
	case c.MaxRedirects == 0:
		c.MaxRedirects = d.MaxRedirects
	case c.MaxRedirects < 0:
		c.MaxRedirects = 0
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if c.Concurrency <= 0 {
		c.Concurrency = d.Concurrency
	}
	if c.PerHost <= 0 {
		c.PerHost = d.PerHost
	}
	switch {
	case c.Retries == 0:
		c.Retries = d.Retries
	case c.Retries < 0:
		c.Retries = 0
	}
	if c.Backoff <= 0 {
		c.Backoff = d.Backoff
	}
	if c.Queue <= 0 {
		c.Queue = d.Queue
	}
	if c.BacklogInterval <= 0 {
		c.BacklogInterval = d.BacklogInterval
	}
	if c.UserAgent == "" {
		c.UserAgent = d.UserAgent
	}
	return c
}
