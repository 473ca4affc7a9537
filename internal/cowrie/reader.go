package cowrie

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
)

// ReadOptions configure Read.
type ReadOptions struct {
	// Sensor, when set, is every session's sensor, whatever the events'
	// "sensor" field says.
	Sensor string
	// DefaultSensor is the sensor of sessions whose events name none.
	DefaultSensor string
	// MaxLine bounds a line in bytes (default 1 MiB); longer lines are bad
	// lines.
	MaxLine int
	// MaxSessions bounds the sessions of one file (default 1,000,000);
	// events of further sessions are dropped and counted.
	MaxSessions int
	// MaxErrors bounds the bad-line errors kept in ReadStats.Errors
	// (default 20); all are counted.
	MaxErrors int
	// Limits bound each session's lists as the honeypot's recorder does
	// (zero: session.DefaultLimits()).
	Limits session.Limits
}

// ReadStats says what Read found.
type ReadStats struct {
	Lines           int64 // non-empty lines
	Events          int64 // lines parsed as events
	Bad             int64 // lines that were not an event (see Errors)
	Errors          []error
	Ignored         int64 // events of ids that add nothing to a session (cowrie.log.open, ...)
	NoSession       int64 // events without a session id
	DroppedSessions int64 // sessions over MaxSessions
	Sources         int   // distinct source addresses
	First, Last     time.Time
	Sensors         []string // distinct sensor fields seen, in order of appearance (at most 100)
}

// LineError is a bad line: the file and the line number (from 1).
type LineError struct {
	File string
	Line int64
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Errors of bad lines.
var (
	ErrLineTooLong = errors.New("line too long")
	ErrNotEvent    = errors.New("not a Cowrie event")
)

// DefaultMaxLine is ReadOptions.MaxLine's default.
const DefaultMaxLine = 1 << 20

// ReadFile reads a Cowrie JSON log, plain or gzip-compressed.
func ReadFile(path string, opt ReadOptions) ([]session.Session, ReadStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ReadStats{}, err
	}
	defer f.Close()
	return Read(f, path, opt)
}

// Read reads a Cowrie JSON log (one event per line; gzip-compressed input
// is recognised by its magic number) and returns its sessions, ordered by
// start time and id. A bad line is counted and reported in the stats with
// its file and line, and reading goes on; the error is only for input that
// could not be read at all (an I/O error or a damaged gzip stream: the
// sessions read before it are returned too).
func Read(r io.Reader, name string, opt ReadOptions) ([]session.Session, ReadStats, error) {
	if opt.MaxLine <= 0 {
		opt.MaxLine = DefaultMaxLine
	}
	if opt.MaxSessions <= 0 {
		opt.MaxSessions = 1_000_000
	}
	if opt.MaxErrors <= 0 {
		opt.MaxErrors = 20
	}
	if opt.Limits == (session.Limits{}) {
		opt.Limits = session.DefaultLimits()
	}
	src, err := decompress(r)
	if err != nil {
		return nil, ReadStats{}, fmt.Errorf("%s: %w", name, err)
	}
	b := newBuilder(opt)
	br := bufio.NewReaderSize(src, 64<<10)
	var lineNo int64
	var readErr error
	bad := func(err error) {
		b.stats.Bad++
		if len(b.stats.Errors) < opt.MaxErrors {
			b.stats.Errors = append(b.stats.Errors, &LineError{File: name, Line: lineNo, Err: err})
		}
	}
	for {
		line, tooLong, err := readLine(br, opt.MaxLine)
		if len(line) > 0 || tooLong || err == nil {
			lineNo++
		}
		if tooLong {
			b.stats.Lines++
			bad(fmt.Errorf("%w (over %d bytes)", ErrLineTooLong, opt.MaxLine))
		} else if t := bytes.TrimSpace(line); len(t) > 0 {
			b.stats.Lines++
			ev, perr := parseLine(t)
			if perr != nil {
				bad(perr)
			} else {
				b.stats.Events++
				b.add(&ev)
			}
		}
		if err != nil {
			if err != io.EOF {
				readErr = fmt.Errorf("%s: line %d: %w", name, lineNo, err)
			}
			break
		}
	}
	return b.finish(), b.stats, readErr
}

// readLine reads one line (without its newline) of at most max bytes; a
// longer one is skipped to its end and reported as tooLong.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > max+1 { // +1: the newline
			tooLong = true
			buf = nil
		} else if !tooLong {
			buf = append(buf, chunk...)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil:
			return buf, tooLong, err
		}
		return bytes.TrimSuffix(buf, []byte{'\n'}), tooLong, nil
	}
}

