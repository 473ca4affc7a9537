package infra

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/publicsuffix"
)

// Bounds on what is taken from answers and on the work per name.
const (
	// MaxNS is the most name servers kept per zone.
	MaxNS = 16
	// MaxAddrs is the most addresses kept per name.
	MaxAddrs = 32
	// MaxCNAME is the longest CNAME chain followed.
	MaxCNAME = 8
	// maxCache is the most names (and zones) cached; beyond it the cache
	// starts again empty.
	maxCache = 200_000
)

// Address is one address a name resolves to, with its AS.
type Address struct {
	Addr netip.Addr `json:"addr"`
	ASN  uint32     `json:"asn,omitempty"`
	Org  string     `json:"org,omitempty"`
}

// Resolution is what the DNS said about one name.
type Resolution struct {
	// Name is the name asked about: lower case, without the final dot.
	Name string `json:"name"`
	// Zone is its registered domain (the public suffix plus one label).
	Zone string `json:"zone"`
	// NS are the authoritative name servers of Zone, sorted.
	NS []string `json:"ns"`
	// CNAME is the chain of canonical names from Name, in order.
	CNAME []string `json:"cname,omitempty"`
	// Addrs are the A and AAAA addresses at the end of the chain, sorted.
	Addrs []Address `json:"addrs,omitempty"`
	// CDN names the CDN recognised ("" for none); CDNBy says how:
	// "cname" or "asn".
	CDN   string `json:"cdn,omitempty"`
	CDNBy string `json:"cdn_by,omitempty"`
	// Err is what went wrong, "" when everything was answered. A name
	// that does not exist has Err "NXDOMAIN"; a partial answer keeps what
	// was learned.
	Err string `json:"err,omitempty"`
	// Queries is how many queries it took (cached zones cost none).
	Queries int `json:"queries"`
	// At is when it was resolved.
	At time.Time `json:"at"`
}

// Config configures a Resolver.
type Config struct {
	// Server is the DNS server asked, "host:port" (a bare address gets
	// port 53). Queries ask for recursion.
	Server string
	// Timeout bounds one query (0: 2s); NameTimeout one name's whole
	// resolution (0: 10s).
	Timeout, NameTimeout time.Duration
	// MaxQueries bounds the queries for one name (0: 24).
	MaxQueries int
	// Concurrency is how many names ResolveAll resolves at once (0: 8,
	// at most 256).
	Concurrency int
	// ASN looks up the AS of an address (nil: none; geo.Locator.Lookup
	// fits through a small adapter).
	ASN func(netip.Addr) (uint32, string)
	// CDNs is the CDN table (nil: DefaultCDNs()).
	CDNs []CDN
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Resolver resolves names. It is safe for concurrent use.
type Resolver struct {
	cfg    Config
	server string
	cdn    *cdnTable
	udp    *dns.Client
	tcp    *dns.Client

	mu    sync.Mutex
	names map[string]Resolution
	zones map[string]zoneNS
}

type zoneNS struct {
	ns  []string
	err string
}

// ErrBadName is returned for a string that is not a domain name that can be
// resolved (an address, a public suffix, too long, bad characters).
var ErrBadName = errors.New("not a resolvable domain name")

// New returns a Resolver for cfg.
func New(cfg Config) (*Resolver, error) {
	srv := strings.TrimSpace(cfg.Server)
	if srv == "" {
		return nil, errors.New("infra: no DNS server configured")
	}
	if _, _, err := net.SplitHostPort(srv); err != nil {
		srv = net.JoinHostPort(strings.Trim(srv, "[]"), "53")
	}
	if _, err := netip.ParseAddrPort(srv); err != nil {
		return nil, fmt.Errorf("infra: DNS server %q: want address:port", cfg.Server)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.NameTimeout <= 0 {
		cfg.NameTimeout = 10 * time.Second
	}
	if cfg.MaxQueries <= 0 {
		cfg.MaxQueries = 24
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	cfg.Concurrency = min(cfg.Concurrency, 256)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cdns := cfg.CDNs
	if cdns == nil {
		cdns = DefaultCDNs()
	}
	return &Resolver{
		cfg: cfg, server: srv, cdn: newCDNTable(cdns),
		udp:   &dns.Client{Net: "udp", Timeout: cfg.Timeout, UDPSize: 1232},
		tcp:   &dns.Client{Net: "tcp", Timeout: cfg.Timeout},
		names: map[string]Resolution{}, zones: map[string]zoneNS{},
	}, nil
}

// NormalizeName returns name lower-cased without the final dot, or
// ErrBadName when it is not a domain name worth resolving: an IP address,
// a single label, a public suffix, over 253 bytes, a label over 63 bytes
// or characters outside letters, digits, '-' and '_'.
func NormalizeName(name string) (string, error) {
	n := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	if n == "" || len(n) > 253 {
		return "", ErrBadName
	}
	if _, err := netip.ParseAddr(strings.Trim(n, "[]")); err == nil {
		return "", ErrBadName
	}
	labels := strings.Split(n, ".")
	if len(labels) < 2 {
		return "", ErrBadName
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' {
			return "", ErrBadName
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", ErrBadName
			}
		}
	}
	// Every label is letters and digits: a final label of digits only is
	// no TLD (an address written oddly, "1.2.3.4.").
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		return "", ErrBadName
	}
	if _, err := publicsuffix.EffectiveTLDPlusOne(n); err != nil {
		return "", ErrBadName
	}
	return n, nil
}

