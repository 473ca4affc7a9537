package web

import "time"

// Configuration of the dashboard.
type Configuration struct {
	// ReportDir is where "make a report of this view" writes report
	// folders (one subfolder per report); empty disables the action.
	ReportDir string
	// QueryTimeout bounds the store questions of one page.
	QueryTimeout time.Duration
	// SessionTTL is how long a login lasts without use.
	SessionTTL time.Duration
	// MaxSessions bounds the session table; the least recently used
	// session is dropped beyond it.
	MaxSessions int
	// LoginFailures is how many failed logins a client address may make
	// per LoginWindow before it is answered 429.
	LoginFailures int
	LoginWindow   time.Duration
	// TopN is the number of keys stacked in daily charts before "other".
	TopN int
	// StalePages is how long after it was built a page of an earlier
	// store generation is still shown as it was, while serve's warm round
	// (Warm, after each write) builds it again: a live sensor writes every
	// few seconds, and every page built again in its visitor's time after
	// each write would make the dashboard slow exactly while it is
	// written. 0: a page is built again at the first view after a write.
	StalePages time.Duration
}

// DefaultConfiguration has no report folder, 60 s queries, 12 h sessions
// (at most 1024), 5 failed logins a minute, 8 stacked keys and pages
// shown for up to 5 minutes after a write while they are built again.
func DefaultConfiguration() Configuration {
	return Configuration{
		StalePages:    5 * time.Minute,
		QueryTimeout:  60 * time.Second,
		SessionTTL:    12 * time.Hour,
		MaxSessions:   1024,
		LoginFailures: 5,
		LoginWindow:   time.Minute,
		TopN:          8,
	}
}

func (c *Configuration) fill() {
	d := DefaultConfiguration()
	if c.QueryTimeout <= 0 {
		c.QueryTimeout = d.QueryTimeout
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = d.SessionTTL
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = d.MaxSessions
	}
	if c.LoginFailures <= 0 {
		c.LoginFailures = d.LoginFailures
	}
	if c.LoginWindow <= 0 {
		c.LoginWindow = d.LoginWindow
	}
	if c.TopN <= 0 {
		c.TopN = d.TopN
	}
}
