package httpd

import (
	"bytes"
	"slices"
	"strings"
)

// Found is a URL found in a request.
type Found struct {
	URL    string
	Target string // output file named by the command around it ("" when none)
}

// Bounds of the URL extractor.
const (
	maxURL       = 2048 // longest URL kept
	maxDecodes   = 2    // percent-decoding passes (double-encoded payloads)
	maxToolWords = 16   // words of a tftp-style command examined
)

// schemes are the URL schemes extracted.
var schemes = []string{"http", "https", "ftp", "tftp"}

// ExtractURLs returns the distinct URLs in b, at most limit of them, each at
// most 2048 bytes: http://, https://, ftp:// and tftp:// URLs as written,
// percent-encoded ("http%3A%2F%2F..."), or in a form-encoded command
// ("wget+http://..."), and the tftp downloads that BusyBox's tftp syntax
// names without a URL ("tftp -g -l LOCAL -r REMOTE HOST", also as loaders
// write it after "wget"), as tftp://HOST/REMOTE with LOCAL as the target.
// The scheme is lower-cased; nothing else is changed.
func ExtractURLs(b []byte, limit int) []Found {
	if limit <= 0 || len(b) == 0 {
		return nil
	}
	text := b
	for range maxDecodes {
		if bytes.IndexByte(text, '%') < 0 && bytes.IndexByte(text, '+') < 0 {
			break
		}
		text = formDecode(text)
	}
	var out []Found
	seen := map[string]bool{}
	add := func(f Found) bool {
		if !seen[f.URL] {
			seen[f.URL] = true
			out = append(out, f)
		}
		return len(out) < limit
	}
	for i := 0; i+3 <= len(text); {
		j := bytes.Index(text[i:], []byte("://"))
		if j < 0 {
			break
		}
		j += i
		u, end, ok := urlAt(text, j)
		if ok && !add(Found{URL: u}) {
			return out
		}
		i = max(end, j+3)
	}
	for _, f := range tftpCommands(text) {
		if !add(f) {
			return out
		}
	}
	return out
}

// urlAt returns the URL whose "://" is at text[sep:] and where it ends
// (scanning goes on there: a URL inside a URL is part of it).
func urlAt(text []byte, sep int) (string, int, bool) {
	start := sep
	for start > 0 && start > sep-5 && isAlpha(text[start-1]) {
		start--
	}
	scheme := strings.ToLower(string(text[start:sep]))
	// The longest matching scheme ending at sep ("xhttp" is "http").
	found := ""
	for _, s := range schemes {
		if strings.HasSuffix(scheme, s) && len(s) > len(found) {
			found = s
		}
	}
	if found == "" {
		return "", 0, false
	}
	end := sep + 3
	for end < len(text) && end-sep < maxURL && isURLByte(text[end]) {
		end++
	}
	rest := text[sep+3 : end]
	rest = bytes.TrimRight(rest, ".,:")
	if len(rest) == 0 || !isHostByte(rest[0]) || inNamespace(text, start) {
		return "", end, false
	}
	if host, _, _ := bytes.Cut(rest, []byte("/")); slices.Contains(namespaceHosts, strings.ToLower(string(host))) {
		return "", end, false
	}
	u := found + "://" + string(rest)
	if len(u) > maxURL {
		u = u[:maxURL]
	}
	return u, end, true
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// isURLByte reports whether c may continue a URL: printable ASCII except
// quotes and the characters shells and markup use around a URL.
func isURLByte(c byte) bool {
	if c <= 0x20 || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune("\"'`<>;|&(){}\\^$", rune(c))
}

func isHostByte(c byte) bool {
	return isAlpha(c) || c >= '0' && c <= '9' || c == '[' || c == '-' || c == '_'
}

// formDecode percent-decodes b and turns '+' into a space, as a form or a
// query string is decoded; invalid escapes are kept as they are.
func formDecode(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '+':
			out = append(out, ' ')
		case c == '%' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]):
			out = append(out, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}

// tftpCommands finds BusyBox tftp-style downloads: after a word ending in
// "tftp" or "wget", the options -g (get), -l LOCAL, -r REMOTE, -c get
// REMOTE, and a host as the first other word.
func tftpCommands(text []byte) []Found {
	var out []Found
	words := splitCommandWords(text)
	for i, w := range words {
		if w == "" || !(strings.HasSuffix(w, "tftp") || strings.HasSuffix(w, "wget")) {
			continue
		}
		var get bool
		var local, remote, host, port string
		for k := i + 1; k < len(words) && k <= i+maxToolWords && words[k] != ""; k++ {
			switch a := words[k]; {
			case a == "-g":
				get = true
			case (a == "-l" || a == "-r" || a == "-b") && k+1 < len(words) && words[k+1] != "":
				k++
				if a == "-l" {
					local = words[k]
				} else if a == "-r" {
					remote = words[k]
				}
			case a == "-c" && k+2 < len(words) && words[k+1] == "get" && words[k+2] != "":
				get, remote = true, words[k+2]
				k += 2
			case strings.HasPrefix(a, "-"):
			case host == "":
				host = a
			case port == "" && isDigits(a):
				port = a
			}
		}
		if !get || remote == "" || !looksLikeHost(host) {
			continue
		}
		if port != "" {
			host += ":" + port
		}
		u := "tftp://" + host + "/" + strings.TrimLeft(remote, "/")
		if len(u) > maxURL {
			u = u[:maxURL]
		}
		out = append(out, Found{URL: u, Target: local})
	}
	return out
}

// splitCommandWords splits text into words at white space; shell command
// separators (; | & ` $( ) and line ends) become "" entries, so a command's
// words are the run between two "".
func splitCommandWords(text []byte) []string {
	var words []string
	var cur []byte
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	for _, c := range text {
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c < 0x20 || c >= 0x7f || strings.IndexByte(";|&`$()<>\"'", c) >= 0:
			flush()
			if n := len(words); n > 0 && words[n-1] != "" {
				words = append(words, "")
			}
		default:
			if len(cur) < maxURL {
				cur = append(cur, c)
			}
		}
	}
	flush()
	return words
}

func isDigits(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// looksLikeHost accepts a host name or address with a dot or a colon.
func looksLikeHost(s string) bool {
	if s == "" || len(s) > 255 || !strings.ContainsAny(s, ".:") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isAlpha(c) || c >= '0' && c <= '9' || strings.IndexByte(".-:[]_", c) >= 0) {
			return false
		}
	}
	return true
}

// namespaceHosts name XML namespaces and schemas, not downloads.
var namespaceHosts = []string{"schemas.xmlsoap.org", "www.w3.org", "schemas.microsoft.com", "schemas.upnp.org", "purl.org", "www.onvif.org"}

// inNamespace reports whether the URL starting at text[start:] is the
// value of an XML namespace or schema attribute (xmlns="...",
// xmlns:s="...", s:encodingStyle="...", xsi:schemaLocation="...").
func inNamespace(text []byte, start int) bool {
	i := start - 1
	if i < 1 || text[i] != '"' && text[i] != '\'' {
		return false
	}
	i--
	for i >= 0 && (text[i] == ' ' || text[i] == '=') {
		i--
	}
	end := i + 1
	for i >= 0 && end-i <= 64 && (isAlpha(text[i]) || text[i] == ':' || text[i] == '_' || text[i] == '-') {
		i--
	}
	name := string(text[i+1 : end])
	local := name[strings.LastIndexByte(name, ':')+1:]
	return strings.HasPrefix(name, "xmlns") || local == "encodingStyle" || local == "schemaLocation"
}