// Resolve resolves one name (cached: a name is asked once per Resolver).
func (r *Resolver) Resolve(ctx context.Context, name string) Resolution {
	n, err := NormalizeName(name)
	if err != nil {
		return Resolution{Name: name, Err: err.Error(), At: r.cfg.Now()}
	}
	r.mu.Lock()
	res, ok := r.names[n]
	r.mu.Unlock()
	if ok {
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.NameTimeout)
	defer cancel()
	res = r.resolve(ctx, n)
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
		return res // the caller gave up: do not cache a partial answer
	}
	r.mu.Lock()
	if len(r.names) >= maxCache {
		clear(r.names)
	}
	r.names[n] = res
	r.mu.Unlock()
	return res
}

// ResolveAll resolves names with bounded concurrency, in the order given
// (duplicates and bad names included, so that results line up with names).
// progress, when not nil, is called after each name from one goroutine at
// a time.
func (r *Resolver) ResolveAll(ctx context.Context, names []string, progress func(done, total int)) []Resolution {
	out := make([]Resolution, len(names))
	next := make(chan int)
	var wg sync.WaitGroup
	var pmu sync.Mutex
	done := 0
	for range min(r.cfg.Concurrency, max(len(names), 1)) {
		wg.Go(func() {
			for i := range next {
				out[i] = r.Resolve(ctx, names[i])
				if progress != nil {
					pmu.Lock()
					done++
					progress(done, len(names))
					pmu.Unlock()
				}
			}
		})
	}
	for i := range names {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	for i := range out {
		if out[i].Name == "" {
			out[i] = Resolution{Name: names[i], Err: "not resolved: " + context.Cause(ctx).Error(), At: r.cfg.Now()}
		}
	}
	return out
}

// lookup is the state of one name's resolution.
type lookup struct {
	r       *Resolver
	ctx     context.Context
	queries int
}

var errBudget = errors.New("query budget spent")

// ask sends one query and returns the answer if its rcode is NOERROR or
// NXDOMAIN.
func (l *lookup) ask(name string, qtype uint16) (*dns.Msg, error) {
	if l.queries >= l.r.cfg.MaxQueries {
		return nil, errBudget
	}
	if err := l.ctx.Err(); err != nil {
		return nil, err
	}
	l.queries++
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	m.SetEdns0(1232, false)
	in, _, err := l.r.udp.ExchangeContext(l.ctx, m, l.r.server)
	if err == nil && in != nil && in.Truncated && l.queries < l.r.cfg.MaxQueries {
		l.queries++
		in, _, err = l.r.tcp.ExchangeContext(l.ctx, m, l.r.server)
	}
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, errors.New("no answer")
	}
	// The client checks the ID; the question must be ours too.
	if len(in.Question) != 1 || !strings.EqualFold(in.Question[0].Name, m.Question[0].Name) || in.Question[0].Qtype != qtype {
		return nil, errors.New("answer to another question")
	}
	switch in.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
		return in, nil
	}
	return nil, fmt.Errorf("%s", rcodeName(in.Rcode))
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}

