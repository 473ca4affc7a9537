package geo

import "github.com/honeyscope/honeyscope/internal/boundedfile"

// MaxDBSize is the largest database file Open (and WriteCountryTable)
// reads: 1 GiB. A database is read into memory whole (see openMMDB); the
// largest free ones are far smaller (GeoLite2-City about 60 MB, DB-IP city
// lite about 130 MB), so a larger file is taken for a mistake rather than
// read until memory runs out.
const MaxDBSize = 1 << 30

// readDB reads a database file whole: a regular file (not a device, a pipe
// or a directory: /dev/zero would never end) of at most max bytes. Errors
// name the file.
func readDB(path string, max int64) ([]byte, error) {
	return boundedfile.Read(path, max, "database file")
}
