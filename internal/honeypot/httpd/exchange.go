package httpd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/session"
)

// Bounds of one exchange.
const (
	defaultHead  = 16 << 10 // request head bytes when Limits.Headers is 0
	maxParts     = 16       // multipart parts examined for files
	maxFormField = 256      // longest form user name or password kept
)

var errHeadTooLarge = errors.New("request head too large")

// exchange is the state of one connection.
type exchange struct {
	srv      *Server
	rec      *session.Recorder
	lim      session.Limits
	prof     *profile
	urls     map[string]bool
	attempts int
	agent    bool // the client version (User-Agent) is recorded
}

// serveOne reads, records and answers one request. It returns the end
// reason ("" : the read error's) and whether the connection goes on.
func (x *exchange) serveOne(br *bufio.Reader, w io.Writer) (string, bool) {
	maxHead := x.lim.Headers
	if maxHead <= 0 {
		maxHead = defaultHead
	}
	head, err := readHead(br, maxHead)
	switch {
	case errors.Is(err, errHeadTooLarge):
		status := http.StatusBadRequest
		if requestLine.Match(head) {
			status = http.StatusRequestHeaderFieldsTooLarge
		}
		x.recordRaw(head, status)
		x.write(w, nil, response{status: status, ctype: "text/html", body: []byte(errorBody(status))}, false)
		if status == http.StatusBadRequest {
			return "bad-request", false
		}
		return "headers", false
	case err != nil:
		if len(bytes.TrimSpace(head)) > 0 {
			x.recordRaw(head, 0) // cut off before the head ended
		}
		return "", false
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
	if err != nil {
		x.recordRaw(head, http.StatusBadRequest)
		x.write(w, nil, response{status: http.StatusBadRequest, ctype: "text/html", body: []byte(errorBody(http.StatusBadRequest))}, false)
		return "bad-request", false
	}
	body, size, bodyErr := x.readBody(br, req, w)
	keptBody := body[:min(len(body), x.bodyLimit())]

	if ua := req.Header.Get("User-Agent"); ua != "" && !x.agent {
		x.agent = true
		v := clean(ua, 512)
		x.rec.Update("", func(s *session.Session) { s.ClientVersion = v })
	}
	resp := x.prof.route(req, x.srv.cfg.Title, keptBody, x.login)

	payload := make([]byte, 0, len(head)+len(keptBody))
	payload = append(append(payload, head...), keptBody...)
	q := session.Request{
		Method:   clean(req.Method, 64),
		Path:     clean(req.RequestURI, x.lim.Line),
		Version:  clean(req.Proto, 16),
		Host:     clean(req.Host, 256),
		Headers:  headerBlock(head),
		Body:     keptBody,
		BodySize: size,
		Status:   resp.status,
		Patterns: x.patterns(payload),
	}
	more := x.rec.Request(q)
	if int64(len(keptBody)) < size || bodyErr != nil {
		// The body was cut: a URL running into the cut would be cut too.
		payload = payload[:bytes.LastIndexAny(payload, " \t\r\n;&|")+1]
	}
	x.extractURLs(payload)
	x.files(req, body)

	keep := more && bodyErr == nil && !req.Close
	x.write(w, req, resp, keep)
	switch {
	case bodyErr != nil:
		if errors.Is(bodyErr, errBodyTooLarge) {
			return "bytes", false
		}
		var ne net.Error
		if errors.Is(bodyErr, io.ErrUnexpectedEOF) || errors.Is(bodyErr, io.EOF) || errors.As(bodyErr, &ne) {
			return "", false
		}
		return "body", false
	case !more:
		return "requests", false
	case req.Close:
		return "closed", false
	}
	return "", true
}

// requestLine matches the start of an HTTP request.
var requestLine = regexp.MustCompile(`^[A-Z]{3,16} [^ \r\n]+ HTTP/\d`)

func errorBody(status int) string {
	t := strconv.Itoa(status) + " " + http.StatusText(status)
	return "<html><head><title>" + t + "</title></head><body><h1>" + t + "</h1></body></html>\n"
}

// readHead reads a request head up to and including its empty line, at
// most max bytes (leading empty lines count and are dropped).
func readHead(br *bufio.Reader, max int) ([]byte, error) {
	var head []byte
	budget := max
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > budget {
			head = append(head, line[:budget]...)
			return head, errHeadTooLarge
		}
		budget -= len(line)
		blank := err == nil && (len(line) == 1 || len(line) == 2 && line[0] == '\r')
		if blank && len(head) == 0 {
			continue
		}
		head = append(head, line...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil:
			return head, err
		case blank:
			return head, nil
		}
	}
}

