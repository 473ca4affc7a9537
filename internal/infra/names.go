package infra

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/honeyscope/honeyscope/internal/store"
)

// MaxNames bounds the names one graph is made of; sources stop there.
const MaxNames = 100_000

// NameSource yields the domain names seen in a period (days YYYY-MM-DD,
// inclusive; "" is open). Names need not be normalised or unique: Collect
// does that. Honeypot URLs are one source; sandbox runs and triage's
// embedded domains are others.
type NameSource interface {
	Names(ctx context.Context, from, to string) ([]string, error)
}

// NameSourceFunc adapts a function to NameSource.
type NameSourceFunc func(ctx context.Context, from, to string) ([]string, error)

// Names calls f.
func (f NameSourceFunc) Names(ctx context.Context, from, to string) ([]string, error) {
	return f(ctx, from, to)
}

// Collect asks every source and returns the distinct resolvable names,
// sorted, at most MaxNames (truncated says some were left out).
func Collect(ctx context.Context, from, to string, sources ...NameSource) (names []string, truncated bool, err error) {
	set := map[string]bool{}
	for _, s := range sources {
		ns, err := s.Names(ctx, from, to)
		if err != nil {
			return nil, false, err
		}
		for _, n := range ns {
			if len(set) >= MaxNames {
				truncated = true
				break
			}
			if c, err := NormalizeName(n); err == nil {
				set[c] = true
			}
		}
	}
	names = make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, truncated, nil
}

// HostOf returns the host of a URL as the honeypot records it
// ("http://h:8080/x", "tftp://h/x", "h/x" without a scheme), lower case,
// or "" when there is none.
func HostOf(raw string) string {
	s := strings.TrimSpace(raw)
	if len(s) > 4096 {
		s = s[:4096]
	}
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return ""
	}
	u, err := url.Parse("x://" + s)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// maxSessions bounds the sessions SessionNames reads.
const maxSessions = 200_000

// SessionNames is the NameSource of the hosts of the URLs the honeypot
// recorded in sessions that started in the period.
func SessionNames(st store.SessionStore) NameSource {
	return NameSourceFunc(func(ctx context.Context, from, to string) ([]string, error) {
		const page = 10000
		var out []string
		seen := map[string]bool{}
		for off := 0; off < maxSessions; off += page {
			ss, err := st.Sessions(ctx, store.SessionQuery{From: from, To: to, Limit: page, Offset: off, Contains: "://"})
			if err != nil {
				return nil, fmt.Errorf("sessions: %w", err)
			}
			for _, s := range ss {
				for _, u := range s.URLs {
					if h := HostOf(u.URL); h != "" && !seen[h] && len(seen) < MaxNames {
						seen[h] = true
						out = append(out, h)
					}
				}
			}
			if len(ss) < page {
				break
			}
		}
		return out, nil
	})
}

// ReaderNames is the NameSource of a list of names, one per line (blank
// lines and lines starting with '#' skipped; a URL is taken for its host;
// lines over 4 KiB are skipped). The period is ignored.
func ReaderNames(r io.Reader) NameSource {
	return NameSourceFunc(func(ctx context.Context, from, to string) ([]string, error) {
		var out []string
		br := bufio.NewReaderSize(r, 4096)
		long := false
		for len(out) < MaxNames {
			b, err := br.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				long = true // skip the rest of this line
				continue
			}
			line := strings.TrimSpace(string(b))
			if long {
				long, line = false, ""
			}
			if line != "" && line[0] != '#' {
				if strings.Contains(line, "/") {
					line = HostOf(line)
				}
				out = append(out, line)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}

// ResolutionStore keeps resolutions so that a graph can be drawn again
// without asking the DNS (the dashboard's infrastructure page).
type ResolutionStore interface {
	// PutResolutions stores each resolution in place of its name's
	// earlier one.
	PutResolutions(ctx context.Context, rs []Resolution) error
	// Resolutions returns the stored resolutions of names (nil: all, up
	// to MaxNames), sorted by name, without the names never stored.
	Resolutions(ctx context.Context, names []string) ([]Resolution, error)
}

// maxRuns bounds the sandbox runs SandboxNames reads.
const maxRuns = 10_000

// SandboxNames is the NameSource of the domains sandbox runs resolved
// (store.IndicatorDomain), for the runs started in the period (days in UTC,
// as the runs' start times are kept).
func SandboxNames(st store.SandboxStore) NameSource {
	return NameSourceFunc(func(ctx context.Context, from, to string) ([]string, error) {
		runs, err := st.SandboxRuns(ctx, store.SandboxRunQuery{Limit: maxRuns})
		if err != nil {
			return nil, fmt.Errorf("sandbox runs: %w", err)
		}
		var out []string
		seen := map[string]bool{}
		for _, r := range runs {
			day := r.Started.UTC().Format("2006-01-02")
			if (from != "" && day < from) || (to != "" && day > to) {
				continue
			}
			full, err := st.SandboxRun(ctx, r.ID)
			if err != nil {
				return nil, fmt.Errorf("sandbox run %d: %w", r.ID, err)
			}
			for _, in := range full.Indicators {
				if in.Kind == store.IndicatorDomain && !seen[in.Value] && len(seen) < MaxNames {
					seen[in.Value] = true
					out = append(out, in.Value)
				}
			}
		}
		return out, nil
	})
}
