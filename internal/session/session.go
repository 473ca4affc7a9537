// Package session holds what a honeypot records of one attacker connection:
// the session itself, its login attempts, commands, HTTP requests, URLs and
// the files the attacker created, and the samples those files are.
//
// The honeypot front ends (telnet, SSH, HTTP, generic) fill a Recorder as the
// session goes; the recorder bounds every list it keeps, emits each step as an
// Event (for Cowrie-format JSON lines and metrics) and hands the finished or
// in-progress Session to the committer, which writes it to the store. Cowrie
// logs read back by ingest produce the same records.
package session

import (
	"net/netip"
	"time"
)

// Services a session can belong to.
const (
	Telnet  = "telnet"
	SSH     = "ssh"
	HTTP    = "http"
	Generic = "generic"
)

// Session is one connection to a honeypot listener.
type Session struct {
	ID      string // unique, 16 lower-case hex digits (Cowrie's session ids are 12; both fit)
	Sensor  string // the sensor name every row carries
	Service string // Telnet, SSH, HTTP or Generic
	// Port is the destination port the client connected to: the listener's
	// port, or the original port recovered with SO_ORIGINAL_DST when the
	// connection was redirected to the generic listener.
	Port    uint16
	Src     netip.Addr // client address (IPv4-mapped IPv6 unmapped)
	SrcPort uint16
	Dst     netip.Addr // local address the client reached
	Start   time.Time
	End     time.Time // zero while the session is open
	// EndReason says why it ended: "closed" (client), "exit" (logout),
	// "idle", "timeout", "bytes", "commands", "line", "shutdown", "refused"
	// (filtered or over a connection limit).
	EndReason string

	Arch string // emulated CPU architecture shown to the client ("" for HTTP and generic)
	// Fingerprints of the client.
	ClientVersion string // SSH version string ("SSH-2.0-..."), HTTP User-Agent of the first request
	HASSH         string // SSH: MD5 of the client's kex;enc;mac;cmp algorithm lists
	HASSHAlgos    string // SSH: the string HASSH is the MD5 of
	TelnetOptions string // telnet: the options the client sent, in order ("WILL 24,DO 1,...")

	// Filtered: the source was outside the listener's allowed countries,
	// got no answer, and is recorded only.
	Filtered bool
	Country  string // the country the session was placed in when filtered or allowed ("" when not looked up)

	LoggedIn bool   // a login succeeded
	Username string // of the successful login
	Password string

	BytesIn, BytesOut int64
	// FirstBytes holds the first bytes the client sent (bounded: Limits.FirstBytes).
	FirstBytes []byte

	Logins   []Login
	Commands []Command
	Requests []Request
	URLs     []URL
	Files    []File

	// Truncated counts records dropped because a per-session list was full.
	Truncated int
}

// Intrusion reports whether the session is an intrusion: a successful login
// that ran at least one command.
func (s *Session) Intrusion() bool { return s.LoggedIn && len(s.Commands) > 0 }

// Login is one authentication attempt.
type Login struct {
	Time     time.Time
	Method   string // "telnet", "password", "keyboard-interactive", "http-basic"
	Username string
	Password string
	Success  bool
}

// Command is one command line an intruder ran in the emulated shell (after
// splitting a line at ; && || |, each part is its own Command).
type Command struct {
	Time     time.Time
	Input    string   // the command as typed (bounded: Limits.Line)
	Known    bool     // the emulation knew the command
	Patterns []string // exploit patterns the command matched
}

// Request is one HTTP request.
type Request struct {
	Time     time.Time
	Method   string
	Path     string // request target as sent (path and query)
	Version  string // "HTTP/1.1"
	Host     string
	Headers  string // the header block as received, one "Name: value" per line (bounded)
	Body     []byte // bounded: Limits.Body
	BodySize int64  // size the client declared or sent (may exceed len(Body))
	Status   int    // status answered
	Patterns []string
}

// URL is a URL seen in a session: a download a command asked for, or a URL
// inside a request (for example "wget+http://...").
type URL struct {
	Time   time.Time
	URL    string
	Via    string // "wget", "curl", "tftp", "ftpget", "request" (found in an HTTP request), "command" (elsewhere in a command)
	Target string // output file the command named ("" when none)
}

// File is a file the attacker created or changed in the virtual filesystem,
// or a body uploaded over HTTP.
type File struct {
	Time   time.Time
	Path   string // virtual path ("" for an HTTP body)
	Size   int64
	SHA256 string // hex
	Type   string // see FileType
	Via    string // "echo", "printf", "dd", "cp", "download", "http-body", "redirect"
	// Sample: the content is an ELF or a script and was kept in the
	// sample store.
	Sample bool
	// Content is the file's bytes while the session is in memory, for the
	// sample store; it is never written to the store's tables.
	Content []byte `json:"-"`
}

// Sample is one distinct file content kept in the sample store.
type Sample struct {
	SHA256    string
	Size      int64
	Type      string // FileType
	First     time.Time
	Last      time.Time
	Count     int    // sessions that produced it
	Via       string // how it first arrived
	SessionID string // first session
	Src       netip.Addr
	Sensor    string
}

// Event is one step of a session, as it happens.
type Event struct {
	Kind    EventKind
	Time    time.Time
	Session *Session // the session's header fields (lists may be partial); never nil
	Login   *Login
	Command *Command
	Request *Request
	URL     *URL
	File    *File
	// Data: the bytes of a Generic session's first read (EventInput).
	Data []byte
}

// EventKind names an event.
type EventKind string

// The event kinds (their Cowrie names are in internal/cowrie).
const (
	EventConnect  EventKind = "connect"
	EventVersion  EventKind = "client-version" // SSH version and HASSH known
	EventLogin    EventKind = "login"
	EventCommand  EventKind = "command"
	EventRequest  EventKind = "request"
	EventURL      EventKind = "url"
	EventFile     EventKind = "file"
	EventInput    EventKind = "input"
	EventClosed   EventKind = "closed"
	EventFiltered EventKind = "filtered"
)

// Sink receives events. Implementations must not block for long: they run on
// the session's goroutine.
type Sink interface {
	Event(e Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

// Event calls f(e).
func (f SinkFunc) Event(e Event) { f(e) }
