package civil

import (
	"strings"
	"testing"
	"time"
)

// FuzzParse: Parse never panics; what it accepts is a real date that
// time.Parse accepts too and that String writes back unchanged; what
// time.Parse accepts in the same layout, Parse accepts.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"2026-05-14", "2024-02-29", "2026-02-30", "0000-01-01", "9999-12-31", "2026-13-01", " 2026-01-01", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		trimmed := strings.TrimSpace(s)
		ref, refErr := time.Parse(time.DateOnly, trimmed)
		if err != nil {
			if refErr == nil && len(trimmed) == 10 {
				t.Fatalf("Parse(%q): %v, but time.Parse accepts it", s, err)
			}
			return
		}
		if refErr != nil {
			t.Fatalf("Parse(%q) = %s, but time.Parse: %v", s, d, refErr)
		}
		if d.String() != trimmed {
			t.Fatalf("Parse(%q).String() = %q", s, d.String())
		}
		if got := FromTime(ref, time.UTC); got != d {
			t.Fatalf("Parse(%q) = %d, time says %d", s, d, got)
		}
		if d.AddDays(1).Sub(d) != 1 {
			t.Fatal("AddDays/Sub")
		}
	})
}