// decompress returns r, or a gzip reader over it when it starts with the
// gzip magic number.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// Detect reports whether r holds a Cowrie JSON log (plain or gzip): its
// first non-empty line is a JSON object whose "eventid" starts with
// "cowrie." (or "honeyscope.", an event of Writer's own). It reads at most
// one line of DefaultMaxLine bytes.
func Detect(r io.Reader) bool {
	src, err := decompress(r)
	if err != nil {
		return false
	}
	br := bufio.NewReaderSize(src, 64<<10)
	// Blank lines and a byte-order mark may come first; anything else
	// that is not "{" settles it without reading on (a capture's first
	// bytes, say).
	for skipped := 0; ; skipped++ {
		c, err := br.ReadByte()
		if err != nil || skipped > 4096 {
			return false
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			continue
		}
		if c == 0xef && skipped == 0 {
			if bom, err := br.Peek(2); err == nil && bom[0] == 0xbb && bom[1] == 0xbf {
				br.Discard(2)
				continue
			}
		}
		if c != '{' {
			return false
		}
		br.UnreadByte()
		break
	}
	line, tooLong, _ := readLine(br, DefaultMaxLine)
	if tooLong {
		return false
	}
	var head struct {
		EventID string `json:"eventid"`
	}
	if json.Unmarshal(bytes.TrimSpace(line), &head) != nil {
		return false
	}
	return strings.HasPrefix(head.EventID, "cowrie.") || strings.HasPrefix(head.EventID, "honeyscope.")
}

// DetectFile is Detect on the file at path (false when it cannot be read).
func DetectFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return Detect(f)
}

// event is one parsed line.
type event struct {
	EventID   flexString `json:"eventid"`
	Timestamp flexString `json:"timestamp"`
	Session   flexString `json:"session"`
	SrcIP     flexString `json:"src_ip"`
	SrcPort   flexInt    `json:"src_port"`
	DstIP     flexString `json:"dst_ip"`
	DstPort   flexInt    `json:"dst_port"`
	Protocol  flexString `json:"protocol"`
	Sensor    flexString `json:"sensor"`
	Message   flexString `json:"message"`

	Version         flexString `json:"version"`
	HASSH           flexString `json:"hassh"`
	HASSHAlgorithms flexString `json:"hasshAlgorithms"`
	KexAlgs         flexList   `json:"kexAlgs"`
	EncCS           flexList   `json:"encCS"`
	MacCS           flexList   `json:"macCS"`
	CompCS          flexList   `json:"compCS"`
	Arch            flexString `json:"arch"`

	Username *flexString `json:"username"`
	Password *flexString `json:"password"`
	Input    flexString  `json:"input"`

	URL      flexString `json:"url"`
	Filename flexString `json:"filename"`
	Outfile  flexString `json:"outfile"`
	Destfile flexString `json:"destfile"`
	Shasum   flexString `json:"shasum"`
	Size     flexInt    `json:"size"`

	Duration flexFloat `json:"duration"`

	HService       flexString `json:"honeyscope_service"`
	HArch          flexString `json:"honeyscope_arch"`
	HFiltered      flexBool   `json:"honeyscope_filtered"`
	HCountry       flexString `json:"honeyscope_country"`
	HTelnetOptions flexString `json:"honeyscope_telnet_options"`
	HClientVersion flexString `json:"honeyscope_client_version"`
	HMethod        flexString `json:"honeyscope_method"`
	HKnown         *flexBool  `json:"honeyscope_known"`
	HPatterns      flexList   `json:"honeyscope_patterns"`
	HVia           flexString `json:"honeyscope_via"`
	HType          flexString `json:"honeyscope_type"`
	HSize          *flexInt   `json:"honeyscope_size"`
	HSample        *flexBool  `json:"honeyscope_sample"`
	HData          flexBytes  `json:"honeyscope_data"`

	HHTTPMethod   flexString `json:"honeyscope_http_method"`
	HHTTPPath     flexString `json:"honeyscope_http_path"`
	HHTTPVersion  flexString `json:"honeyscope_http_version"`
	HHTTPHost     flexString `json:"honeyscope_http_host"`
	HHTTPHeaders  flexString `json:"honeyscope_http_headers"`
	HHTTPBody     flexBytes  `json:"honeyscope_http_body"`
	HHTTPBodySize flexInt    `json:"honeyscope_http_body_size"`
	HHTTPStatus   flexInt    `json:"honeyscope_http_status"`

	HReason    flexString `json:"honeyscope_reason"`
	HLoggedIn  *flexBool  `json:"honeyscope_logged_in"`
	HUsername  flexString `json:"honeyscope_username"`
	HPassword  flexString `json:"honeyscope_password"`
	HHASSH     flexString `json:"honeyscope_hassh"`
	HHASSHAlgo flexString `json:"honeyscope_hassh_algorithms"`
	HBytesIn   *flexInt   `json:"honeyscope_bytes_in"`
	HBytesOut  *flexInt   `json:"honeyscope_bytes_out"`
	HTruncated *flexInt   `json:"honeyscope_truncated"`

	time time.Time
	src  netip.Addr
	dst  netip.Addr
}

