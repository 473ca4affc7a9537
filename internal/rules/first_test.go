package rules

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkFirst fails when PayloadFirst disagrees with the first alert of
// Payload on b (the rule, and the span it reports).
func checkFirst(t *testing.T, e *Engine, m *Matcher, b []byte) {
	t.Helper()
	all := m.Payload(b, nil, nil)
	got, ok := m.PayloadFirst(b, nil)
	switch {
	case len(all) == 0 && ok:
		t.Fatalf("payload %q: PayloadFirst gives sid %d, Payload no alert", b, e.Rules()[got.Rule].SID)
	case len(all) > 0 && !ok:
		t.Fatalf("payload %q: PayloadFirst gives no alert, Payload sid %d", b, e.Rules()[all[0].Rule].SID)
	case len(all) > 0 && got != all[0]:
		t.Fatalf("payload %q: PayloadFirst gives %+v (sid %d), Payload %+v (sid %d)", b,
			got, e.Rules()[got.Rule].SID, all[0], e.Rules()[all[0].Rule].SID)
	}
}

// TestPayloadFirstSmall checks the first-match path on rules built to
// catch a wrong skip: pass rules after an alert, flowbits set by a rule of
// a higher index and tested by one of a lower index, a rule that both tests
// and sets, noalert setters, rules sharing a fast pattern and rules without
// a content.
func TestPayloadFirstSmall(t *testing.T) {
	e := engineOf(t,
		`alert tcp any any -> any any (msg:"isset x"; content:"A"; flowbits:isset,x; sid:1;)`,
		`alert tcp any any -> any any (msg:"B"; content:"B"; sid:2;)`,
		`alert tcp any any -> any any (msg:"set x"; content:"C"; flowbits:set,x; flowbits:noalert; sid:3;)`,
		`alert tcp any any -> any any (msg:"set y"; content:"D"; flowbits:set,y; sid:4;)`,
		`pass tcp any any -> any any (msg:"pass P"; content:"P"; sid:5;)`,
		`alert tcp any any -> any any (msg:"isset y set z"; content:"E"; flowbits:isset,y; flowbits:set,z; sid:6;)`,
		`alert tcp any any -> any any (msg:"isset z"; content:"F"; flowbits:isset,z; sid:7;)`,
		`alert tcp any any -> any any (msg:"B again"; content:"B"; content:"G"; sid:8;)`,
		`alert tcp any any -> any any (msg:"unset x"; content:"G"; flowbits:unset,x; sid:9;)`,
		`pass tcp any any -> any any (msg:"pass Q if z"; content:"Q"; flowbits:isset,z; sid:10;)`,
		`alert tcp any any -> any any (msg:"long"; dsize:>6; sid:11;)`,
		`alert tcp any any -> any any (msg:"isnotset x"; content:"H"; flowbits:isnotset,x; sid:12;)`,
	)
	m := NewMatcher(e)
	sid := func(b string) uint32 {
		a, ok := m.PayloadFirst([]byte(b), nil)
		if !ok {
			return 0
		}
		return e.Rules()[a.Rule].SID
	}
	// Hand-picked cases with the expected sid (0: none).
	for _, tt := range []struct {
		payload string
		want    uint32
	}{
		{"A", 0},        // x not set
		{"AC", 1},       // set by a later rule, seen by the tester
		{"BP", 0},       // a pass rule of a higher index suppresses the alert
		{"DEF", 4},      // chain y -> z
		{"EF", 0},       // y not set
		{"DEFQ", 0},     // the pass rule tests a bit set by a tester
		{"ACG", 9},      // unset by a later rule before the testers run
		{"ABC", 1},      // a lower-index tester after an alert of a higher index
		{"H", 12},       // isnotset
		{"CH", 0},       // x set
		{"ZZZZZZZ", 11}, // no content
	} {
		checkFirst(t, e, m, []byte(tt.payload))
		if got := sid(tt.payload); got != tt.want {
			t.Errorf("%q: first sid %d, want %d", tt.payload, got, tt.want)
		}
	}
	rng := rand.New(rand.NewPCG(3, 5))
	const alpha = "ABCDEFGHPQ"
	for i := 0; i < 20000; i++ {
		b := make([]byte, rng.IntN(9))
		for k := range b {
			b[k] = alpha[rng.IntN(len(alpha))]
		}
		checkFirst(t, e, m, b)
	}
}

