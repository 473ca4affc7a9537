// Package config reads honeyscope's service configuration file (YAML or
// TOML): the sections of `honeyscope serve` (store, api, honeypot, and the
// sections later components add). Errors name the key and the line.
package config

import "time"

// File is the whole configuration file.
type File struct {
	DB     string `yaml:"db" toml:"db"`         // store path
	TZ     string `yaml:"tz" toml:"tz"`         // store time zone for a new store
	GeoIP  string `yaml:"geoip" toml:"geoip"`   // country MMDB
	ASN    string `yaml:"asn" toml:"asn"`       // ASN MMDB or CSV
	Listen string `yaml:"listen" toml:"listen"` // API address
	Lang   string `yaml:"lang" toml:"lang"`     // language of reports and messages: en or ja
	// Rules lists rule files or directories (Suricata syntax,
	// docs/rules.md) that live capture classifies exploits with, besides
	// the built-in rules (empty: the built-in rules alone).
	Rules    []string `yaml:"rules" toml:"rules"`
	Honeypot Honeypot `yaml:"honeypot" toml:"honeypot"` // honeypot listeners
	Capture  Capture  `yaml:"capture" toml:"capture"`   // live packet capture
	Fetcher  Fetcher  `yaml:"fetcher" toml:"fetcher"`   // downloads of the URLs the honeypot records (fetcher.go)
	Sandbox  Sandbox  `yaml:"sandbox" toml:"sandbox"`   // runs of the samples in the sandbox (sandbox.go)

	// Path is the file this was read from ("" for defaults).
	Path string `yaml:"-" toml:"-"`

	src *source // where each value came from (Load, FromFlags)
}

// Honeypot is the honeypot section.
type Honeypot struct {
	Enabled bool   `yaml:"enabled" toml:"enabled"`
	Name    string `yaml:"name" toml:"name"` // sensor name every row carries (default "honeypot")
	// Bind lists the local addresses listened on (default ["0.0.0.0", "::"];
	// quick start: --bind).
	Bind []string `yaml:"bind" toml:"bind"`
	// User, when set and serve runs as root, is the account serve switches
	// to after binding every listener.
	User string `yaml:"user" toml:"user"`
	// CommitInterval is how often sessions are committed (default 10s).
	CommitInterval time.Duration `yaml:"commit_interval" toml:"commit_interval"`
	// SampleDir is where dropped samples are kept (default: "samples" beside the store).
	SampleDir string `yaml:"sample_dir" toml:"sample_dir"`
	// EventLog, when set, is a file receiving every event as a Cowrie-format JSON line.
	EventLog string `yaml:"event_log" toml:"event_log"`
	// AllowCountries: sensor-wide domestic-only mode (ISO codes; empty: all).
	AllowCountries []string `yaml:"allow_countries" toml:"allow_countries"`
	// Filter says what a filtered source gets: "drop" (accept and close
	// without a byte, the default) or "refuse" (reset).
	Filter string `yaml:"filter" toml:"filter"`

	Telnet  Service `yaml:"telnet" toml:"telnet"`
	SSH     Service `yaml:"ssh" toml:"ssh"`
	HTTP    Service `yaml:"http" toml:"http"`
	Generic Service `yaml:"generic" toml:"generic"`
	// Redirect is the generic listener port that an nftables rule sends
	// every other TCP port to (0: none); its sessions record the original
	// port (SO_ORIGINAL_DST).
	Redirect uint16 `yaml:"redirect_port" toml:"redirect_port" zero:"none"`
	// AdminPorts are TCP ports the nftables redirect (NFT) leaves alone
	// although no listener serves them: the machine's real management SSH
	// port above all, and the API port when it listens beyond loopback.
	AdminPorts []uint16 `yaml:"admin_ports" toml:"admin_ports"`

	Credentials Credentials `yaml:"credentials" toml:"credentials"`
	Limits      Limits      `yaml:"limits" toml:"limits"`
}

// Capture is the live capture section: the interfaces whose inbound
// packets are counted, as capture files are.
type Capture struct {
	// Interfaces captured (empty: no live capture).
	Interfaces []CaptureInterface `yaml:"interfaces" toml:"interfaces"`
	// CommitInterval is how often what was captured is committed (default
	// 10s); a crash loses at most this much.
	CommitInterval time.Duration `yaml:"commit_interval" toml:"commit_interval"`
	// Workers is the number of capture sockets per interface, the kernel
	// spreading packets over them (default 1).
	Workers int `yaml:"workers" toml:"workers"`
	// Archive keeps the raw packets in rotating pcapng files (gzip).
	Archive Archive `yaml:"archive" toml:"archive"`
}

