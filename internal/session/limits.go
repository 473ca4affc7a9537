package session

import "time"

// Limits bound what one session may hold. Excess is dropped and counted in
// Session.Truncated, or ends the session (bytes, commands, time).
type Limits struct {
	Bytes      int64         // bytes read from the client per session
	Line       int           // longest line kept (longer lines end the session with reason "line")
	Commands   int           // commands per session
	Logins     int           // login attempts kept
	Requests   int           // HTTP requests per session
	URLs       int           // URLs kept
	Files      int           // files kept
	FSBytes    int64         // virtual-filesystem bytes per session
	Body       int           // HTTP body bytes kept per request
	Headers    int           // HTTP header block bytes kept per request
	FirstBytes int           // first bytes kept of a generic session
	Idle       time.Duration // no input for this long ends the session
	Total      time.Duration // longest session
}

// DefaultLimits are the limits used when none are configured.
func DefaultLimits() Limits {
	return Limits{
		Bytes:      4 << 20,
		Line:       16 << 10,
		Commands:   5000,
		Logins:     100,
		Requests:   100,
		URLs:       200,
		Files:      100,
		FSBytes:    8 << 20,
		Body:       64 << 10,
		Headers:    16 << 10,
		FirstBytes: 4 << 10,
		Idle:       3 * time.Minute,
		Total:      15 * time.Minute,
	}
}