// parseLine parses one non-empty line.
func parseLine(line []byte) (event, error) {
	var ev event
	if len(line) == 0 || line[0] != '{' {
		return ev, fmt.Errorf("%w: not a JSON object", ErrNotEvent)
	}
	if err := json.Unmarshal(line, &ev); err != nil {
		return ev, fmt.Errorf("%w: %v", ErrNotEvent, err)
	}
	if ev.EventID == "" {
		return ev, fmt.Errorf("%w: no eventid", ErrNotEvent)
	}
	t, ok := parseTime(string(ev.Timestamp))
	if !ok {
		return ev, fmt.Errorf("%w: %s: timestamp %q", ErrNotEvent, clip(string(ev.EventID), 64), clip(string(ev.Timestamp), 64))
	}
	ev.time = t
	if a, err := netip.ParseAddr(string(ev.SrcIP)); err == nil {
		ev.src = a.Unmap().WithZone("")
	}
	if a, err := netip.ParseAddr(string(ev.DstIP)); err == nil {
		ev.dst = a.Unmap().WithZone("")
	}
	return ev, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func port(n flexInt) uint16 {
	if n < 0 || n > 65535 {
		return 0
	}
	return uint16(n)
}

// building is a session being assembled.
type building struct {
	s         session.Session
	connected bool
	closed    bool
	last      time.Time
	seen      map[string]bool // downloads already recorded (url, sha, target)
}

type builder struct {
	opt      ReadOptions
	stats    ReadStats
	sessions map[string]*building
	order    []*building
	sources  map[netip.Addr]struct{}
	sensors  map[string]bool
}

func newBuilder(opt ReadOptions) *builder {
	return &builder{opt: opt, sessions: map[string]*building{}, sources: map[netip.Addr]struct{}{}, sensors: map[string]bool{}}
}

// cut bounds a string an attacker chose to the recorder's line limit.
func (b *builder) cut(s flexString) string {
	if n := b.opt.Limits.Line; n > 0 && len(s) > n {
		return string(s[:n])
	}
	return string(s)
}

func (b *builder) add(ev *event) {
	st := &b.stats
	if st.First.IsZero() || ev.time.Before(st.First) {
		st.First = ev.time
	}
	if ev.time.After(st.Last) {
		st.Last = ev.time
	}
	if ev.src.IsValid() {
		b.sources[ev.src] = struct{}{}
	}
	if s := string(ev.Sensor); s != "" && !b.sensors[s] && len(b.sensors) < 100 {
		b.sensors[s] = true
		st.Sensors = append(st.Sensors, s)
	}
	id := string(ev.Session)
	if id == "" {
		st.NoSession++
		return
	}
	bs := b.sessions[id]
	if bs == nil {
		if len(b.sessions) >= b.opt.MaxSessions {
			st.DroppedSessions++
			return
		}
		bs = &building{s: session.Session{ID: b.cut(ev.Session), Start: ev.time}}
		b.sessions[id] = bs
		b.order = append(b.order, bs)
	}
	s := &bs.s
	if ev.time.After(bs.last) {
		bs.last = ev.time
	}
	if !s.Src.IsValid() && ev.src.IsValid() {
		s.Src = ev.src
	}
	if s.Sensor == "" && ev.Sensor != "" {
		s.Sensor = b.cut(ev.Sensor)
	}
	if ev.HService != "" {
		s.Service = b.cut(ev.HService)
	}
	lim := b.opt.Limits
	switch string(ev.EventID) {
	case IDConnect:
		bs.connected = true
		s.Start = ev.time
		s.SrcPort, s.Port = port(ev.SrcPort), port(ev.DstPort)
		if ev.src.IsValid() {
			s.Src = ev.src
		}
		s.Dst = ev.dst
		if ev.HService == "" && ev.Protocol != "" {
			s.Service = strings.ToLower(b.cut(ev.Protocol))
		}
		b.header(s, ev)
	case IDVersion:
		s.ClientVersion = b.cut(ev.Version)
		if s.Service == "" {
			s.Service = session.SSH
		}
	case IDKex:
		s.HASSH = b.cut(ev.HASSH)
		s.HASSHAlgos = b.cut(ev.HASSHAlgorithms)
		if s.HASSHAlgos == "" && len(ev.KexAlgs) > 0 {
			s.HASSHAlgos = b.cut(flexString(strings.Join(ev.KexAlgs, ",") + ";" + strings.Join(ev.EncCS, ",") + ";" + strings.Join(ev.MacCS, ",") + ";" + strings.Join(ev.CompCS, ",")))
		}
	case IDTelnetOptions:
		s.TelnetOptions = b.cut(ev.HTelnetOptions)
	case IDParams:
		if ev.HArch != "" {
			s.Arch = b.cut(ev.HArch)
		} else if ev.Arch != "" {
			s.Arch = HoneyscopeArch(b.cut(ev.Arch))
		}
	case IDLoginSuccess, IDLoginFailed:
		l := session.Login{Time: ev.time, Method: b.cut(ev.HMethod), Success: string(ev.EventID) == IDLoginSuccess}
		if ev.Username != nil {
			l.Username = b.cut(*ev.Username)
		}
		if ev.Password != nil {
			l.Password = b.cut(*ev.Password)
		}
		if l.Method == "" {
			l.Method = "password"
			if s.Service == session.Telnet {
				l.Method = session.Telnet
			}
		}
		if l.Success {
			s.LoggedIn, s.Username, s.Password = true, l.Username, l.Password
		}
		if len(s.Logins) >= lim.Logins {
			s.Truncated++
		} else {
			s.Logins = append(s.Logins, l)
		}
	case IDCommandInput:
		c := session.Command{Time: ev.time, Input: b.cut(ev.Input), Known: true, Patterns: cutList(ev.HPatterns, 16)}
		if ev.HKnown != nil {
			c.Known = bool(*ev.HKnown)
		}
		if len(s.Commands) >= lim.Commands {
			s.Truncated++
		} else {
			s.Commands = append(s.Commands, c)
		}
	case IDCommandFailed:
		in := b.cut(ev.Input)
		for i := len(s.Commands) - 1; i >= 0 && i >= len(s.Commands)-8; i-- {
			if s.Commands[i].Input == in {
				s.Commands[i].Known = false
				break
			}
		}
	case IDFileDownload, IDFileDownloadFail:
		b.download(bs, ev)
	case IDFileUpload:
		f := session.File{Time: ev.time, Path: b.cut(ev.Filename), SHA256: strings.ToLower(b.cut(ev.Shasum)), Via: b.cut(ev.HVia), Type: b.cut(ev.HType)}
		if f.Via == "" {
			f.Via = "upload"
		}
		if ev.HSize != nil {
			f.Size = int64(*ev.HSize)
		} else {
			f.Size = int64(ev.Size)
		}
		if ev.HSample != nil {
			f.Sample = bool(*ev.HSample)
		}
		b.file(bs, f)
	case IDURL:
		b.url(bs, session.URL{Time: ev.time, URL: b.cut(ev.URL), Via: b.cut(ev.HVia), Target: b.cut(ev.Destfile)})
	case IDDirectTCPIP:
		if ev.dst.IsValid() {
			u := "tcp://" + netip.AddrPortFrom(ev.dst, port(ev.DstPort)).String()
			b.url(bs, session.URL{Time: ev.time, URL: u, Via: "direct-tcpip"})
		} else {
			st.Ignored++
		}
	case IDHTTPRequest:
		q := session.Request{
			Time: ev.time, Method: b.cut(ev.HHTTPMethod), Path: b.cut(ev.HHTTPPath), Version: b.cut(ev.HHTTPVersion),
			Host: b.cut(ev.HHTTPHost), Headers: string(ev.HHTTPHeaders), Body: []byte(ev.HHTTPBody),
			BodySize: int64(ev.HHTTPBodySize), Status: int(ev.HHTTPStatus), Patterns: cutList(ev.HPatterns, 16),
		}
		if lim.Headers > 0 && len(q.Headers) > lim.Headers {
			q.Headers = q.Headers[:lim.Headers]
		}
		if lim.Body > 0 && len(q.Body) > lim.Body {
			q.Body = q.Body[:lim.Body]
		}
		if s.Service == "" {
			s.Service = session.HTTP
		}
		if len(s.Requests) >= lim.Requests {
			s.Truncated++
		} else {
			s.Requests = append(s.Requests, q)
		}
	case IDInput:
		if room := lim.FirstBytes - len(s.FirstBytes); room > 0 {
			d := []byte(ev.HData)
			s.FirstBytes = append(s.FirstBytes, d[:min(room, len(d))]...)
		}
	case IDClosed:
		bs.closed = true
		s.End = ev.time
		s.EndReason = "closed"
		b.header(s, ev)
		if ev.HReason != "" {
			s.EndReason = b.cut(ev.HReason)
		}
	case IDUpdate:
		b.header(s, ev)
	default:
		st.Ignored++
	}
}

// header takes the session header fields Writer adds to connect, closed
// and update events.
func (b *builder) header(s *session.Session, ev *event) {
	if ev.HArch != "" {
		s.Arch = b.cut(ev.HArch)
	}
	if ev.HCountry != "" {
		s.Country = b.cut(ev.HCountry)
	}
	if ev.HFiltered {
		s.Filtered = true
	}
	if ev.HTelnetOptions != "" {
		s.TelnetOptions = b.cut(ev.HTelnetOptions)
	}
	if ev.HClientVersion != "" {
		s.ClientVersion = b.cut(ev.HClientVersion)
	}
	if ev.HHASSH != "" {
		s.HASSH, s.HASSHAlgos = b.cut(ev.HHASSH), b.cut(ev.HHASSHAlgo)
	}
	if ev.HLoggedIn != nil && bool(*ev.HLoggedIn) {
		s.LoggedIn, s.Username, s.Password = true, b.cut(ev.HUsername), b.cut(ev.HPassword)
	}
	if ev.HBytesIn != nil {
		s.BytesIn = int64(*ev.HBytesIn)
	}
	if ev.HBytesOut != nil {
		s.BytesOut = int64(*ev.HBytesOut)
	}
	if ev.HTruncated != nil {
		s.Truncated = max(s.Truncated, int(*ev.HTruncated))
	}
}

// download records a cowrie.session.file_download(.failed): the URL, and
// the file when its SHA-256 is known. Cowrie logs the same download more
// than once at times (and Writer the URL of a request before its file):
// each URL and file is recorded once.
func (b *builder) download(bs *building, ev *event) {
	target := b.cut(ev.Destfile)
	u := b.cut(ev.URL)
	via := b.cut(ev.HVia)
	if u != "" {
		if via == "" {
			via = "download"
		}
		b.url(bs, session.URL{Time: ev.time, URL: u, Via: via, Target: target})
	}
	sha := strings.ToLower(b.cut(ev.Shasum))
	if sha == "" || string(ev.EventID) == IDFileDownloadFail {
		return
	}
	fvia := "download"
	if u == "" {
		fvia = "stdin"
		if strings.Contains(string(ev.Message), "redir") {
			fvia = "redirect"
		}
	}
	b.file(bs, session.File{Time: ev.time, Path: target, SHA256: sha, Via: fvia, Size: int64(ev.Size)})
}

func (b *builder) url(bs *building, u session.URL) {
	key := "u\x00" + u.URL + "\x00" + u.Target
	if bs.seen[key] {
		return
	}
	s := &bs.s
	if len(s.URLs) >= b.opt.Limits.URLs {
		s.Truncated++
		return
	}
	if bs.seen == nil {
		bs.seen = map[string]bool{}
	}
	bs.seen[key] = true
	s.URLs = append(s.URLs, u)
}

// file records a file; one at a path already recorded replaces it, as the
// recorder does (Cowrie's own logs repeat a download; Writer's log a file
// again as its chunks arrive).
func (b *builder) file(bs *building, f session.File) {
	s := &bs.s
	for i := range s.Files {
		if s.Files[i].Path == f.Path && (f.Path != "" || s.Files[i].SHA256 == f.SHA256) {
			if s.Files[i].Via != "" && s.Files[i].Via != f.Via {
				f.Via = s.Files[i].Via
			}
			s.Files[i] = f
			return
		}
	}
	if len(s.Files) >= b.opt.Limits.Files {
		s.Truncated++
		return
	}
	s.Files = append(s.Files, f)
}

func cutList(l flexList, n int) []string {
	if len(l) == 0 {
		return nil
	}
	return slices.Clone(l[:min(n, len(l))])
}

// finish returns the sessions in order of start, then id.
func (b *builder) finish() []session.Session {
	b.stats.Sources = len(b.sources)
	out := make([]session.Session, 0, len(b.order))
	for _, bs := range b.order {
		s := bs.s
		switch {
		case b.opt.Sensor != "":
			s.Sensor = b.opt.Sensor
		case s.Sensor == "":
			s.Sensor = b.opt.DefaultSensor
		}
		if s.Service == "" {
			s.Service = session.SSH // Cowrie before telnet support
		}
		if !bs.closed {
			// The log ends before the session did (rotated mid-session):
			// its end is the last event seen.
			s.End = bs.last
			s.EndReason = "log-end"
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b session.Session) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}
