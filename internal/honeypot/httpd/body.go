package httpd

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"strings"

	"github.com/honeyscope/honeyscope/internal/session"
)

var errBodyTooLarge = errors.New("request body over the session's byte limit")

// bodyLimit is the body bytes recorded with a request.
func (x *exchange) bodyLimit() int {
	if x.lim.Body > 0 {
		return x.lim.Body
	}
	return session.DefaultLimits().Body
}

// fileLimit is the body bytes kept when the body may hold a file: the
// virtual filesystem's bound, within the session's byte limit.
func (x *exchange) fileLimit() int {
	n := x.lim.FSBytes
	if n <= 0 {
		n = session.DefaultLimits().FSBytes
	}
	if x.lim.Bytes > 0 && x.lim.Bytes < n {
		n = x.lim.Bytes
	}
	return int(max(n, int64(x.bodyLimit())))
}

// readBody reads a request's body (Content-Length or chunked): the first
// bodyLimit bytes are kept, or up to fileLimit when the body may be a
// file (an ELF or script start, a multipart or octet-stream upload); the
// rest is read and discarded up to the session's byte limit. size is the
// declared length, or the bytes read when none was declared. A "100
// continue" is sent first when the client waits for it.
func (x *exchange) readBody(br *bufio.Reader, req *http.Request, w io.Writer) (body []byte, size int64, err error) {
	var r io.Reader
	switch {
	case len(req.TransferEncoding) > 0 && req.TransferEncoding[0] == "chunked":
		r = httputil.NewChunkedReader(br)
	case req.ContentLength > 0:
		r = io.LimitReader(br, req.ContentLength)
	default:
		return nil, 0, nil
	}
	if strings.EqualFold(req.Header.Get("Expect"), "100-continue") {
		_, _ = io.WriteString(w, "HTTP/1.1 100 Continue\r\n\r\n")
	}
	body, err = readUpTo(r, x.bodyLimit())
	if err == nil && len(body) == x.bodyLimit() && mayBeFile(req, body) {
		var more []byte
		more, err = readUpTo(r, x.fileLimit()-len(body))
		body = append(body, more...)
	}
	read := int64(len(body))
	if err == nil {
		discard := x.lim.Bytes
		if discard <= 0 {
			discard = session.DefaultLimits().Bytes
		}
		var n int64
		n, err = io.CopyN(io.Discard, r, discard)
		read += n
		if err == io.EOF {
			err = nil
		} else if err == nil {
			err = errBodyTooLarge
		}
	}
	if err == io.EOF {
		err = nil
	}
	size = read
	if req.ContentLength > 0 {
		size = req.ContentLength
		if err == nil && read < size {
			err = io.ErrUnexpectedEOF
		}
	}
	return body, size, err
}

// readUpTo reads at most n bytes of r; io.EOF when r ended first.
func readUpTo(r io.Reader, n int) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	buf := make([]byte, 0, min(n, 64<<10))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Read(buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// mayBeFile reports whether a body is worth keeping whole.
func mayBeFile(req *http.Request, start []byte) bool {
	if session.IsSample(session.FileType(start)) {
		return true
	}
	ct := strings.ToLower(req.Header.Get("Content-Type"))
	return strings.HasPrefix(ct, "multipart/") || strings.HasPrefix(ct, "application/octet-stream")
}
