package api

import "time"

// Configuration of the API component: its listener, authentication and
// the bounds on every request.
type Configuration struct {
	// Listen is the TCP address (host:port). A non-loopback address
	// requires AuthTokenFile or UsersFile.
	Listen string
	// AuthTokenFile holds one bearer token (at least 16 bytes).
	AuthTokenFile string
	// UsersFile holds "user:$2a$..." lines (bcrypt hashes) for HTTP basic
	// authentication.
	UsersFile string

	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// QueryTimeout bounds one request's store queries.
	QueryTimeout time.Duration
	// MaxConcurrentQueries bounds the requests querying the store at once;
	// others wait (until their QueryTimeout).
	MaxConcurrentQueries int
	// MaxRows bounds the rows of one answer (stats with top=0, series
	// cells); an answer cut there says "truncated": true.
	MaxRows int
}

// DefaultConfiguration listens on loopback port 8080 without authentication.
func DefaultConfiguration() Configuration {
	return Configuration{
		Listen:               "127.0.0.1:8080",
		ReadHeaderTimeout:    5 * time.Second,
		ReadTimeout:          15 * time.Second,
		WriteTimeout:         90 * time.Second,
		IdleTimeout:          2 * time.Minute,
		MaxHeaderBytes:       16 << 10,
		QueryTimeout:         60 * time.Second,
		MaxConcurrentQueries: 4,
		MaxRows:              100000,
	}
}
