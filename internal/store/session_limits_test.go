package store

import (
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/session"
)

func TestSessionLimit(t *testing.T) {
	for _, c := range []struct {
		limit, offset, want int
		err                 string
	}{
		{0, 0, DefaultSessionLimit, ""},
		{5, 10, 5, ""},
		{MaxSessionLimit + 1, 0, MaxSessionLimit, ""},
		{-1, 0, 0, "limit -1, offset 0: want 0 or more"},
		{1, -2, 0, "limit 1, offset -2: want 0 or more"},
	} {
		n, err := SessionLimit(c.limit, c.offset)
		if n != c.want || (err == nil) != (c.err == "") || err != nil && err.Error() != c.err {
			t.Errorf("SessionLimit(%d, %d) = %d, %v, want %d, %q", c.limit, c.offset, n, err, c.want, c.err)
		}
	}
}

func TestHashPrefix(t *testing.T) {
	if h, err := HashPrefix(" DEADbeef "); err != nil || h != "deadbeef" {
		t.Errorf("HashPrefix = %q, %v, want deadbeef", h, err)
	}
	for _, s := range []string{"deadbee", strings.Repeat("a", 65), "deadbeeg"} {
		if _, err := HashPrefix(s); err == nil || !strings.Contains(err.Error(), "want 8 to 64 hex digits") {
			t.Errorf("HashPrefix(%q): %v", s, err)
		}
	}
}

func TestSessionBatchCheck(t *testing.T) {
	ok := SessionBatch{ID: "b", Sessions: []session.Session{{ID: "s"}}}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		b    SessionBatch
		want string
	}{
		{SessionBatch{}, "batch id of 0 bytes (want 1 to 256)"},
		{SessionBatch{ID: strings.Repeat("x", MaxIDLen+1)}, "batch id of 257 bytes (want 1 to 256)"},
		{SessionBatch{ID: "b", Sessions: []session.Session{{ID: "s"}, {}}}, "session 1: id of 0 bytes (want 1 to 256)"},
	} {
		if err := c.b.Check(); err == nil || err.Error() != c.want {
			t.Errorf("Check = %v, want %q", err, c.want)
		}
	}
}
