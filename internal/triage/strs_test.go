package triage

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/honeyscope/honeyscope/internal/elfinfo/elftest"
)

// indicatorText builds text from fragments that sit at the edges of what
// counts as an address, a name or a URL, joined by separators.
func indicatorText(seed uint64, n int) []byte {
	frags := []string{
		"1.2.3.4", "192.0.2.44", "01.2.3.4", "1.2.3.04", "256.1.1.1", "1.2.3", "1.2.3.4.5", "0.0.0.0", "0.1.2.3",
		"10.0.0.1.", ".203.0.113.9-", "1..2.3", "255.255.255.255", "1.2.3.4a", "999.1.1.1", "1.22.333.4",
		"cnc.badexample.com", "update.example.co.uk", "NotA.Domain.COM", "x.unknowntld", "libc.so.6", "a.b.sh",
		"-bad-.example.com", "good-host.example.net", "a..b.example.org", "example.com", "co.uk", "x.co.uk",
		"very.long.label." + string(make([]byte, 0)) + "example.jp", "é.example.com", "under_score.example.com",
		"http://", "https://", "ftp://", "tftp://", "Tftp://", "sftp://", "xhttp://", "://", "http:/",
		"http://198.51.100.7/bins/x.arm7", "https://cnc.example.com:443/a?b=c", "ftp://u:p@203.0.113.1/f",
		"tftp://203.0.113.9/t.sh", "http://a", "https://b.example.com;", "http://c.example.com|sh",
		"wget", "chmod", "777", "x.arm7", "version", "GLIBC_2.4", "runtime.gopark",
	}
	seps := []string{" ", "", ";", "/", ":", "\t", "'", "\"", "(", ")", "&", "|", ".", "-", "..", "x", "\x00", "\x01\x02", "\n"}
	r := rand.New(rand.NewPCG(seed, 11))
	var b []byte
	for len(b) < n {
		b = append(b, frags[r.IntN(len(frags))]...)
		b = append(b, seps[r.IntN(len(seps))]...)
	}
	return b
}

func refRun(b []byte) (int, *refIndicators) {
	x := &refIndicators{seen: map[string]bool{}}
	n := refStringRuns(b, x.scan)
	x.finish()
	return n, x
}

func newRun(b []byte) (int, *indicators) {
	x := newIndicators()
	n := stringRuns(b, x.scan)
	x.finish()
	return n, x
}

// TestStringsMatchReference: the one-pass strings and indicators find
// exactly what the straightforward implementation finds.
func TestStringsMatchReference(t *testing.T) {
	inputs := map[string][]byte{"empty": nil, "short": []byte("abcdef"), "five": []byte("abcde")}
	for i := range uint64(40) {
		inputs["text"+string(rune('a'+i%26))+string(rune('a'+i/26))] = indicatorText(i, 200+int(i)*300)
	}
	inputs["code"] = codeLike(3, 50000)
	inputs["random"] = randBytes(4, 50000)
	for i, s := range benchMix() {
		inputs["mix"+string(rune('a'+i))] = s
	}
	for arch, b := range elftest.GoPrograms(t) {
		inputs["go-"+arch] = b
	}
	// Past the indicator bounds: many distinct addresses and names.
	var many []byte
	for i := range 300 {
		many = append(many, []byte("http://198.51.100."+itoa(i%256)+"/x host"+itoa(i)+".example.com 10.1."+itoa(i/256)+"."+itoa(i%256)+" ")...)
	}
	inputs["many"] = many
	for name, b := range inputs {
		n1, a := refRun(b)
		n2, x := newRun(b)
		if n1 != n2 || !slices.Equal(a.strings, x.strings) || !slices.Equal(a.ips, x.ips) ||
			!slices.Equal(a.domains, x.domains) || !slices.Equal(a.urls, x.urls) {
			t.Errorf("%s: reference %d %q %q %q %q\n new %d %q %q %q %q", name, n1, a.strings, a.ips, a.domains, a.urls,
				n2, x.strings, x.ips, x.domains, x.urls)
		}
	}
	// The text inputs must exercise every kind.
	_, x := newRun(inputs["textba"])
	if len(x.ips) == 0 || len(x.domains) == 0 || len(x.urls) == 0 {
		t.Errorf("text finds too little: %q %q %q", x.ips, x.domains, x.urls)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// TestStringRunsAllocationFree: runs that hold nothing new allocate
// nothing once the kept strings are full.
func TestStringRunsAllocationFree(t *testing.T) {
	x := newIndicators()
	b := indicatorText(1, 20000)
	stringRuns(b, x.scan) // fills the kept strings and the indicators seen
	for len(x.strings) < maxStrings {
		x.strings = append(x.strings, "")
	}
	allocs := testing.AllocsPerRun(20, func() { stringRuns(b, x.scan) })
	if allocs != 0 {
		t.Errorf("%v allocations per pass", allocs)
	}
}

// FuzzStrings compares the two implementations on any input.
func FuzzStrings(f *testing.F) {
	f.Add(indicatorText(1, 500))
	f.Add([]byte("http://a.example.com/x 1.2.3.4 tftp://x.example.net/y"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n1, a := refRun(b)
		n2, x := newRun(b)
		if n1 != n2 || !slices.Equal(a.strings, x.strings) || !slices.Equal(a.ips, x.ips) ||
			!slices.Equal(a.domains, x.domains) || !slices.Equal(a.urls, x.urls) {
			t.Fatalf("reference %q %q %q, new %q %q %q", a.ips, a.domains, a.urls, x.ips, x.domains, x.urls)
		}
	})
}