// headerBlock returns the head's header lines, one "Name: value" per line.
func headerBlock(head []byte) string {
	_, rest, _ := bytes.Cut(head, []byte("\n"))
	lines := strings.Split(strings.TrimRight(string(rest), "\r\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	return strings.ToValidUTF8(strings.Join(lines, "\n"), "\uFFFD")
}

// clean bounds an attacker's string and makes it valid UTF-8.
func clean(s string, max int) string {
	if max > 0 && len(s) > max {
		s = s[:max]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// recordRaw records a request that could not be parsed: its bytes as the
// header block, what its first line says as method and target.
func (x *exchange) recordRaw(head []byte, status int) {
	x.rec.FirstBytes(head)
	line, _, _ := bytes.Cut(head, []byte("\n"))
	f := strings.Fields(string(bytes.TrimRight(line, "\r")))
	q := session.Request{Headers: strings.ToValidUTF8(string(head), "\uFFFD"), Status: status, Patterns: x.patterns(head)}
	if requestLine.Match(head) && len(f) >= 3 {
		q.Method, q.Path, q.Version = clean(f[0], 64), clean(f[1], x.lim.Line), clean(f[2], 16)
	}
	x.rec.Request(q)
	x.extractURLs(head)
}

// patterns names the exploit pattern payload matches.
func (x *exchange) patterns(payload []byte) []string {
	if id := x.srv.cfg.Exploits.Match(payload); id >= 0 {
		if name, _ := x.srv.cfg.Exploits.Pattern(id); name != "" {
			return []string{name}
		}
	}
	return nil
}

// extractURLs records the URLs in payload not seen before in the session.
func (x *exchange) extractURLs(payload []byte) {
	max := x.lim.URLs
	if max <= 0 {
		max = session.DefaultLimits().URLs
	}
	for _, f := range ExtractURLs(payload, max) {
		if x.urls[f.URL] || len(x.urls) >= max {
			continue
		}
		x.urls[f.URL] = true
		x.rec.URL(session.URL{URL: strings.ToValidUTF8(f.URL, "\uFFFD"), Via: "request", Target: clean(f.Target, 1024)})
	}
}

// login records a credential attempt and applies the policy.
func (x *exchange) login(user, pass, method string) bool {
	x.attempts++
	user, pass = clean(user, 1024), clean(pass, 1024)
	var ok bool
	if p := x.srv.cfg.Credentials; p != nil {
		hdr := x.rec.Header()
		ok = p.Check(&hdr, x.attempts, user, pass)
	} else {
		ok = x.attempts > 2
	}
	x.rec.Login(session.Login{Method: method, Username: user, Password: pass, Success: ok})
	return ok
}

// formCredentials finds a user name and password in a form body.
func formCredentials(body []byte) (user, pass string, ok bool) {
	v, err := url.ParseQuery(string(body))
	if err != nil && len(v) == 0 {
		return "", "", false
	}
	pick := func(keys ...string) (string, bool) {
		for _, k := range keys {
			if vs, ok := v[k]; ok && len(vs) > 0 {
				return clean(vs[0], maxFormField), true
			}
		}
		return "", false
	}
	user, uok := pick("username", "user", "name", "login", "userName")
	pass, pok := pick("password", "pass", "pwd", "passwd", "psw")
	return user, pass, uok && pok
}

// files records the body, or its multipart parts, that are samples.
func (x *exchange) files(req *http.Request, body []byte) {
	if len(body) == 0 {
		return
	}
	mt, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err == nil && strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" {
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for range maxParts {
			p, err := mr.NextRawPart()
			if err != nil {
				break
			}
			data, err := io.ReadAll(p)
			if err != nil && len(data) == 0 {
				break
			}
			if session.IsSample(session.FileType(data)) {
				x.rec.File("", "http-body", data)
			}
		}
		return
	}
	if session.IsSample(session.FileType(body)) {
		x.rec.File("", "http-body", body)
	}
}

// write sends resp ("HEAD": without its body).
func (x *exchange) write(w io.Writer, req *http.Request, resp response, keep bool) {
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + strconv.Itoa(resp.status) + " " + http.StatusText(resp.status) + "\r\n")
	server := x.srv.cfg.Banner
	if server == "" {
		server = x.prof.server
	}
	b.WriteString("Server: " + server + "\r\n")
	b.WriteString("Date: " + x.srv.cfg.Now().UTC().Format(http.TimeFormat) + "\r\n")
	for _, h := range resp.header {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	if resp.ctype != "" {
		b.WriteString("Content-Type: " + resp.ctype + "\r\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(resp.body)) + "\r\n")
	if keep {
		b.WriteString("Connection: keep-alive\r\n\r\n")
	} else {
		b.WriteString("Connection: close\r\n\r\n")
	}
	if req == nil || req.Method != http.MethodHead {
		b.Write(resp.body)
	}
	_, _ = w.Write(b.Bytes())
}
