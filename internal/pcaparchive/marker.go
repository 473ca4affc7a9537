package pcaparchive

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"io"
	"strconv"
	"strings"
)

// MarkerTag begins the shb_comment of a live archive file.
const MarkerTag = "honeyscope-live-archive"

// Info is what a live archive file says of itself in its Section Header
// Block.
type Info struct {
	Sensor      string // the sensor whose live capture counted the packets
	Interface   string // the captured interface
	Application string // shb_userappl ("honeyscope VERSION"), "" when absent
}

// String describes the file: `live archive of sensor "S" interface "I"`.
func (i Info) String() string {
	return "live archive of sensor " + strconv.Quote(i.Sensor) + " interface " + strconv.Quote(i.Interface)
}

// SkipReason says why ingest does not count the file.
func (i Info) SkipReason() string {
	return i.String() + ": its packets were counted by live capture"
}

// Application is the shb_userappl of files written by a version.
func Application(version string) string {
	if version == "" {
		return "honeyscope"
	}
	return "honeyscope " + version
}

// comment is the marker comment of a file.
func (i Info) comment() string {
	return MarkerTag + " sensor=" + quoteValue(i.Sensor) + " interface=" + quoteValue(i.Interface)
}

// quoteValue leaves a value as it is when it holds only printable ASCII
// other than space, '"' and '='; otherwise it is Go-quoted.
func quoteValue(s string) string {
	if s == "" {
		return `""`
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '=' {
			return strconv.Quote(s)
		}
	}
	return s
}

// parseComment reads a marker comment; ok is false when c is not one.
func parseComment(c string) (info Info, ok bool) {
	rest, found := strings.CutPrefix(c, MarkerTag)
	if !found || (rest != "" && rest[0] != ' ') {
		return info, false
	}
	var haveSensor, haveIface bool
	for {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			break
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return Info{}, false
		}
		key := rest[:eq]
		if strings.IndexByte(key, ' ') >= 0 {
			return Info{}, false
		}
		rest = rest[eq+1:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return Info{}, false
			}
			val, _ = strconv.Unquote(q)
			rest = rest[len(q):]
			if rest != "" && rest[0] != ' ' {
				return Info{}, false
			}
		} else {
			end := strings.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			val, rest = rest[:end], rest[end:]
		}
		switch key {
		case "sensor":
			info.Sensor, haveSensor = val, true
		case "interface":
			info.Interface, haveIface = val, true
		}
		// Other keys are for later versions: ignored.
	}
	return info, haveSensor && haveIface
}

const (
	blockSHB       = 0x0a0d0d0a
	byteOrderMagic = 0x1a2b3c4d
	// maxSHB bounds the Section Header Block Marker reads; a larger one is
	// not a marker (honeyscope writes about a hundred bytes).
	maxSHB = 64 << 10

	optEnd      = 0
	optComment  = 1
	optUserAppl = 4
)

// Marker reads the start of a capture file, pcapng plain or
// gzip-compressed, and tells whether it is a honeyscope live archive (of
// either a complete file or a .part one). It reads at most the first
// Section Header Block. A stream that is not pcapng, or whose header is
// damaged, is not a live archive: ok false, err nil. err is set only when
// r itself failed.
func Marker(r io.Reader) (info Info, ok bool, err error) {
	er := &errReader{r: r}
	br := bufio.NewReaderSize(er, 4096)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, zerr := gzip.NewReader(br)
		if zerr != nil {
			return Info{}, false, er.err
		}
		defer zr.Close()
		src = zr
	}
	info, ok = readSHB(src)
	if !ok {
		return Info{}, false, er.err
	}
	return info, true, nil
}

// errReader remembers the first error of r other than io.EOF.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// readSHB reads a Section Header Block and looks for the marker in its
// options.
func readSHB(r io.Reader) (Info, bool) {
	var h [12]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Info{}, false
	}
	var bo binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint32(h[8:]) == byteOrderMagic:
		bo = binary.LittleEndian
	case binary.BigEndian.Uint32(h[8:]) == byteOrderMagic:
		bo = binary.BigEndian
	default:
		return Info{}, false
	}
	if bo.Uint32(h[0:]) != blockSHB {
		return Info{}, false
	}
	blen := bo.Uint32(h[4:])
	// 12 read, then version (4), section length (8), options, trailer (4).
	if blen < 28 || blen > maxSHB || blen%4 != 0 {
		return Info{}, false
	}
	body := make([]byte, blen-12)
	if _, err := io.ReadFull(r, body); err != nil {
		return Info{}, false
	}
	if bo.Uint32(body[len(body)-4:]) != blen || bo.Uint16(body[0:]) != 1 {
		return Info{}, false
	}
	opts := body[12 : len(body)-4]
	var info Info
	var found bool
	for len(opts) >= 4 {
		code, n := bo.Uint16(opts[0:]), int(bo.Uint16(opts[2:]))
		opts = opts[4:]
		if code == optEnd {
			break
		}
		padded := (n + 3) &^ 3
		if padded > len(opts) {
			return Info{}, false
		}
		val := opts[:n]
		opts = opts[padded:]
		switch code {
		case optComment:
			if i, ok := parseComment(string(val)); ok && !found {
				info.Sensor, info.Interface, found = i.Sensor, i.Interface, true
			}
		case optUserAppl:
			info.Application = string(val)
		}
	}
	if !found {
		return Info{}, false
	}
	return info, true
}