// TestPayloadFirstETOpen checks that the first-match path gives the first
// alert of the full evaluation with the whole ET Open 2025-08-17 snapshot
// and the built-in rules loaded, on the shared captures' payloads, the
// built-in pattern payloads and payloads spliced from both.
func TestPayloadFirstETOpen(t *testing.T) {
	dir := sharedPath(t, "rules/et-open-2025-08-17")
	s, err := LoadBuiltin(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddPath(dir); err != nil {
		t.Fatal(err)
	}
	e, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(e)
	var parts [][]byte
	for _, tt := range builtinCases() {
		parts = append(parts, tt.payload)
	}
	pcaps, _ := filepath.Glob(filepath.Join(sharedDir(t), "pcaps", "*", "*.pcap"))
	for _, p := range pcaps {
		for _, pk := range readPackets(t, p) {
			if len(pk.Payload) > 0 {
				parts = append(parts, pk.Payload)
			}
		}
	}
	if data, err := os.ReadFile(filepath.Join(sharedDir(t), "rules", "iot-relevant.rules")); err == nil {
		// The contents of the IoT rules, as payload pieces.
		for _, line := range strings.Split(string(data), "\n") {
			for _, f := range strings.Split(line, `content:"`)[1:] {
				if i := strings.IndexByte(f, '"'); i > 0 {
					parts = append(parts, []byte(f[:i]))
				}
			}
		}
	}
	alerting := 0
	for _, p := range parts {
		checkFirst(t, e, m, p)
		if len(m.Payload(p, nil, nil)) > 0 {
			alerting++
		}
	}
	if alerting == 0 {
		t.Fatal("no payload alerts: the comparison checks nothing")
	}
	rng := rand.New(rand.NewPCG(11, 13))
	for i := 0; i < 5000; i++ {
		var b []byte
		for k := 0; k < 1+rng.IntN(3); k++ {
			p := parts[rng.IntN(len(parts))]
			x, y := rng.IntN(len(p)+1), rng.IntN(len(p)+1)
			if x > y || rng.IntN(2) == 0 {
				x, y = 0, len(p)
			}
			b = append(b, p[x:y]...)
		}
		checkFirst(t, e, m, b)
	}
	t.Logf("%d payloads, %d alerting, plus 5,000 spliced", len(parts), alerting)
}

// TestAdapterCache: the adapter's answers with its cache are those of a
// full evaluation, over more distinct payloads than the cache has slots
// (so slots are reused), repeated in random order, of lengths around
// CacheMaxLen, and for a buffer the caller rewrites in place between calls.
func TestAdapterCache(t *testing.T) {
	e := builtinEngine(t)
	a := NewExploitAdapter(e)
	m := NewMatcher(e)
	want := func(b []byte) int {
		if al := m.Payload(b, nil, nil); len(al) > 0 {
			return int(al[0].Rule)
		}
		return -1
	}
	var parts [][]byte
	for _, tt := range builtinCases() {
		if len(tt.payload) > 0 {
			parts = append(parts, tt.payload)
		}
	}
	rng := rand.New(rand.NewPCG(17, 19))
	var pool [][]byte
	for i := 0; i < 3*CacheEntries; i++ {
		b := append([]byte(nil), parts[rng.IntN(len(parts))]...)
		switch rng.IntN(3) {
		case 0: // pad around the cache's length bound
			for len(b) < CacheMaxLen-2+rng.IntN(5) {
				b = append(b, 'x')
			}
		case 1:
			b = append(b, byte(i), byte(i>>8))
		}
		pool = append(pool, b)
	}
	matched := 0
	for i := 0; i < 40000; i++ {
		b := pool[rng.IntN(len(pool))]
		if rng.IntN(2) == 0 {
			b = pool[rng.IntN(64)] // a few hot payloads
		}
		got, w := a.Match(b), want(b)
		if got != w {
			t.Fatalf("payload %q: adapter %d, full evaluation %d", b, got, w)
		}
		if w >= 0 {
			matched++
		}
	}
	if matched == 0 {
		t.Fatal("no payload matched: the comparison checks nothing")
	}
	var buf []byte
	for _, p := range parts {
		if want(p) >= 0 {
			buf = append(buf[:0], p...)
			break
		}
	}
	first := a.Match(buf)
	for i := range buf {
		buf[i] = 'z'
	}
	if got, w := a.Match(buf), want(buf); got != w || first == w {
		t.Errorf("buffer rewritten in place: adapter %d, full evaluation %d (before: %d)", got, w, first)
	}
}
