package infra

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

func TestHostOf(t *testing.T) {
	cases := map[string]string{
		"http://Evil.Test:8080/x.sh":   "evil.test",
		"tftp://c2.evil.test/bins/arm": "c2.evil.test",
		"wget+http://a.test/x":         "a.test",
		"ftp://user:pw@f.test/x":       "f.test",
		"b.test/mips":                  "b.test",
		"http://[2001:db8::1]/x":       "2001:db8::1",
		"http://":                      "",
		"":                             "",
	}
	for in, want := range cases {
		if got := HostOf(in); got != want {
			t.Errorf("HostOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReaderNamesAndCollect(t *testing.T) {
	in := "# names\nB.evil.test\n\nhttp://c2.evil.test/x\n" + strings.Repeat("x", 9000) + "\n1.2.3.4\nb.evil.test.\nlast.test"
	names, trunc, err := Collect(context.Background(), "", "", ReaderNames(strings.NewReader(in)),
		NameSourceFunc(func(ctx context.Context, from, to string) ([]string, error) { return []string{"z.other.test"}, nil }))
	if err != nil || trunc {
		t.Fatal(err, trunc)
	}
	want := []string{"b.evil.test", "c2.evil.test", "last.test", "z.other.test"}
	if !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
}

// sessionStub answers Sessions from a fixed list, paging like a store.
type sessionStub struct {
	store.SessionStore
	ss []session.Session
	q  []store.SessionQuery
}

func (s *sessionStub) Sessions(ctx context.Context, q store.SessionQuery) ([]session.Session, error) {
	s.q = append(s.q, q)
	lo := min(q.Offset, len(s.ss))
	return s.ss[lo:min(lo+q.Limit, len(s.ss))], nil
}

func TestSessionNames(t *testing.T) {
	st := &sessionStub{}
	for i := range 3 {
		st.ss = append(st.ss, session.Session{URLs: []session.URL{
			{Time: time.Now(), URL: "http://dl.evil.test/a"},
			{URL: "http://192.0.2.1/b"},
			{URL: []string{"tftp://x.test/1", "http://y.test/2", "http://dl.evil.test/c"}[i]},
		}})
	}
	names, _, err := Collect(context.Background(), "2026-04-01", "2026-04-30", SessionNames(st))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"dl.evil.test", "x.test", "y.test"}; !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	if len(st.q) != 1 || st.q[0].From != "2026-04-01" || st.q[0].To != "2026-04-30" {
		t.Errorf("queries %+v", st.q)
	}
}

func FuzzNames(f *testing.F) {
	for _, s := range []string{"http://a.evil.test:80/x", "A.B.co.uk.", "tftp://[::1]/x", "x@y.test/z", "-a.test"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := HostOf(s)
		n, err := NormalizeName(h)
		if err != nil {
			return
		}
		if len(n) > 253 || strings.ContainsAny(n, " /:@<>\\'\"") || n != strings.ToLower(n) {
			t.Fatalf("%q accepted as %q", s, n)
		}
		if again, err := NormalizeName(n); err != nil || again != n {
			t.Fatalf("%q not stable: %q %v", n, again, err)
		}
	})
}

// sandboxStub is a store.SandboxStore of fixed runs.
type sandboxStub struct{ runs []store.SandboxRun }

func (s *sandboxStub) AddSandboxRun(ctx context.Context, r store.SandboxRun) (store.SandboxRun, error) {
	return r, nil
}

func (s *sandboxStub) SandboxRuns(ctx context.Context, q store.SandboxRunQuery) ([]store.SandboxRun, error) {
	var out []store.SandboxRun
	for _, r := range s.runs {
		r.Indicators = nil
		out = append(out, r)
	}
	return out, nil
}

func (s *sandboxStub) SandboxRun(ctx context.Context, id int64) (store.SandboxRun, error) {
	for _, r := range s.runs {
		if r.ID == id {
			return r, nil
		}
	}
	return store.SandboxRun{}, store.ErrNoRun
}

func TestSandboxNames(t *testing.T) {
	dom := func(v string) store.SandboxIndicator {
		return store.SandboxIndicator{Kind: store.IndicatorDomain, Value: v, Count: 1}
	}
	st := &sandboxStub{runs: []store.SandboxRun{
		{ID: 1, Started: time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC), Indicators: []store.SandboxIndicator{dom("c2.evil.test"), {Kind: store.IndicatorFile, Value: "/tmp/x.test"}}},
		{ID: 2, Started: time.Date(2026, 4, 3, 10, 0, 0, 0, time.UTC), Indicators: []store.SandboxIndicator{dom("c2.evil.test"), dom("Scan.Evil.test")}},
		{ID: 3, Started: time.Date(2026, 5, 3, 10, 0, 0, 0, time.UTC), Indicators: []store.SandboxIndicator{dom("late.test")}},
	}}
	names, _, err := Collect(context.Background(), "2026-04-01", "2026-04-30", SandboxNames(st))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"c2.evil.test", "scan.evil.test"}; !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	all, _, _ := Collect(context.Background(), "", "", SandboxNames(st))
	if len(all) != 3 {
		t.Errorf("open period: %v", all)
	}
}
