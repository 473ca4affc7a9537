package rules

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// countRuleLines counts, independently of the parser, the lines of the
// snapshot's rule files that are rules (an action after any '#', and a
// sid), split into enabled and disabled, as the corpus README counts them.
func countRuleLines(t *testing.T, dir string) (enabled, disabled int) {
	t.Helper()
	re := regexp.MustCompile(`^(#+\s*)?(alert|drop|pass|reject|rejectsrc|rejectdst|rejectboth)\s.*\(.*sid:\s*\d+`)
	files, _ := filepath.Glob(filepath.Join(dir, "*.rules"))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			m := re.FindStringSubmatch(sc.Text())
			switch {
			case m == nil:
			case m[1] != "":
				disabled++
			default:
				enabled++
			}
		}
		fh.Close()
	}
	return enabled, disabled
}

// reasonClass shortens a reason to its kind for the per-reason census.
func reasonClass(r string) string {
	if i := strings.Index(r, `": `); i >= 0 && strings.HasPrefix(r, "pcre") {
		return "pcre: " + r[i+3:]
	}
	if i := strings.Index(r, ` "`); i >= 0 && (strings.HasPrefix(r, "byte_test") || strings.HasPrefix(r, "byte_jump")) {
		return r[:i] + " ..."
	}
	return r
}

func TestETOpenSnapshots(t *testing.T) {
	for _, snap := range []string{"et-open-2024-04-21", "et-open-2025-08-17"} {
		t.Run(snap, func(t *testing.T) {
			dir := sharedPath(t, filepath.Join("rules", snap))
			enabled, disabled := countRuleLines(t, dir)
			for _, all := range []bool{false, true} {
				s, err := Load([]string{dir}, Options{IncludeDisabled: all})
				if err != nil {
					t.Fatal(err)
				}
				total := len(s.Rules) + len(s.Unsupported)
				want := enabled
				if all {
					want += disabled
				} else if s.Disabled != disabled {
					t.Errorf("skipped %d disabled rules, the files have %d", s.Disabled, disabled)
				}
				if total != want {
					t.Errorf("include disabled %v: %d loaded + %d unsupported = %d, the files have %d rules",
						all, len(s.Rules), len(s.Unsupported), total, want)
				}
				reasons := map[string]int{}
				for _, u := range s.Unsupported {
					if u.Reason == "" || u.SID == 0 || u.Line == 0 || u.File == "" {
						t.Errorf("unsupported entry without sid, place or reason: %+v", u)
					}
					reasons[reasonClass(u.Reason)]++
				}
				share := float64(len(s.Rules)) / float64(total)
				t.Logf("include disabled %v: %d of %d rules load (%.1f%%), %d unsupported", all, len(s.Rules), total, 100*share, len(s.Unsupported))
				keys := make([]string, 0, len(reasons))
				for k := range reasons {
					keys = append(keys, k)
				}
				slices.SortFunc(keys, func(a, b string) int { return reasons[b] - reasons[a] })
				for _, k := range keys {
					t.Logf("  %5d  %s", reasons[k], k)
				}
				if share < 0.90 {
					t.Errorf("%.1f%% of the rules load, want at least 90%%", 100*share)
				}
				if _, err := Compile(s); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
