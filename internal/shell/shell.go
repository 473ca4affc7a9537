// Package shell emulates the BusyBox shell of an IoT device for the
// honeypot's telnet and SSH sessions: a per-session virtual filesystem and
// the commands bots and loaders use. Nothing an attacker sends is executed:
// every command is interpreted here, on bounded in-memory state.
package shell

import (
	"github.com/honeyscope/honeyscope/internal/session"
)

// Config configures one session's shell.
type Config struct {
	Arch     string // emulated CPU: "arm", "arm7", "mips", "mipsel", "x86", "x86_64", ...
	Hostname string // prompt host name (default "localhost")
	User     string // logged-in user (default "root")
	FSBytes  int64  // virtual filesystem bytes (default 8 MiB)
}

// Shell is one session's emulated shell. It is not safe for concurrent use.
type Shell struct {
	cfg Config
	rec *session.Recorder
}

// New returns a shell recording into rec (nil: nothing recorded).
func New(cfg Config, rec *session.Recorder) *Shell {
	return &Shell{cfg: cfg, rec: rec}
}

// Prompt returns the prompt to print before reading a line ("# " style
// BusyBox prompt, or "user@host:cwd# " once a login shell is active).
func (s *Shell) Prompt() string { return "# " }

// Run interprets one input line (it may chain commands with ; && || |),
// records each command, and returns what the device prints. exit is true
// when the line ends the session (exit, logout) or the session's command
// limit was reached (the caller closes with reason "exit" or "commands").
func (s *Shell) Run(line string) (output []byte, exit bool) {
	return nil, false
}
