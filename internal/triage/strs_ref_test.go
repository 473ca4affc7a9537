package triage

// The straightforward implementation of strings and indicators that
// strs.go replaced (a string per run, the schemes searched one by one,
// netip.ParseAddr and strings.Split per token): the tests check that both
// find the same.

import (
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// refPrintable marks the bytes a string is made of: printable ASCII and tab.
var refPrintable = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = true
	}
	t['\t'] = true
	return t
}()

// stringRuns calls f for each run of at least minString printable ASCII
// bytes (tab included) in b, stopping after maxScanned runs.
func refStringRuns(b []byte, f func(s []byte)) int {
	n, i := 0, 0
	for i < len(b) {
		for i < len(b) && !refPrintable[b[i]] {
			i++
		}
		start := i
		for i < len(b) && refPrintable[b[i]] {
			i++
		}
		if i-start >= minString {
			f(b[start:i])
			n++
			if n >= maxScanned {
				return n
			}
		}
	}
	return n
}

// refIndicators collects the strings and the network refIndicators in them.
type refIndicators struct {
	strings            []string
	ips, domains, urls []string
	seen               map[string]bool
}

func (x *refIndicators) add(list *[]string, kind, v string) {
	if len(*list) >= maxIndicators || x.seen[kind+v] {
		return
	}
	x.seen[kind+v] = true
	*list = append(*list, v)
}

func (x *refIndicators) scan(s []byte) {
	if len(x.strings) < maxStrings {
		x.strings = append(x.strings, string(s[:min(len(s), maxStringLen)]))
	}
	str := string(s)
	// URLs.
	for _, scheme := range []string{"http://", "https://", "ftp://", "tftp://"} {
		rest := str
		for {
			i := strings.Index(rest, scheme)
			if i < 0 {
				break
			}
			u := rest[i:]
			if j := strings.IndexAny(u, " \t\"'<>`;|&()"); j >= 0 {
				u = u[:j]
			}
			tftp := scheme == "ftp://" && i > 0 && (rest[i-1] == 't' || rest[i-1] == 'T')
			rest = rest[i+len(scheme):]
			if !tftp && len(u) > len(scheme) && len(u) <= maxURLLen {
				x.add(&x.urls, "u", u)
			}
		}
	}
	// Tokens: runs of [A-Za-z0-9.-].
	start := -1
	for i := 0; i <= len(str); i++ {
		if i < len(str) {
			c := str[i]
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
				if start < 0 {
					start = i
				}
				continue
			}
		}
		if start >= 0 {
			x.token(strings.Trim(str[start:i], ".-"))
		}
		start = -1
	}
}

func (x *refIndicators) token(t string) {
	if len(t) < 7 || len(t) > 253 || !strings.Contains(t, ".") {
		return
	}
	if a, err := netip.ParseAddr(t); err == nil && a.Is4() {
		if !a.IsUnspecified() && t[0] != '0' {
			x.add(&x.ips, "i", t)
		}
		return
	}
	// A domain: lower-case letters, digits and hyphens in labels of 1 to
	// 63 bytes, a top-level label of letters, under a public suffix the
	// ICANN section lists, with a registrable label before it.
	labels := strings.Split(t, ".")
	if len(labels) < 2 {
		return
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; c >= 'A' && c <= 'Z' {
				return
			}
		}
	}
	tld := labels[len(labels)-1]
	for i := 0; i < len(tld); i++ {
		if tld[i] < 'a' || tld[i] > 'z' {
			return
		}
	}
	if fileExts[tld] {
		return
	}
	suffix, icann := publicsuffix.PublicSuffix(t)
	if !icann || suffix == t || !strings.HasSuffix(t, "."+suffix) {
		return
	}
	x.add(&x.domains, "d", t)
}

func (x *refIndicators) finish() {
	slices.Sort(x.ips)
	slices.Sort(x.domains)
	slices.Sort(x.urls)
}
