package triage

import (
	"bytes"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Bounds on what strings and indicators a result keeps.
const (
	minString     = 6     // shortest printable run counted as a string
	maxStrings    = 256   // strings kept in the result
	maxStringLen  = 120   // bytes of one kept string
	maxScanned    = 50000 // strings examined for indicators
	maxIndicators = 100   // IPs, domains, URLs each
	maxURLLen     = 512
)

// printMask is all ones for the bytes a string is made of (printable
// ASCII and tab) and zero for the others.
var printMask = func() (t [256]int) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = -1
	}
	t['\t'] = -1
	return t
}()

// stringRuns calls f for each run of at least minString printable ASCII
// bytes (tab included) in b, stopping after maxScanned runs.
//
// The loop has no branch on whether a byte is printable (in machine code
// that changes every few bytes and a branch on it mispredicts): the run's
// length grows by one and is masked to zero by a non-printable byte, and
// the only branch, taken at the end of a run long enough, is rare in code
// and regular in text.
func stringRuns(b []byte, f func(s []byte)) int {
	n, run := 0, 0
	for i, c := range b {
		m := printMask[c]
		if run >= minString && m == 0 {
			f(b[i-run : i])
			n++
			if n >= maxScanned {
				return n
			}
		}
		run = (run + 1) & m
	}
	if run >= minString {
		f(b[len(b)-run:])
		n++
	}
	return n
}

// indicators collects the strings and the network indicators in them.
// Nothing is allocated for a string that holds no new indicator beyond
// the first maxStrings kept.
type indicators struct {
	strings            []string
	ips, domains, urls []string
	seenIP, seenURL    map[string]bool
	// seenDomain holds the names looked up in the public suffix list:
	// true for the domains kept, false for those refused.
	seenDomain map[string]bool
}

// maxRejected bounds the refused names remembered.
const maxRejected = 4096

func newIndicators() *indicators {
	return &indicators{seenIP: map[string]bool{}, seenDomain: map[string]bool{}, seenURL: map[string]bool{}}
}

// add appends v to list unless the list is full or v was seen.
func add(list *[]string, seen map[string]bool, v []byte) {
	if len(*list) >= maxIndicators || seen[string(v)] {
		return
	}
	s := string(v)
	seen[s] = true
	*list = append(*list, s)
}

var (
	schemeSep = []byte("://")
	schemes   = [][]byte{[]byte("http://"), []byte("https://"), []byte("ftp://"), []byte("tftp://")}
)

func (x *indicators) scan(s []byte) {
	if len(x.strings) < maxStrings {
		x.strings = append(x.strings, string(s[:min(len(s), maxStringLen)]))
	}
	if bytes.Index(s, schemeSep) >= 0 {
		x.scanURLs(s)
	}
	// Tokens: runs of [A-Za-z0-9.-].
	start := -1
	for i, c := range s {
		if tokenByte[c] {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			x.token(trimDots(s[start:i]))
		}
		start = -1
	}
	if start >= 0 {
		x.token(trimDots(s[start:]))
	}
}

// scanURLs adds the URLs in s: each scheme's in turn, in order.
func (x *indicators) scanURLs(s []byte) {
	for _, scheme := range schemes {
		rest := s
		for {
			i := bytes.Index(rest, scheme)
			if i < 0 {
				break
			}
			u := rest[i:]
			if j := bytes.IndexAny(u, " \t\"'<>`;|&()"); j >= 0 {
				u = u[:j]
			}
			tftp := len(scheme) == 6 && i > 0 && (rest[i-1] == 't' || rest[i-1] == 'T')
			rest = rest[i+len(scheme):]
			if !tftp && len(u) > len(scheme) && len(u) <= maxURLLen {
				add(&x.urls, x.seenURL, u)
			}
		}
	}
}

// tokenByte marks the bytes of a token that may be an address or a name.
var tokenByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
	}
	return t
}()

func trimDots(t []byte) []byte {
	for len(t) > 0 && (t[0] == '.' || t[0] == '-') {
		t = t[1:]
	}
	for len(t) > 0 && (t[len(t)-1] == '.' || t[len(t)-1] == '-') {
		t = t[:len(t)-1]
	}
	return t
}

// fileExts are top-level domains that are far more often file name
// extensions in binaries (libc.so.6, install.sh, x.zip).
var fileExts = map[string]bool{"so": true, "sh": true, "py": true, "pl": true, "rs": true, "md": true, "zip": true, "mov": true, "cc": true, "in": true}

func (x *indicators) token(t []byte) {
	if len(t) < 7 || len(t) > 253 || bytes.IndexByte(t, '.') < 0 {
		return
	}
	if a, ok := parseIPv4(t); ok {
		if a != [4]byte{} && t[0] != '0' {
			add(&x.ips, x.seenIP, t)
		}
		return
	}
	if len(x.domains) >= maxIndicators || !domainShaped(t) {
		return
	}
	if _, done := x.seenDomain[string(t)]; done {
		return
	}
	// A domain: under a public suffix the ICANN section lists, with a
	// registrable label before it.
	name := string(t)
	suffix, icann := publicsuffix.PublicSuffix(name)
	ok := icann && len(suffix) < len(name) && name[len(name)-len(suffix)-1] == '.' && strings.HasSuffix(name, suffix)
	if ok || len(x.seenDomain) < maxRejected {
		x.seenDomain[name] = ok
	}
	if ok {
		x.domains = append(x.domains, name)
	}
}

// parseIPv4 reads a dotted-quad IPv4 address as netip.ParseAddr does:
// four decimal fields of 1 to 3 digits, each at most 255, without
// leading zeros.
func parseIPv4(t []byte) (a [4]byte, ok bool) {
	field, val, digits := 0, 0, 0
	for i, c := range t {
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && val == 0 {
				return a, false // leading zero
			}
			val = val*10 + int(c-'0')
			digits++
			if digits > 3 || val > 255 {
				return a, false
			}
		case c == '.':
			if digits == 0 || field == 3 || i == len(t)-1 {
				return a, false
			}
			a[field] = byte(val)
			field, val, digits = field+1, 0, 0
		default:
			return a, false
		}
	}
	if field != 3 || digits == 0 {
		return a, false
	}
	a[3] = byte(val)
	return a, true
}

// domainShaped reports whether t looks like a lower-case domain name:
// labels of 1 to 63 letters, digits and hyphens (not at either end), no
// upper case, a top-level label of letters that is not a file extension.
func domainShaped(t []byte) bool {
	start := 0
	for i := 0; i <= len(t); i++ {
		if i < len(t) && t[i] != '.' {
			if c := t[i]; c >= 'A' && c <= 'Z' {
				return false
			}
			continue
		}
		l := t[start:i]
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		start = i + 1
	}
	tld := t[bytes.LastIndexByte(t, '.')+1:]
	for _, c := range tld {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return !fileExts[string(tld)]
}

func (x *indicators) finish() {
	slices.Sort(x.ips)
	slices.Sort(x.domains)
	slices.Sort(x.urls)
}

func printableString(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