// Archive is the capture's raw packet archive: rotating pcapng files,
// each renamed into place only when complete, kept by age and total size.
type Archive struct {
	// Dir is where the files go (empty: no archive).
	Dir string `yaml:"dir" toml:"dir"`
	// Off turns the archive off while Dir stays set (default false: written once Dir is set).
	Off bool `yaml:"off" toml:"off"`
	// FileBytes rotates a file at this compressed size (default 256 MiB).
	FileBytes int64 `yaml:"file_bytes" toml:"file_bytes" unit:"bytes"`
	// FileAge rotates a file at this age (default 1h).
	FileAge time.Duration `yaml:"file_age" toml:"file_age"`
	// KeepAge deletes complete files older than this (default 30 days: 720h).
	KeepAge time.Duration `yaml:"keep_age" toml:"keep_age"`
	// KeepBytes deletes the oldest complete files beyond this total (default 10 GiB).
	KeepBytes int64 `yaml:"keep_bytes" toml:"keep_bytes" unit:"bytes"`
}

// On reports whether the archive is written.
func (a Archive) On() bool { return a.Dir != "" && !a.Off }

// CaptureInterface is one captured interface.
type CaptureInterface struct {
	Name   string `yaml:"name" toml:"name"`     // interface name
	Sensor string `yaml:"sensor" toml:"sensor"` // sensor name its rows carry (default: the interface name)
	// SensorNet lists the sensor's addresses or CIDRs on the interface:
	// only packets to them count (empty: every packet).
	SensorNet []string `yaml:"sensor_net" toml:"sensor_net"`
	Promisc   bool     `yaml:"promisc" toml:"promisc"` // promiscuous mode while capturing
	// Filter is a capture filter in tcpdump's language ("not port 22"),
	// compiled with tcpdump when the capture starts (empty: every packet).
	Filter string `yaml:"filter" toml:"filter"`
}

// Service configures the listeners of one service.
type Service struct {
	// Ports: listened ports (nil: the service's default ports; an empty
	// list in the file: the service is off).
	Ports []uint16 `yaml:"ports" toml:"ports"`
	// TLSPorts: ports of this service that speak TLS (HTTP: default [8443]).
	TLSPorts []uint16 `yaml:"tls_ports" toml:"tls_ports"`
	// Arch: the emulated CPU architectures; one is chosen per session
	// (default ["arm7", "mips", "mipsel", "x86_64"] for telnet and SSH).
	Arch     []string `yaml:"arch" toml:"arch"`
	Banner   string   `yaml:"banner" toml:"banner"`     // telnet: text before the login prompt; SSH: server version; generic: bytes sent on connect
	Hostname string   `yaml:"hostname" toml:"hostname"` // shell prompt host name
	// AllowCountries overrides the sensor-wide list for this service.
	AllowCountries []string `yaml:"allow_countries" toml:"allow_countries"`
	// Banners per port for the generic service ("6379": "-ERR ...\r\n").
	PortBanners map[string]string `yaml:"port_banners" toml:"port_banners"`
}

// Credentials says which logins succeed.
type Credentials struct {
	// Policy: "list" (only Accept), "any" (every attempt), "after"
	// (any after AfterTries failures in the session; default, 2), "mirai"
	// (the Mirai bot's credential table, plus Accept).
	Policy     string   `yaml:"policy" toml:"policy"`
	AfterTries int      `yaml:"after_tries" toml:"after_tries"`
	Accept     []string `yaml:"accept" toml:"accept"` // "user:password" ("*" matches anything)
	// MiraiTable: file of the Mirai credential table (user TAB password
	// per line; default: the built-in copy of the 62 pairs).
	MiraiTable string `yaml:"mirai_table" toml:"mirai_table"`
}

// Limits bound connections and sessions (zero: default). The byte sizes
// (unit:"bytes") are written as numbers or with a binary suffix: "4MiB",
// "64KiB".
type Limits struct {
	Connections     int           `yaml:"connections" toml:"connections"`                  // concurrent connections, all listeners (default 20000)
	PerSource       int           `yaml:"per_source" toml:"per_source"`                    // concurrent connections per source address (default 32)
	SessionBytes    int64         `yaml:"session_bytes" toml:"session_bytes" unit:"bytes"` // bytes read per session (default 4 MiB)
	LineBytes       int           `yaml:"line_bytes" toml:"line_bytes" unit:"bytes"`       // longest input line (default 16 KiB)
	Commands        int           `yaml:"commands" toml:"commands"`                        // commands per session (default 5000: a 60 KiB echo -ne upload takes about 1,000)
	FSBytes         int64         `yaml:"fs_bytes" toml:"fs_bytes" unit:"bytes"`           // virtual filesystem bytes per session (default 8 MiB)
	Idle            time.Duration `yaml:"idle" toml:"idle"`                                // idle time before a session is closed (default 3m)
	Session         time.Duration `yaml:"session" toml:"session"`                          // longest session (default 15m)
	HTTPBody        int           `yaml:"http_body" toml:"http_body" unit:"bytes"`         // HTTP body bytes kept (default 64 KiB)
	FirstBytes      int           `yaml:"first_bytes" toml:"first_bytes" unit:"bytes"`     // generic: first bytes kept (default 4 KiB)
	PendingSessions int           `yaml:"pending_sessions" toml:"pending_sessions"`        // finished sessions queued for commit (default 100000)
}
