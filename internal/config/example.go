package config

// Example returns a complete, documented YAML config: every key, with a
// comment, set to its default (the honeypot is enabled, and the API moved
// off port 8080, which the honeypot's HTTP listener takes). It loads
// without error; `honeyscope serve --example-config` prints it.
func Example() string { return exampleYAML }

// ExampleTOML is Example in TOML: the same keys, values and comments.
func ExampleTOML() string { return exampleTOML }

const exampleYAML = `# honeyscope serve configuration (YAML). Every key is optional: a key left
# out takes the default shown here. Durations are written like "10s", "3m",
# "1h30m"; sizes as a number of bytes or like "64KiB", "4MiB".

# The store file (empty: $HONEYSCOPE_DB, else ./honeyscope.duckdb).
db: ""
# Time zone of days for a new store, an IANA name such as Asia/Tokyo
# (empty: UTC; a store keeps the zone it was made with).
tz: ""
# Country database in MaxMind format (empty: the built-in one).
geoip: ""
# ASN database in MaxMind format or CSV (empty: the built-in one).
asn: ""
# The API, dashboard and /metrics address, HOST:PORT. The default is
# 127.0.0.1:8080, which the honeypot's HTTP port 8080 takes, so the API is
# moved here. Beyond loopback it needs authentication (see docs/serve.md).
listen: 127.0.0.1:9180
# Language of reports and messages: en or ja (empty: en).
lang: ""
# Rule files or directories of *.rules (Suricata syntax, docs/rules.md)
# that live capture classifies exploits with, besides the built-in rules
# (empty: the built-in rules alone), like ["/etc/honeyscope/rules"].
rules: []

# The honeypot listeners (docs/honeypot.md).
honeypot:
  # Run the honeypot listeners (default false).
  enabled: true
  # The sensor name every row carries, to compare sensors in reports
  # (letters, digits and - _ . : @ +, at most 64 characters).
  name: honeypot
  # Local addresses listened on: every IPv4 and every IPv6 address.
  bind: ["0.0.0.0", "::"]
  # When serve starts as root: the account it switches to once every
  # listener is bound (empty: stay as started; see docs/honeypot.md).
  user: ""
  # How often finished sessions are committed to the store; a crash loses
  # at most this much.
  commit_interval: 10s
  # Where dropped samples are kept, as samples/ab/cd/SHA256 (empty: a
  # "samples" directory beside the store).
  sample_dir: ""
  # A file receiving every event as a Cowrie-format JSON line (empty: none).
  event_log: ""
  # Domestic-only mode: ISO country codes whose sources get an answer
  # (empty: every country). Others are still counted, and tagged filtered.
  allow_countries: []
  # What a filtered source gets: drop (accepted and closed without a byte)
  # or refuse (reset).
  filter: drop

  # Telnet: an IoT device's login and BusyBox shell.
  telnet:
    # Ports listened on (left out: 23, 2323; [] turns the service off).
    ports: [23, 2323]
    # Ports that speak TLS (only the http service has any).
    tls_ports: []
    # Emulated CPU architectures, one chosen per session (known: arm, arm5,
    # arm6, arm7, aarch64, mips, mipsel, mips64, x86, x86_64, powerpc, sh4,
    # m68k, sparc).
    arch: [arm7, mips, mipsel, x86_64]
    # Text sent before the login prompt (empty: none).
    banner: ""
    # The shell prompt's host name (empty: "localhost").
    hostname: ""
    # Domestic-only mode for this service alone (empty: the sensor-wide list).
    allow_countries: []
    # Banners per port (only the generic service has them).
    port_banners: {}

  # SSH: password and keyboard-interactive logins, then the same shell.
  ssh:
    # Ports listened on (left out: 22; [] turns the service off). Move the
    # machine's real SSH server to another port first.
    ports: [22]
    # Ports that speak TLS (only the http service has any).
    tls_ports: []
    # Emulated CPU architectures, one chosen per session.
    arch: [arm7, mips, mipsel, x86_64]
    # The server's version string (empty: a common embedded server's).
    banner: ""
    # The shell prompt's host name (empty: "localhost").
    hostname: ""
    # Domestic-only mode for this service alone (empty: the sensor-wide list).
    allow_countries: []
    # Banners per port (only the generic service has them).
    port_banners: {}

  # HTTP: IoT login pages and 404s; requests and the URLs inside them recorded.
  http:
    # Ports listened on (left out: these; [] turns the service off).
    ports: [80, 8080, 81, 8000, 8443, 7547, 37215, 52869]
    # Ports among ports that speak TLS, with a generated self-signed
    # certificate (left out: 8443 when listened).
    tls_ports: [8443]
    # Architectures are the shell's (telnet, ssh): none here.
    arch: []
    # Unused by http (pages are built in).
    banner: ""
    # The device name shown on the pages (empty: a built-in one).
    hostname: ""
    # Domestic-only mode for this service alone (empty: the sensor-wide list).
    allow_countries: []
    # Banners per port (only the generic service has them).
    port_banners: {}

  # Generic: records the first bytes a client sends; optional banners.
  generic:
    # Ports listened on (left out: these; [] turns the service off).
    ports: [445, 5555, 6379, 9000, 1433, 3389]
    # Ports that speak TLS (only the http service has any).
    tls_ports: []
    # Architectures are the shell's (telnet, ssh): none here.
    arch: []
    # Bytes sent on connect on every generic port without its own banner
    # (empty: nothing, wait for the client).
    banner: ""
    # Unused by generic.
    hostname: ""
    # Domestic-only mode for this service alone (empty: the sensor-wide list).
    allow_countries: []
    # Bytes sent on connect, per port, e.g. "6379": "-NOAUTH Authentication required.\r\n"
    # (with redirect_port set, any port the redirect brings may have one).
    port_banners: {}

  # A generic listener receiving every TCP port no listener serves, through
  # the nftables rule that "honeyscope serve --print-nft" prints; its
  # sessions record the original port (0: none; 65000 is customary).
  redirect_port: 0
  # Ports that nftables rule leaves alone: the machine's real management
  # SSH port above all, and the API's port when it listens beyond loopback.
  admin_ports: []

  # Which logins succeed. Every attempt is recorded.
  credentials:
    # list: only the pairs of accept; any: every attempt; after: any pair
    # after after_tries failures in the session; mirai: the Mirai bot's
    # credential table, plus accept.
    policy: after
    # Failures before policy "after" lets a session in.
    after_tries: 2
    # "user:password" pairs that succeed ("*" matches anything; "root:" is
    # root with an empty password).
    accept: []
    # The Mirai table for policy mirai: user TAB password per line (empty:
    # the built-in copy of the 62 pairs).
    mirai_table: ""

  # Bounds on what attackers may hold; excess is refused and counted.
  limits:
    # Concurrent connections, all listeners.
    connections: 20000
    # Concurrent connections from one source address.
    per_source: 32
    # Bytes read from the client per session.
    session_bytes: 4MiB
    # The longest input line.
    line_bytes: 16KiB
    # Commands per session.
    commands: 5000
    # Virtual filesystem bytes per session.
    fs_bytes: 8MiB
    # Time without input before a session is closed.
    idle: 3m
    # The longest session.
    session: 15m
    # HTTP body bytes kept per request.
    http_body: 64KiB
    # Generic: the first bytes kept.
    first_bytes: 4KiB
    # Finished sessions queued for their commit, at most.
    pending_sessions: 100000

# Live capture: every inbound packet of these interfaces is counted as a
# capture file's would be (needs root or CAP_NET_RAW).
capture:
  # Interfaces captured (empty: no live capture), each like
  #   - name: eth0            # the interface
  #     sensor: tokyo         # sensor name (empty: the interface name)
  #     sensor_net: [192.0.2.0/24, "2001:db8::/64"]  # only packets to these count
  #     promisc: false        # promiscuous mode
  #     filter: "not port 22" # capture filter, tcpdump's language (compiled with tcpdump)
  interfaces: []
  # How often what was captured is committed to the store; a crash loses
  # at most this much.
  commit_interval: 10s
  # Capture sockets per interface, the kernel spreading packets over them.
  workers: 1
  # Raw packet archive: rotating gzip pcapng files, each renamed into place
  # only when complete; ingest recognises them as already counted.
  archive:
    # Where the files go (empty: no archive).
    dir: ""
    # Written when dir is set; true turns it off.
    off: false
    # Rotate a file at this compressed size...
    file_bytes: 256MiB
    # ... or at this age.
    file_age: 1h
    # Delete complete files older than this...
    keep_age: 720h
    # ... and the oldest beyond this total.
    keep_bytes: 10GiB

# The URL fetcher (off by default): downloads the URLs the honeypot
# records (http, https, tftp, ftp), as sessions name them and from the
# store, once each, and keeps the content as a sample (via "fetched").
# Attackers choose these URLs: private and local addresses are never
# connected to (checked on the address connected to).
fetcher:
  # Turn the fetcher on.
  enabled: false
  # The largest content kept (at most 32MiB, the sample store's limit).
  max_bytes: 16MiB
  # One attempt, from the first connection to the last byte.
  timeout: 2m
  # The longest wait for a byte from the server.
  idle: 20s
  # HTTP redirects followed, each checked again (-1: none).
  max_redirects: 3
  # The largest header block of an answer.
  max_header_bytes: 32KiB
  # Fetches at once...
  concurrency: 4
  # ... and at once to one host.
  per_host: 1
  # Attempts after a failure that may pass (no answer, 5xx) (-1: none)...
  retries: 2
  # ... the first after this wait, each next one after twice as long.
  backoff: 30s
  # URLs waiting, at most (more wait in the store for the backlog pass).
  queue: 10000
  # How often stored URLs not yet fetched are looked for.
  backlog_interval: 1m
  # The local address connections leave from (empty: any).
  source_addr: ""
  # Bind the fetcher's sockets to this interface (SO_BINDTODEVICE; empty: none).
  interface: ""
  # A proxy for every connection: socks5://HOST:PORT or http://HOST:PORT
  # (empty: none; TFTP is not fetched through one, FTP through SOCKS5 only).
  proxy: ""
  # CIDRs never fetched from besides the built-in private and local ranges:
  # the sensor's own networks, like [192.0.2.0/24].
  deny: []
  # CIDRs fetched from although denied (tests use [127.0.0.0/8]).
  allow: []
  # The User-Agent of HTTP requests.
  user_agent: Wget/1.21.3

# The sandbox (off by default): runs each new ELF sample of an architecture
# qemu-user-static emulates (from the honeypot, the fetcher and samples add)
# once, cut off from the network, and stores what it did; its packets are
# ingested as sensor "sandbox". Needs root, qemu-user-static, iproute2 and
# nftables (docs/sandbox.md).
sandbox:
  # Turn the sandbox on.
  enabled: false
  # Runs at once.
  parallel: 1
  # A run's time limit: every process of the run is killed then (at most 1h).
  time: 1m
  # A run's memory limit.
  memory: 512MiB
  # A run's process limit.
  pids: 128
  # Samples waiting for a run, at most (more wait for the next pass).
  queue: 1000
  # How often the store is looked at for samples not yet run.
  interval: 5m
  # The directory of the qemu-*-static emulators (empty: PATH, else /usr/bin).
  qemu_dir: ""
  # Where each run's capture and syscall log are kept (empty: sandbox beside the store).
  dir: ""
  # Run directories kept in dir, at most (past any of the three bounds the
  # oldest are removed).
  keep_runs: 1000
  # The age of the oldest run directory kept.
  keep_age: 720h
  # The total size of the run directories kept.
  keep_size: 10GiB
  # Runs a sample gets when they fail (1: no retry).
  attempts: 3
  # The wait after a sample's first failed run, doubled after each further
  # one (at most a day).
  retry_after: 10m
`

