package geo

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

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
	// Stat before opening: opening a FIFO would wait for a writer.
	if fi, err := os.Stat(path); err != nil {
		return nil, err
	} else if err := checkRegular(path, fi, max); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkRegular(path, fi, max); err != nil {
		return nil, err
	}
	// The file may grow between Stat and the end of reading: no more than
	// max+1 bytes are read all the same. (bytes.MinRead of room spares the
	// buffer a copy at the end.)
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, max+1)); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(buf.Len()) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes, the most a database may have", path, max)
	}
	return buf.Bytes(), nil
}

func checkRegular(path string, fi os.FileInfo, max int64) error {
	switch {
	case fi.IsDir():
		return fmt.Errorf("%s: a directory, not a database file", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s: not a regular file (%s); give a database file", path, fileKind(fi.Mode()))
	case fi.Size() > max:
		return fmt.Errorf("%s: %d bytes, more than the %d a database may have", path, fi.Size(), max)
	}
	return nil
}

// fileKind names what a file that is not regular is.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}
