package geo

import "testing"

func TestDefaultAddr6(t *testing.T) {
	l, err := Open(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	found := 0
	for _, cc := range []string{"CN", "US", "JP", "BR", "DE", "IN", "VN"} {
		seen := map[string]bool{}
		for n := uint64(0); n < 200; n++ {
			a, ok := DefaultAddr6(cc, n)
			if !ok {
				break
			}
			found++
			if !a.Is6() || a.Is4In6() {
				t.Fatalf("%s %d: %s is not IPv6", cc, n, a)
			}
			if i := l.Lookup(a); i.Country != cc || i.Special != "" {
				t.Errorf("%s %d: %s looks up as %+v", cc, n, a, i)
			}
			if b, _ := DefaultAddr6(cc, n); b != a {
				t.Errorf("%s %d: not deterministic", cc, n)
			}
			seen[a.String()] = true
		}
		if len(seen) < 150 {
			t.Errorf("%s: only %d distinct addresses of 200", cc, len(seen))
		}
	}
	if found == 0 {
		t.Fatal("no IPv6 addresses at all")
	}
	if _, ok := DefaultAddr6("XX", 1); ok {
		t.Error("unknown country gave an address")
	}
}
