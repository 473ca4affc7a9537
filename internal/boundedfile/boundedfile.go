// Package boundedfile reads whole files that must be regular files of a
// bounded size: GeoIP databases, config files. A device (/dev/zero never
// ends), a named pipe (opening one waits for a writer), a directory or an
// oversized file is refused with an error naming the file, before memory
// is spent on it.
package boundedfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// Read reads path whole: a regular file of at most max bytes. what names
// the kind of file in errors ("database file", "config file").
func Read(path string, max int64, what string) ([]byte, error) {
	// Stat before opening: opening a FIFO would wait for a writer.
	if fi, err := os.Stat(path); err != nil {
		return nil, err
	} else if err := check(path, fi, max, what); err != nil {
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
	if err := check(path, fi, max, what); err != nil {
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
		return nil, fmt.Errorf("%s: larger than %d bytes, the most a %s may have", path, max, what)
	}
	return buf.Bytes(), nil
}

func check(path string, fi os.FileInfo, max int64, what string) error {
	switch {
	case fi.IsDir():
		return fmt.Errorf("%s: a directory, not a %s", path, what)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s: not a regular file (%s); give a %s", path, Kind(fi.Mode()), what)
	case fi.Size() > max:
		return fmt.Errorf("%s: %d bytes, larger than %d bytes, the most a %s may have", path, fi.Size(), max, what)
	}
	return nil
}

// Kind names what a file that is not regular is ("a named pipe").
func Kind(m os.FileMode) string {
	switch {
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "a special file"
}