// cleanName turns a name from an answer into our form; ok is false for a
// name we do not take.
func cleanName(s string) (string, bool) {
	n := strings.TrimSuffix(strings.ToLower(s), ".")
	if n == "" || len(n) > 253 {
		return "", false
	}
	if _, ok := dns.IsDomainName(n); !ok {
		return "", false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '*') {
			return "", false // escaped bytes, spaces, markup: no name we show
		}
	}
	return n, true
}

func (r *Resolver) resolve(ctx context.Context, name string) Resolution {
	l := &lookup{r: r, ctx: ctx}
	res := Resolution{Name: name}
	res.Zone, _ = publicsuffix.EffectiveTLDPlusOne(name)
	var errs []string
	note := func(what string, err error) {
		if err != nil && len(errs) < 4 {
			errs = append(errs, what+": "+err.Error())
		}
	}

	ns, nsErr := r.zoneNS(l, res.Zone)
	res.NS = ns
	if nsErr != "" {
		errs = append(errs, "NS "+res.Zone+": "+nsErr)
	}

	chain, addrs, nx, err := l.addresses(name)
	res.CNAME = chain
	note("address", err)
	if nx && len(chain) == 0 && len(res.NS) == 0 {
		errs = []string{"NXDOMAIN"}
	} else if nx {
		note("address", errors.New("NXDOMAIN"))
	}
	for _, a := range addrs {
		ad := Address{Addr: a}
		if r.cfg.ASN != nil {
			ad.ASN, ad.Org = r.cfg.ASN(a)
		}
		res.Addrs = append(res.Addrs, ad)
	}
	slices.SortFunc(res.Addrs, func(a, b Address) int { return a.Addr.Compare(b.Addr) })

	if c, ok := r.cdn.byName(name); ok {
		res.CDN, res.CDNBy = c, "cname"
	}
	for _, c := range chain {
		if res.CDN != "" {
			break
		}
		if cdn, ok := r.cdn.byName(c); ok {
			res.CDN, res.CDNBy = cdn, "cname"
		}
	}
	for _, a := range res.Addrs {
		if res.CDN != "" {
			break
		}
		if cdn, ok := r.cdn.byASN(a.ASN); ok {
			res.CDN, res.CDNBy = cdn, "asn"
		}
	}
	res.Err = strings.Join(errs, "; ")
	res.Queries = l.queries
	res.At = r.cfg.Now()
	return res
}

// zoneNS returns the zone's name servers, from the cache or by asking.
func (r *Resolver) zoneNS(l *lookup, zone string) ([]string, string) {
	if zone == "" {
		return nil, "no registered domain"
	}
	r.mu.Lock()
	z, ok := r.zones[zone]
	r.mu.Unlock()
	if ok {
		return slices.Clone(z.ns), z.err
	}
	in, err := l.ask(zone, dns.TypeNS)
	if err != nil {
		// Not cached: a time-out or budget may be this name's alone.
		return nil, err.Error()
	}
	z = zoneNS{ns: nsFrom(in, zone)}
	if len(z.ns) == 0 {
		if in.Rcode == dns.RcodeNameError {
			z.err = "NXDOMAIN"
		} else {
			z.err = "no NS records"
		}
	}
	r.mu.Lock()
	if len(r.zones) >= maxCache {
		clear(r.zones)
	}
	r.zones[zone] = z
	r.mu.Unlock()
	return slices.Clone(z.ns), z.err
}