const exampleTOML = `# honeyscope serve configuration (TOML). Every key is optional: a key left
# out takes the default shown here. Durations are written like "10s", "3m",
# "1h30m"; sizes as a number of bytes or like "64KiB", "4MiB".

# The store file (empty: $HONEYSCOPE_DB, else ./honeyscope.duckdb).
db = ""
# Time zone of days for a new store, an IANA name such as Asia/Tokyo
# (empty: UTC; a store keeps the zone it was made with).
tz = ""
# Country database in MaxMind format (empty: the built-in one).
geoip = ""
# ASN database in MaxMind format or CSV (empty: the built-in one).
asn = ""
# The API, dashboard and /metrics address, HOST:PORT. The default is
# 127.0.0.1:8080, which the honeypot's HTTP port 8080 takes, so the API is
# moved here. Beyond loopback it needs authentication (see docs/serve.md).
listen = "127.0.0.1:9180"
# Language of reports and messages: en or ja (empty: en).
lang = ""
# Rule files or directories of *.rules (Suricata syntax, docs/rules.md)
# that live capture classifies exploits with, besides the built-in rules
# (empty: the built-in rules alone), like ["/etc/honeyscope/rules"].
rules = []

# The honeypot listeners (docs/honeypot.md).
[honeypot]
# Run the honeypot listeners (default false).
enabled = true
# The sensor name every row carries, to compare sensors in reports
# (letters, digits and - _ . : @ +, at most 64 characters).
name = "honeypot"
# Local addresses listened on: every IPv4 and every IPv6 address.
bind = ["0.0.0.0", "::"]
# When serve starts as root: the account it switches to once every
# listener is bound (empty: stay as started; see docs/honeypot.md).
user = ""
# How often finished sessions are committed to the store; a crash loses
# at most this much.
commit_interval = "10s"
# Where dropped samples are kept, as samples/ab/cd/SHA256 (empty: a
# "samples" directory beside the store).
sample_dir = ""
# A file receiving every event as a Cowrie-format JSON line (empty: none).
event_log = ""
# Domestic-only mode: ISO country codes whose sources get an answer
# (empty: every country). Others are still counted, and tagged filtered.
allow_countries = []
# What a filtered source gets: drop (accepted and closed without a byte)
# or refuse (reset).
filter = "drop"
# A generic listener receiving every TCP port no listener serves, through
# the nftables rule that "honeyscope serve --print-nft" prints; its
# sessions record the original port (0: none; 65000 is customary).
redirect_port = 0
# Ports that nftables rule leaves alone: the machine's real management
# SSH port above all, and the API's port when it listens beyond loopback.
admin_ports = []

# Telnet: an IoT device's login and BusyBox shell.
[honeypot.telnet]
# Ports listened on (left out: 23, 2323; [] turns the service off).
ports = [23, 2323]
# Ports that speak TLS (only the http service has any).
tls_ports = []
# Emulated CPU architectures, one chosen per session (known: arm, arm5,
# arm6, arm7, aarch64, mips, mipsel, mips64, x86, x86_64, powerpc, sh4,
# m68k, sparc).
arch = ["arm7", "mips", "mipsel", "x86_64"]
# Text sent before the login prompt (empty: none).
banner = ""
# The shell prompt's host name (empty: "localhost").
hostname = ""
# Domestic-only mode for this service alone (empty: the sensor-wide list).
allow_countries = []
# Banners per port (only the generic service has them).
port_banners = {}

# SSH: password and keyboard-interactive logins, then the same shell.
[honeypot.ssh]
# Ports listened on (left out: 22; [] turns the service off). Move the
# machine's real SSH server to another port first.
ports = [22]
# Ports that speak TLS (only the http service has any).
tls_ports = []
# Emulated CPU architectures, one chosen per session.
arch = ["arm7", "mips", "mipsel", "x86_64"]
# The server's version string (empty: a common embedded server's).
banner = ""
# The shell prompt's host name (empty: "localhost").
hostname = ""
# Domestic-only mode for this service alone (empty: the sensor-wide list).
allow_countries = []
# Banners per port (only the generic service has them).
port_banners = {}

# HTTP: IoT login pages and 404s; requests and the URLs inside them recorded.
[honeypot.http]
# Ports listened on (left out: these; [] turns the service off).
ports = [80, 8080, 81, 8000, 8443, 7547, 37215, 52869]
# Ports among ports that speak TLS, with a generated self-signed
# certificate (left out: 8443 when listened).
tls_ports = [8443]
# Architectures are the shell's (telnet, ssh): none here.
arch = []
# Unused by http (pages are built in).
banner = ""
# The device name shown on the pages (empty: a built-in one).
hostname = ""
# Domestic-only mode for this service alone (empty: the sensor-wide list).
allow_countries = []
# Banners per port (only the generic service has them).
port_banners = {}

# Generic: records the first bytes a client sends; optional banners.
[honeypot.generic]
# Ports listened on (left out: these; [] turns the service off).
ports = [445, 5555, 6379, 9000, 1433, 3389]
# Ports that speak TLS (only the http service has any).
tls_ports = []
# Architectures are the shell's (telnet, ssh): none here.
arch = []
# Bytes sent on connect on every generic port without its own banner
# (empty: nothing, wait for the client).
banner = ""
# Unused by generic.
hostname = ""
# Domestic-only mode for this service alone (empty: the sensor-wide list).
allow_countries = []
# Bytes sent on connect, per port, e.g. "6379" = "-NOAUTH Authentication required.\r\n"
# (with redirect_port set, any port the redirect brings may have one).
port_banners = {}

# Which logins succeed. Every attempt is recorded.
[honeypot.credentials]
# list: only the pairs of accept; any: every attempt; after: any pair
# after after_tries failures in the session; mirai: the Mirai bot's
# credential table, plus accept.
policy = "after"
# Failures before policy "after" lets a session in.
after_tries = 2
# "user:password" pairs that succeed ("*" matches anything; "root:" is
# root with an empty password).
accept = []
# The Mirai table for policy mirai: user TAB password per line (empty:
# the built-in copy of the 62 pairs).
mirai_table = ""

# Bounds on what attackers may hold; excess is refused and counted.
[honeypot.limits]
# Concurrent connections, all listeners.
connections = 20000
# Concurrent connections from one source address.
per_source = 32
# Bytes read from the client per session.
session_bytes = "4MiB"
# The longest input line.
line_bytes = "16KiB"
# Commands per session.
commands = 5000
# Virtual filesystem bytes per session.
fs_bytes = "8MiB"
# Time without input before a session is closed.
idle = "3m"
# The longest session.
session = "15m"
# HTTP body bytes kept per request.
http_body = "64KiB"
# Generic: the first bytes kept.
first_bytes = "4KiB"
# Finished sessions queued for their commit, at most.
pending_sessions = 100000

# Live capture: every inbound packet of these interfaces is counted as a
# capture file's would be (needs root or CAP_NET_RAW).
[capture]
# Interfaces captured (empty: no live capture), each like
#   { name = "eth0", sensor = "tokyo", sensor_net = ["192.0.2.0/24", "2001:db8::/64"], promisc = false, filter = "not port 22" }
# (sensor: the sensor name, empty for the interface name; sensor_net: only
# packets to these count; promisc: promiscuous mode; filter: a capture filter
# in tcpdump's language, compiled with tcpdump).
interfaces = []
# How often what was captured is committed to the store; a crash loses
# at most this much.
commit_interval = "10s"
# Capture sockets per interface, the kernel spreading packets over them.
workers = 1

# Raw packet archive: rotating gzip pcapng files, each renamed into place
# only when complete; ingest recognises them as already counted.
[capture.archive]
# Where the files go (empty: no archive).
dir = ""
# Written when dir is set; true turns it off.
off = false
# Rotate a file at this compressed size...
file_bytes = "256MiB"
# ... or at this age.
file_age = "1h"
# Delete complete files older than this...
keep_age = "720h"
# ... and the oldest beyond this total.
keep_bytes = "10GiB"

# The URL fetcher (off by default): downloads the URLs the honeypot
# records (http, https, tftp, ftp), as sessions name them and from the
# store, once each, and keeps the content as a sample (via "fetched").
# Attackers choose these URLs: private and local addresses are never
# connected to (checked on the address connected to).
[fetcher]
# Turn the fetcher on.
enabled = false
# The largest content kept (at most 32MiB, the sample store's limit).
max_bytes = "16MiB"
# One attempt, from the first connection to the last byte.
timeout = "2m"
# The longest wait for a byte from the server.
idle = "20s"
# HTTP redirects followed, each checked again (-1: none).
max_redirects = 3
# The largest header block of an answer.
max_header_bytes = "32KiB"
# Fetches at once...
concurrency = 4
# ... and at once to one host.
per_host = 1
# Attempts after a failure that may pass (no answer, 5xx) (-1: none)...
retries = 2
# ... the first after this wait, each next one after twice as long.
backoff = "30s"
# URLs waiting, at most (more wait in the store for the backlog pass).
queue = 10000
# How often stored URLs not yet fetched are looked for.
backlog_interval = "1m"
# The local address connections leave from (empty: any).
source_addr = ""
# Bind the fetcher's sockets to this interface (SO_BINDTODEVICE; empty: none).
interface = ""
# A proxy for every connection: socks5://HOST:PORT or http://HOST:PORT
# (empty: none; TFTP is not fetched through one, FTP through SOCKS5 only).
proxy = ""
# CIDRs never fetched from besides the built-in private and local ranges:
# the sensor's own networks, like ["192.0.2.0/24"].
deny = []
# CIDRs fetched from although denied (tests use ["127.0.0.0/8"]).
allow = []
# The User-Agent of HTTP requests.
user_agent = "Wget/1.21.3"

# The sandbox (off by default): runs each new ELF sample of an architecture
# qemu-user-static emulates (from the honeypot, the fetcher and samples add)
# once, cut off from the network, and stores what it did; its packets are
# ingested as sensor "sandbox". Needs root, qemu-user-static, iproute2 and
# nftables (docs/sandbox.md).
[sandbox]
# Turn the sandbox on.
enabled = false
# Runs at once.
parallel = 1
# A run's time limit: every process of the run is killed then (at most 1h).
time = "1m"
# A run's memory limit.
memory = "512MiB"
# A run's process limit.
pids = 128
# Samples waiting for a run, at most (more wait for the next pass).
queue = 1000
# How often the store is looked at for samples not yet run.
interval = "5m"
# The directory of the qemu-*-static emulators (empty: PATH, else /usr/bin).
qemu_dir = ""
# Where each run's capture and syscall log are kept (empty: sandbox beside the store).
dir = ""
# Run directories kept in dir, at most (past any of the three bounds the
# oldest are removed).
keep_runs = 1000
# The age of the oldest run directory kept.
keep_age = "720h"
# The total size of the run directories kept.
keep_size = "10GiB"
# Runs a sample gets when they fail (1: no retry).
attempts = 3
# The wait after a sample's first failed run, doubled after each further
# one (at most a day).
retry_after = "10m"
`
