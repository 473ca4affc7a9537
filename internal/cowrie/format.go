// Package cowrie speaks Cowrie's JSON event log: Writer turns honeypot
// session events into Cowrie-format JSON lines (eventid
// cowrie.session.connect, cowrie.login.success, cowrie.command.input, ...,
// with Cowrie's field names, plus fields of honeyscope's own prefixed
// "honeyscope_"), so tools built for Cowrie read them; Read turns Cowrie
// JSON logs (Cowrie's own, or Writer's) back into sessions. docs/cowrie.md
// lists the events and fields.
package cowrie

import (
	"strings"
	"time"
)

// Event ids Cowrie defines and honeyscope writes or reads.
const (
	IDConnect          = "cowrie.session.connect"
	IDClosed           = "cowrie.session.closed"
	IDVersion          = "cowrie.client.version"
	IDKex              = "cowrie.client.kex"
	IDSize             = "cowrie.client.size"
	IDVar              = "cowrie.client.var"
	IDParams           = "cowrie.session.params"
	IDLoginSuccess     = "cowrie.login.success"
	IDLoginFailed      = "cowrie.login.failed"
	IDCommandInput     = "cowrie.command.input"
	IDCommandFailed    = "cowrie.command.failed"
	IDFileDownload     = "cowrie.session.file_download"
	IDFileDownloadFail = "cowrie.session.file_download.failed"
	IDFileUpload       = "cowrie.session.file_upload"
	IDDirectTCPIP      = "cowrie.direct-tcpip.request"
)

// Event ids of honeyscope's own, for what Cowrie has no event for.
const (
	IDHTTPRequest   = "honeyscope.http.request"   // one HTTP request
	IDURL           = "honeyscope.url"            // a URL seen that no download command asked for
	IDInput         = "honeyscope.session.input"  // the first bytes of a generic session
	IDTelnetOptions = "honeyscope.telnet.options" // the telnet options the client sent
	IDUpdate        = "honeyscope.session.update" // the session's header changed (other event kinds)
)

// TimeLayout is Cowrie's timestamp: UTC, microseconds, "Z".
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime formats t as Cowrie does.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// parseTime accepts Cowrie's timestamps: RFC 3339 with any fraction, and
// the older forms without a zone (UTC) or with a numeric one.
func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999-0700", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// cowrieArch names honeyscope's emulated architectures as Cowrie's
// session.params "arch" does.
var cowrieArch = map[string]string{
	"arm": "linux-arm-lsb", "arm5": "linux-arm-lsb", "arm6": "linux-arm-lsb", "arm7": "linux-arm-lsb",
	"aarch64": "linux-aarch64-lsb", "arm64": "linux-aarch64-lsb",
	"mips": "linux-mips-msb", "mipsel": "linux-mips-lsb", "mpsl": "linux-mips-lsb",
	"mips64": "linux-mips64-msb", "mips64el": "linux-mips64-lsb",
	"x86": "linux-x86-lsb", "i386": "linux-x86-lsb", "i686": "linux-x86-lsb",
	"x86_64": "linux-x64-lsb", "amd64": "linux-x64-lsb",
	"ppc": "linux-powerpc-msb", "powerpc": "linux-powerpc-msb", "ppc64": "linux-powerpc64-msb",
	"sh4": "linux-sh-lsb", "sh": "linux-sh-lsb", "m68k": "linux-m68k-msb",
	"sparc": "linux-sparc-msb", "sparc64": "linux-sparc64-msb", "riscv64": "linux-riscv64-lsb",
}

// honeyArch is the reverse of cowrieArch, one honeyscope name each.
var honeyArch = map[string]string{
	"linux-arm-lsb": "arm", "linux-arm-msb": "armeb", "linux-aarch64-lsb": "aarch64",
	"linux-mips-msb": "mips", "linux-mips-lsb": "mipsel", "linux-mips64-msb": "mips64", "linux-mips64-lsb": "mips64el",
	"linux-x86-lsb": "x86", "linux-x64-lsb": "x86_64",
	"linux-powerpc-msb": "ppc", "linux-powerpc64-msb": "ppc64", "linux-powerpc64-lsb": "ppc64le",
	"linux-sh-lsb": "sh4", "linux-m68k-msb": "m68k", "linux-sparc-msb": "sparc", "linux-sparc64-msb": "sparc64",
	"linux-riscv64-lsb": "riscv64",
}

// CowrieArch returns Cowrie's name of an architecture ("x86_64" →
// "linux-x64-lsb"); an architecture Cowrie has no name for is "linux-" + a.
func CowrieArch(a string) string {
	if a == "" {
		return ""
	}
	if c, ok := cowrieArch[strings.ToLower(a)]; ok {
		return c
	}
	return "linux-" + a
}

// HoneyscopeArch returns honeyscope's name of a Cowrie architecture
// ("linux-mips-lsb" → "mipsel"); one it does not know is returned as is.
func HoneyscopeArch(c string) string {
	if a, ok := honeyArch[c]; ok {
		return a
	}
	return c
}

// downloaders are the URL vias written as cowrie.session.file_download.
func downloader(via string) bool {
	switch via {
	case "wget", "curl", "tftp", "ftpget", "download":
		return true
	}
	return false
}