// nsFrom takes the NS records of zone from the answer, or else from the
// authority section (a referral).
func nsFrom(in *dns.Msg, zone string) []string {
	var out []string
	for _, sec := range [][]dns.RR{in.Answer, in.Ns} {
		for _, rr := range sec {
			ns, ok := rr.(*dns.NS)
			if !ok || len(out) >= MaxNS {
				continue
			}
			owner, ok1 := cleanName(ns.Hdr.Name)
			target, ok2 := cleanName(ns.Ns)
			if ok1 && ok2 && owner == zone && !slices.Contains(out, target) {
				out = append(out, target)
			}
		}
		if len(out) > 0 {
			break
		}
	}
	slices.Sort(out)
	return out
}

// addresses follows name's CNAME chain and returns it with the A and AAAA
// addresses at its end; nx says the name (or the end of the chain) does
// not exist.
func (l *lookup) addresses(name string) (chain []string, addrs []netip.Addr, nx bool, err error) {
	seen := map[string]bool{name: true}
	end := name
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		if nx {
			break
		}
		target := end
		for {
			in, e := l.ask(target, qt)
			if e != nil {
				if err == nil {
					err = e
				}
				break
			}
			found, last, loop := fromAnswer(in, target, qt, seen, &chain)
			for _, a := range found {
				if len(addrs) < MaxAddrs && !slices.Contains(addrs, a) {
					addrs = append(addrs, a)
				}
			}
			end = last
			if loop {
				if err == nil {
					err = errors.New("CNAME loop")
				}
				return chain, addrs, nx, err
			}
			if len(found) > 0 || last == target {
				nx = in.Rcode == dns.RcodeNameError
				break
			}
			// The chain left the answering server's data: ask for its end.
			if len(chain) >= MaxCNAME {
				if err == nil {
					err = errors.New("CNAME chain too long")
				}
				return chain, addrs, nx, err
			}
			target = last
		}
	}
	return chain, addrs, nx, err
}

// fromAnswer walks the CNAME records from target in the answer section,
// appending names not seen before to chain (at most MaxCNAME), and returns
// the addresses of type qt owned by the chain's end, the end, and whether
// the chain came back to a name seen before.
func fromAnswer(in *dns.Msg, target string, qt uint16, seen map[string]bool, chain *[]string) (found []netip.Addr, end string, loop bool) {
	cnames := map[string]string{}
	for _, rr := range in.Answer {
		if c, ok := rr.(*dns.CNAME); ok {
			o, ok1 := cleanName(c.Hdr.Name)
			t, ok2 := cleanName(c.Target)
			if ok1 && ok2 {
				if _, dup := cnames[o]; !dup {
					cnames[o] = t
				}
			}
		}
	}
	end = target
	for range MaxCNAME {
		t, ok := cnames[end]
		if !ok {
			break
		}
		if seen[t] {
			return nil, end, true
		}
		if len(*chain) >= MaxCNAME {
			break
		}
		seen[t] = true
		*chain = append(*chain, t)
		end = t
	}
	for _, rr := range in.Answer {
		var a netip.Addr
		var owner string
		switch v := rr.(type) {
		case *dns.A:
			if qt != dns.TypeA {
				continue
			}
			a, _ = netip.AddrFromSlice(v.A.To4())
			owner = v.Hdr.Name
		case *dns.AAAA:
			if qt != dns.TypeAAAA {
				continue
			}
			a, _ = netip.AddrFromSlice(v.AAAA.To16())
			owner = v.Hdr.Name
		default:
			continue
		}
		if o, ok := cleanName(owner); ok && o == end && a.IsValid() && len(found) < MaxAddrs {
			found = append(found, a.Unmap())
		}
	}
	return found, end, false
}
